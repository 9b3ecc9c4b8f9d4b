"""The reader-agreement rule: where YAML readers disagree, bind the spelling or refuse.

The articles are read by PyYAML (YAML 1.1, securedoc itself), Ruby's Psych (Jekyll, YAML 1.1
with its own scalar rules) and goccy/go-yaml (Hugo, mostly YAML 1.2, keys lower-cased). A seal
is worth what every one of them reads, so the canonical form (payload format 2) follows one rule:

**A plain scalar is bound by its value only when its text is the one canonical spelling of a
value that every reader reads alike** (``true``, ``false``, ``null``, ``~``, an empty value, a
decimal integer without leading zeros or sign, a float written as Python's ``repr`` writes it, a
``YYYY-MM-DD`` date, a timestamp written exactly in its canonical form, or a string that no
reader takes for anything but a string). **Every other plain scalar is bound by its text**
(``{"$": "plain", "v": TEXT}``): ``yes``, ``on``, ``True``, ``0x1F``, ``012``, ``0o12``, ``1_000``,
``1,000``, ``1:20:00``, ``1e3``, ``.inf``, ``2020-08-15 08:19:00 +00:00``, ``:name``... An unchanged
scalar verifies; any change to or from such a spelling is a change, whatever PyYAML thinks of it.

Keys that a reader folds together are refused (they cannot be bound: the reader picks one of two
values by position): keys equal after Hugo's lower-casing, after dropping a tag (``!foo title``),
after decoding ``!!binary``, or as numbers (``3`` and ``3.0``, ``012`` and ``10``). Merges (``<<``)
are refused where readers apply them differently: a merged key that an explicit key written
*before* the ``<<`` also sets (PyYAML keeps the explicit value; Psych and Hugo apply merges in
document order), the same key from two merge sources, two ``<<`` keys in one mapping, and a
``<<`` key that is quoted or tagged (Psych merges it, Hugo and PyYAML do not).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "PLAIN_TAG",
    "classify_plain",
    "KeyConflict",
    "check_mapping",
    "holds_plain",
    "key_folds",
]

# The tag the resolver gives a plain scalar that is bound by its text (never written in a file).
PLAIN_TAG = "tag:securedoc,2026:plain"
_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_BINARY_TAGS = frozenset({"tag:yaml.org,2002:binary", "!binary"})

_CANONICAL_INT = re.compile(r"0|-?[1-9][0-9]*")
# Strings (for PyYAML) that another reader may take for a boolean, null, number, time or symbol.
# Broad on purpose: a string caught here is merely bound by its text (quoting it is then a change).
_SUSPECT = re.compile(
    r"""(?ix)
      (?:yes|no|on|off|true|false|null|~)                    # YAML 1.1 words, any case (Psych)
    | [-+]?[0-9.][0-9a-f_.,:+\-ox]*                          # numbers of any base, 1,000, 1:20, 1e3
    | [-+]?\.?(?:inf|infinity|nan)                           # special floats, any spelling
    | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt\s].*)?           # dates and times, any spelling
    | :.*                                                    # Ruby symbols (Psych)
    """,
    re.DOTALL,
)
_TIMESTAMP_RE = re.compile(
    r"""(?x)
    (?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})
    (?:T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})
       (?:\.(?P<fraction>[0-9]*[1-9]))?
       (?P<tz>Z|[-+][0-9]{2}:[0-9]{2})?)?
    """
)


def _canonical_timestamp(text: str) -> bool:
    """Whether a timestamp is written exactly in its canonical form (RFC 3339 with `T`, `Z` for a
    zero offset, no trailing zeros in the fraction), and is a real date and time."""
    match = _TIMESTAMP_RE.fullmatch(text)
    if match is None:
        return False
    g = match.groupdict()
    month, day = int(g["month"]), int(g["day"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    if g["hour"] is not None and (int(g["hour"]) > 23 or int(g["minute"]) > 59 or int(g["second"]) > 59):
        return False
    tz = g["tz"]
    if tz and tz != "Z":
        hours, minutes = int(tz[1:3]), int(tz[4:6])
        if (hours == 0 and minutes == 0) or hours > 23 or minutes > 59:
            return False  # +00:00 is written Z
    return True


def classify_plain(value: str, tag: str) -> str:
    """The tag for a plain (unquoted, untagged) scalar that PyYAML resolved to ``tag``: the same
    tag when every reader reads the text alike and the text is the canonical spelling of its value,
    else :data:`PLAIN_TAG` (bound by its text)."""
    if tag == _STR:
        return PLAIN_TAG if value and _SUSPECT.fullmatch(value) else tag
    if tag == _BOOL:
        return tag if value in ("true", "false") else PLAIN_TAG
    if tag == _NULL:
        return tag if value in ("", "~", "null") else PLAIN_TAG
    if tag == _INT:
        return tag if _CANONICAL_INT.fullmatch(value) else PLAIN_TAG
    if tag == _FLOAT:
        try:
            return tag if repr(float(value)) == value and "_" not in value else PLAIN_TAG
        except ValueError:
            return PLAIN_TAG
    if tag == _TIMESTAMP:
        return tag if _canonical_timestamp(value) else PLAIN_TAG
    return tag  # merge (<<), value (=): handled where mappings are checked


class KeyConflict(Exception):
    """Two keys of one mapping that a reader takes for one, or a merge readers apply differently."""

    def __init__(self, message: str, mark: Any = None, other_mark: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.other_mark = other_mark


_NUMBERISH = re.compile(
    r"[-+]?(?:0[xob][0-9a-f_]+|[0-9][0-9_,]*(?::[0-9_]+)*(?:\.[0-9_]*)?(?:e[-+]?[0-9]+)?)"
    r"|[-+]?\.[0-9_]+(?:e[-+]?[0-9]+)?"
)


def _number_folds(text: str) -> set[str]:
    """The decimal texts a reader may turn a numeric-looking key into (Hugo writes keys as text)."""
    low = text.lower()
    if not _NUMBERISH.fullmatch(low):
        return set()
    sign = -1 if low.startswith("-") else 1
    body = low.lstrip("+-").replace("_", "")
    values: set[float | int] = set()
    for candidate in (body, body.replace(",", "")):
        for base, prefix in ((16, "0x"), (8, "0o"), (2, "0b")):
            if candidate.startswith(prefix):
                try:
                    values.add(int(candidate[2:], base))
                except ValueError:
                    pass
        if ":" in candidate:  # base 60 (YAML 1.1)
            try:
                total = 0.0
                for part in candidate.split(":"):
                    total = total * 60 + float(part)
                values.add(total)
            except ValueError:
                pass
        if re.fullmatch(r"0[0-7]+", candidate):
            values.add(int(candidate, 8))
        try:
            values.add(float(candidate))
        except ValueError:
            pass
    folds = set()
    for number in values:
        number = sign * number
        if isinstance(number, float) and number.is_integer() and abs(number) < 2**63:
            number = int(number)
        folds.add(str(number))
    return folds


_TRUE_WORDS = frozenset({"yes", "on", "true"})
_FALSE_WORDS = frozenset({"no", "off", "false"})
_NULL_WORDS = frozenset({"", "~", "null"})


def key_folds(node: Node) -> frozenset[str]:
    """What a key may become in some reader: lower-cased text (Hugo), the text without its tag,
    decoded binary (Psych), its number as text, its boolean or null. Empty for non-scalar keys."""
    if not isinstance(node, ScalarNode):
        return frozenset()
    text = node.value
    if node.tag in _BINARY_TAGS:
        try:
            text = base64.b64decode("".join(text.split()), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            pass
    folded = text.lower()
    # Hugo lower-cases with Go's unicode.ToLower, rune by rune: U+0130 (İ) becomes a plain 'i',
    # where Python's lower() writes 'i' and a combining dot.
    folds = {folded, folded.casefold(), text.replace("\u0130", "i").lower()}
    if text[:1] in "0123456789+-.":
        folds |= _number_folds(text)
    if folded in _TRUE_WORDS:
        folds.add("\x00true")
    elif folded in _FALSE_WORDS:
        folds.add("\x00false")
    elif folded in _NULL_WORDS:
        folds.add("\x00null")
    return frozenset(folds)


def _is_merge(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _MERGE


def _merge_sources(value: Node) -> list[MappingNode]:
    if isinstance(value, MappingNode):
        return [value]
    if isinstance(value, SequenceNode):
        return [item for item in value.value if isinstance(item, MappingNode)]
    return []


def _merged_keys(source: MappingNode, seen: set[int]) -> list[Node]:
    """The keys a merge source brings in, its own merges included."""
    if id(source) in seen:
        return []
    seen.add(id(source))
    keys: list[Node] = []
    for key, value in source.value:
        if _is_merge(key):
            for inner in _merge_sources(value):
                keys.extend(_merged_keys(inner, seen))
        else:
            keys.append(key)
    return keys


def _name(node: Node) -> str:
    if isinstance(node, ScalarNode):
        return repr(node.value) if node.value != node.value.strip() or not node.value else node.value
    return "a complex key"


def _same_key(a: Node, b: Node) -> bool:
    """Whether PyYAML compares two scalar keys by value (a duplicate when equal, which it reports)."""
    if not (isinstance(a, ScalarNode) and isinstance(b, ScalarNode)) or a.tag != b.tag:
        return False
    return a.value == b.value or a.tag in _BY_VALUE


_BY_VALUE = frozenset({_BOOL, _INT, _FLOAT, _NULL, _TIMESTAMP})


def check_mapping(node: MappingNode) -> None:
    """Refuse keys of one mapping that some reader folds into one, and merges readers disagree on.
    Raises :class:`KeyConflict` with the marks of both keys."""
    pairs = node.value
    if len(pairs) < 2 and not any(isinstance(k, ScalarNode) and k.value == "<<" for k, _ in pairs):
        return
    seen: dict[str, Node] = {}  # explicit keys
    merged: dict[str, Node] = {}  # keys brought in by the merge
    merge_at: Node | None = None
    for key, value in pairs:
        if isinstance(key, ScalarNode) and key.value == "<<" and not _is_merge(key):
            raise KeyConflict(
                "a quoted or tagged '<<' key: Psych (Jekyll) applies it as a merge, Hugo and PyYAML read "
                "a field named '<<'",
                key.start_mark,
            )
        if _is_merge(key):
            if merge_at is not None:
                raise KeyConflict(
                    "two '<<' merge keys in one mapping: Hugo refuses it, Psych and PyYAML merge both",
                    key.start_mark,
                    merge_at.start_mark,
                )
            merge_at = key
            for index, source in enumerate(_merge_sources(value)):
                check_mapping(source)
                brought = _merged_keys(source, set())
                for merged_key in brought:
                    for fold in key_folds(merged_key):
                        earlier = seen.get(fold)
                        if earlier is not None:
                            raise KeyConflict(
                                f"the '<<' merge sets {_name(merged_key)}, which a key before it also sets: "
                                "PyYAML keeps the value written before the merge, Hugo and Psych (Jekyll) "
                                "the merged one",
                                key.start_mark,
                                earlier.start_mark,
                            )
                        other = merged.get(fold)
                        if index > 0 and other is not None:
                            raise KeyConflict(
                                f"two sources of one '<<' merge set {_name(merged_key)}: Hugo refuses it, "
                                "and readers disagree on which value counts",
                                key.start_mark,
                            )
                merged.update((fold, k) for k in brought for fold in key_folds(k))
            continue
        folds = key_folds(key)
        for fold in folds:
            other = seen.get(fold)
            if other is not None and other is not key and not _same_key(other, key):
                raise KeyConflict(
                    f"the keys {_name(other)} and {_name(key)} are one key for some reader "
                    f"({_why(other, key)}): readers disagree on which value counts",
                    key.start_mark,
                    other.start_mark,
                )
            other = merged.get(fold)
            if other is not None and not _same_key(other, key):
                raise KeyConflict(
                    f"the key {_name(key)} and the merged key {_name(other)} are one key for some reader "
                    f"({_why(other, key)}): readers disagree on which value counts",
                    key.start_mark,
                )
        for fold in folds:
            seen[fold] = key


def _why(a: Node, b: Node) -> str:
    if not (isinstance(a, ScalarNode) and isinstance(b, ScalarNode)):
        return "folded keys"
    if a.value == b.value:
        if a.tag in _BINARY_TAGS or b.tag in _BINARY_TAGS:
            return "Psych decodes !!binary keys"
        if a.tag.startswith("!") or b.tag.startswith("!"):
            return "Hugo and Psych ignore the tag"
        return "Hugo writes keys as text"
    if key_folds(a) & key_folds(b) and a.value.replace("\u0130", "i").lower() == b.value.replace("\u0130", "i").lower():
        return "Hugo lower-cases keys"
    if a.value.casefold() == b.value.casefold():
        return "Hugo lower-cases keys"
    if a.tag in _BINARY_TAGS or b.tag in _BINARY_TAGS:
        return "Psych decodes !!binary keys"
    return "the same number, boolean or null"


def holds_plain(value: Any) -> bool:
    """Whether a canonical value holds a text-bound plain scalar anywhere (keys included)."""
    if isinstance(value, list):
        return any(holds_plain(item) for item in value)
    if isinstance(value, dict):
        if value.get("$") == "plain":
            return True
        return any(holds_plain(v) for v in value.values())
    return False


def first_plain(value: Any) -> str | None:
    """The text of the first text-bound plain scalar in a canonical value, None when there is none."""
    if isinstance(value, list):
        for item in value:
            found = first_plain(item)
            if found is not None:
                return found
        return None
    if isinstance(value, dict):
        if value.get("$") == "plain" and isinstance(value.get("v"), str):
            return str(value["v"])
        for item in value.values():
            found = first_plain(item)
            if found is not None:
                return found
    return None


def describe_plain(text: str) -> str:
    """What readers disagree on about a plain scalar, for people."""
    low = text.lower()
    if low in _TRUE_WORDS | _FALSE_WORDS:
        if low in ("true", "false"):
            return f"'{text}' is a boolean written in other than its canonical spelling ('{low}')"
        return f"'{text}' is a boolean for YAML 1.1 readers (Jekyll, PyYAML) and a string for Hugo (YAML 1.2)"
    if low in ("null", "~", "nil"):
        return f"'{text}' is null for some readers and a string, or a differently spelled null, for others"
    if text.startswith(":"):
        return f"'{text}' is a Ruby symbol for Psych (Jekyll refuses the page) and a string for Hugo and PyYAML"
    if re.match(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}", text):
        return (
            f"'{text}' is a time for YAML 1.1 readers and a string for Hugo, and is not written in the "
            "one canonical RFC 3339 form (YYYY-MM-DDTHH:MM:SS, Z for UTC)"
        )
    return (
        f"'{text}' is a number that readers read differently (YAML 1.1 octal 012, 0o12, 1_000, 1,000, "
        "base 60 1:20:00, exponents, .inf) or that is not written in its canonical spelling"
    )

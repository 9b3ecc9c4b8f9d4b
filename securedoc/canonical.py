"""The canonical form of YAML values (payload format 2; format 1 had no ``plain`` tag).

A YAML value becomes a JSON value that says exactly the same thing, whatever way it was written:
``0x10`` and ``16`` are the same integer, ``'a'`` and ``"a"`` the same string, a flow list and a
block list the same list; ``1``, ``1.0``, ``true`` and ``"1"`` are four different values. Two YAML
values are equal exactly when their canonical JSON texts (:func:`dumps`) are equal.

JSON has no place for some YAML types, so they are *tagged*: a JSON object whose member ``"$"``
names the type and whose member ``"v"`` holds the value. A mapping that has a key ``"$"`` of its
own, or any key that is not a string, is written as a tagged ``map``, so a plain JSON object is
never a tag and every tag is unambiguous.

=========================  ==============================================================
YAML value                  canonical JSON
=========================  ==============================================================
null, bool, int, string     the JSON null, boolean, integer (any size), string
float                       ``{"$":"float","v":R}``, R = Python ``repr`` (``1.5``, ``1e+100``,
                            ``-0.0``, ``nan``, ``inf``, ``-inf``)
timestamp                   ``{"$":"timestamp","v":"2020-08-15T08:19:00Z"}`` (see below)
date                        ``{"$":"date","v":"2020-08-15"}``
!!binary                    ``{"$":"binary","v":BASE64}`` (standard alphabet, padded)
!!set                       ``{"$":"set","v":[members sorted by canonical text]}``
!!omap / !!pairs            ``{"$":"omap","v":[[k,v],...]}`` / ``"pairs"``, in document order
sequence                    a JSON array
mapping, string keys        a JSON object (no key ``"$"``)
any other mapping           ``{"$":"map","v":[[k,v],...]}``, pairs sorted by canonical key text
other tags (``!foo``)       ``{"$":"tag","t":"!foo","v":value of the node as untagged}``
disputed plain scalar       ``{"$":"plain","v":TEXT}``: readers disagree, the text is bound
=========================  ==============================================================

Which plain scalars are disputed, and which keys are refused, is :mod:`securedoc.readers`' rule.

Timestamps: ``YYYY-MM-DDTHH:MM:SS``, then ``.`` and the fraction digits without trailing zeros
(only if not zero), then ``Z`` for a zero offset, ``+HH:MM``/``-HH:MM`` for another, nothing for
a timestamp without zone. Every digit of the fraction is kept. Scalars are resolved by the YAML 1.1
rules PyYAML's SafeLoader uses, then every plain scalar that is not the canonical spelling of a
value all readers agree on is bound by its text (``yes``, ``0x10``, ``1e3``: ``{"$":"plain"}``).

:func:`dumps` writes JSON with sorted object keys (by code point), no whitespace, UTF-8 text
(only ``"``, ``\\`` and U+0000-U+001F escaped, as ``\\"``, ``\\\\``, ``\\n``, ``\\r``, ``\\t``,
``\\b``, ``\\f`` or ``\\u00xx``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
import math
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .readers import PLAIN_TAG, KeyConflict, check_mapping, classify_plain

__all__ = [
    "TAG",
    "CanonicalError",
    "CanonicalConstructor",
    "dumps",
    "key_identity",
    "display",
    "to_python",
    "from_json",
    "plain",
    "check_expansion",
    "is_tag",
]

TAG = "$"
MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_TAGS = frozenset({"float", "timestamp", "date", "time", "binary", "set", "omap", "pairs", "map", "tag", "plain"})

_encoder = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":"), check_circular=True
)


def dumps(value: Any) -> str:
    """The canonical JSON text of a canonical value."""
    return _encoder.encode(value)


class CanonicalError(Exception):
    """A YAML value that has no canonical form (duplicate key, bad timestamp...), with its position."""

    def __init__(self, message: str, mark: Any = None, other_mark: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.other_mark = other_mark


def key_identity(key: Any) -> object:
    """What makes two mapping keys the same key: the string itself, or the canonical text.

    A tuple never equals a string, so the string key ``"1"`` and the integer key ``1`` (whose
    identity is ``("1",)``) stay apart, and so do ``1`` and ``true`` (``("true",)``).
    """
    if type(key) is str:
        return key
    return (dumps(key),)


def _key_name(key: Any) -> str:
    return key if type(key) is str else dumps(key)


def _tagged(kind: str, value: Any) -> dict[str, Any]:
    return {TAG: kind, "v": value}


class CanonicalConstructor(SafeConstructor):
    """A SafeConstructor whose results are canonical values (see the module docs).

    Collections are built in one step (no generators), so a recursive alias is an error instead of
    a self-referencing structure. Collections nest at most ``max_depth`` levels, which keeps every
    later recursion (canonical JSON, comparisons) shallow whatever the caller's stack.
    """

    max_depth = 100
    _depth = 0

    def _enter(self, node: Node) -> None:
        self._depth += 1
        if self._depth > self.max_depth:
            self._depth = 0
            raise CanonicalError(f"the front matter nests more than {self.max_depth} levels deep", node.start_mark)

    def _leave(self) -> None:
        self._depth -= 1

    def fast(self, node: Node) -> Any:
        """The canonical value of a node from a document without anchors.

        Builds the common types directly (strings, integers, booleans, nulls, sequences, mappings
        with string keys) and hands everything else to the regular constructors, which give the
        same values and the same errors; only PyYAML's per-node bookkeeping (needed for aliases)
        is skipped. Never call it on a document with anchors: shared nodes would be built twice
        and a recursive alias would not be caught.
        """
        kind = node.__class__
        tag = node.tag
        if kind is ScalarNode:
            if tag == _STR_TAG:
                return node.value
            if tag == _INT_TAG:
                return self.construct_yaml_int(node)  # type: ignore[arg-type]
            if tag == _BOOL_TAG:
                return self.bool_values[node.value.lower()]
            if tag == _NULL_TAG:
                return None
            return self.construct_object(node, deep=True)
        if kind is SequenceNode and tag == _SEQ_TAG:
            self._enter(node)
            result = [self.fast(child) for child in node.value]
            self._leave()
            return result
        if kind is MappingNode and tag == _MAP_TAG:
            if len(node.value) > 1:
                self.check_keys(node)  # type: ignore[arg-type]
            self._enter(node)
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.__class__ is not ScalarNode or key_node.tag != _STR_TAG or key_node.value == TAG:
                    self._leave()
                    return self.construct_yaml_map(node)  # other keys, merges: the general way
                mapping[key_node.value] = self.fast(value_node)
            self._leave()
            if len(mapping) != len(node.value):
                return self.construct_yaml_map(node)  # a duplicate key: the general way reports it
            return mapping
        return self.construct_object(node, deep=True)

    def check_keys(self, node: MappingNode) -> None:
        """Refuse keys that a reader folds together and merges readers apply differently."""
        try:
            check_mapping(node)
        except KeyConflict as exc:
            raise CanonicalError(exc.message, exc.mark, exc.other_mark) from None

    def construct_plain(self, node: ScalarNode) -> Any:
        """A plain scalar that readers disagree on (or that is not written canonically): its text."""
        return {TAG: "plain", "v": node.value}

    def construct_yaml_float(self, node: ScalarNode) -> Any:
        return _tagged("float", repr(float(super().construct_yaml_float(node))))

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        text = self.construct_scalar(node)
        match = self.timestamp_regexp.match(text)
        if match is None:
            raise CanonicalError(f"{text!r} is not a valid timestamp", node.start_mark)
        g = match.groupdict()
        year, month, day = int(g["year"]), int(g["month"]), int(g["day"])
        try:
            _dt.date(year, month, day)
            if not g["hour"]:
                return _tagged("date", f"{year:04d}-{month:02d}-{day:02d}")
            hour, minute, second = int(g["hour"]), int(g["minute"]), int(g["second"])
            _dt.time(hour, minute, second)
        except ValueError as exc:
            raise CanonicalError(f"{text!r} is not a valid date or time ({exc})", node.start_mark) from None
        fraction = (g["fraction"] or "").rstrip("0")
        zone = ""
        if g["tz"]:
            if g["tz"] == "Z":
                offset = 0
            else:
                offset = int(g["tz_hour"]) * 60 + int(g["tz_minute"] or 0)
                if g["tz_sign"] == "-":
                    offset = -offset
            if abs(offset) >= 24 * 60:
                raise CanonicalError(f"{text!r} has a time zone offset of 24 hours or more", node.start_mark)
            if offset == 0:
                zone = "Z"
            else:
                sign = "-" if offset < 0 else "+"
                zone = f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
        text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
        if fraction:
            text += "." + fraction
        return _tagged("timestamp", text + zone)

    def construct_yaml_binary(self, node: ScalarNode) -> Any:
        try:
            data = super().construct_yaml_binary(node)
        except ConstructorError as exc:
            raise CanonicalError(f"invalid !!binary value ({exc.problem})", node.start_mark) from None
        return _tagged("binary", base64.b64encode(data).decode("ascii"))

    def construct_yaml_seq(self, node: Node) -> Any:
        if not isinstance(node, SequenceNode):
            raise CanonicalError(f"expected a sequence, found a {_node_kind(node)}", node.start_mark)
        self._enter(node)
        result = [self.construct_object(child, deep=True) for child in node.value]
        self._leave()
        return result

    def construct_yaml_map(self, node: Node) -> Any:
        pairs = self.canonical_pairs(node)
        if all(type(k) is str and k != TAG for k, _ in pairs):
            return dict(pairs)
        return _tagged("map", sorted(([k, v] for k, v in pairs), key=lambda kv: dumps(kv[0])))

    def construct_yaml_set(self, node: Node) -> Any:
        pairs = self.canonical_pairs(node)
        return _tagged("set", sorted((k for k, _ in pairs), key=dumps))

    def _pair_list(self, node: Node, kind: str) -> list[list[Any]]:
        if not isinstance(node, SequenceNode):
            raise CanonicalError(f"!!{kind} needs a sequence, found a {_node_kind(node)}", node.start_mark)
        self._enter(node)
        result = []
        seen: dict[object, Any] = {}
        for item in node.value:
            if not isinstance(item, MappingNode) or len(item.value) != 1:
                raise CanonicalError(f"every item of !!{kind} is a mapping of one key", item.start_mark)
            key_node, value_node = item.value[0]
            key = self.construct_object(key_node, deep=True)
            if kind == "omap":
                ident = key_identity(key)
                if ident in seen:
                    raise CanonicalError(f"duplicate key {_key_name(key)} in !!omap", key_node.start_mark, seen[ident])
                seen[ident] = key_node.start_mark
            result.append([key, self.construct_object(value_node, deep=True)])
        self._leave()
        return result

    def construct_yaml_omap(self, node: Node) -> Any:
        return _tagged("omap", self._pair_list(node, "omap"))

    def construct_yaml_pairs(self, node: Node) -> Any:
        return _tagged("pairs", self._pair_list(node, "pairs"))

    def construct_undefined(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            value: Any = self.construct_scalar(node)
        elif isinstance(node, SequenceNode):
            value = self.construct_yaml_seq(node)
        else:
            value = self.construct_yaml_map(node)
        return {TAG: "tag", "t": node.tag, "v": value}

    def canonical_pairs(self, node: Node) -> list[tuple[Any, Any]]:
        """The (key, value) pairs of a mapping node, merges applied, duplicates rejected.

        Explicit keys must be unique (by :func:`key_identity`); keys brought in by ``<<`` merges
        give way to explicit keys and to earlier merge sources, as YAML says.
        """
        if not isinstance(node, MappingNode):
            raise CanonicalError(f"expected a mapping, found a {_node_kind(node)}", node.start_mark)
        self.check_keys(node)
        explicit_count = len(node.value)
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                explicit_count = sum(1 for k, _ in node.value if k.tag != MERGE_TAG)
                try:
                    self.flatten_mapping(node)
                except ConstructorError as exc:
                    raise CanonicalError(f"invalid merge (<<): {exc.problem}", exc.problem_mark) from None
                break
        self._enter(node)
        raw = node.value
        first_explicit = len(raw) - explicit_count
        index: dict[object, int] = {}
        marks: dict[object, Any] = {}
        pairs: list[tuple[Any, Any]] = []
        for position, (key_node, value_node) in enumerate(raw):
            key = self.construct_object(key_node, deep=True)
            ident = key if type(key) is str else key_identity(key)
            value = self.construct_object(value_node, deep=True)
            at = index.get(ident)
            if at is None:
                index[ident] = len(pairs)
                pairs.append((key, value))
            elif position >= first_explicit and ident in marks:
                raise CanonicalError(
                    f"duplicate key {_key_name(key)}: YAML readers disagree on which value counts",
                    key_node.start_mark,
                    marks[ident],
                )
            else:
                pairs[at] = (key, value)  # explicit keys override merged ones
            if position >= first_explicit:
                marks[ident] = key_node.start_mark
        self._leave()
        return pairs


def _node_kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "mapping"
    if isinstance(node, SequenceNode):
        return "sequence"
    return "scalar"


for _tag, _method in (
    ("tag:yaml.org,2002:float", CanonicalConstructor.construct_yaml_float),
    ("tag:yaml.org,2002:timestamp", CanonicalConstructor.construct_yaml_timestamp),
    ("tag:yaml.org,2002:binary", CanonicalConstructor.construct_yaml_binary),
    ("tag:yaml.org,2002:seq", CanonicalConstructor.construct_yaml_seq),
    ("tag:yaml.org,2002:map", CanonicalConstructor.construct_yaml_map),
    ("tag:yaml.org,2002:set", CanonicalConstructor.construct_yaml_set),
    ("tag:yaml.org,2002:omap", CanonicalConstructor.construct_yaml_omap),
    ("tag:yaml.org,2002:pairs", CanonicalConstructor.construct_yaml_pairs),
    (PLAIN_TAG, CanonicalConstructor.construct_plain),
    (None, CanonicalConstructor.construct_undefined),
):
    CanonicalConstructor.add_constructor(_tag, _method)  # type: ignore[type-var]


def check_expansion(root: Node, limit: int) -> None:
    """Refuse alias bombs: the node count once every alias is expanded must stay under ``limit``.

    Aliases make the node graph a DAG whose expansion can be exponential in the text's size
    ("billion laughs"). Sizes are summed bottom-up with memoisation, without recursion.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        nid = id(node)
        if isinstance(node, ScalarNode):
            sizes[nid] = 1
            continue
        if isinstance(node, SequenceNode):
            children = node.value
        else:
            children = [part for pair in node.value for part in pair]
        if not done:
            if nid in sizes:
                continue
            if nid in active:
                return  # a recursive alias: the constructor reports it
            active.add(nid)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        active.discard(nid)
        total = 1
        for child in children:
            size = sizes.get(id(child))
            if size is None:
                return  # part of a cycle
            total += size
        if total > limit:
            raise CanonicalError(f"aliases expand to more than {limit:,} values (an alias bomb?)", node.start_mark)
        sizes[nid] = total


def is_tag(value: dict[str, Any]) -> bool:
    """Whether an object with a ``"$"`` member is a well-formed tag (its children are checked as they
    are built, by the JSON decoder's object hook)."""
    kind = value.get(TAG)
    if not isinstance(kind, str) or kind not in _TAGS:
        return False
    expected = {TAG, "v", "t"} if kind == "tag" else {TAG, "v"}
    if value.keys() != expected:
        return False
    v = value["v"]
    if kind in ("timestamp", "date", "time", "binary", "float", "plain"):
        return isinstance(v, str)
    if kind == "tag":
        return isinstance(value["t"], str)
    if kind == "set":
        return isinstance(v, list)
    return isinstance(v, list) and all(isinstance(pair, list) and len(pair) == 2 for pair in v)


def from_json(value: Any) -> Any:
    """A plain JSON value (as json.loads returns it) in canonical form: floats and ``"$"`` keys tagged."""
    if isinstance(value, float):
        return _tagged("float", repr(value))
    if isinstance(value, list):
        return [from_json(item) for item in value]
    if isinstance(value, dict):
        converted = {k: from_json(v) for k, v in value.items()}
        if TAG in converted:
            return _tagged("map", sorted(([k, v] for k, v in converted.items()), key=lambda kv: dumps(kv[0])))
        return converted
    return value


def _plain_float(text: str) -> Any:
    number = float(text)
    if math.isnan(number):
        return ".nan"
    if math.isinf(number):
        return ".inf" if number > 0 else "-.inf"
    if number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def plain(value: Any) -> Any:
    """The plain-JSON projection used by the legacy form, which predates tags.

    Lossy on purpose: timestamps and dates become their text, integral floats integers, sets and
    ordered maps lists, non-string keys their canonical text. Legacy payloads are written and
    compared in this projection.
    """
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        kind = value.get(TAG)
        if kind is None:
            return {k: plain(v) for k, v in value.items()}
        v = value["v"]
        if kind == "float":
            return _plain_float(v)
        if kind in ("timestamp", "date", "time", "binary", "plain"):
            return v
        if kind == "set":
            return [plain(item) for item in v]
        if kind in ("omap", "pairs"):
            return [[plain(k), plain(x)] for k, x in v]
        if kind == "map":
            return {(k if type(k) is str else dumps(plain(k))): plain(x) for k, x in v}
        return plain(v)
    return value


def to_python(value: Any) -> Any:
    """Python objects for showing a canonical value as YAML (``open``): datetimes, floats, sets..."""
    if isinstance(value, list):
        return [to_python(item) for item in value]
    if not isinstance(value, dict):
        return value
    kind = value.get(TAG)
    if kind is None:
        return {k: to_python(v) for k, v in value.items()}
    v = value["v"]
    if kind == "float":
        return float(v)
    if kind == "timestamp":
        text = v[:-1] + "+00:00" if v.endswith("Z") else v
        head, dot, rest = text.partition(".")
        if dot:  # fromisoformat takes at most 6 fraction digits
            digits = "".join(c for c in rest if c.isdigit())
            zone = rest[len(digits) :]
            text = f"{head}.{(digits + '000000')[:6]}{zone}"
        try:
            return _dt.datetime.fromisoformat(text)
        except ValueError:
            return v
    if kind == "date":
        try:
            return _dt.date.fromisoformat(v)
        except ValueError:
            return v
    if kind == "plain":
        return v
    if kind == "binary":
        try:
            return base64.b64decode(v)
        except (binascii.Error, ValueError):
            return v
    if kind == "set":
        members = [to_python(item) for item in v]
        try:
            as_set = set(members)
        except TypeError:
            return members
        return as_set if len(as_set) == len(members) else members
    if kind in ("omap", "pairs"):
        return [[to_python(k), to_python(x)] for k, x in v]
    if kind == "map":
        pairs = [(to_python(k), to_python(x)) for k, x in v]
        try:
            mapping = dict(pairs)
        except TypeError:
            return [list(pair) for pair in pairs]
        return mapping if len(mapping) == len(pairs) else [list(pair) for pair in pairs]
    return to_python(v)


def display(value: Any, limit: int = 120) -> str:
    """A short, unambiguous text for reports: strings quoted, tagged scalars as their text."""
    if isinstance(value, dict) and value.get(TAG) in ("float", "timestamp", "date", "time", "plain"):
        text = str(value["v"])
    else:
        text = dumps(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


_RESOLVED: dict[str, str] = {}


class _CachedResolver(yaml.resolver.Resolver):
    """PyYAML's resolver, remembered per scalar text: libyaml asks it about every scalar, keys
    included, and it answers by trying regular expressions. A plain scalar whose reading readers
    disagree on gets the tag that binds its text (:func:`securedoc.readers.classify_plain`). The
    answer depends on the text alone (securedoc adds no path resolvers), so remembering it changes
    nothing but the time."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if not implicit[0]:
                return _STR_TAG
            tag = _RESOLVED.get(value)
            if tag is None:
                tag = classify_plain(value, super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]
                if len(value) <= 64:
                    if len(_RESOLVED) >= 10_000:  # bounded: common keys and values come back at once
                        _RESOLVED.clear()
                    _RESOLVED[value] = tag
            return tag
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call,no-any-return]


def loader_class() -> type:
    """The fastest available loader class with canonical construction (C parser when present)."""
    return _Loader


class PurePythonLoader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    CanonicalConstructor,
    _CachedResolver,
):
    """Canonical construction over PyYAML's pure-Python parser: about 10x slower than libyaml's,
    same results (the tests read bad input with both, so no message depends on one parser)."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        CanonicalConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)


_Loader: type = PurePythonLoader
if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser as _Parser

    class _CLoader(_Parser, CanonicalConstructor, _CachedResolver):
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            CanonicalConstructor.__init__(self)
            _CachedResolver.__init__(self)

    _Loader = _CLoader

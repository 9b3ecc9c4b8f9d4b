"""Markdown articles with TOML front matter (``+++`` ... ``+++``): split, read, locate, edit.

Hugo writes TOML front matter by default (``hugo new content``). An article is: an optional UTF-8
byte order mark; a line ``+++``; the front matter (TOML 1.0, read with the standard library's
:mod:`tomllib`); a line ``+++``; the body. Like YAML front matter, the file is only ever edited as
text: a small lexer finds where each top-level statement (``key = value``, ``[table]``,
``[[array]]``) starts and ends, so every byte outside an edit stays as it was.

Top-level fields are the keys of the TOML document's root table. A field defined by ``key = value``
before the first table header has the text of that statement; a table (``[params]`` and its
``key = value`` lines, ``[params.x]`` sections, ``[[items]]`` entries) has the text of its sections.
A field whose text is split (a dotted key ``a.b = 1`` and, further down, ``a.c = 2``) can be read
and sealed, but not hidden.

Where Hugo's TOML reader (go-toml) and :mod:`tomllib` would read the same bytes differently, the
document is refused or the spelling is bound (see :func:`parse_toml` and docs/format.md).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from yaml.error import Mark
from yaml.nodes import ScalarNode

from .canonical import TAG, dumps
from .document import (
    DEFAULT_LIMITS,
    SEAL_FIELD,
    Document,
    Entry,
    Limits,
    front_matter_text,
    parse_fragment,
    too_large,
    unclosed,
)
from .errors import DocumentError

__all__ = ["TomlDocument", "parse_toml", "canonical_toml", "OPENING"]

OPENING = re.compile(rb"\+\+\+[ \t]*(\r?\n)")
_CLOSE_TAIL = re.compile(rb"[ \t]*(?:\r?\n|\Z)")
_FIRST_LINE = 2  # the front matter's first line is the file's second
_INT64 = (-(2**63), 2**63 - 1)
# A time of day with more fraction digits than tomllib keeps (it truncates to microseconds, Hugo
# keeps nanoseconds): two different instants would read the same.
_LONG_FRACTION = re.compile(r"\d{2}:\d{2}:\d{2}\.(\d{7,})")
_STR_TAG = "tag:yaml.org,2002:str"
# A float literal (a fraction or an exponent), not part of a date, time or key.
_FLOAT = re.compile(r"(?<![\w.:+-])[+-]?\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d[\d_]*)?(?![\w.:-])")


class _Statement(NamedTuple):
    kind: str  # "kv", "table" (``[a]``) or "array" (``[[a]]``)
    start: int  # offset of its first character in the front matter text
    end: int  # offset just after its last character (trailing blanks and comment excluded)
    value_start: int  # kv: where the value starts; headers: -1
    key_end: int  # kv: where the key ends ("=" excluded); headers: `end`


class _Token(NamedTuple):
    start: int
    end: int
    kind: str  # "basic", "literal", "ml_basic", "ml_literal", "comment"


# -- lexing ----------------------------------------------------------------------------------------


class _Lexer:
    """Statement boundaries of a TOML text that tomllib has already accepted (so it is valid)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.statements: list[_Statement] = []
        self.tokens: list[_Token] = []  # strings and comments

    def run(self) -> _Lexer:
        text, n, i = self.text, len(self.text), 0
        while i < n:
            c = text[i]
            if c in " \t\r\n":
                i += 1
            elif c == "#":
                i = self._comment(i)
            elif c == "[":
                i = self._header(i)
            else:
                i = self._key_value(i)
        return self

    def _comment(self, i: int) -> int:
        end = self.text.find("\n", i)
        end = len(self.text) if end < 0 else end
        if self.text[end - 1 : end] == "\r":
            end -= 1
        self.tokens.append(_Token(i, end, "comment"))
        return end

    def _string(self, i: int) -> int:
        text = self.text
        quote = text[i]
        if text.startswith(quote * 3, i):
            kind = "ml_basic" if quote == '"' else "ml_literal"
            j = i + 3
            while True:
                if quote == '"' and text[j] == "\\":
                    j += 2
                    continue
                if text.startswith(quote * 3, j):
                    end = j + 3
                    while end < len(text) and text[end] == quote and end - j < 5:
                        end += 1  # up to two quotes just before the closing three belong to the string
                    self.tokens.append(_Token(i, end, kind))
                    return end
                j += 1
        j = i + 1
        while text[j] != quote:
            j += 2 if quote == '"' and text[j] == "\\" else 1
        self.tokens.append(_Token(i, j + 1, "basic" if quote == '"' else "literal"))
        return j + 1

    def _key(self, i: int, stop: str) -> int:
        """Past a (dotted) key, up to the first ``stop`` character outside quotes."""
        text = self.text
        while text[i] not in stop:
            i = self._string(i) if text[i] in "\"'" else i + 1
        return i

    def _header(self, i: int) -> int:
        array = self.text.startswith("[[", i)
        j = self._key(i + (2 if array else 1), "]")
        end = j + (2 if array else 1)
        self.statements.append(_Statement("array" if array else "table", i, end, -1, end))
        return end

    def _key_value(self, i: int) -> int:
        text = self.text
        key_end = self._key(i, "=")
        j = key_end + 1
        while text[j] in " \t":
            j += 1
        value_start = j
        depth = 0
        last = j
        n = len(text)
        while j < n:
            c = text[j]
            if c in "\"'":
                j = self._string(j)
                last = j
            elif c == "#":
                j = self._comment(j)
            elif c in "[{":
                depth += 1
                j += 1
                last = j
            elif c in "]}":
                depth -= 1
                j += 1
                last = j
            elif c == "\n" and depth == 0:
                break
            elif c in " \t\r\n":
                j += 1
            else:
                j += 1
                last = j
        while text[key_end - 1] in " \t":
            key_end -= 1
        self.statements.append(_Statement("kv", i, last, value_start, key_end))
        return j


def _bind_line_breaks(text: str, tokens: list[_Token]) -> str:
    """The text with every CRLF inside a multi-line string spelled ``\\r`` + LF, so that tomllib
    (which turns CRLF there into LF) reads the carriage return Hugo's reader keeps. The number and
    place of lines does not change. A literal string becomes a basic one with the same value."""
    pieces: list[str] = []
    at = 0
    for token in tokens:
        if token.kind not in ("ml_basic", "ml_literal") or "\r\n" not in text[token.start : token.end]:
            continue
        body = text[token.start + 3 : token.end - 3]
        out: list[str] = []
        k = 0
        for first in ("\r\n", "\n"):  # the line break right after the opening quotes is not part of the value
            if body.startswith(first):
                out.append(first)
                k = len(first)
                break
        while k < len(body):
            c = body[k]
            if token.kind == "ml_basic" and c == "\\":
                trim = re.match(r"\\[ \t]*\r?\n[ \t\r\n]*", body[k:])
                if trim is not None:  # a line-ending backslash: trimmed with the blanks after it
                    out.append(trim.group())
                    k += len(trim.group())
                else:
                    out.append(body[k : k + 2])
                    k += 2
            elif body.startswith("\r\n", k):
                out.append("\\r\n")
                k += 2
            elif token.kind == "ml_literal" and c in '\\"':
                out.append("\\" + c)
                k += 1
            else:
                out.append(c)
                k += 1
        pieces.append(text[at : token.start])
        pieces.append('"""' + "".join(out) + '"""')
        at = token.end
    pieces.append(text[at:])
    return "".join(pieces)


# -- canonical values --------------------------------------------------------------------------------


def _fraction(microseconds: int) -> str:
    return f".{microseconds:06d}".rstrip("0") if microseconds else ""


def _clock(value: _dt.time | _dt.datetime) -> str:
    return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}{_fraction(value.microsecond)}"


def _offset(value: _dt.datetime) -> str:
    delta = value.utcoffset()
    if delta is None:
        return ""
    minutes = int(delta.total_seconds()) // 60
    if minutes == 0:
        return "Z"
    sign = "+" if minutes > 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def canonical_toml(value: Any) -> Any:
    """The canonical value (payload format, see :mod:`securedoc.canonical`) of a tomllib value.

    Strings, booleans and integers are themselves; floats, offset and local date-times, dates are
    tagged as the same YAML types are (so equal values have equal canonical text whichever syntax
    they came from); a local time is ``{"$":"time","v":"HH:MM:SS[.fraction]"}``; arrays (arrays
    of tables included) are arrays; tables are objects (a table with a key ``$`` a tagged map).
    """
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return {TAG: "float", "v": repr(value)}
    if isinstance(value, _dt.datetime):
        stamp = f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{_clock(value)}{_offset(value)}"
        return {TAG: "timestamp", "v": stamp}
    if isinstance(value, _dt.date):
        return {TAG: "date", "v": value.isoformat()}
    if isinstance(value, _dt.time):
        return {TAG: "time", "v": _clock(value)}
    if isinstance(value, list):
        return [canonical_toml(item) for item in value]
    if isinstance(value, dict):
        converted = {k: canonical_toml(v) for k, v in value.items()}
        if TAG in converted:
            return {TAG: "map", "v": sorted(([k, v] for k, v in converted.items()), key=lambda kv: dumps(kv[0]))}
        return converted
    raise TypeError(f"not a TOML value: {type(value).__name__}")  # pragma: no cover - tomllib gives no other


# -- the document ------------------------------------------------------------------------------------


def _node(index: int, line: int) -> ScalarNode:
    """A position for an Entry's node fields (an Entry without nodes would count as merged)."""
    mark = Mark("<toml>", index, line, 0, "", 0)
    return ScalarNode(_STR_TAG, "", mark, mark)


@dataclass(frozen=True, eq=False)
class TomlDocument(Document):
    """An article with TOML front matter: the Document interface, with TOML's text rules."""

    syntax: ClassVar[str] = "toml"
    # Top-level field -> (start, end) of its text in the front matter, None when it is split.
    regions: dict[object, tuple[int, int] | None] = field(repr=False, default_factory=dict)
    # Top-level field -> span of its value when it is one `key = "string"` line.
    value_spans: dict[object, tuple[int, int]] = field(repr=False, default_factory=dict)
    # Where a new top-level key goes: after the last top-level `key = value` (before any table).
    kv_end: int = 0

    def entry_region(self, entry: Entry) -> tuple[int, int]:
        region = self.regions.get(entry.ident)
        if region is None:
            raise DocumentError(
                f"'{entry.name}' is written in several places of the TOML front matter (dotted keys or "
                "tables apart from each other); securedoc cannot move its text",
                path=self.path,
                line=entry.line,
                hint=f"write the keys of '{entry.name}' next to each other",
            )
        return region

    def simple_value_span(self, entry: Entry) -> tuple[int, int] | None:
        return self.value_spans.get(entry.ident)

    def seal_line(self, value: str, newline: str) -> str:
        return f'{SEAL_FIELD} = "{value}"{newline}'

    def seal_insert_at(self) -> int:
        return self.kv_end

    def parse_fragment(self, text: str, limits: Limits) -> Document:
        return parse_fragment(text, limits, syntax="toml", newline=self.newline)

    def place(self, at: int, text: str) -> int:
        try:
            statements = _Lexer(text).run().statements
        except IndexError:  # pragma: no cover - the fragment was checked when it was hidden
            return at
        if any(statement.kind != "kv" for statement in statements):
            return max(at, self.kv_end)  # a table goes after every top-level key
        return min(at, self.kv_end)  # a key goes before the first table


def _toml_error(exc: tomllib.TOMLDecodeError, path: str | None) -> DocumentError:
    message = str(exc)
    found = re.search(r"\(at line (\d+), column (\d+)\)", message)
    line = column = None
    if found is not None:
        line, column = int(found.group(1)) + _FIRST_LINE - 1, int(found.group(2))
        message = message[: found.start()].rstrip()
    else:
        message = message.replace(" (at end of document)", " at the end of the front matter")
    where = f", column {column}" if column is not None else ""
    return DocumentError(
        f"invalid TOML: {message[:1].lower() + message[1:]}{where}",
        path=path,
        line=line,
        hint="fix the TOML in the front matter (between the '+++' lines)",
    )


class _Refusal(Exception):
    def __init__(self, message: str, hint: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = line


def _tables(value: Any, depth: int, limit: int) -> Iterator[dict[str, Any]]:
    """Every table inside a value; checks the nesting depth and the integer range on the way."""
    if depth > limit:
        raise _Refusal(
            f"the front matter nests more than {limit} levels deep",
            "front matter this deep is almost certainly an attack or a generator bug (limits.max_depth)",
        )
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _tables(item, depth + 1, limit)
    elif isinstance(value, list):
        for item in value:
            yield from _tables(item, depth + 1, limit)
    elif type(value) is int and not _INT64[0] <= value <= _INT64[1]:
        raise _Refusal(
            f"the integer {value} does not fit in 64 bits: Hugo's TOML reader refuses it, Python's reads it",
            "write it as a string (in quotes)",
        )


def fold(key: str) -> str:
    """A key as Hugo compares it: Go's strings.ToLower, which maps each character to one character.
    Python's lower() agrees except for U+0130 (İ), which it turns into two ("i" and a combining dot)."""
    return key.replace("\u0130", "i").lower()


def _folded(table: dict[str, Any]) -> tuple[str, str] | None:
    """Two keys of one table that differ only in case (Hugo lower-cases keys), or None."""
    seen: dict[str, str] = {}
    for key in table:
        other = seen.setdefault(fold(key), key)
        if other != key:
            return other, key
    return None


def _key_line(text: str, key: str, after_line: int) -> int:
    """The file line where ``key = `` is written, at or after a line (that line when not found)."""
    start = 0
    for _ in range(after_line - _FIRST_LINE):
        start = text.find("\n", start) + 1
    pattern = re.compile(r"^[ \t]*[\"']?" + re.escape(key) + r"[\"']?[ \t]*=", re.MULTILINE)
    found = pattern.search(text, start)
    return after_line if found is None else text.count("\n", 0, found.start()) + _FIRST_LINE


def _check_readers(text: str, values: dict[str, Any], lines: dict[str, int], limits: Limits) -> None:
    """Refuse what Hugo's TOML reader and tomllib would read differently (beyond what is bound)."""
    for key, value in values.items():
        try:
            tables = list(_tables(value, 1, limits.max_depth))
        except _Refusal as refusal:
            refusal.line = refusal.line or lines[key]
            raise
        for table in tables:
            pair = _folded(table)
            if pair is not None:
                raise _Refusal(
                    f"the keys '{pair[0]}' and '{pair[1]}' in '{key}' differ only in case: Hugo reads keys "
                    "without regard to case, so one hides the other",
                    "rename or remove one of them",
                    _key_line(text, pair[1], lines[key]),
                )
    pair = _folded(values)
    if pair is not None:
        raise _Refusal(
            f"the fields '{pair[0]}' and '{pair[1]}' differ only in case: Hugo reads keys without regard to "
            "case, so one hides the other",
            "rename or remove one of them",
            lines[pair[1]],
        )
    top = {fold(key): key for key in values}
    for key, value in values.items():
        if fold(key) != "params" or not isinstance(value, dict):
            continue
        for inner in value:
            shadowed = top.get(fold(inner))
            if shadowed is not None and shadowed != key:
                raise _Refusal(
                    f"'{key}.{inner}' and the field '{shadowed}': Hugo merges the '{key}' table into the "
                    f"page's parameters, so templates see '{key}.{inner}' where the field '{shadowed}' was",
                    f"rename '{key}.{inner}' or remove one of the two",
                    _key_line(text, inner, lines[key]),
                )


def _check_floats(text: str, tokens: list[_Token]) -> None:
    """Refuse a float literal too large for a 64-bit float: tomllib reads it as infinity, Hugo's
    reader refuses it, so a sealed `inf` and a written `1e999` would be one value to securedoc."""
    masked = _masked(text, tokens)
    for found in _FLOAT.finditer(masked):
        literal = found.group()
        if "." not in literal and "e" not in literal.lower():
            continue
        if math.isinf(float(literal.replace("_", ""))):
            raise _Refusal(
                f"the number {literal} is too large for a 64-bit float: Python's TOML reader reads it as "
                "infinity, Hugo's refuses it",
                "write inf if infinity is meant, or a smaller number",
                text.count("\n", 0, found.start()) + _FIRST_LINE,
            )


def _masked(text: str, tokens: list[_Token]) -> str:
    """The text with strings and comments blanked (line breaks kept): only bare values remain."""
    pieces: list[str] = []
    at = 0
    for token in tokens:
        pieces.append(text[at : token.start])
        pieces.append(re.sub(r"[^\n]", " ", text[token.start : token.end]))
        at = token.end
    pieces.append(text[at:])
    return "".join(pieces)


def _find_closing(data: bytes, start: int, end: int, path: str | None) -> tuple[int, int] | None:
    """The closing `+++` line (trailing blanks allowed): (line start, body start). Hugo ends TOML
    front matter at the first line that merely starts with `+++`: any other such line is refused."""
    at = start if data.startswith(b"+++", start) else -1
    if at < 0:
        found = data.find(b"\n+++", start, end)
        at = found + 1 if found >= 0 else -1
    if at < 0:
        return None
    tail = _CLOSE_TAIL.match(data, at + 3)
    if tail is None:
        raise DocumentError(
            "a front matter line starts with '+++' but is not the closing line: Hugo ends the front matter "
            "there, TOML readers do not",
            path=path,
            line=data.count(b"\n", 0, at) + 1,
            hint="the closing line is '+++' alone; move the text after '+++' to a line of its own, or indent it",
        )
    return at, tail.end()


def parse_toml(data: bytes, *, path: str | None = None, limits: Limits = DEFAULT_LIMITS) -> TomlDocument:
    """Split and read an article with TOML front matter. Raises DocumentError for bad input."""
    if len(data) > limits.max_file_size:
        raise too_large(path, limits, len(data))
    bom = data.startswith(b"\xef\xbb\xbf")
    opening = OPENING.match(data, 3 if bom else 0)
    if opening is None:  # pragma: no cover - the caller checked
        raise DocumentError("no TOML front matter: the file does not start with a '+++' line", path=path, line=1)
    newline = opening.group(1).decode("ascii")
    fm_start = opening.end()
    closing = _find_closing(data, fm_start, min(len(data), fm_start + limits.max_front_matter + 8), path)
    if closing is None or closing[0] - fm_start > limits.max_front_matter:
        raise unclosed(data, fm_start, limits, path, "+++", "'+++'")
    fm_end, body_start = closing
    text = front_matter_text(data, fm_start, fm_end, body_start, path, "TOML")
    try:
        values = tomllib.loads(text)
        lexer = _Lexer(text).run()
        if "\r\n" in text and any(t.kind in ("ml_basic", "ml_literal") for t in lexer.tokens):
            values = tomllib.loads(_bind_line_breaks(text, lexer.tokens))
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(exc, path) from None
    except RecursionError:
        raise DocumentError(
            f"the front matter nests too deeply to read safely (the limit is {limits.max_depth} levels)",
            path=path,
            line=_FIRST_LINE,
            hint="front matter this deep is almost certainly an attack or a generator bug",
        ) from None
    document = _build(data, path, bom, newline, fm_start, fm_end, body_start, text, values, lexer, limits)
    return document


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _line_end(text: str, offset: int) -> int:
    at = text.find("\n", offset)
    return len(text) if at < 0 else at + 1


def _build(
    data: bytes,
    path: str | None,
    bom: bool,
    newline: str,
    fm_start: int,
    fm_end: int,
    body_start: int,
    text: str,
    values: dict[str, Any],
    lexer: _Lexer,
    limits: Limits,
) -> TomlDocument:
    statements = lexer.statements
    # Pieces of text that belong to one top-level field: a top-level `key = value`, or a table
    # header with the `key = value` lines under it.
    pieces: list[tuple[str, int, int]] = []  # (top-level key, first statement, last statement)
    in_table = False
    kv_end = 0
    try:
        for index, statement in enumerate(statements):
            if statement.kind == "kv" and in_table:
                key, first, _ = pieces[-1]
                pieces[-1] = (key, first, index)
                continue
            if statement.kind == "kv":
                key = _top_key(text[statement.start : statement.key_end] + " = 0")
                kv_end = _line_end(text, statement.end - 1)
            else:
                in_table = True
                key = _top_key(text[statement.start : statement.end])
            pieces.append((key, index, index))
    except (tomllib.TOMLDecodeError, StopIteration, IndexError):  # pragma: no cover - a lexer bug
        raise DocumentError(
            "securedoc could not find where the TOML front matter's fields start and end",
            path=path,
            hint="please report this with the article attached",
        ) from None
    lines: dict[str, int] = {}
    regions: dict[object, tuple[int, int] | None] = {}
    limits_at: dict[str, int] = {}
    last_piece: dict[str, int] = {}
    for position, (key, first, last) in enumerate(pieces):
        start = _line_start(text, statements[first].start)
        end = _line_end(text, statements[last].end - 1)
        if key not in lines:
            lines[key] = text.count("\n", 0, statements[first].start) + _FIRST_LINE
            regions[key] = (start, end)
        elif last_piece[key] != position - 1:
            regions[key] = None  # split: other fields' text lies in between
        else:
            region = regions[key]
            regions[key] = (region[0], end) if region is not None else None
        last_piece[key] = position
    for key, position in last_piece.items():
        following = pieces[position + 1] if position + 1 < len(pieces) else None
        limits_at[key] = _line_start(text, statements[following[1]].start) if following else len(text)
    fraction = _LONG_FRACTION.search(_masked(text, lexer.tokens))
    try:
        if fraction is not None:
            raise _Refusal(
                f"a time has {len(fraction.group(1))} fraction digits: Python's TOML reader keeps 6, Hugo's "
                "keeps 9, so they read different instants",
                "write at most 6 digits after the seconds' decimal point",
                text.count("\n", 0, fraction.start()) + _FIRST_LINE,
            )
        _check_floats(text, lexer.tokens)
        _check_readers(text, values, lines, limits)
    except _Refusal as refusal:
        raise DocumentError(refusal.message, path=path, line=refusal.line, hint=refusal.hint) from None
    value_spans: dict[object, tuple[int, int]] = {}
    strings = {token.start: token for token in lexer.tokens if token.kind in ("basic", "literal")}
    for key, first, last in pieces:
        statement = statements[first]
        token = strings.get(statement.value_start)
        if (
            first == last
            and statement.kind == "kv"
            and isinstance(values.get(key), str)
            and token is not None
            and token.end == statement.end
        ):
            value_spans[key] = (token.start, token.end)
    entries = []
    for key, value in values.items():
        line = lines[key]
        node = _node(0, line - _FIRST_LINE)  # marks the entry as having text of its own (not merged)
        entries.append(Entry(key, key, key, line, canonical_toml(value), node, node, limits_at[key]))
    entries.sort(key=lambda entry: entry.line)
    return TomlDocument(
        data=data,
        path=path,
        bom=bom,
        newline=newline,
        fm_start=fm_start,
        fm_end=fm_end,
        body_start=body_start,
        front_matter=text,
        entries=tuple(entries),
        indent=0,
        flow=False,
        complex_keys=False,
        _by_ident={entry.ident: entry for entry in entries},
        regions=regions,
        value_spans=value_spans,
        kv_end=kv_end,
    )


def _top_key(statement_text: str) -> str:
    """The first key of a statement (``a`` for ``a.b = 0``, ``[a.b]`` and ``[[a]]``)."""
    return next(iter(tomllib.loads(statement_text)))

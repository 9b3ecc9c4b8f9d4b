"""Markdown articles with YAML front matter: split, parse, locate, and edit byte for byte.

An article is: an optional UTF-8 byte order mark; a line ``---``; the front matter (YAML); a line
``---`` or ``...``; the body. Lines end in LF or CRLF. The front matter is parsed for its values
(PyYAML, with libyaml's C parser when present) into canonical values (:mod:`securedoc.canonical`);
the file itself is only ever edited as text, at offsets taken from the parser's marks, so every
byte outside an edit stays exactly as it was.

Line numbers are 1-based and count from the first line of the file (a BOM is not a line).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .canonical import CanonicalError, check_expansion, dumps, key_identity, loader_class
from .errors import DocumentError

__all__ = [
    "SEAL_FIELD",
    "Limits",
    "Entry",
    "Document",
    "parse",
    "body_digest",
    "body_digest_v2",
]

SEAL_FIELD = "secured"
BOM = b"\xef\xbb\xbf"
_OPEN = re.compile(rb"---[ \t]*(\r?\n)")
_CLOSE_TAIL = re.compile(rb"[ \t]*(?:\r?\n|\Z)")
_FIRST_LINE = 2  # the front matter's first line is the file's second
# YAML 1.1 (libyaml) breaks lines at these too; YAML 1.2 readers (Hugo), editors and securedoc's
# line-based edits do not. Readers would disagree on the document, so it is refused.
# `---` or `...` followed by a space, a comment or nothing starts or ends a YAML document; Hugo
# ends the front matter at ANY line that starts with `---` (`---x: 1` included), and Jekyll at
# `---` or `...` followed by any white space (form feed, vertical tab...).
_DOC_MARKER = re.compile(r"(?:^|\n)(---|\.\.\.(?=\s|\Z))")
# A byte order mark inside the front matter is dropped by libyaml, which shifts every position after it.
_AMBIGUOUS = re.compile("\r(?!\n)|[\x85\u2028\u2029\ufeff]")
_AMBIGUOUS_NAMES = {
    "\r": "a carriage return (CR) without a line feed, which YAML readers disagree about (some break the line there)",
    "\x85": "a next-line character (U+0085), which YAML readers disagree about (some break the line there)",
    "\u2028": "a line separator (U+2028), which YAML readers disagree about (some break the line there)",
    "\u2029": "a paragraph separator (U+2029), which YAML readers disagree about (some break the line there)",
    "\ufeff": "a byte order mark (U+FEFF), which may only start the file",
}


@dataclass(frozen=True)
class Limits:
    """Bounds that keep hostile files cheap: size, front matter size, alias expansion."""

    max_file_size: int = 32 * 1024 * 1024
    max_front_matter: int = 1024 * 1024
    max_expansion: int = 250_000
    max_depth: int = 100


DEFAULT_LIMITS = Limits()


def too_large(path: str | None, limits: Limits, size: int | None = None, *, what: str = "the file") -> DocumentError:
    """The one error for input over ``limits.max_file_size`` (a file, standard input, a URL), with
    its size when it is known."""
    if size is None:
        message = f"{what} is larger than the limit of {limits.max_file_size:,} bytes"
    else:
        message = f"{what} is {size:,} bytes; the limit is {limits.max_file_size:,}"
    return DocumentError(
        message, path=path, hint="raise limits.max_file_size in securedoc.yaml if this article is genuine"
    )


def unclosed(data: bytes, fm_start: int, limits: Limits, path: str | None, fence: str, closers: str) -> DocumentError:
    """The error for front matter whose closing line was not found: too large, or never closed."""
    if len(data) - fm_start > limits.max_front_matter:
        message = f"the front matter is larger than the limit of {limits.max_front_matter:,} bytes (or never closes)"
        hint = f"close the front matter with a '{fence}' line, or raise limits.max_front_matter"
    else:
        message = f"the front matter never closes: no {closers} line follows the opening '{fence}'"
        hint = f"add a line '{fence}' after the last front matter field"
    return DocumentError(message, path=path, line=1, hint=hint)


class Entry(NamedTuple):
    """One top-level field of the front matter."""

    key: Any  # canonical key (almost always a str)
    ident: object  # key_identity(key)
    name: str  # for people: the key, or its canonical text when it is not a string
    line: int  # file line of the key
    value: Any  # canonical value
    key_node: Node | None  # None for a field that comes from a top-level << merge
    value_node: Node | None
    region_limit: int  # where the next top-level entry's line starts (offset in front matter text)

    @property
    def merged(self) -> bool:
        return self.key_node is None


@dataclass(frozen=True, eq=False)
class Document:
    """A parsed article. Offsets into ``data`` are bytes; offsets into ``front_matter`` characters."""

    data: bytes
    path: str | None
    bom: bool
    newline: str
    fm_start: int  # byte offset where the front matter text starts
    fm_end: int  # byte offset where the closing delimiter line starts
    body_start: int  # byte offset where the body starts
    front_matter: str
    entries: tuple[Entry, ...]
    indent: int  # column of the top-level keys
    flow: bool  # the top-level mapping is written in flow style ({...})
    complex_keys: bool  # a top-level key is written with `?` (or is not alone at its line start)
    _by_ident: dict[object, Entry] = field(repr=False)
    syntax: ClassVar[str] = "yaml"  # "toml" for TomlDocument (securedoc.toml_document)

    # -- reading -------------------------------------------------------------------------------

    def get(self, name: str) -> Entry | None:
        return self._by_ident.get(name)

    @property
    def seal_entry(self) -> Entry | None:
        return self._by_ident.get(SEAL_FIELD)

    @property
    def body(self) -> bytes:
        return self.data[self.body_start :]

    @property
    def closing(self) -> bytes:
        """The closing delimiter's marker (``---`` or ``...``), without trailing blanks."""
        return self.data[self.fm_end : self.fm_end + 3]

    @property
    def body_line(self) -> int:
        return self.data.count(b"\n", 0, self.body_start) + 1

    def file_line(self, fm_offset: int) -> int:
        return self.front_matter.count("\n", 0, fm_offset) + _FIRST_LINE

    # -- regions -------------------------------------------------------------------------------

    def _line_start(self, offset: int) -> int:
        return self.front_matter.rfind("\n", 0, offset) + 1

    def _line_end(self, offset: int) -> int:
        """The offset just after the line break that ends the line holding ``offset``."""
        at = self.front_matter.find("\n", offset)
        return len(self.front_matter) if at < 0 else at + 1

    def entry_region(self, entry: Entry) -> tuple[int, int]:
        """The text of an entry: from the start of its key's line to the end of its value's last line.

        Trailing blank and comment lines are left out unless they belong to a block scalar
        (whose end mark covers them). Aliases point at the anchor elsewhere, so only scalars that
        lie inside the entry count.
        """
        if entry.key_node is None or entry.value_node is None:
            raise DocumentError(f"'{entry.name}' comes from a << merge and has no text of its own")
        start = self._line_start(entry.key_node.start_mark.index)
        limit = entry.region_limit
        floor = entry.key_node.end_mark.index
        stack: list[Node] = [entry.key_node, entry.value_node]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            begin, end = node.start_mark.index, node.end_mark.index
            if begin < start or begin >= limit:
                continue  # an alias to a node that lies elsewhere
            if isinstance(node, ScalarNode) and node.style in ("|", ">"):
                floor = max(floor, self._block_scalar_end(node))
            elif isinstance(node, ScalarNode) or getattr(node, "flow_style", False):
                floor = max(floor, end)
            elif isinstance(node, SequenceNode):
                stack.extend(node.value)
            elif isinstance(node, MappingNode):
                stack.extend(part for pair in node.value for part in pair)
        # Alias tokens (*name) are not nodes of their own: take them from the text.
        text = self.front_matter
        scan = floor
        while True:
            star = text.find("*", scan, limit)
            if star < 0:
                break
            scan = star + 1
            line_start = self._line_start(star)
            stripped = text[line_start:star].lstrip()
            if stripped.startswith("#"):
                continue
            floor = max(floor, star + 1)
        last = max(floor - 1, entry.key_node.start_mark.index)
        end = self._line_end(last) if text[last : last + 1] != "\n" else last + 1
        return start, min(max(end, start), limit)

    def _block_scalar_end(self, node: ScalarNode) -> int:
        """Where a block scalar's text ends. Its end mark also covers the blank lines after it,
        which are part of the value only with keep chomping (``|+``, ``>+``)."""
        text = self.front_matter
        begin, end = node.start_mark.index, node.end_mark.index
        header_end = text.find("\n", begin, end)
        header = text[begin : header_end if header_end >= 0 else end].split("#", 1)[0]
        if "+" in header:
            return end
        at = end
        while at > begin:
            line_start = text.rfind("\n", begin, at - 1) + 1
            if text[line_start:at].strip():
                break
            at = line_start
        return max(at, header_end + 1 if header_end >= 0 else end)

    def simple_value_span(self, entry: Entry) -> tuple[int, int] | None:
        """The exact span of a one-line, non-empty plain or quoted scalar value, else None."""
        node, key = entry.value_node, entry.key_node
        if node is None or key is None or not isinstance(node, ScalarNode):
            return None
        begin, end = node.start_mark.index, node.end_mark.index
        if begin <= key.end_mark.index or end <= begin or node.style not in (None, "'", '"'):
            return None
        if node.start_mark.line != node.end_mark.line or node.start_mark.line != key.start_mark.line:
            return None
        return begin, end

    # -- writing -------------------------------------------------------------------------------
    # What differs between YAML and TOML front matter when writing; TomlDocument overrides these.

    def seal_line(self, value: str, newline: str) -> str:
        """A new line holding the seal."""
        return " " * self.indent + f'{SEAL_FIELD}: "{value}"' + newline

    def seal_insert_at(self) -> int:
        """Where a new seal line goes in the front matter text."""
        return len(self.front_matter)

    def parse_fragment(self, text: str, limits: Limits) -> Document:
        """The text of some fields (a hidden field's, LF line breaks) read on its own."""
        return parse_fragment(text, limits)

    def place(self, at: int, text: str) -> int:
        """Where restored field text planned for ``at`` may go (TOML keeps keys before tables)."""
        return at

    def newline_before(self, offset: int) -> str:
        """The line break used by the line before ``offset`` (or the file's, for the first line)."""
        text = self.front_matter
        if offset > 0 and text[offset - 1 : offset] == "\n":
            return "\r\n" if text[offset - 2 : offset] == "\r\n" else "\n"
        return self.newline

    def with_front_matter(self, edits: Iterable[tuple[int, int, str]]) -> bytes:
        """The file's bytes with the front matter edited at (start, end, replacement) spans."""
        text = self.front_matter
        ordered = sorted(edits, key=lambda e: (e[0], e[1]))
        for (_, e1, _), (s2, _, _) in zip(ordered, ordered[1:], strict=False):
            if s2 < e1:
                raise ValueError("overlapping edits")
        pieces = []
        at = 0
        for start, end, replacement in ordered:
            pieces.append(text[at:start])
            pieces.append(replacement)
            at = end
        pieces.append(text[at:])
        new = "".join(pieces).encode("utf-8")
        return self.data[: self.fm_start] + new + self.data[self.fm_end :]


def body_digest(body: bytes) -> str:
    """Payload format 1: SHA-256 (hex) of a body with its line endings normalised (CRLF and CR become LF)."""
    return hashlib.sha256(body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")).hexdigest()


def body_digest_v2(body: bytes, closing: bytes = b"---") -> str:
    """Payload format 2: SHA-256 (hex) of the closing delimiter (``---`` or ``...``), LF, and the
    body with CRLF turned into LF. A lone CR stays: Hugo's Markdown does not break lines there,
    Jekyll's does, so it is bound as written. The delimiter is bound because Hugo ends YAML front
    matter only at ``---``: after ``...`` it takes the body up to the next ``---`` line for its own."""
    return hashlib.sha256(closing + b"\n" + body.replace(b"\r\n", b"\n")).hexdigest()


def _find_closing(data: bytes, start: int, end: int) -> tuple[int, int] | None:
    """The first line `---` or `...` (trailing blanks allowed) at or after ``start``: (line start,
    body start). bytes.find jumps from candidate to candidate; a multiline regex would not."""
    best: tuple[int, int] | None = None
    for marker in (b"---", b"..."):
        at = start
        while at < end:
            found = data.find(marker, at, end)
            if found < 0:
                break
            if best is not None and found >= best[0]:
                break
            if found == start or data[found - 1 : found] == b"\n":
                tail = _CLOSE_TAIL.match(data, found + 3)
                if tail is not None:
                    best = (found, tail.end())
                    break
            at = found + 1
    return best


def _refuse_ambiguous(front_matter: str, path: str | None) -> None:
    """Refuse text that YAML readers (or securedoc's line-based edits) would read differently."""
    checks: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str], str], ...] = (
        (
            _DOC_MARKER,
            lambda m: (
                f"a front matter line starts with '{m.group(1)}' before the closing line: Hugo (at any "
                "line starting with '---') or Jekyll and YAML (at a document marker) end the front matter there"
            ),
            "the front matter is one YAML document: indent that line, quote the key, or remove the marker",
        ),
        (
            _AMBIGUOUS,
            lambda m: f"the front matter contains {_AMBIGUOUS_NAMES[m.group()]}",
            "use LF or CRLF line endings and remove the character",
        ),
    )
    # Cheap tests first: most front matter has none of these characters at all.
    lone_cr = "\r" in front_matter and front_matter.count("\r") != front_matter.count("\r\n")
    odd = lone_cr or any(c in front_matter for c in "\x85\u2028\u2029\ufeff")
    marker = "\n---" in front_matter or "\n..." in front_matter or front_matter.startswith(("---", "..."))
    for (pattern, message, hint), needed in zip(checks, (marker, odd), strict=True):
        found = pattern.search(front_matter) if needed else None
        if found is not None:
            start = found.start() + (1 if found.group().startswith("\n") else 0)
            line = front_matter.count("\n", 0, start) + _FIRST_LINE
            raise DocumentError(message(found), path=path, line=line, hint=hint)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(data: bytes, start: int, end: int, path: str | None) -> str:
    try:
        return data[start:end].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        raise DocumentError(
            f"the file is not UTF-8 text: byte 0x{data[offset]:02x} at line {_line_of(data, offset)} cannot be decoded",
            path=path,
            line=_line_of(data, offset),
            hint="securedoc reads UTF-8 articles; convert the file, for example with `iconv -f latin1 -t utf-8`",
        ) from None


def _no_front_matter(data: bytes, start: int, path: str | None) -> DocumentError:
    head = data[start : start + 64].lstrip(b" \t")
    if not data:
        message = "the file is empty"
    elif b"\x00" in data[:8192]:
        message = "the file looks binary (it contains NUL bytes), not like a Markdown article"
    elif head.startswith(b"+++"):
        message = "the TOML front matter must open with a line '+++' alone (trailing blanks allowed)"
    elif head.startswith(b"{"):
        message = "the front matter is JSON; securedoc reads YAML front matter between '---' lines"
    else:
        message = "no front matter: the file does not start with a '---' line"
    return DocumentError(
        message,
        path=path,
        line=None if not data else 1,
        hint="an article starts with a YAML front matter block between '---' lines (or TOML between '+++' lines)",
    )


def front_matter_text(data: bytes, fm_start: int, fm_end: int, body_start: int, path: str | None, syntax: str) -> str:
    """The front matter as text, once it and the body are known to be UTF-8 without NUL bytes."""
    nul = data.find(b"\x00", fm_start, fm_end)
    if nul >= 0:
        raise DocumentError(
            "the front matter contains a NUL byte",
            path=path,
            line=_line_of(data, nul),
            hint=f"the file is probably binary or corrupted; {syntax} does not allow NUL characters",
        )
    text = _decode(data, fm_start, fm_end, path)
    _decode(data, body_start, len(data), path)  # the body must be text too
    return text


def parse(data: bytes, *, path: str | None = None, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Split and parse an article. Raises :class:`DocumentError` with a file line for bad input."""
    if len(data) > limits.max_file_size:
        raise too_large(path, limits, len(data))
    bom = data.startswith(BOM)
    start = 3 if bom else 0
    opening = _OPEN.match(data, start)
    if opening is None and data.startswith(b"+++", start):
        from .toml_document import OPENING, parse_toml

        if OPENING.match(data, start):
            return parse_toml(data, path=path, limits=limits)
    if opening is None:
        raise _no_front_matter(data, start, path)
    newline = opening.group(1).decode("ascii")
    fm_start = opening.end()
    search_end = min(len(data), fm_start + limits.max_front_matter + 8)
    closing = _find_closing(data, fm_start, search_end)
    if closing is None or closing[0] - fm_start > limits.max_front_matter:
        raise unclosed(data, fm_start, limits, path, "---", "'---' or '...'")
    fm_end, body_start = closing
    front_matter = front_matter_text(data, fm_start, fm_end, body_start, path, "YAML")
    _refuse_ambiguous(front_matter, path)
    entries, indent, flow, complex_keys = _parse_front_matter(front_matter, path, limits)
    by_ident = {entry.ident: entry for entry in entries}
    return Document(
        data=data,
        path=path,
        bom=bom,
        newline=newline,
        fm_start=fm_start,
        fm_end=fm_end,
        body_start=body_start,
        front_matter=front_matter,
        entries=tuple(entries),
        indent=indent,
        flow=flow,
        complex_keys=complex_keys,
        _by_ident=by_ident,
    )


def parse_fragment(
    text: str, limits: Limits = DEFAULT_LIMITS, *, syntax: str = "yaml", newline: str = "\n"
) -> Document:
    """The text of some top-level fields (a hidden field's, LF line breaks) read on its own, as the
    front matter of an article of its own: the one way a fragment is read (seal's checks, restore,
    `open`). TOML text gets ``newline`` line breaks (its multi-line strings keep them)."""
    if syntax == "toml":
        from .toml_document import parse_toml

        return parse_toml(
            ("+++" + newline + text.replace("\n", newline) + "+++" + newline).encode("utf-8"), limits=limits
        )
    return parse(("---\n" + text + "---\n").encode("utf-8"), limits=limits)


def _yaml_error(exc: Exception, text: str, path: str | None) -> DocumentError:
    hint = "fix the YAML in the front matter (a YAML linter can help)"
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + _FIRST_LINE if mark is not None else None
        problem = exc.problem or "invalid YAML"
        context = ""
        if exc.context and exc.context != problem:
            started = exc.context_mark
            if started is not None and mark is not None and started.line != mark.line:
                context = f" ({exc.context} that starts at line {started.line + _FIRST_LINE})"
            else:
                context = f" ({exc.context})"
        column = f", column {mark.column + 1}" if mark is not None else ""
        return DocumentError(f"invalid YAML: {problem}{context}{column}", path=path, line=line, hint=hint)
    if isinstance(exc, yaml.reader.ReaderError):
        if exc.encoding == "unicode":  # PyYAML's own reader counts characters of the text
            offset = exc.position
        else:  # libyaml counts bytes of its UTF-8
            offset = len(text.encode("utf-8")[: exc.position].decode("utf-8", "ignore"))
        line = text.count("\n", 0, offset) + _FIRST_LINE
        return DocumentError(f"invalid YAML: {exc.reason}", path=path, line=line, hint=hint)
    return DocumentError(f"invalid YAML: {exc}", path=path, hint=hint)


def _describe(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        return "a single value"
    return "something else"


def _parse_front_matter(text: str, path: str | None, limits: Limits) -> tuple[list[Entry], int, bool, bool]:
    try:
        loader = loader_class()(text)  # PyYAML's pure-Python reader checks the characters here
    except yaml.reader.ReaderError as exc:
        raise _yaml_error(exc, text, path) from None
    loader.max_depth = limits.max_depth
    try:
        try:
            root = loader.get_single_node()
            if root is None:
                return [], 0, False, False
            if not isinstance(root, MappingNode):
                raise DocumentError(
                    f"the front matter must be a mapping of fields, not {_describe(root)}",
                    path=path,
                    line=root.start_mark.line + _FIRST_LINE,
                    hint="write one 'name: value' field per line",
                )
            if "&" in text and "*" in text:
                check_expansion(root, limits.max_expansion)
            indent, complex_keys = _key_layout(text, root)
            return _entries(loader, root, text, _has_aliases(text)), indent, bool(root.flow_style), complex_keys
        except CanonicalError as exc:
            line = exc.mark.line + _FIRST_LINE if exc.mark is not None else None
            message = exc.message
            if exc.other_mark is not None:
                message += f" (first at line {exc.other_mark.line + _FIRST_LINE})"
            raise DocumentError(message, path=path, line=line, hint=_canonical_hint(exc.message)) from None
        except (yaml.YAMLError, yaml.reader.ReaderError) as exc:
            raise _yaml_error(exc, text, path) from None
        except RecursionError:
            raise DocumentError(
                "the front matter nests too deeply to read safely",
                path=path,
                hint="front matter this deep is almost certainly an attack or a generator bug",
            ) from None
    finally:
        loader.dispose()


_QUESTION = re.compile(r"\n( *)\?(?:[ \t]|\r?\n|\r?\Z)")


def _key_layout(text: str, root: MappingNode) -> tuple[int, bool]:
    """The indentation of the top-level keys, and whether any key is complex: written with `? `,
    not a plain scalar, or not alone at the start of its line. securedoc does not edit around those."""
    columns = set()
    complex_keys = False
    for key_node, _ in root.value:
        index = key_node.start_mark.index
        line = text[text.rfind("\n", 0, index) + 1 : index]
        if line.strip(" ") or not isinstance(key_node, ScalarNode):
            complex_keys = True
        else:
            columns.add(len(line))
    indent = min(columns) if columns else 0
    complex_keys = complex_keys or len(columns) > 1
    # A `?` indicator on a line of its own puts the key on the lines below it.
    first = text.lstrip(" ")
    if first.startswith("?") and (len(text) - len(first)) <= indent and first[1:2] in ("", " ", "\t", "\n", "\r"):
        complex_keys = True
    for question in _QUESTION.finditer(text):
        if len(question.group(1)) <= indent:
            complex_keys = True
            break
    return indent, complex_keys


def _canonical_hint(message: str) -> str:
    if message.startswith("duplicate key"):
        return "remove one of the two: different readers would pick different values"
    if "one key for some reader" in message:
        return "remove or rename one of the two keys: Hugo lower-cases keys, Hugo and Psych ignore tags"
    if "'<<'" in message:
        return "write the merged keys out, or put the '<<' line before every key that overrides it"
    if "alias" in message:
        return "expand the aliases by hand, or raise limits.max_expansion if this is genuine"
    if "levels deep" in message:
        return "front matter this deep is almost certainly an attack or a generator bug (limits.max_depth)"
    return "fix the value in the front matter"


# An alias token: `*name` at the start of a node (after blanks or a flow indicator).
_ALIAS = re.compile(r"[\s\[{,:]\*[^\s,\[\]{}]")


def _has_aliases(text: str) -> bool:
    """Whether nodes may be shared (aliases). `&` alone is common in URLs; sharing needs `*name`."""
    return "&" in text and "*" in text and (_ALIAS.search(text) is not None or text.startswith("*"))


def _entries(loader: Any, root: MappingNode, text: str, anchors: bool) -> list[Entry]:
    loader.check_keys(root)  # keys that a reader folds together, merges readers disagree on
    nodes = list(root.value)  # canonical_pairs flattens merges into root.value: keep the original
    # Every top-level key, merge keys included, bounds the region of the entry before it.
    key_lines = sorted({text.rfind("\n", 0, k.start_mark.index) + 1 for k, _ in nodes})
    next_line = dict(zip(key_lines, [*key_lines[1:], len(text)], strict=False))  # {} has no keys
    merge_keys = [k for k, _ in nodes if k.tag == "tag:yaml.org,2002:merge"]
    pairs = None
    if not anchors and not merge_keys:  # the usual case: build values directly
        pairs = [(loader.fast(k), loader.fast(v)) for k, v in nodes]
        if len({key_identity(k) for k, _ in pairs}) != len(pairs):
            pairs = None  # a duplicate key: the general way reports it with both lines
    if pairs is None:
        pairs = loader.canonical_pairs(root)  # merges applied, duplicates rejected

    def entry(key: Any, value: Any, key_node: Node, value_node: Node) -> Entry:
        limit = next_line[text.rfind("\n", 0, key_node.start_mark.index) + 1]
        name = key if type(key) is str else dumps(key)
        line = key_node.start_mark.line + _FIRST_LINE
        return Entry(key, key_identity(key), name, line, value, key_node, value_node, limit)

    if not merge_keys:  # the usual case: pairs and nodes line up, in document order
        return [entry(k, v, kn, vn) for (k, v), (kn, vn) in zip(pairs, nodes, strict=True)]
    explicit_by_ident = {
        key_identity(loader.construct_object(k, deep=True)): (k, v) for k, v in nodes if k not in merge_keys
    }
    entries: list[Entry] = []
    for key, value in pairs:
        found = explicit_by_ident.get(key_identity(key))
        if found is None:  # brought in by a top-level << merge: no text of its own
            name = key if type(key) is str else dumps(key)
            line = merge_keys[0].start_mark.line + _FIRST_LINE
            entries.append(Entry(key, key_identity(key), name, line, value, None, None, len(text)))
        else:
            entries.append(entry(key, value, *found))
    entries.sort(key=lambda e: e.line)
    return entries

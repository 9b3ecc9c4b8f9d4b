"""Hypothesis strategies: articles with TOML front matter (`+++`), written the ways people write TOML."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

# Bare keys, distinct whatever their case (Hugo folds case: securedoc refuses keys that collide).
_RESERVED = {"secured", "params", "title"}
keys = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True).filter(lambda k: k not in _RESERVED)
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC 0123456789éü✓", min_size=1, max_size=16).map(
    lambda s: s.strip() or "x"
)
trailing = st.sampled_from(["", "", "  ", " # a comment", "\t"])


def _basic(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def scalar(draw: st.DrawFn, hugo: bool = False) -> str:
    """One TOML value on one line. `hugo`: only values Hugo's jsonify can print (no nan/inf)."""
    kinds = ["basic", "literal", "int", "hex", "float", "bool", "odt", "ldt", "date", "time"]
    kind = draw(st.sampled_from(kinds))
    if kind == "basic":
        return _basic(draw(words) + draw(st.sampled_from(["", " # not a comment", "\\n", "\\t", '\\"q'])))
    if kind == "literal":
        return "'" + draw(words) + draw(st.sampled_from(["", ' "double"', " \\no escape"])) + "'"
    if kind == "int":
        return draw(st.sampled_from(["0", "-17", "1_000", "+42", str(draw(st.integers(-(10**15), 10**15)))]))
    if kind == "hex":
        return draw(st.sampled_from(["0x10", "0o17", "0b101", "0xdead_beef"]))
    if kind == "float":
        pool = ["1.5", "-0.25", "3.0", "1e3", "6.626e-34", "-0.0", "1_000.5"]
        return draw(st.sampled_from(pool if hugo else pool + ["nan", "inf", "-inf"]))
    if kind == "bool":
        return draw(st.sampled_from(["true", "false"]))
    if kind == "odt":
        return draw(
            st.sampled_from(["2020-08-15T08:19:00Z", "1979-05-27T00:32:00.999999-07:00", "2021-01-02 03:04:05+02:00"])
        )
    if kind == "ldt":
        return draw(st.sampled_from(["1979-05-27T07:32:00", "2020-01-01T00:00:00.5"]))
    if kind == "date":
        return draw(st.sampled_from(["2020-08-15", "1999-01-01"]))
    return draw(st.sampled_from(["07:32:00", "00:32:00.999999"]))


@st.composite
def value(draw: st.DrawFn, hugo: bool = False) -> str:
    """A value, possibly spanning lines (arrays, multi-line strings)."""
    kind = draw(st.sampled_from(["scalar", "scalar", "scalar", "array", "mlarray", "inline", "mlstring", "mlliteral"]))
    if kind == "scalar":
        return draw(scalar(hugo))
    if kind == "array":
        return "[" + ", ".join(draw(st.lists(scalar(hugo), max_size=3))) + "]"
    if kind == "mlarray":
        items = draw(st.lists(scalar(hugo), min_size=1, max_size=3))
        return "[\n" + "".join(f"  {item},{draw(trailing)}\n" for item in items) + "]"
    if kind == "inline":
        sub = draw(st.lists(keys, min_size=0, max_size=3, unique=True))
        return "{ " + ", ".join(f"{k} = {draw(scalar(hugo))}" for k in sub) + " }"
    lines = draw(st.lists(words, min_size=1, max_size=3))
    if kind == "mlstring":
        return '"""\n' + "\n".join(lines) + draw(st.sampled_from(['"""', '\n"""', ' \\\n  more"""']))
    return "'''\n" + "\n".join(lines) + draw(st.sampled_from(["'''", "\n'''"]))


@dataclass(frozen=True)
class TomlArticle:
    data: bytes
    names: tuple[str, ...]  # top-level fields, in document order
    tables: tuple[str, ...]  # those written as [table] / [[array]] sections
    newline: str


@st.composite
def toml_articles(draw: st.DrawFn, hugo: bool = False, title: bool = True) -> TomlArticle:
    names = draw(st.lists(keys, min_size=0, max_size=6, unique_by=str.lower))
    split = draw(st.integers(0, len(names)))
    plain, tables = names[:split], names[split:]
    parts: list[str] = []
    if title:
        parts.append(f"title = {_basic(draw(words))}{draw(trailing)}\n")
    for name in plain:
        parts.append(draw(st.sampled_from(["", "", "\n", "# comment line\n"])))
        if draw(st.integers(0, 5)) == 0:  # a dotted key makes a table of one key
            parts.append(f"{name}.{draw(keys)} = {draw(scalar(hugo))}{draw(trailing)}\n")
        else:
            parts.append(f"{name} = {draw(value(hugo))}{draw(trailing)}\n")
    for name in tables:
        parts.append(draw(st.sampled_from(["", "\n", "# a table\n"])))
        if draw(st.booleans()):
            parts.append(f"[{name}]{draw(trailing)}\n")
            for sub in draw(st.lists(keys, max_size=3, unique_by=str.lower)):
                parts.append(f"{sub} = {draw(value(hugo))}\n")
        else:
            for _ in range(draw(st.integers(1, 2))):
                parts.append(f"[[{name}]]\n")
                for sub in draw(st.lists(keys, max_size=2, unique_by=str.lower)):
                    parts.append(f"{sub} = {draw(scalar(hugo))}\n")
    parts.append(draw(st.sampled_from(["", "# final comment\n", "\n"])))
    body = draw(st.sampled_from(["", "Body.\n", "# Title\n\n+++ not a delimiter\n\nText with --- and ...\n", "x"]))
    closing = draw(st.sampled_from(["+++", "+++", "+++  "]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = ("+++\n" + "".join(parts) + closing + "\n" + body).replace("\n", newline)
    bom = draw(st.booleans())
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    top = (["title"] if title else []) + plain + tables
    return TomlArticle(data, tuple(top), tuple(tables), newline)

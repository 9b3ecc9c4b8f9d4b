"""Hypothesis strategies: articles written the many ways people and CMS exports write them."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

words = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 éü✓", min_size=1, max_size=20
).map(lambda s: s.strip() or "x")
keys = st.from_regex(r"[a-z][a-zA-Z0-9_]{0,10}", fullmatch=True).filter(
    lambda k: k not in ("secured", "y", "n", "yes", "no", "on", "off", "true", "false", "null")
)
trailing = st.sampled_from(["", "", "  ", " # a comment", "\t"])


def _dq(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sq(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@st.composite
def scalar(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["plain", "dq", "sq", "int", "float", "bool", "null", "ts", "date", "url"]))
    if kind == "plain":
        return "word" + draw(st.from_regex(r"[a-z0-9]{0,8}", fullmatch=True))
    if kind == "dq":
        return _dq(draw(words) + draw(st.sampled_from(["", ": colon", " # not a comment", "\\n"])))
    if kind == "sq":
        return _sq(draw(words) + draw(st.sampled_from(["", "'quote", ' "double"'])))
    if kind == "int":
        return str(draw(st.integers(-(10**12), 10**12)))
    if kind == "float":
        return draw(st.sampled_from(["1.5", "-0.25", ".nan", ".inf", "-.inf", "3.0", "1.0e+10"]))
    if kind == "bool":
        return draw(st.sampled_from(["true", "false", "True"]))
    if kind == "null":
        return draw(st.sampled_from(["null", "~"]))
    if kind == "ts":
        return draw(st.sampled_from(["2020-08-15T08:19:00Z", "2021-01-02 03:04:05.5 +02:00", "2019-12-31T23:59:59"]))
    if kind == "date":
        return draw(st.sampled_from(["2020-08-15", "1999-01-01"]))
    return _dq("https://example.org/" + draw(st.from_regex(r"[a-z0-9/-]{0,20}", fullmatch=True)))


@st.composite
def entry(draw: st.DrawFn, name: str) -> str:
    """One top-level entry, ending with a newline."""
    kind = draw(st.sampled_from(["scalar", "scalar", "scalar", "flowlist", "blocklist", "map", "block", "empty"]))
    tail = draw(trailing)
    if kind == "scalar":
        return f"{name}: {draw(scalar())}{tail}\n"
    if kind == "empty":
        return f"{name}:{tail}\n"
    if kind == "flowlist":
        items = draw(st.lists(scalar(), max_size=4))
        return f"{name}: [{', '.join(items)}]{tail}\n"
    if kind == "blocklist":
        items = draw(st.lists(scalar(), min_size=1, max_size=4))
        indent = draw(st.sampled_from(["", "  "]))
        return f"{name}:\n" + "".join(f"{indent}- {item}\n" for item in items)
    if kind == "map":
        sub = draw(st.lists(keys, min_size=1, max_size=3, unique=True))
        return f"{name}:\n" + "".join(f"  {k}: {draw(scalar())}\n" for k in sub)
    style = draw(st.sampled_from(["|", ">", "|-", "|+", ">-"]))
    lines = draw(st.lists(words, min_size=1, max_size=3))
    return f"{name}: {style}\n" + "".join(f"  {line}\n" for line in lines) + draw(st.sampled_from(["", "\n"]))


@dataclass(frozen=True)
class Generated:
    data: bytes
    names: tuple[str, ...]
    newline: str
    has_seal: bool


@st.composite
def articles(draw: st.DrawFn, allow_seal: bool = True) -> Generated:
    names = draw(st.lists(keys, min_size=0, max_size=8, unique=True))
    parts = []
    for name in names:
        parts.append(draw(st.sampled_from(["", "", "\n", "# comment line\n"])))
        parts.append(draw(entry(name)))
    has_seal = allow_seal and draw(st.booleans())
    if has_seal:
        position = draw(st.integers(0, len(parts)))
        seal_value = draw(
            st.sampled_from(['"AAAA;BBBB"', "old-value", '"eyJ.x.y.z.w"', "", "[1, 2]", "\n  - a\n  - b"])
        )
        parts.insert(
            position,
            f"secured: {seal_value}{draw(trailing)}\n"
            if not seal_value.startswith("\n")
            else f"secured:{seal_value}\n",
        )
    parts.append(draw(st.sampled_from(["", "# final comment\n", "\n"])))
    body = draw(
        st.sampled_from(["", "Body.\n", "# Title\n\n---\n\nText with --- and ...\n", "no newline at end", "\n\n"])
    )
    closing = draw(st.sampled_from(["---", "...", "---  "]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = "---\n" + "".join(parts) + closing + "\n" + body
    text = text.replace("\n", newline)
    bom = draw(st.booleans())
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    return Generated(data, tuple(names), newline, has_seal)

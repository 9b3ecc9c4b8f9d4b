"""Differential tests against the real readers: whenever verify says ok, Jekyll and Hugo read what
they read from the sealed original.

Hypothesis writes YAML articles with the spellings readers disagree on (yes/on/True, 0x10, 012,
1_000, 1,000, 1:20:00, 1e3, timestamps in several spellings, a `...` closing line, lone CRs in the
body...), seals them, and edits each sealed article several ways: other spellings of an equal
PyYAML value, keys that a reader folds into a sealed field (Title, !foo title, !!binary), merges,
the closing line, line breaks in the body, CRLF, quoting, comments. Every edit that verify passes
is read by Psych through Jekyll's own code (tests/oracles/psych.py) and by Hugo (one build per
batch, tests/oracles/hugo.py); their values, title and rendered content must equal what they read
from the sealed original. Many articles go to one ruby process and one Hugo build.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import KEY_BYTES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracles.hugo import HugoBuildError, build_each, require_hugo
from oracles.psych import JekyllPage, Psych, require_jekyll

from securedoc.articles import seal_document
from securedoc.document import parse
from securedoc.errors import SecuredocError
from securedoc.keys import Key, Keyring
from securedoc.models import Status
from securedoc.verify import verify_document

RING = Keyring([Key("k1", "A256GCM", KEY_BYTES)])

# Spellings that PyYAML reads as equal (one class per line); readers other than PyYAML may not.
CLASSES: list[list[str]] = [
    ["true", "True", "TRUE", "yes", "Yes", "on", "ON", "!!bool true"],
    ["false", "False", "no", "off", "Off", "!!bool false"],
    ["16", "0x10", "020", "0o20", "1_6", "+16", "!!int 16"],
    ["10", "012", "0o12", "0xA", "+10"],
    ["4800", "1:20:00", "4_800", "80:00"],
    ["1000", "1_000", "1,000", "1e3", "1.0e+3", "1000.0"],
    ["0.5", ".5", "0.50", "5.0e-1", "!!float 0.5"],
    ["null", "~", "Null", "NULL", ""],
    ["2020-08-15T08:19:00Z", "2020-08-15 08:19:00 +00:00", "2020-08-15T08:19:00+00:00", "2020-08-15t08:19:00z"],
    ["2020-08-15T10:19:00+02:00", "2020-08-15 10:19:00 +2", "2020-08-15T10:19:00.0+02:00"],
    ["2020-08-15", "2020-8-15", "2020-08-15 "],
    ["word", '"word"', "'word'", "!!str word"],
    ["TrUe", '"TrUe"'],
    ["1.0e10", '"1.0e10"'],
    ["[a, b]", '["a", "b"]', "[a, 'b']"],
]
VALUES = [spelling for group in CLASSES for spelling in group if spelling.strip()]
NAMES = ["draft", "published", "count", "mode", "duration", "size", "ratio", "empty", "when", "zoned", "day", "kind"]
# Hugo reads draft, published (a date), date... itself and refuses values it cannot use: the Hugo
# batches use names it passes through to .Params untouched.
HUGO_NAMES = ["flag", "state", "count", "mode", "duration", "size", "ratio", "empty", "when", "zoned", "day", "kind"]
BODIES = [
    "Body.\n",
    "The story.\n\n**Correction:** the first version named the wrong firm.\n",
    "Line one\rline two\r\rA paragraph after a lone CR.\n",
    "Text\n\n---\n\nAfter a rule.\n",
    # After a `...` closing line Hugo reads on to the next `---` line as front matter (a YAML
    # mapping here, so that Hugo can build the page) and publishes only what follows it.
    "Note: a retraction follows.\n\n---\n\n**Retracted.**\n",
]


@st.composite
def articles(draw: st.DrawFn, hugo: bool = False) -> bytes:
    names = draw(st.lists(st.sampled_from(HUGO_NAMES if hugo else NAMES), min_size=1, max_size=5, unique=True))
    lines = ["title: " + draw(st.sampled_from(["Hello", '"Quoted: title"', "'It''s'", "10 ways to win"]))]
    for name in names:
        lines.append(f"{name}: {draw(st.sampled_from(VALUES))}".rstrip())
    if draw(st.booleans()):
        lines.append("params:\n  author: A. Writer\n  tags: [x, y]")
    if draw(st.integers(0, 4)) == 0:
        lines.insert(0, "defaults: &d {layout: post, comments: true}\n<<: *d")
    body = draw(st.sampled_from(BODIES))
    closing = "..." if body.startswith("Note:") and draw(st.booleans()) else "---"
    text = "---\n" + "\n".join(lines) + "\n" + closing + "\n" + body
    if draw(st.booleans()):
        text = text.replace("\r", "").replace("\n", "\r\n") if "\r" not in body else text
    return text.encode("utf-8")


def _fm_lines(data: bytes) -> tuple[int, int]:
    """(start, end) byte offsets of the front matter text (after the opening line, before closing)."""
    document = parse(data)
    return document.fm_start, document.fm_end


def respell(index: int, choice: int) -> Callable[[bytes], bytes]:
    """Another spelling of a field's value: from its PyYAML class, or any other value."""

    def edit(data: bytes) -> bytes:
        start, end = _fm_lines(data)
        fields = [
            m
            for m in re.finditer(rb"(?m)^([a-z]+): ?([^\r\n]*)", data[start:end])
            if m.group(1) not in (b"secured", b"params", b"defaults")
        ]
        if not fields:
            return data
        field = fields[index % len(fields)]
        old = field.group(2).decode()
        group = next((g for g in CLASSES if old in g), VALUES)
        new = group[choice % len(group)] if len(group) > 1 else VALUES[choice % len(VALUES)]
        at = start + field.start(2)
        return data[:at] + new.encode() + data[start + field.end(2) :]

    return edit


ADDED = [
    "Title: Evil",
    "TITLE: Evil",
    "!foo title: Evil",
    "!!binary dGl0bGU=: Evil",
    '"<<": {title: Evil}',
    "<<: {title: Evil}",
    "<<: {draft: false, count: 1}",
    "---x: 1",
    "Draft: false",
    "!!str draft: false",
    "newfield: 1",
    "# a comment",
    "",
]


def add_line(which: int, at_end: bool) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        start, end = _fm_lines(data)
        newline = b"\r\n" if b"\r\n" in data[:start] else b"\n"
        line = ADDED[which % len(ADDED)].encode() + newline
        at = end if at_end else start
        return data[:at] + line + data[at:]

    return edit


def swap_closing(data: bytes) -> bytes:
    _, end = _fm_lines(data)
    marker = data[end : end + 3]
    return data[:end] + (b"..." if marker == b"---" else b"---") + data[end + 3 :]


def body_breaks(position: int, kind: int) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        document = parse(data)
        body = data[document.body_start :]
        spots = [m.start() for m in re.finditer(rb"\r\n|\r|\n", body)]
        if not spots:
            return data
        at = spots[position % len(spots)]
        old = re.match(rb"\r\n|\r|\n", body[at:])
        assert old is not None
        new = [b"\r", b"\n", b"\r\n", b"\n\r", b"\r\r"][kind % 5]
        return data[: document.body_start] + body[:at] + new + body[at + len(old.group()) :]

    return edit


def crlf(data: bytes) -> bytes:
    if b"\r\n" in data:
        return data.replace(b"\r\n", b"\n")
    return data.replace(b"\r", b"").replace(b"\n", b"\r\n") if b"\r" not in data else data.replace(b"\n", b"\r\n")


def trailing(data: bytes) -> bytes:
    start, end = _fm_lines(data)
    text = data[start:end]
    return data[:start] + re.sub(rb"(?m)^(title: [^\r\n]*)", rb"\1  # c", text, count=1) + data[end:]


@st.composite
def mutations(draw: st.DrawFn) -> Callable[[bytes], bytes]:
    kind = draw(st.integers(0, 6))
    if kind <= 1:
        return respell(draw(st.integers(0, 20)), draw(st.integers(0, 20)))
    if kind == 2:
        return add_line(draw(st.integers(0, 50)), draw(st.booleans()))
    if kind == 3:
        return swap_closing
    if kind == 4:
        return body_breaks(draw(st.integers(0, 20)), draw(st.integers(0, 4)))
    return draw(st.sampled_from([crlf, trailing]))


@dataclass
class Case:
    sealed: bytes
    changed: bytes


def passing_edits(originals: list[bytes], edits: list[list[Callable[[bytes], bytes]]]) -> tuple[list[Case], int]:
    """Seal each article, apply its edits; keep each edit that verify passes. Returns (cases, tried)."""
    cases: list[Case] = []
    tried = 0
    for original, its_edits in zip(originals, edits, strict=True):
        try:
            out = seal_document(parse(original), RING)
        except SecuredocError:
            continue  # refused (folded keys...): nothing sealed, nothing to pass
        assert out.data is not None
        sealed = out.data
        assert verify_document(parse(sealed), RING).status is Status.OK
        for edit in its_edits:
            try:
                changed = edit(sealed)
            except SecuredocError:
                continue
            if changed == sealed:
                continue
            tried += 1
            try:
                report = verify_document(parse(changed), RING)
            except SecuredocError:
                continue
            if report.status is Status.OK:
                cases.append(Case(sealed, changed))
    return cases, tried


def _lf(text: Any) -> Any:
    return text.replace("\r\n", "\n") if isinstance(text, str) else text


def _unordered(value: Any) -> Any:
    """A typed Psych value with every Hash's pairs sorted: key order is not part of a value (Ruby's
    Hash#== ignores it; a merge before the keys it shares changes only the order)."""
    if isinstance(value, list):
        return [_unordered(item) for item in value]
    if isinstance(value, dict) and value.get("$") == "map":
        pairs = [[_unordered(k), _unordered(v)] for k, v in value["v"]]
        return {"$": "map", "v": sorted(pairs, key=lambda kv: json.dumps(kv[0], sort_keys=True))}
    return value


def jekyll_view(page: JekyllPage) -> tuple[Any, ...]:
    return (page.front_matter, _unordered(page.data), page.title, _lf(page.content), page.error)


batch = st.lists(st.tuples(articles(), st.lists(mutations(), min_size=3, max_size=6)), min_size=15, max_size=15)


@pytest.fixture(scope="module")
def psych() -> Any:
    require_jekyll()
    with Psych() as oracle:
        yield oracle


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch)
def test_whenever_verify_says_ok_jekyll_reads_the_sealed_values(psych: Psych, items: list[Any]) -> None:
    cases, _ = passing_edits([a for a, _ in items], [m for _, m in items])
    if not cases:
        return
    pages = psych.read_many([c.sealed for c in cases] + [c.changed for c in cases], render=True)
    before, after = pages[: len(cases)], pages[len(cases) :]
    for case, old, new in zip(cases, before, after, strict=True):
        assert jekyll_view(new) == jekyll_view(old), (case.sealed, case.changed)


def _hugo_article(data: bytes) -> bool:
    # .inf/.nan make Hugo's jsonify (the oracle's report) fail the whole build: not about reading.
    return not re.search(rb"(?i)\.(inf|nan)\b", data)


hugo_batch = st.lists(
    st.tuples(articles(hugo=True), st.lists(mutations(), min_size=3, max_size=6)), min_size=25, max_size=25
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hugo_batch)
def test_whenever_verify_says_ok_hugo_reads_the_sealed_values(items: list[Any]) -> None:
    require_hugo()
    cases, _ = passing_edits([a for a, _ in items], [m for _, m in items])
    cases = [c for c in cases if _hugo_article(c.sealed) and _hugo_article(c.changed)]
    if not cases:
        return
    pages: dict[str, bytes] = {}
    for number, case in enumerate(cases):
        pages[f"p{number}/sealed.md"] = case.sealed
        pages[f"p{number}/changed.md"] = case.changed
    built = build_each(pages)
    for number, case in enumerate(cases):
        old, new = built.get(f"p{number}/sealed.md"), built.get(f"p{number}/changed.md")
        if isinstance(old, HugoBuildError) or isinstance(new, HugoBuildError):
            assert isinstance(old, HugoBuildError) and isinstance(new, HugoBuildError), (case.sealed, case.changed)
            continue
        assert old is not None and new is not None, (case.sealed, case.changed)
        assert (new.title, new.params, _lf(new.content)) == (old.title, old.params, _lf(old.content)), (
            case.sealed,
            case.changed,
        )


def test_without_ruby_the_oracle_skips_on_a_laptop_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    import oracles.psych as psych_oracle

    monkeypatch.setattr(psych_oracle.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run"):
        psych_oracle.require_jekyll()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install ruby jekyll"):
        psych_oracle.require_jekyll()

"""Documents: splitting, errors with lines, and byte-for-byte preservation when sealing."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, article
from hypothesis import given
from hypothesis import strategies as st
from strategies import Generated, articles

from securedoc.articles import seal_document
from securedoc.document import DEFAULT_LIMITS, body_digest, parse
from securedoc.errors import DocumentError
from securedoc.keys import Keyring
from securedoc.verify import verify_document


def test_example_article_parses(example_bytes: bytes) -> None:
    doc = parse(example_bytes, path="ex.md")
    assert doc.entries[0].name == "category" and doc.entries[0].line == 2
    assert doc.seal_entry is not None and doc.seal_entry.line == 104
    assert doc.get("quality").value == 104
    assert doc.get("publishedDateTime").value == {"$": "timestamp", "v": "2020-08-15T08:19:00Z"}
    assert doc.body == b"\n"  # the file ends with a blank line after the closing ---


def test_bom_crlf_and_dots_closing() -> None:
    data = b"\xef\xbb\xbf---\r\ntitle: A\r\n...\r\nBody\r\n"
    doc = parse(data)
    assert doc.bom and doc.newline == "\r\n" and doc.get("title").line == 2
    assert doc.body == b"Body\r\n"
    assert body_digest(doc.body) == body_digest(b"Body\n") == body_digest(b"Body\r")


def test_empty_front_matter() -> None:
    doc = parse(b"---\n---\nBody\n")
    assert doc.entries == ()


@pytest.mark.parametrize(
    ("data", "message", "line"),
    [
        (b"", "the file is empty", None),
        (b"title: no delimiters\n", "does not start with a '---' line", 1),
        (b"+++ title = 'x'\n+++\n", "TOML front matter must open with a line '+++' alone", 1),
        (b"+++\ntitle = 'x'\nbody\n", "no '+++' line follows", 1),
        (b'{"title": "x"}\n', "JSON", 1),
        (b"\x00\x01\x02binary", "binary", 1),
        (b"---\ntitle: x\nbody without end\n", "never closes", 1),
        (b"---\ntitle: caf\xe9\n---\n", "byte 0xe9 at line 2", 2),
        (b"---\ntitle: x\n---\nbody \xff\n", "byte 0xff at line 4", 4),
        (b"---\ntitle: a\x00b\n---\n", "NUL byte", 2),
        (b"---\n- a\n- b\n---\n", "not a list", 2),
        (b"---\njust text\n---\n", "not a single value", 2),
        # The parser's own words differ (libyaml: "did not find expected ','", PyYAML: "expected ','"):
        # only securedoc's part of the message is checked, with the line.
        (b"---\ntitle: [unclosed\n---\n", "invalid YAML: ", 3),
        (b"---\ntitle: [unclosed\n---\n", "that starts at line 2), column 1", 3),
        (b"---\na: 1\n b: 2\n---\n", "invalid YAML: ", 3),
        (b"---\ntitle: x\ntitle: y\n---\n", "duplicate key title", 3),
        (b"---\ntitle: \x07bell\n---\n", "invalid YAML: ", 2),
        ("---\nt: \u00e9\u00e9\nb: \x07\n---\n".encode(), "invalid YAML: ", 3),
    ],
)
@pytest.mark.parametrize("parser", ["libyaml", "pure-python"])
def test_bad_input_is_a_clear_error(
    data: bytes, message: str, line: int | None, parser: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same clear error, file and line whichever YAML parser PyYAML has (libyaml or its own)."""
    from securedoc import canonical

    if parser == "pure-python":
        monkeypatch.setattr(canonical, "_Loader", canonical.PurePythonLoader)
    elif canonical.loader_class() is canonical.PurePythonLoader:
        pytest.skip("PyYAML is installed without libyaml here (the pure-python case covers it)")
    with pytest.raises(DocumentError) as info:
        parse(data, path="a.md")
    assert message in str(info.value)
    if line is not None:
        assert info.value.line == line
    assert info.value.path == "a.md" and info.value.hint


def test_front_matter_size_limit() -> None:
    from securedoc.document import Limits

    data = b"---\n" + b"a: " + b"x" * 2000 + b"\n---\n"
    with pytest.raises(DocumentError, match="larger than the limit"):
        parse(data, limits=Limits(max_front_matter=1000))


def _check_only_seal_changed(gen: Generated, old: bytes, new: bytes) -> None:
    """An oracle independent of securedoc's spans: the edit is one contiguous region that holds
    only the secured entry (replaced, or appended before the closing delimiter)."""
    p = 0
    while p < min(len(old), len(new)) and old[p] == new[p]:
        p += 1
    s = 0
    while s < min(len(old), len(new)) - p and old[-1 - s] == new[-1 - s]:
        s += 1
    removed = old[p : len(old) - s].decode()
    added = new[p : len(new) - s].decode()
    nl = gen.newline
    # Widen to whole lines of the new text to see what was added.
    start = new.rfind(b"\n", 0, p) + 1
    stop = len(new) - s
    if not (stop > start and new[stop - 1 : stop] == b"\n"):
        stop = new.find(b"\n", stop) + 1 or len(new)
    added_lines = new[start:stop].decode()
    assert added_lines.lstrip(" ").startswith('secured: "'), (removed, added)
    assert added_lines.count("\n") == 1 and added_lines.endswith(nl if nl == "\r\n" else "\n")
    if not gen.has_seal:
        assert removed == ""
    else:
        old_start = old.rfind(b"\n", 0, p) + 1
        old_region = old[old_start : len(old) - s].decode()
        assert old_region.lstrip(" ").startswith("secured:"), old_region
    assert "\r" not in added.replace("\r\n", "") and (nl == "\r\n" or "\r" not in added)


@given(articles(), st.booleans())
def test_seal_changes_only_the_secured_entry(gen: Generated, twice: bool) -> None:
    from conftest import KEY_BYTES

    from securedoc.keys import Key

    ring = Keyring([Key("k", "A256GCM", KEY_BYTES)])
    doc = parse(gen.data)
    outcome = seal_document(doc, ring)
    assert outcome.data is not None
    _check_only_seal_changed(gen, gen.data, outcome.data)
    new = parse(outcome.data)
    assert verify_document(new, ring).status.value == "ok"
    assert [e.name for e in new.entries if e.name != "secured"] == [e.name for e in doc.entries if e.name != "secured"]
    again = seal_document(new, ring)
    assert again.data is None and again.report.action == "unchanged"


def test_seal_keeps_comments_quotes_and_trailing_spaces(key: object) -> None:
    data = article(
        '# lead comment\ntitle:   "Quoted"   # why\nlist: [a,   b]  \nsecured: "x;y" # keep me\nz: 1\n', body="body\n"
    )
    ring = Keyring([key])  # type: ignore[list-item]
    new = seal_document(parse(data), ring).data
    assert new is not None
    before, after = data.decode().splitlines(), new.decode().splitlines()
    assert len(before) == len(after)
    for a, b in zip(before, after, strict=True):
        if a.startswith("secured:"):
            assert b.startswith('secured: "eyJ') and b.endswith('" # keep me')
        else:
            assert a == b


def test_multiline_and_odd_secured_values_are_replaced_whole(key: object) -> None:
    ring = Keyring([key])  # type: ignore[list-item]
    for value in ("secured:\n  - a\n  - b\n", "secured: >\n  folded\n  text\n", "secured:\n", "secured: [1,\n  2]\n"):
        data = article("title: T\n" + value + "after: 1\n")
        new = seal_document(parse(data), ring).data
        assert new is not None
        lines = new.decode().splitlines()
        assert lines[1] == "title: T" and lines[2].startswith('secured: "') and lines[3] == "after: 1"
        assert len(lines) == 6


def test_indented_front_matter_appends_at_its_indent(key: object) -> None:
    ring = Keyring([key])  # type: ignore[list-item]
    data = b"---\n  title: T\n  n: 1\n---\n"
    new = seal_document(parse(data), ring).data
    assert new is not None and b'\n  secured: "' in new


def test_flow_front_matter_is_refused_for_sealing(key: object) -> None:
    ring = Keyring([key])  # type: ignore[list-item]
    with pytest.raises(DocumentError, match="flow mapping"):
        seal_document(parse(b"---\n{title: T, n: 1}\n---\n"), ring)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpora/hugo-docs is not present in this checkout")
def test_hugo_corpus_byte_preservation(tmp_path: Path, key: object) -> None:
    """Every page of a real archive nobody wrote for securedoc: seal, verify, nothing else changes."""
    ring = Keyring([key])  # type: ignore[list-item]
    pages = sorted(p for p in CORPUS.rglob("*.md"))
    assert len(pages) >= 900
    sealed = 0
    errors = []
    for page in pages:
        data = page.read_bytes()
        try:
            doc = parse(data, path=str(page))
        except DocumentError as exc:
            errors.append(str(exc))
            continue
        new = seal_document(doc, ring).data
        assert new is not None
        old_lines = data.split(b"\n")
        new_lines = new.split(b"\n")
        assert len(new_lines) == len(old_lines) + 1, page
        added = [line for line in new_lines if line not in old_lines]
        assert len(added) == 1 and added[0].startswith(b'secured: "'), page
        remaining = list(new_lines)
        remaining.remove(added[0])
        assert remaining == old_lines, page
        assert verify_document(parse(new), ring).status.value == "ok", page
        sealed += 1
    assert not errors, errors[:5]
    assert sealed == len(pages)


def test_a_fragment_is_read_as_front_matter_of_its_own() -> None:
    from securedoc.document import parse_fragment

    yaml_doc = parse_fragment("note: |\n  two\n  lines\n")
    assert [(e.name, e.value, e.line) for e in yaml_doc.entries] == [("note", "two\nlines\n", 2)]
    toml_doc = parse_fragment('note = """\nA\nB"""\n', syntax="toml", newline="\r\n")
    assert toml_doc.syntax == "toml" and toml_doc.entries[0].value == "A\r\nB"  # TOML keeps the file's breaks
    # What the article's own parse_fragment reads is what the function reads.
    article_doc = parse(b"+++\r\ntitle = 'x'\r\n+++\r\n")
    assert article_doc.parse_fragment('note = """\nA\nB"""\n', DEFAULT_LIMITS).entries[0].value == "A\r\nB"
    with pytest.raises(DocumentError):
        parse_fragment("a: *nowhere\n")

"""TOML front matter (`+++`): read, seal byte-exact, open, verify, hide and restore; reader rules."""

from __future__ import annotations

import re
import tomllib

import pytest
from conftest import KEY_BYTES
from hypothesis import assume, given
from hypothesis import strategies as st
from toml_strategies import TomlArticle, toml_articles

from securedoc.articles import open_document, restore_document, seal_document
from securedoc.canonical import dumps
from securedoc.document import parse
from securedoc.errors import DocumentError, UsageError
from securedoc.keys import Key, Keyring
from securedoc.models import Status
from securedoc.payload import Payload, decode, encode
from securedoc.toml_document import TomlDocument, canonical_toml
from securedoc.verify import verify_document

KEY = Key("k1", "A256GCM", KEY_BYTES)
RING = Keyring([KEY])

ARTICLE = b"""+++
title = "Hello"  # the title
date = 2020-08-15T08:19:00Z
tags = [
  "news",  # a comment inside the array
  "ai",
]
author.name = "Ann"

# the parameters
[params]
ratio = 0.5
[[links]]
url = "https://example.org/"
+++
Body text.
"""


def sealed(data: bytes, **kwargs: object) -> bytes:
    out = seal_document(parse(data), RING, **kwargs)  # type: ignore[arg-type]
    assert out.data is not None
    return out.data


def without_seal(blob: bytes) -> bytes:
    return b"".join(line for line in blob.splitlines(keepends=True) if not line.startswith(b"secured = "))


def test_toml_front_matter_is_read_with_fields_lines_and_canonical_values() -> None:
    doc = parse(ARTICLE, path="a.md")
    assert isinstance(doc, TomlDocument) and doc.syntax == "toml"
    assert [(e.name, e.line) for e in doc.entries] == [
        ("title", 2),
        ("date", 3),
        ("tags", 4),
        ("author", 8),
        ("params", 11),
        ("links", 13),
    ]
    assert doc.get("date").value == {"$": "timestamp", "v": "2020-08-15T08:19:00Z"}  # type: ignore[union-attr]
    assert doc.get("params").value == {"ratio": {"$": "float", "v": "0.5"}}  # type: ignore[union-attr]
    assert doc.get("links").value == [{"url": "https://example.org/"}]  # type: ignore[union-attr]
    assert doc.body == b"Body text.\n"


def test_seal_inserts_one_top_level_line_before_the_first_table() -> None:
    data = sealed(ARTICLE)
    lines = data.split(b"\n")
    assert lines[8].startswith(b'secured = "ey')  # right after `author.name`, before the comment and [params]
    assert without_seal(data) == ARTICLE
    assert tomllib.loads(data.split(b"+++\n")[1].decode())["secured"].startswith("ey")  # a top-level key
    assert verify_document(parse(data), RING).status is Status.OK
    assert "params" not in tomllib.loads(data.split(b"+++\n")[1].decode())["params"]


def test_seal_in_crlf_and_without_top_level_keys() -> None:
    crlf = ARTICLE.replace(b"\n", b"\r\n")
    data = sealed(crlf)
    assert without_seal(data) == crlf and b'"\r\n' in data and b'"\n' not in data
    tables_only = b"+++\n# intro\n[params]\nx = 1\n+++\n"
    data = sealed(tables_only)
    assert data.startswith(b'+++\nsecured = "') and without_seal(data) == tables_only
    empty = b"+++\n+++\nbody\n"
    data = sealed(empty)
    assert without_seal(data) == empty and verify_document(parse(data), RING).status is Status.OK


def test_reseal_replaces_the_value_in_place() -> None:
    data = sealed(ARTICLE)
    changed = data.replace(b'title = "Hello"', b'title = "Changed"')
    report = verify_document(parse(changed), RING)
    assert report.status is Status.MISMATCH and [(d.name, d.line) for d in report.fields] == [("title", 2)]
    again = sealed(changed)
    assert without_seal(again) == without_seal(changed) and again.count(b"secured = ") == 1
    assert verify_document(parse(again), RING).status is Status.OK
    literal = ARTICLE.replace(b"+++\ntitle", b"+++\nsecured = 'old' # keep\ntitle", 1)
    out = sealed(literal, force=True)
    assert out.split(b"\n")[1].startswith(b'secured = "ey') and out.split(b"\n")[1].endswith(b'" # keep')


def test_open_shows_the_sealed_values() -> None:
    opened = open_document(parse(sealed(ARTICLE)), RING)
    assert isinstance(opened.payload, Payload) and opened.payload.syntax == "toml"
    assert sorted(opened.payload.field_names()) == ["author", "date", "links", "params", "tags", "title"]


def test_reformatting_is_not_a_change_but_a_type_is() -> None:
    data = sealed(b'+++\nn = 16\nf = 1.0\ns = "x"\n+++\n')
    for same in (b"n = 0x10", b"n = 1_6", b"n = +16"):
        assert verify_document(parse(data.replace(b"n = 16", same)), RING).status is Status.OK
    assert verify_document(parse(data.replace(b'"x"', b"'x'")), RING).status is Status.OK
    assert verify_document(parse(data.replace(b"f = 1.0", b"f = 1e0")), RING).status is Status.OK
    assert verify_document(parse(data.replace(b"f = 1.0", b"f = 1")), RING).status is Status.MISMATCH
    assert verify_document(parse(data.replace(b"n = 16", b'n = "16"')), RING).status is Status.MISMATCH


@pytest.mark.parametrize(
    ("toml", "canonical"),
    [
        ("1979-05-27T07:32:00Z", '{"$":"timestamp","v":"1979-05-27T07:32:00Z"}'),
        ("1979-05-27 00:32:00.500-07:00", '{"$":"timestamp","v":"1979-05-27T00:32:00.5-07:00"}'),
        ("1979-05-27T07:32:00-00:00", '{"$":"timestamp","v":"1979-05-27T07:32:00Z"}'),
        ("1979-05-27T07:32:00", '{"$":"timestamp","v":"1979-05-27T07:32:00"}'),
        ("1979-05-27", '{"$":"date","v":"1979-05-27"}'),
        ("07:32:00.999999", '{"$":"time","v":"07:32:00.999999"}'),
        ("0xff", "255"),
        ("1e3", '{"$":"float","v":"1000.0"}'),
        ("-0.0", '{"$":"float","v":"-0.0"}'),
        ("nan", '{"$":"float","v":"nan"}'),
        ("-inf", '{"$":"float","v":"-inf"}'),
        ("[[1, 2], ['a']]", '[[1,2],["a"]]'),
        ('{ "$" = 1, b = true }', '{"$":"map","v":[["$",1],["b",true]]}'),
        ('"""\nline\\\n   joined"""', '"linejoined"'),
    ],
)
def test_canonical_vectors(toml: str, canonical: str) -> None:
    """The vectors of docs/format.md section 4.1."""
    assert dumps(canonical_toml(tomllib.loads(f"x = {toml}")["x"])) == canonical
    assert dumps(parse(f"+++\nx = {toml}\n+++\n".encode()).get("x").value) == canonical  # type: ignore[union-attr]


def test_array_of_tables_equals_the_yaml_list_of_mappings() -> None:
    toml = parse(b"+++\n[[a]]\nx = 1\n[[a]]\nx = 2\n+++\n").get("a")
    yaml = parse(b"---\na:\n  - x: 1\n  - x: 2\n---\n").get("a")
    assert toml is not None and yaml is not None and dumps(toml.value) == dumps(yaml.value)


def test_toml_and_yaml_seals_are_not_interchangeable() -> None:
    data = sealed(b'+++\ntitle = "T"\n+++\nBody.\n')
    value = parse(data).seal_entry.value  # type: ignore[union-attr]
    as_yaml = f'---\ntitle: "T"\nsecured: "{value}"\n---\nBody.\n'.encode()
    report = verify_document(parse(as_yaml), RING)
    assert report.status is Status.MISMATCH
    # The syntax, and the body: payload format 2 binds the closing delimiter (+++ here, --- there).
    assert [d.name for d in report.fields] == ["(front matter syntax)", "(body)"]
    assert (report.fields[0].sealed, report.fields[0].visible) == ("toml", "yaml")
    # A YAML payload never names its syntax; a TOML one does.
    yaml_payload = open_document(parse(sealed(b"---\ntitle: T\n---\n")), RING).payload
    assert isinstance(yaml_payload, Payload) and b"syntax" not in encode(yaml_payload)
    with pytest.raises(Exception, match="syntax"):
        decode(b'{"fields":{},"syntax":"yaml","v":1}')


def test_hide_and_restore_a_key_and_a_table() -> None:
    original = sealed(ARTICLE)
    hidden = sealed(original, hide=["tags", "params"])
    doc = parse(hidden)
    assert doc.get("tags") is None and doc.get("params") is None
    assert b"ratio" not in hidden and b"news" not in hidden
    assert verify_document(doc, RING).status is Status.OK
    restored = restore_document(doc, RING).data
    assert restored is not None and without_seal(restored) == ARTICLE


def test_hiding_a_split_field_is_refused() -> None:
    data = b"+++\na.b = 1\nc = 2\na.d = 3\n+++\n"
    with pytest.raises(DocumentError, match="several places"):
        seal_document(parse(data), RING, hide=["a"])
    assert verify_document(parse(sealed(data)), RING).status is Status.OK  # sealing it is fine


def test_legacy_seals_are_for_yaml() -> None:
    legacy = Key("old", "A128CBC", bytes(16))
    with pytest.raises(UsageError, match="legacy form is for YAML"):
        seal_document(parse(ARTICLE), Keyring([legacy]), legacy=True)


def test_crlf_inside_multiline_strings_is_bound_as_written() -> None:
    """Hugo keeps the CR of a CRLF inside a multi-line string, tomllib drops it: bind the CR."""
    lf = b"+++\ns = \"\"\"\nA\nB\"\"\"\nt = '''\nC\nD'''\n+++\n"
    crlf = lf.replace(b"\n", b"\r\n")
    assert parse(crlf).get("s").value == "A\r\nB" and parse(crlf).get("t").value == "C\r\nD"  # type: ignore[union-attr]
    assert parse(lf).get("s").value == "A\nB"  # type: ignore[union-attr]
    sealed_lf = sealed(lf)
    assert verify_document(parse(sealed_lf.replace(b"\n", b"\r\n")), RING).status is Status.MISMATCH
    sealed_crlf = sealed(crlf)
    assert verify_document(parse(sealed_crlf), RING).status is Status.OK
    restored = restore_document(parse(sealed(sealed_crlf, hide=["s"])), RING).data
    assert restored is not None and without_seal(restored) == crlf
    # Escapes and line-ending backslashes are left to the TOML reader.
    tricky = b'+++\ns = """\r\na\\tb \\\r\n   c\\\\\r\nd"""\r\n+++\r\n'
    assert parse(tricky).get("s").value == "a\tb c\\\r\nd"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (b'+++\ntitle = "A"\nTitle = "B"\n+++\n', "differ only in case", 3),
        (b'+++\ntitle = "A"\n[x]\nKey = 1\nkey = 2\n+++\n', "differ only in case", 5),
        (b'+++\ntitle = "A"\n[params]\nTITLE = "Evil"\n+++\n', "Hugo merges the 'params' table", 4),
        (b"+++\nt = 07:32:00.1234567\n+++\n", "7 fraction digits", 2),
        (b"+++\nn = 9223372036854775808\n+++\n", "does not fit in 64 bits", 2),
        (b"+++\nok = 1e308\nf = [1.5, -1_0e4_00]\n+++\n", "too large for a 64-bit float", 3),
        (b'+++\ntitle = "A"\n"t\xc4\xb0tle" = "Evil"\n+++\n', "differ only in case", 3),
        (b'+++\ns = """\n+++x\n"""\n+++\n', "starts with '+++' but is not the closing line", 3),
        (b'+++\ntitle = "A"\n+++ # no\n+++\n', "starts with '+++' but is not the closing line", 3),
        (b'+++\ntitle = "A"\ntitle = "B"\n+++\n', "invalid TOML", 3),
        (b"+++\ntitle = \n+++\n", "invalid TOML", 2),
        (b'+++\ntitle = "A"\n', "never closes", 1),
    ],
)
def test_what_readers_disagree_on_is_refused_with_a_line(text: bytes, message: str, line: int) -> None:
    with pytest.raises(DocumentError, match=re.escape(message)) as caught:
        parse(text, path="a.md")
    assert caught.value.line == line
    assert caught.value.hint


def test_max_64_bit_integers_are_fine() -> None:
    doc = parse(b"+++\nn = 9223372036854775807\nm = -9223372036854775808\n+++\n")
    assert doc.get("n").value == 2**63 - 1  # type: ignore[union-attr]


def test_toml_payload_binds_the_same_values_as_tomllib(tmp_path: object) -> None:
    doc = parse(ARTICLE)
    values = tomllib.loads(ARTICLE.split(b"+++\n")[1].decode())
    assert {e.name: dumps(e.value) for e in doc.entries} == {k: dumps(canonical_toml(v)) for k, v in values.items()}


# -- properties ------------------------------------------------------------------------------------


@given(toml_articles())
def test_seal_changes_nothing_but_one_line_and_verifies(article: TomlArticle) -> None:
    doc = parse(article.data)
    assert [e.name for e in doc.entries] == list(article.names)
    data = sealed(article.data)
    assert without_seal(data) == article.data
    added = [line for line in data.splitlines(keepends=True) if line.startswith(b"secured = ")]
    assert len(added) == 1 and added[0].endswith(article.newline.encode())
    sealed_doc = parse(data)
    assert verify_document(sealed_doc, RING).status is Status.OK
    opened = open_document(sealed_doc, RING)
    assert isinstance(opened.payload, Payload)
    assert {dumps(k): dumps(v) for k, v in opened.payload.fields.values()} == {
        dumps(e.key): dumps(e.value) for e in doc.entries
    }
    assert seal_document(sealed_doc, RING).data is None  # already sealed: nothing to do


@given(st.data())
def test_hide_then_restore_gives_back_the_same_bytes(data: st.DataObject) -> None:
    article = data.draw(toml_articles())
    doc = parse(article.data)
    contiguous = [n for n in article.names if doc.regions.get(n) is not None]  # type: ignore[attr-defined]
    assume(contiguous)
    original = sealed(article.data)
    names = data.draw(st.lists(st.sampled_from(contiguous), min_size=1, unique=True))
    hidden = sealed(original, hide=names)
    hidden_doc = parse(hidden)
    assert all(hidden_doc.get(n) is None for n in names)
    assert verify_document(hidden_doc, RING).status is Status.OK
    restored = restore_document(hidden_doc, RING).data
    assert restored is not None and without_seal(restored) == article.data
    # Visible again, the fields are not bound until sealed again (verify does not compare them
    # with the hidden values: that would tell anyone who guesses a hidden value that they did).
    report = verify_document(parse(restored), RING)
    assert report.status is Status.MISMATCH
    assert {(d.name, d.change) for d in report.fields} == {(n, "unbound") for n in names}
    assert verify_document(parse(sealed(restored)), RING).status is Status.OK


@given(toml_articles(), st.data())
def test_a_removed_field_is_a_mismatch(article: TomlArticle, data: st.DataObject) -> None:
    assume(article.names)
    sealed_data = sealed(article.data)
    name = data.draw(st.sampled_from(article.names))
    doc = parse(sealed_data)
    entry = doc.get(name)
    assert entry is not None
    start, end = doc.entry_region(entry) if doc.regions.get(name) else (None, None)  # type: ignore[attr-defined]
    assume(start is not None)
    text = doc.front_matter
    # Remove the field's text: the field is missing.
    removed = doc.with_front_matter([(start, end, "")])  # type: ignore[arg-type]
    try:
        report = verify_document(parse(removed), RING)
    except DocumentError:
        return
    assert report.status is Status.MISMATCH and name in [d.name for d in report.fields]
    assert text  # the field had text


_TOKENS = st.sampled_from(
    ["a", "b", "B", " = ", "=", '"', "'", '"""', "'''", "[", "]", "[[", "]]", "{", "}", ",", ".", "#", "\n", "\r\n"]
    + [" ", "\t", "1", "0x1f", "1e3", "\\", "\\n", "x y", "+++", "07:32:00", "2020-01-01", "T", "Z", "secured"]
)


@given(st.lists(_TOKENS, max_size=40).map("".join))
def test_any_front_matter_is_read_or_refused_clearly(text: str) -> None:
    """Arbitrary TOML-ish text: a clear DocumentError or a document that seals byte-exact."""
    data = ("+++\n" + text + "\n+++\nBody\n").encode()
    try:
        doc = parse(data)
    except DocumentError as exc:
        assert exc.message
        return
    try:
        out = seal_document(doc, RING)
    except (DocumentError, UsageError) as exc:
        assert exc.message
        return
    if out.data is not None and doc.seal_entry is None:
        assert without_seal(out.data) == data
        assert verify_document(parse(out.data), RING).status is Status.OK

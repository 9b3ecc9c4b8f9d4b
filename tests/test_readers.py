"""The reader-agreement rule: what verify passes is what Hugo and Jekyll read.

The attacks of issue 10, replayed: each edit of a sealed article that a real reader (Hugo,
Jekyll) publishes differently must not verify. And the constructs articles hold today (a `...`
closing line, `published: yes`, timestamps in any spelling, a lone CR in the body) keep sealing and
verifying while unchanged. Format-1 and legacy seals, which bound values and not spellings, keep
verifying where nothing disputed is in the article, and are reported clearly where it is.
"""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS, KEY_BYTES, LEGACY_BYTES
from joserfc import jwe
from joserfc.jwk import OctKey

from securedoc import crypto
from securedoc.articles import seal_document
from securedoc.document import body_digest, parse
from securedoc.envelope import LegacySeal, format_seal
from securedoc.errors import DocumentError
from securedoc.keys import Key, Keyring
from securedoc.models import Status
from securedoc.readers import first_plain
from securedoc.verify import verify_document

KEY = Key("k1", "A256GCM", KEY_BYTES)
LEGACY = Key("legacy", "A128CBC", LEGACY_BYTES)
RING = Keyring([KEY, LEGACY])

ARTICLE = (
    b"---\ntitle: Good\ndraft: true\nduration: 4800\nlayout: post\n"
    b"params:\n  author: A. Writer\n  tags: [a, b]\n---\n"
    b"The story.\n\n**Correction:** the first version named the wrong firm.\n"
)


def sealed(data: bytes) -> bytes:
    out = seal_document(parse(data), RING)
    assert out.data is not None
    return out.data


def verdict(data: bytes) -> tuple[str, str]:
    """(status, message) of verify, an error from parsing included."""
    try:
        document = parse(data, path="a.md")
    except DocumentError as exc:
        return "error", exc.message
    report = verify_document(document, RING)
    return report.status.value, report.message


ATTACKS = {
    # merge keys: Hugo and Psych apply merges in document order and publish "Evil"
    "merge after the sealed title": lambda d: d.replace(b"layout: post\n", b"layout: post\n<<: {title: Evil}\n"),
    "merge in a nested map": lambda d: d.replace(b"  tags: [a, b]\n", b"  tags: [a, b]\n  <<: {author: Evil}\n"),
    "merge from an anchor": lambda d: d.replace(b"layout: post\n", b"layout: post\nx: &e {title: Evil}\n<<: *e\n"),
    "quoted << (Psych merges it)": lambda d: d.replace(b"layout: post\n", b'layout: post\n"<<": {title: Evil}\n'),
    "explicitly tagged merge": lambda d: d.replace(b"layout: post\n", b"layout: post\n!!merge <<: {title: Evil}\n"),
    # keys that readers take for a sealed field
    "tagged key": lambda d: d.replace(b"layout: post\n", b"layout: post\n!foo title: Evil\n"),
    "binary key": lambda d: d.replace(b"layout: post\n", b"layout: post\n!!binary dGl0bGU=: Evil\n"),
    "case-folded key": lambda d: d.replace(b"layout: post\n", b"layout: post\nTitle: Evil\n"),
    "key with a dotted capital I (Go's ToLower makes it 'title')": lambda d: d.replace(
        b"layout: post\n", "layout: post\nt\u0130tle: Evil\n".encode()
    ),
    "case-folded nested key": lambda d: d.replace(b"  tags: [a, b]\n", b"  tags: [a, b]\n  Author: Evil\n"),
    # YAML 1.1-only spellings
    "draft: on": lambda d: d.replace(b"draft: true", b"draft: on"),
    "draft: yes": lambda d: d.replace(b"draft: true", b"draft: yes"),
    "draft: True": lambda d: d.replace(b"draft: true", b"draft: True"),
    "sexagesimal": lambda d: d.replace(b"duration: 4800", b"duration: 1:20:00"),
    "underscores": lambda d: d.replace(b"duration: 4800", b"duration: 4_800"),
    "octal": lambda d: d.replace(b"duration: 4800", b"duration: 011300"),
    # the closing line: Hugo closes YAML front matter only at `---`
    "... closing swallows the body": lambda d: d.replace(b"---\nThe story.\n\n", b"...\nThe story.\n\n---\n\n"),
    "... closing, body unchanged": lambda d: d.replace(b"---\nThe story.", b"...\nThe story."),
    "a line starting with --- (Hugo closes there)": lambda d: d.replace(b"draft: true\n", b"draft: true\n---x: 1\n"),
    # the body's line breaks: Hugo's Markdown does not break lines at a lone CR
    "lone CR in the body": lambda d: d.replace(b"story.\n\n**", b"story.\r\r**"),
    "lone CR, one": lambda d: d.replace(b"story.\n\n**", b"story.\n\r**"),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attacks_from_the_issue_do_not_verify(name: str) -> None:
    data = sealed(ARTICLE)
    assert verdict(data)[0] == "ok"
    changed = ATTACKS[name](data)
    assert changed != data
    status, message = verdict(changed)
    assert status in ("mismatch", "error"), (name, message)


@pytest.mark.parametrize(
    "article",
    [
        b"---\ntitle: T\n...\nBody.\n",  # a `...` closing line
        b"---\ntitle: T\n...\nBody.\n\n---\n\nMore.\n",
        b"---\ntitle: T\npublished: yes\ncomments: on\n---\nBody.\n",
        b"---\ntitle: T\ndate: 2020-08-15 08:19:00 +00:00\nupdated: 2020-08-15T08:19:00.000+00:00\n---\n",
        b"---\ntitle: T\ndate: 2020-08-15\nwhen: 2020-08-15T08:19:00Z\nzoned: 2020-08-15T10:19:00+02:00\n---\n",
        b"---\ntitle: T\nduration: 1:20:00\nmode: 0755\nbig: 1_000_000\nratio: 1e3\n---\n",
        b"---\ntitle: T\n---\nline one\rline two\r\n",  # lone CR in the body
        b"---\r\ntitle: T\r\npublished: yes\r\n...\r\nBody\r\n",
        b"---\ntitle: T\n<<: {layout: post}\n---\n",  # a merge readers agree on
        b"---\ndefaults: &d {layout: post, comments: true}\n<<: *d\nlayout: page\n---\n",
    ],
)
def test_disputed_constructs_keep_sealing_and_verifying_while_unchanged(article: bytes) -> None:
    data = sealed(article)
    assert verdict(data) == ("ok", "seal matches")


def test_spelling_changes_are_mismatches_that_name_the_field() -> None:
    data = sealed(b"---\ntitle: T\npublished: yes\nwhen: 2020-08-15 08:19:00 +00:00\n---\n")
    for before, after in [
        (b"published: yes", b"published: true"),
        (b"published: yes", b"published: Yes"),
        (b"published: yes", b'published: "yes"'),
        (b"when: 2020-08-15 08:19:00 +00:00", b"when: 2020-08-15T08:19:00Z"),
    ]:
        report = verify_document(parse(data.replace(before, after)), RING)
        assert report.status is Status.MISMATCH
        assert [f.name for f in report.fields] == [before.split(b":")[0].decode()]
        assert report.fields[0].line == 3 if before.startswith(b"published") else 4


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (b"---\ntitle: A\n---x: 1\n---\n", 3, "starts with '---'"),
        (b"---\ntitle: A\n--- x\nb: 1\n---\n", 3, "starts with '---'"),
        (b"---\ntitle: A\n...\fx\n---\n", 3, "starts with '...'"),
        (b"---\ntitle: A\nTitle: B\n---\n", 3, "Hugo lower-cases keys"),
        (b"---\ntitle: A\n!foo title: B\n---\n", 3, "ignore the tag"),
        (b"---\ntitle: A\n!!binary dGl0bGU=: B\n---\n", 3, "decodes !!binary"),
        (b"---\ntitle: A\n<<: {title: B}\n---\n", 3, "PyYAML keeps the value written before the merge"),
        (b'---\ntitle: A\n"<<": {x: 1}\n---\n', 3, "Psych (Jekyll) applies it as a merge"),
    ],
)
def test_refusals_say_file_line_what_and_how(text: bytes, line: int, words: str) -> None:
    with pytest.raises(DocumentError) as info:
        parse(text, path="a.md")
    error = info.value
    assert error.path == "a.md" and error.line == line and words in error.message and error.hint
    assert "fix the value" not in error.hint  # the hint says how to write it unambiguously
    assert "Traceback" not in error.diagnostics()


# -- seals of payload format 1 and legacy seals ------------------------------------------------------


def v1_seal(article: bytes, fields: dict[str, object], body: bool = True) -> bytes:
    """An article sealed the way securedoc 0.1 (payload format 1) sealed it."""
    payload: dict[str, object] = {"v": 1, "fields": fields}
    document = parse(article)
    if body:
        payload["body_sha256"] = body_digest(document.body)
    plaintext = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    token = jwe.encrypt_compact({"alg": "dir", "enc": "A256GCM", "kid": "k1"}, plaintext, OctKey.import_key(KEY_BYTES))
    return article.replace(b"\n---\n", f'\nsecured: "{token}"\n---\n'.encode(), 1).replace(
        b"\n...\n", f'\nsecured: "{token}"\n...\n'.encode(), 1
    )


def test_format_1_seals_verify_under_their_rules() -> None:
    article = b"---\ntitle: T\nwhen: 2020-08-15T08:19:00Z\nday: 2020-08-15\nn: 16\n---\nBody\r\n"
    fields = {
        "title": "T",
        "when": {"$": "timestamp", "v": "2020-08-15T08:19:00Z"},
        "day": {"$": "date", "v": "2020-08-15"},
        "n": 16,
    }
    data = v1_seal(article, fields)
    assert verdict(data) == ("ok", "seal matches")
    assert verdict(data.replace(b"n: 16", b"n: 17"))[0] == "mismatch"


@pytest.mark.parametrize(
    ("article", "fields", "words", "line"),
    [
        (b"---\ntitle: T\npublished: yes\n---\nBody\n", {"title": "T", "published": True}, "'yes' is a boolean", 3),
        (b"---\ntitle: T\nn: 0x10\n---\nBody\n", {"title": "T", "n": 16}, "'0x10' is a number", 3),
        (b"---\ntitle: T\n...\nBody\n", {"title": "T"}, "closes with '...'", 4),
        (b"---\ntitle: T\n---\nBody\rmore\n", {"title": "T"}, "carriage return", 5),
    ],
)
def test_format_1_seals_are_reported_clearly_where_they_cannot_bind_a_spelling(
    article: bytes, fields: dict[str, object], words: str, line: int
) -> None:
    data = v1_seal(article, fields)
    report = verify_document(parse(data, path="a.md"), RING)
    assert report.status is Status.ERROR
    assert words in report.message and "format-1 seal" in report.message
    assert report.line == line and "securedoc seal" in (report.hint or "")


def test_legacy_seals_cannot_vouch_for_a_disputed_spelling() -> None:
    plaintext = b'{"published":true,"title":"T"}'
    iv = bytes(range(16))
    seal = format_seal(LegacySeal(crypto.cbc_encrypt(LEGACY_BYTES, iv, plaintext), iv))
    ok = f'---\ntitle: T\npublished: true\nsecured: "{seal}"\n---\n'.encode()
    assert verdict(ok)[0] == "ok"
    status, message = verdict(ok.replace(b"published: true", b"published: on"))
    assert status == "error" and "legacy seal holds values, not spellings" in message


def test_resealing_binds_the_spelling() -> None:
    data = v1_seal(b"---\ntitle: T\npublished: yes\n---\nBody\n", {"title": "T", "published": True})
    out = seal_document(parse(data), RING)
    assert out.data is not None and verdict(out.data) == ("ok", "seal matches")


# -- what the rule changes on real archives (issue 10, point 5) --------------------------------------


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the Hugo docs corpus is not at {CORPUS}")
def test_the_rule_changes_nothing_on_the_hugo_docs_corpus() -> None:
    """Measured on the 992 pages of hugo-docs (docs/format.md, section 1.2): no page refused, no
    value bound by its spelling, no `...` closing line, no lone CR; every page's format-1 seal (as
    securedoc 0.1 made it) still verifies, and a format-2 seal verifies."""
    pages = sorted(CORPUS.rglob("*.md"))
    refused = spelled = dots = lone_cr = 0
    for page in pages:
        data = page.read_bytes()
        try:
            document = parse(data, path=str(page))
        except DocumentError:
            refused += 1
            continue
        spelled += sum(1 for e in document.entries if first_plain(e.value) is not None or first_plain(e.key))
        dots += document.closing == b"..."
        lone_cr += document.body.count(b"\r") != document.body.count(b"\r\n")
        fields = {e.name: e.value for e in document.entries}
        if all(type(e.key) is str for e in document.entries) and b"\n---\n" in data:
            assert verdict(v1_seal(data, fields)) == ("ok", "seal matches"), page
    assert (len(pages), refused, spelled, dots, lone_cr) == (992, 0, 0, 0, 0)


@pytest.mark.parametrize("name", ["Secured", "SECURED", "secuRed", "!foo secured"])
def test_seal_refuses_a_field_that_folds_into_the_seal_field(name: str) -> None:
    """Found by the fuzzer: appending `secured:` next to `Secured:` would make the article ambiguous."""
    data = f"---\ntitle: T\n{name}: x\n---\nBody\n".encode()
    with pytest.raises(DocumentError) as info:
        seal_document(parse(data, path="a.md"), RING)
    assert info.value.line == 3 and "lower-cases keys" in info.value.message and info.value.hint
    assert verdict(data)[0] == "unsealed"

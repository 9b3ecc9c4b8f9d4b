"""Tests that kill the mutants of verify, payload and fastpath the rest of the suite let live (issue 12,
docs/testing.md "Mutation testing", sections verify, payload and fastpath).

Each test asserts what a user sees: a verdict, the words, field and line of a report, a refusal.
They go through the public functions (``verify_document``, ``conclude``, ``payload.decode``,
``fastpath.verify_bytes``) in this process, so that mutmut's mutants are visible to them.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import KEY_BYTES, LEGACY_BYTES, OTHER_BYTES, article

from securedoc import b64url, crypto, envelope, fastpath
from securedoc.articles import rotate_document, seal_document
from securedoc.document import DEFAULT_LIMITS, body_digest, parse
from securedoc.errors import PayloadError
from securedoc.keys import Key, Keyring
from securedoc.models import FieldDiff, Report, Status
from securedoc.payload import (
    Binding,
    Hidden,
    Payload,
    build,
    decode,
    decode_hidden,
    decode_legacy,
    encode,
    encode_hidden,
    legacy_plaintext,
)
from securedoc.sealing import LEGACY_HINT, LEGACY_UNCHECKABLE, seal_payload
from securedoc.verify import LEGACY_REFUSED, Policy, conclude, verify_document

KEY = Key("k1", "A256GCM", KEY_BYTES)
OTHER = Key("k2", "A256GCM", OTHER_BYTES)
LEGACY = Key("old-cbc", "A128CBC", LEGACY_BYTES)
DEMO = Key("demo-2026", "A256GCM", bytes(range(1, 33)), demo=True)
RING = Keyring([KEY])
SPELLING_HINT = (
    "check the article against what was published; if it is right, seal it again (`securedoc seal`): "
    "a current seal binds the spelling, so it verifies as written"
)
NOT_HIDDEN = 'the hidden field \'x\' is not {"yaml": TEXT, "after": NAME}'
NOT_HEX = "the payload's body_sha256 is not 64 lowercase hex digits"
NOT_SYNTAX = 'the payload\'s syntax is not "toml" (YAML is written by leaving it out)'
BARE_NUMBER = "the payload holds a bare number that is not an integer (floats are tagged)"
RETIRED_WARNING = "sealed with the retired key 'k1'; run `securedoc rotate` to re-seal with the primary key"
LEGACY_WARNING = "the legacy AES-CBC form is unauthenticated: this check is weaker than a current seal's"
FAST_SETTINGS = fastpath.settings_for(DEFAULT_LIMITS)
MISMATCH_HINT = "if the change is intended, run `securedoc seal` to seal the article again"


def sealed(data: bytes, ring: Keyring = RING, **kwargs: object) -> bytes:
    out = seal_document(parse(data), ring, **kwargs)  # type: ignore[arg-type]
    assert out.data is not None
    return out.data


def with_seal(fields: str, value: str, body: str = "Body text.\n", closing: str = "---") -> bytes:
    """An article whose front matter is ``fields`` then the seal line, closed by ``closing``."""
    data = article(fields + f'secured: "{value}"\n', body)
    return data.replace(b"\n---\n", f"\n{closing}\n".encode(), 1)


def legacy_article(plaintext: bytes, fields: str) -> bytes:
    value = envelope.format_seal(envelope.LegacySeal(crypto.cbc_encrypt(LEGACY_BYTES, bytes(16), plaintext), bytes(16)))
    return with_seal(fields, value)


def format_1(fields: str, body: str = "Body text.\n", closing: str = "---", bind_body: bool = True) -> bytes:
    """An article sealed as older securedoc sealed it: payload format 1 (values, and the body digest
    without the closing line)."""
    unsealed = parse(article(fields, body).replace(b"\n---\n", f"\n{closing}\n".encode(), 1))
    payload = dataclasses.replace(
        build(unsealed, Binding(body=bind_body)),
        version=1,
        body_sha256=body_digest(unsealed.body) if bind_body else None,
    )
    return with_seal(fields, seal_payload(encode(payload), KEY), body, closing)


def format_1_payload(payload_json: bytes, fields: str, body: str = "Body text.\n") -> bytes:
    payload = decode(payload_json)
    assert payload.version == 1
    return with_seal(fields, seal_payload(encode(payload), KEY), body)


# -- verify: the verdicts and their words ----------------------------------------------------------


def test_an_unsealed_article_says_so_and_what_to_do() -> None:
    report = verify_document(parse(article("title: T\n"), path="posts/a.md"), RING)
    assert report.status is Status.UNSEALED and report.path == "posts/a.md"
    assert report.message == "no 'secured' field: the article is not sealed"
    assert report.hint == "run `securedoc seal` on it"
    assert report.kid is None and report.fields == ()


def test_a_matching_seal_says_which_key_form_and_line() -> None:
    report = verify_document(parse(sealed(article("title: T\nn: 1\n")), path="a.md"), RING)
    assert report.status is Status.OK and report.message == "seal matches"
    assert (report.path, report.line, report.kid, report.form) == ("a.md", 4, "k1", "jwe")
    assert report.warnings == () and report.notes == () and report.fields == () and report.hint is None


def test_a_mismatch_names_every_change_in_file_order_with_both_values() -> None:
    data = sealed(article("b: 1\na: 2\nc: 3\nd: 4\ngone2: x\ngone1: y\n", body="Body.\n"))
    changed = (
        data.replace(b"b: 1\n", b"b: 10\n")
        .replace(b"c: 3\n", b"c: 30\n")
        .replace(b"gone2: x\n", b"")
        .replace(b"gone1: y\n", b"")
        .replace(b"Body.", b"Body!")
    )
    document = parse(changed)
    report = verify_document(document, RING)
    assert report.status is Status.MISMATCH
    seal_line = 6
    assert document.seal_entry is not None and document.seal_entry.line == seal_line
    body = [d for d in report.fields if d.name == "(body)"]
    assert [(d.name, d.line, d.sealed, d.visible, d.change) for d in report.fields if d.name != "(body)"] == [
        ("b", 2, 1, 10, "changed"),
        ("c", 4, 3, 30, "changed"),
        ("gone1", seal_line, "y", None, "missing"),  # at the seal's line, by name
        ("gone2", seal_line, "x", None, "missing"),
    ]
    assert report.fields[-1] is body[0] and body[0].line == document.body_line == 8
    assert body[0].change == "body"
    assert body[0].sealed.startswith("sha256:") and body[0].visible.startswith("sha256:")
    assert len(body[0].sealed) == len(body[0].visible) == len("sha256:") + 64
    assert body[0].sealed != body[0].visible
    assert report.message == "changed since sealing: b, c, gone1, gone2, (body)"
    assert report.hint == MISMATCH_HINT
    assert (report.kid, report.form, report.line) == ("k1", "jwe", seal_line)


def test_a_field_sealed_as_a_list_changed_to_a_string_is_a_mismatch() -> None:
    data = sealed(article("tags: [a, b]\ntitle: T\n"))
    for changed in (b"tags: 'a, b'", b"tags: [a]", b"tags: [b, a]", b"tags: [a, b, c]"):
        report = verify_document(parse(data.replace(b"tags: [a, b]", changed)), RING)
        assert report.status is Status.MISMATCH and [d.name for d in report.fields] == ["tags"], changed


def test_a_change_of_front_matter_syntax_is_a_mismatch_at_line_1() -> None:
    unsealed = parse(article("title: T\n"))
    payload = dataclasses.replace(build(unsealed, Binding()), syntax="toml")
    report = verify_document(parse(with_seal("title: T\n", seal_payload(encode(payload), KEY))), RING)
    assert report.status is Status.MISMATCH
    assert report.fields == (FieldDiff("(front matter syntax)", 1, "toml", "yaml"),)


def test_hidden_fields_visible_again_are_unbound() -> None:
    data = sealed(article("title: T\nsecret: s\n"), hide=["secret"])
    back = data.replace(b"title: T\n", b"title: T\nsecret: s\n")
    report = verify_document(parse(back), RING)
    assert report.status is Status.MISMATCH and report.message == "not bound by the seal: secret"
    assert report.notes == ()
    report = verify_document(parse(back), RING, policy=Policy(unbound="ignore"))
    assert report.status is Status.OK
    assert report.notes == ("visible field(s) not covered by the seal: secret",)


def test_unbound_fields_with_warn_name_path_line_and_field() -> None:
    data = sealed(article("title: T\n")).replace(b"title: T\n", b"title: T\nx: 1\ny: 2\n")
    report = verify_document(parse(data, path="p/a.md"), RING, policy=Policy(unbound="warn"))
    assert report.status is Status.OK and report.notes == ()
    assert report.warnings == ("p/a.md:3: 'x' is not bound by the seal", "p/a.md:4: 'y' is not bound by the seal")
    failed = verify_document(parse(data, path="p/a.md"), RING)
    assert failed.status is Status.MISMATCH and failed.message == "not bound by the seal: x, y"
    noted = verify_document(parse(data, path="p/a.md"), RING, policy=Policy(unbound="ignore"))
    assert noted.status is Status.OK and noted.notes == ("visible field(s) not covered by the seal: x, y",)


def test_the_binding_decides_which_visible_fields_must_be_bound() -> None:
    data = sealed(article("title: T\n")).replace(b"title: T\n", b"title: T\nx: 1\ny: 2\n")
    only_title = verify_document(parse(data), RING, policy=Policy(binding=Binding(include=("title",))))
    assert only_title.status is Status.OK
    only_x = verify_document(parse(data), RING, policy=Policy(binding=Binding(include=("title", "x"))))
    assert only_x.status is Status.MISMATCH and only_x.message == "not bound by the seal: x"
    assert [(d.name, d.line, d.sealed, d.visible, d.change) for d in only_x.fields] == [("x", 3, None, 1, "unbound")]


def test_changed_and_unbound_fields_both_named_in_the_message() -> None:
    data = sealed(article("title: T\n")).replace(b"title: T\n", b"title: U\nx: 1\n")
    report = verify_document(parse(data), RING)
    assert report.status is Status.MISMATCH
    assert report.message == "changed since sealing: title; not bound by the seal: x"
    assert [(d.name, d.change) for d in report.fields] == [("title", "changed"), ("x", "unbound")]


def test_a_seal_bound_to_another_place_names_both_paths() -> None:
    data = sealed(article("title: T\n"), place="content/a.md")
    document = parse(data.replace(b"title: T\n", b"title: U\n"))
    report = verify_document(document, RING, place="content/b.md")
    assert report.status is Status.MISMATCH
    assert [(d.name, d.line, d.sealed, d.visible, d.change) for d in report.fields] == [
        ("title", 2, "T", "U", "changed"),
        ("(path)", 3, "content/a.md", "content/b.md", "path"),
    ]
    assert report.message == (
        "sealed as content/a.md, found at content/b.md: moved or copied; if it belongs at content/b.md, "
        "seal it again there (`securedoc seal`), else move it back; changed since sealing: title"
    )
    assert verify_document(parse(data), RING, place="content/a.md").status is Status.OK
    unplaced = verify_document(parse(sealed(article("title: T\n"))), RING, place="content/a.md")
    assert unplaced.status is Status.MISMATCH and unplaced.message.startswith(
        "the seal does not name the article's path (bind_path is on)"
    )


def test_a_rotation_over_unbound_fields_notes_them_and_writes_no_fast_path_claim() -> None:
    """rotate carries verify's notes over, and a seal made while something was noted carries no
    fast-path claim: the fast path must never vouch for a visible field that is not bound."""
    ring = Keyring([KEY, OTHER])
    loose = sealed(article("title: T\n")).replace(b"title: T\n", b"title: T\nx: 1\ny: 2\n")
    back = sealed(article("title: T\na: s\nb: t\n"), hide=["a", "b"])
    back = back.replace(b"title: T\n", b"title: T\na: s\nb: t\n")
    for data, note in (
        (loose, "visible field(s) not covered by the seal: x, y"),
        (back, "hidden field(s) visible again, not covered by the seal: a, b (run `securedoc seal` to bind them)"),
    ):
        out = rotate_document(parse(data), ring, OTHER, policy=Policy(unbound="ignore"))
        assert out.data is not None and out.report.notes == (note,)
        header = envelope.parse(seal_of(out.data)).header  # type: ignore[union-attr]
        assert fastpath.CLAIM not in header
        assert fastpath.verify_bytes(out.data, ring, settings=FAST_SETTINGS, limits=DEFAULT_LIMITS) is None
        assert verify_document(parse(out.data), ring).status is Status.MISMATCH
    clean = rotate_document(parse(sealed(article("title: T\n"))), ring, OTHER, policy=Policy(unbound="ignore"))
    assert clean.data is not None and clean.report.notes == ()
    assert fastpath.CLAIM in envelope.parse(seal_of(clean.data)).header  # type: ignore[union-attr]


def test_a_rotated_legacy_seal_notes_the_fields_it_does_not_bind() -> None:
    """A legacy seal over fields the configuration leaves out: rotate says so, and the new seal
    carries no fast-path claim (the next verify, under another binding, must take the full path)."""
    ring = Keyring([KEY, LEGACY])
    data = legacy_article(b'{"title": "T"}', "title: T\nx: 1\n")
    out = rotate_document(parse(data), ring, KEY, policy=Policy(binding=Binding(exclude=("x",))))
    assert out.data is not None and out.report.notes == ("visible field(s) not covered by the seal: x",)
    assert fastpath.CLAIM not in envelope.parse(seal_of(out.data)).header  # type: ignore[union-attr]
    assert fastpath.verify_bytes(out.data, ring, settings=FAST_SETTINGS, limits=DEFAULT_LIMITS) is None
    assert verify_document(parse(out.data), ring).status is Status.MISMATCH
    every = legacy_article(b'{"title": "T", "x": 1}', "title: T\nx: 1\n")
    out = rotate_document(parse(every), ring, KEY)
    assert out.data is not None and out.report.notes == ()
    assert fastpath.CLAIM in envelope.parse(seal_of(out.data)).header  # type: ignore[union-attr]


def seal_of(data: bytes) -> str:
    entry = parse(data).seal_entry
    assert entry is not None and isinstance(entry.value, str)
    return entry.value


def test_a_field_with_a_key_that_is_not_a_string_is_named_by_its_canonical_text() -> None:
    data = sealed(article("1: one\ntitle: T\n"))
    report = verify_document(parse(data.replace(b"1: one", b"1: two")), RING)
    assert report.status is Status.MISMATCH and report.message == "changed since sealing: 1"
    assert [(d.name, d.line, d.sealed, d.visible) for d in report.fields] == [("1", 2, "one", "two")]
    gone = verify_document(parse(data.replace(b"1: one\n", b"")), RING)
    assert [(d.name, d.change) for d in gone.fields] == [("1", "missing")]


# -- keys: retired, demo, legacy --------------------------------------------------------------------


def test_a_retired_key_warns_or_fails_in_exact_words() -> None:
    data = sealed(article("t: 1\n"))
    ring = Keyring([KEY, OTHER], primary="k2", retired=["k1"])
    report = verify_document(parse(data), ring)
    assert report.status is Status.OK and report.message == "seal matches"
    assert report.warnings == (RETIRED_WARNING,)
    report = verify_document(parse(data, path="a.md"), ring, retired="error")
    assert report.status is Status.ERROR and report.message == "sealed with the retired key 'k1'"
    assert report.path == "a.md" and report.warnings == (RETIRED_WARNING,)
    assert report.hint == "run `securedoc rotate` to re-seal with the primary key"
    assert (report.kid, report.form, report.line) == ("k1", "jwe", 3)
    # retired="error" only concerns retired keys; a mismatch stays a mismatch.
    assert verify_document(parse(data), Keyring([KEY]), retired="error").status is Status.OK
    tampered = verify_document(parse(data.replace(b"t: 1", b"t: 2")), ring, retired="error")
    assert tampered.status is Status.MISMATCH


def test_a_demo_key_warns_and_is_refused_when_asked() -> None:
    data = sealed(article("t: 1\n"), Keyring([DEMO]))
    ring = Keyring([DEMO])
    report = verify_document(parse(data), ring)
    assert report.status is Status.OK
    assert report.warnings == ("sealed with the public demo key 'demo-2026': anyone can make this seal",)
    refused = verify_document(parse(data.replace(b"t: 1", b"t: 2"), path="a.md"), ring, policy=Policy(demo="error"))
    assert refused.status is Status.ERROR
    assert (refused.path, refused.line, refused.kid, refused.form) == ("a.md", 3, "demo-2026", "jwe")
    assert refused.warnings == report.warnings
    assert refused.message == (
        "sealed with the public demo key 'demo-2026': anyone can make this seal, so in CI it proves nothing"
    )
    assert refused.hint == (
        "seal the article with your own key (`securedoc keys new KID`; in CI, give it through a secret in "
        "$SECUREDOC_KEY)"
    )
    assert [d.name for d in refused.fields] == ["t"]  # what changed is still told
    assert verify_document(parse(data), Keyring([KEY, DEMO]), policy=Policy(demo="error")).status is Status.ERROR


def test_the_legacy_form_is_warned_about_refused_or_accepted() -> None:
    ring = Keyring([KEY, LEGACY])
    data = legacy_article(b'{"title": "T"}', "title: T\n")
    warned = verify_document(parse(data), ring)
    assert warned.status is Status.OK and (warned.kid, warned.form, warned.line) == ("old-cbc", "legacy", 3)
    assert warned.warnings == (LEGACY_WARNING,)
    accepted = verify_document(parse(data), ring, policy=Policy(legacy="accept"))
    assert accepted.status is Status.OK and accepted.warnings == ()
    # Refused before anything is decrypted: the same answer with or without the legacy key.
    for keys in (ring, RING):
        refused = verify_document(parse(data, path="a.md"), keys, policy=Policy(legacy="refuse"))
        assert refused.status is Status.ERROR and refused.message == LEGACY_REFUSED
        assert (refused.path, refused.line, refused.form, refused.kid) == ("a.md", 3, "legacy", None)
        assert refused.hint == (
            "re-seal the article (`securedoc rotate --legacy warn`, or `securedoc seal`), or accept legacy "
            "seals on purpose with `--legacy warn` or `--legacy accept` on the command line"
        )
    current = verify_document(parse(sealed(article("title: T\n"))), RING, policy=Policy(legacy="refuse"))
    assert current.status is Status.OK


def test_a_legacy_seal_is_compared_field_by_field() -> None:
    ring = Keyring([LEGACY])
    fields = "title: U\nn: 2\nwhen: 2020-08-15\nextra: 1\n"
    data = legacy_article(b'{"title": "T", "gone": "x", "n": 2, "when": "2020-08-15"}', fields)
    # A legacy seal binds no more than its fields: whatever else is visible fails, whatever the policy.
    for unbound in ("error", "warn", "ignore"):
        report = verify_document(parse(data), ring, policy=Policy(unbound=unbound))  # type: ignore[arg-type]
        assert report.status is Status.MISMATCH
        assert [(d.name, d.line, d.sealed, d.visible, d.change) for d in report.fields] == [
            ("title", 2, "T", "U", "changed"),
            ("extra", 5, None, 1, "unbound"),
            ("gone", 6, "x", None, "missing"),
        ]
        assert report.message == "changed since sealing: title, gone; not bound by the seal: extra"
        assert report.notes == () and (report.kid, report.form) == ("old-cbc", "legacy")


def test_a_legacy_seal_that_cannot_be_checked_says_why_and_what_to_do() -> None:
    report = verify_document(parse(legacy_article(b"[1, 2]", "title: T\n"), path="a.md"), Keyring([LEGACY]))
    assert report.status is Status.ERROR and report.message == LEGACY_UNCHECKABLE
    assert report.hint == LEGACY_HINT and report.line == 3 and report.path == "a.md"


def test_a_legacy_seal_cannot_vouch_for_a_disputed_spelling() -> None:
    data = legacy_article(b'{"title": "T", "draft": true}', "title: T\ndraft: yes\n")
    report = verify_document(parse(data), Keyring([LEGACY]))
    assert report.status is Status.ERROR and report.line == 3
    assert report.message == (
        "field 'draft': 'yes' is a boolean for YAML 1.1 readers (Jekyll, PyYAML) and a string for Hugo "
        "(YAML 1.2); a legacy seal holds values, not spellings, so it cannot show that this spelling was sealed"
    )
    assert report.hint == SPELLING_HINT
    # The same value spelled the one way readers agree on verifies; a legacy seal binds no body.
    fine = legacy_article(b'{"title": "T", "draft": true}', "title: T\ndraft: true\n")
    assert verify_document(parse(fine.replace(b"Body text.", b"a\rb")), Keyring([LEGACY])).status is Status.OK


def test_a_disputed_spelling_is_found_after_a_missing_field() -> None:
    """The spelling check looks at every sealed field the article still has, not only up to the
    first one it lacks."""
    for data, ring, form in (
        (legacy_article(b'{"gone": 1, "draft": true}', "draft: yes\n"), Keyring([LEGACY]), "legacy"),
        (format_1_payload(b'{"v": 1, "fields": {"gone": 1, "draft": true}}', "draft: yes\n"), RING, "format-1"),
    ):
        report = verify_document(parse(data), ring)
        assert report.status is Status.ERROR and report.line == 2, report
        assert report.message.startswith("field 'draft': 'yes' is a boolean for YAML 1.1 readers")
        assert f"a {form} seal holds values, not spellings" in report.message


# -- format-1 seals: what they cannot show ----------------------------------------------------------


def test_a_format_1_seal_verifies_and_reports_a_changed_body() -> None:
    data = format_1("title: T\n", body="a\r\nb\n")
    report = verify_document(parse(data), RING)
    assert report.status is Status.OK and report.form == "jwe"
    changed = verify_document(parse(data.replace(b"a\r\nb", b"a\r\nc")), RING)
    assert changed.status is Status.MISMATCH and [(d.name, d.line) for d in changed.fields] == [("(body)", 5)]


def test_a_format_1_seal_cannot_vouch_for_a_lone_cr_in_the_body() -> None:
    data = format_1("title: T\n", body="a\nb\n\nc\rd\n")
    report = verify_document(parse(data, path="a.md"), RING)
    assert report.status is Status.ERROR and report.line == 8  # body from line 5: a, b, (empty), c\rd
    assert report.message == (
        "the body holds a carriage return (CR) without a line feed, where Jekyll breaks the line and Hugo "
        "does not; a format-1 seal read it as a line break, so it cannot show what was sealed"
    )
    assert report.hint == SPELLING_HINT
    blank_first = verify_document(parse(format_1("title: T\n", body="\nc\rd\n")), RING)
    assert blank_first.status is Status.ERROR and blank_first.line == 6  # the body from line 5: (empty), c\rd
    crlf = verify_document(parse(format_1("title: T\n", body="a\r\nb\r\n")), RING)
    assert crlf.status is Status.OK  # CRLF is one line break for every reader
    unbound_body = verify_document(parse(format_1("title: T\n", body="c\rd\n", bind_body=False)), RING)
    assert unbound_body.status is Status.OK


def test_a_format_1_seal_cannot_vouch_for_a_dotted_closing_line() -> None:
    report = verify_document(parse(format_1("title: T\nn: 1\n", closing="..."), path="a.md"), RING)
    assert report.status is Status.ERROR and report.line == 5
    assert report.message == (
        "the front matter closes with '...', where Hugo reads on to the next '---' line; a format-1 seal does "
        "not bind the closing line, so it cannot show that it was sealed"
    )
    assert report.hint == SPELLING_HINT
    no_body = verify_document(parse(format_1("title: T\n", closing="...", bind_body=False)), RING)
    assert no_body.status is Status.OK


def test_a_format_1_seal_cannot_vouch_for_a_disputed_spelling() -> None:
    data = format_1_payload(b'{"v": 1, "fields": {"title": "T", "draft": true}}', "title: T\ndraft: yes\n")
    report = verify_document(parse(data), RING)
    assert report.status is Status.ERROR and report.line == 3
    assert report.message == (
        "field 'draft': 'yes' is a boolean for YAML 1.1 readers (Jekyll, PyYAML) and a string for Hugo "
        "(YAML 1.2); a format-1 seal holds values, not spellings, so it cannot show that this spelling was sealed"
    )
    fine = format_1_payload(b'{"v": 1, "fields": {"title": "T", "draft": true}}', "title: T\ndraft: true\n")
    assert verify_document(parse(fine), RING).status is Status.OK


# -- conclude: the key rules on either path ----------------------------------------------------------


def test_conclude_orders_demo_refusal_then_mismatch_then_retired() -> None:
    ring = Keyring([KEY, DEMO, OTHER], primary="k2", retired=["k1", "demo-2026"])
    diff = FieldDiff("t", 2, 1, 2)
    demo = conclude("a.md", 3, DEMO, "jwe", ring, "error", [diff], policy=Policy(demo="error"))
    assert demo.status is Status.ERROR and "public demo key" in demo.message and demo.fields == (diff,)
    mismatch = conclude("a.md", 3, KEY, "jwe", ring, "error", [diff])
    assert mismatch.status is Status.MISMATCH and mismatch.message == "changed since sealing: t"
    assert mismatch.warnings == (
        "sealed with the retired key 'k1'; run `securedoc rotate` to re-seal with the primary key",
    )
    retired = conclude("a.md", 3, KEY, "jwe", ring, "error", [], ["a note"], warnings=["w"])
    assert retired.status is Status.ERROR and retired.notes == ("a note",)
    assert retired.warnings == (
        "sealed with the retired key 'k1'; run `securedoc rotate` to re-seal with the primary key",
        "w",
    )
    ok = conclude("a.md", 3, OTHER, "jws", ring, "error", None, None)
    assert ok.status is Status.OK and (ok.path, ok.line, ok.kid, ok.form) == ("a.md", 3, "k2", "jws")


# -- payload: building, canonical bytes, strict decoding -------------------------------------------


def _refusal(data: bytes) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        decode(data)
    return caught.value


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff{}", "the payload is not UTF-8 text"),
        (b'{"v":2,', "the payload is not JSON (Expecting property name enclosed in double quotes at character 7)"),
        (b'"text"', "the payload is not a JSON object"),
        (b'{"v":2,"fields":{},"v":2}', "the payload names 'v' twice"),
        (b'{"fields":{},"v":2,"v":2}', "the payload names 'v' twice"),
        (b'{"v":2,"fields":{"a":{"$":"nope","v":1}}}', "the payload holds a malformed tagged value"),
        (b"[" * 100000 + b"]" * 100000, "the payload nests too deeply"),
        (b'{"v":2.0,"fields":{}}', BARE_NUMBER),
        (b'{"v":2,"fields":{"a":Infinity}}', BARE_NUMBER),
        (b'{"v":0,"fields":{}}', "the payload has no valid format version"),
        (b'{"v":-3,"fields":{}}', "the payload has no valid format version"),
        (b'{"v":"2","fields":{}}', "the payload has no valid format version"),
        (b'{"v":false,"fields":{}}', "the payload has no valid format version"),
        (b'{"v":2,"fields":{},"zz":1,"aa":2}', "the payload has unknown members: aa, zz"),
        (b'{"v":2}', "the payload's fields are not a canonical mapping"),
        (b'{"v":2,"fields":{"$":"set","v":[]}}', "the payload's fields are not a canonical mapping"),
        (b'{"v":2,"fields":{"$":"map","v":[["a",1],["a",2]]}}', 'the payload binds the field "a" twice'),
        (b'{"v":2,"fields":{},"hidden":[]}', "the payload's hidden fields are not a mapping"),
        (b'{"v":2,"fields":{},"hidden":{"x":"y"}}', NOT_HIDDEN),
        (b'{"v":2,"fields":{},"hidden":{"x":{"yaml":"a"}}}', NOT_HIDDEN),
        (
            b'{"v":2,"fields":{},"hidden":{"x":{"yaml":"a","after":null,"more":1}}}',
            NOT_HIDDEN,
        ),
        (b'{"v":2,"fields":{},"hidden":{"x":{"yaml":1,"after":null}}}', NOT_HIDDEN),
        (b'{"v":2,"fields":{},"hidden":{"x":{"yaml":"a","after":1}}}', NOT_HIDDEN),
        (b'{"v":2,"fields":{},"body_sha256":1}', NOT_HEX),
        (b'{"v":2,"fields":{},"body_sha256":"' + b"A" * 64 + b'"}', NOT_HEX),
        (b'{"v":2,"fields":{},"body_sha256":"' + b"a" * 63 + b'"}', NOT_HEX),
        (b'{"v":2,"fields":{},"body_sha256":"' + b"a" * 65 + b'"}', NOT_HEX),
        (b'{"v":2,"fields":{},"syntax":"yaml"}', NOT_SYNTAX),
        (b'{"v":2,"fields":{},"syntax":"json"}', NOT_SYNTAX),
        (b'{"v":2,"fields":{},"syntax":null}', NOT_SYNTAX),
        (
            b'{"v":1,"fields":{"$":"map","v":[[{"$":"plain","v":"yes"},1]]}}',
            'the payload is format 1 but holds a format-2 value ("$": "plain")',
        ),
    ],
)
def test_every_payload_refusal_says_what_is_wrong(data: bytes, message: str) -> None:
    error = _refusal(data)
    assert error.message == message and error.hint is None


def test_a_newer_payload_format_asks_for_an_upgrade() -> None:
    error = _refusal(b'{"v":3,"fields":{}}')
    assert error.message == "the payload has format version 3; this securedoc reads version 2"
    assert error.hint == "upgrade securedoc"
    assert _refusal(b'{"v":true,"fields":{}}').hint is None  # `true` is no version, not a newer one


@pytest.mark.parametrize(
    "path",
    ["", "/content/a.md", "content//a.md", "content/a.md/", "./a.md", "content/../a.md", "a/.", "a\x00b", 1, None],
)
def test_a_bound_path_must_be_relative_with_named_parts(path: object) -> None:
    data = b'{"fields":{},"path":' + json.dumps(path).encode() + b',"v":2}'
    error = _refusal(data)
    assert error.message == "the payload's path is not a relative path with '/' (no '.', '..' or empty parts)"


@pytest.mark.parametrize("path", ["a.md", "content/posts/a.md", "..a/b..", ".hidden/a.md"])
def test_a_bound_path_round_trips(path: str) -> None:
    payload = Payload(fields={}, path=path)
    data = encode(payload)
    assert data == b'{"fields":{},"path":' + json.dumps(path).encode() + b',"v":2}'
    assert decode(data) == payload


def test_the_canonical_bytes_of_every_member() -> None:
    hidden = {"secret": Hidden("secret: s\n", "title"), "first": Hidden("first: 1\n", None)}
    payload = Payload(
        fields={"title": ("title", "T")}, hidden=hidden, body_sha256="ab" * 32, syntax="toml", path="c/a.md", version=2
    )
    data = encode(payload)
    assert data == (
        b'{"body_sha256":"' + b"ab" * 32 + b'","fields":{"title":"T"},"hidden":{"first":{"after":null,'
        b'"yaml":"first: 1\\n"},"secret":{"after":"title","yaml":"secret: s\\n"}},"path":"c/a.md",'
        b'"syntax":"toml","v":2}'
    )
    assert decode(data) == payload
    # A signed seal's hidden fields travel as a nested JWE string, which wins over the mapping.
    nested = dataclasses.replace(payload, sealed_hidden="eyJ.nested")
    again = decode(encode(nested))
    assert again.sealed_hidden == "eyJ.nested" and again.hidden == {}
    assert encode_hidden(hidden) == (
        b'{"first":{"after":null,"yaml":"first: 1\\n"},"secret":{"after":"title","yaml":"secret: s\\n"}}'
    )
    assert decode_hidden(encode_hidden(hidden)) == hidden
    # Nothing optional is written when absent: YAML, no hidden fields, no body, no path.
    assert encode(Payload(fields={})) == b'{"fields":{},"v":2}'


def test_a_lone_surrogate_in_a_field_is_refused_with_what_to_do() -> None:
    with pytest.raises(PayloadError) as caught:
        encode(Payload(fields={"t": ("t", "a\ud800b")}))
    assert caught.value.message == "a field holds text that is not valid Unicode (a lone surrogate from a \\u escape)"
    assert caught.value.hint == "fix the escape sequence in the front matter"


def test_a_field_named_like_the_tag_is_bound_in_a_tagged_map() -> None:
    doc = parse(b'---\n"$": map\nv: 1\n---\n')
    payload = build(doc, Binding(body=False))
    data = encode(payload)
    assert data == b'{"fields":{"$":"map","v":[["$","map"],["v",1]]},"v":2}'
    assert decode(data).fields == payload.fields
    # Verify tells a change to it like any other field's.
    sealed_doc = sealed(b'---\n"$": map\nv: 1\n---\nbody\n')
    report = verify_document(parse(sealed_doc.replace(b'"$": map', b'"$": set')), RING)
    assert report.status is Status.MISMATCH and [d.name for d in report.fields] == ["$"]


def test_bound_fields_leave_out_the_seal_and_hidden_fields() -> None:
    doc = parse(b"---\na: 1\nsecured: x\nb: 2\nc: 3\n---\nbody\n")
    assert build(doc, Binding(), {"b": Hidden("b: 2\n", "a")}).field_names() == ["a", "c"]
    assert build(doc, Binding(include=("a", "secured"))).field_names() == ["a"]
    assert build(doc, Binding(exclude=("a",))).field_names() == ["b", "c"]
    assert build(doc, Binding(include=("b", "c"), exclude=("c",))).field_names() == ["b"]
    assert build(doc, Binding(include=("a",), body=False)).body_sha256 is None
    assert build(parse(b"+++\na = 1\n+++\n"), Binding()).syntax == "toml"


def test_legacy_plaintexts() -> None:
    fields = decode_legacy(b'{"a": 1, "b": [true, null]}')
    assert fields.fields == {"a": 1, "b": [True, None]}
    assert fields.plaintext == b'{"a": 1, "b": [true, null]}'  # `open --format json` shows it
    for opaque in (b"[1, 2]", b'"text"', b"\xff", b"{", b"[" * 100000):
        legacy = decode_legacy(opaque)
        assert legacy.fields is None and legacy.plaintext == opaque
    assert decode_legacy(b"caf\xc3\xa9").text == "café"
    doc = parse(b"---\n1: one\ntitle: T\n---\n")
    assert legacy_plaintext(build(doc, Binding())) == b'{"1":"one","title":"T"}'
    assert build(doc, Binding()).field_names() == ["1", "title"]


# -- fastpath: the byte fast path vouches only for the bytes that were sealed -----------------------


def _fast(data: bytes, ring: Keyring = RING, **kwargs: object) -> Report | None:
    return fastpath.verify_bytes(data, ring, settings=FAST_SETTINGS, limits=DEFAULT_LIMITS, **kwargs)  # type: ignore[arg-type]


def _with_header(data: bytes, header: object) -> bytes:
    """The sealed article with its seal's protected header replaced (not authenticated any more)."""
    start, end = _span(data)
    dot = data.index(b".", start)
    segment = b64url.encode(json.dumps(header).encode())
    return data[:start] + segment.encode() + data[dot:]


def _span(data: bytes) -> tuple[int, int]:
    span = fastpath.locate(data)
    assert span is not None
    return span


def test_the_fast_path_answers_as_the_full_path_for_the_sealed_bytes() -> None:
    data = sealed(article("title: T\nn: 1\n"))
    direct = _fast(data)
    full = verify_document(parse(data), RING)
    assert direct is not None and direct == full  # path "-" when none is given, the seal's line, the key
    assert (direct.path, direct.line, direct.kid, direct.form) == ("-", 4, "k1", "jwe")
    assert _fast(data, path="posts/a.md") == verify_document(parse(data, path="posts/a.md"), RING)


def test_the_fast_path_is_taken_far_into_a_file() -> None:
    """A long front matter: the seal's header is found and read wherever the seal stands."""
    data = sealed(article("".join(f"field{i}: {'x' * 60}\n" for i in range(150))))
    start, _ = _span(data)
    assert start > 8192
    direct = _fast(data)
    assert direct is not None and direct.status is Status.OK and direct.line == 152


def test_a_claim_that_is_not_what_seal_writes_is_left_to_the_full_path() -> None:
    """The header is read before anything is authenticated: whatever it holds, the fast path says
    nothing (None) and never raises."""
    data = sealed(article("title: T\n"))
    start, end = _span(data)
    header = json.loads(b64url.decode(data[start : data.index(b".", start)].decode()))
    good = header[fastpath.CLAIM]
    assert fastpath.verify_bytes(data, RING, settings=FAST_SETTINGS, limits=DEFAULT_LIMITS) is not None
    for claim in (
        None,
        [good],
        "claim",
        1,
        {**good, "r": True},
        {**good, "r": str(good["r"])},
        {**good, "r": good["r"] + 1},
        {**good, "s": good["s"] + "x"},
        {**good, "h": good["h"][::-1]},
        {"h": good["h"], "s": good["s"]},
    ):
        assert _fast(_with_header(data, {**header, fastpath.CLAIM: claim})) is None, claim
    assert _fast(_with_header(data, [header])) is None
    assert _fast(_with_header(data, good)) is None


def test_the_first_seal_line_counts_and_a_seal_string_ends_at_its_quote() -> None:
    assert fastpath.locate(b'---\nsecured: "abc"\n---\n') == (14, 17)
    assert fastpath.locate(b'+++\nsecured = "abc"\n+++\n') == (15, 18)
    assert fastpath.locate(b'---\nsecured: "ab"\nsecured = "cd"\n') == (14, 16)
    assert fastpath.locate(b'+++\nsecured = "ab"\nsecured: "cd"\n') == (15, 17)
    assert fastpath.locate(b'---\nsecured: "abc\n---\n') is None
    assert fastpath.locate(b"---\nsecured: abc\n---\n") is None
    assert fastpath.locate(b'---\n secured: "abc"\n---\n') is None


def test_the_fast_path_applies_the_key_rules_and_policy_it_is_given() -> None:
    data = sealed(article("t: 1\n"), Keyring([DEMO]))
    ring = Keyring([DEMO])
    refused = _fast(data, ring, path="a.md", policy=Policy(demo="error"))
    assert refused is not None and refused.status is Status.ERROR
    assert refused == verify_document(parse(data, path="a.md"), ring, policy=Policy(demo="error"))
    warned = _fast(data, ring)
    assert warned is not None and warned.status is Status.OK and len(warned.warnings) == 1
    retired_ring = Keyring([KEY, OTHER], primary="k2", retired=["k1"])
    retired = _fast(sealed(article("t: 1\n")), retired_ring, retired="error")
    assert retired is not None and retired.status is Status.ERROR
    assert retired.message == "sealed with the retired key 'k1'"

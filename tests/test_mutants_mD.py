"""Mutation testing of securedoc.articles, second part: rotate_document, restore_document and the
helpers they and seal_document share (_earlier, _what_changed, _all_bound, _previous_*). Tests
that kill the survivors of `python tests/mutate.py articles 'rotate_document*' …` that change what
a user sees or relies on (docs/testing.md, "##### articles: rotate_document, …").

Through the public functions (seal_document, rotate_document, restore_document) and what their
reports tell the user: the status, the action, the words, the file, the line, the warnings.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from conftest import KEY_BYTES, LEGACY_BYTES, OTHER_BYTES, article

from securedoc.articles import restore_document, rotate_document, seal_document
from securedoc.document import Document, body_digest, parse
from securedoc.errors import UnknownKeyError
from securedoc.keys import Key, Keyring, generate_signing_key
from securedoc.models import Action, Status
from securedoc.payload import Binding, build, decode, encode
from securedoc.sealing import seal_payload
from securedoc.verify import Policy, verify_document

KEY = Key("k1", "A256GCM", KEY_BYTES)
OTHER = Key("k2", "A256GCM", OTHER_BYTES)
LEGACY = Key("old", "A128CBC", LEGACY_BYTES)
RING = Keyring([KEY])
BOTH = Keyring([KEY, OTHER])
WITH_LEGACY = Keyring([KEY, LEGACY])
PLAIN = article("title: Hi\nheat: 3\n")
LEGACY_WEAKER = "the legacy AES-CBC form is unauthenticated: this check is weaker than a current seal's"


def doc(data: bytes, path: str | None = "a.md") -> Document:
    return parse(data, path=path)


def sealed(data: bytes, ring: Keyring = RING, *args: Any, **kwargs: Any) -> bytes:
    out = seal_document(doc(data), ring, *args, **kwargs)
    assert out.data is not None, out.report
    return out.data


SEALED = sealed(PLAIN)  # the seal is on line 4
LEGACY_SEALED = sealed(PLAIN, WITH_LEGACY, legacy=True)


# -- rotate --------------------------------------------------------------------------------------


def test_rotate_of_an_article_without_a_path_reports_it_as_standard_input() -> None:
    """An article read from standard input (no path) is reported as `-`, as seal and verify do."""
    outcome = rotate_document(doc(SEALED, path=None), BOTH, OTHER)
    assert outcome.data is not None
    assert outcome.report.path == "-"
    refused = rotate_document(doc(SEALED.replace(b"heat: 3", b"heat: 4"), path=None), BOTH, OTHER)
    assert (refused.report.path, refused.report.action) == ("-", Action.REFUSED)
    assert seal_document(doc(PLAIN, path=None), RING).report.path == "-"


def test_rotate_with_bind_path_carries_a_seal_that_names_the_article_s_place() -> None:
    """bind_path on: a seal that names the place the article is at rotates; one that names another
    place is refused as moved, and the difference points at the seal's line."""
    bound = sealed(PLAIN, place="posts/a.md")
    outcome = rotate_document(doc(bound), BOTH, OTHER, place="posts/a.md")
    assert (outcome.report.status, outcome.report.action) == (Status.OK, Action.ROTATED)
    assert outcome.data is not None
    assert verify_document(parse(outcome.data, path="a.md"), BOTH, place="posts/a.md").status is Status.OK

    moved = rotate_document(doc(bound), BOTH, OTHER, place="drafts/a.md")
    assert outcome.data is not None and moved.data is None
    assert (moved.report.status, moved.report.action) == (Status.MISMATCH, Action.REFUSED)
    assert moved.report.message == (
        "does not verify (sealed as posts/a.md, found at drafts/a.md: moved or copied; if it belongs at "
        "drafts/a.md, seal it again there (`securedoc seal`), else move it back); not rotated"
    )
    assert [(d.name, d.line, d.sealed, d.visible, d.change) for d in moved.report.fields] == [
        ("(path)", 4, "posts/a.md", "drafts/a.md", "path")
    ]


def test_a_rotate_refused_under_legacy_accept_does_not_warn_about_the_legacy_form() -> None:
    """`--legacy accept` means the user accepts legacy seals without a warning: a refusal of such a
    seal (a field changed) names the change, and warns about the legacy form only under `warn`."""
    changed = doc(LEGACY_SEALED.replace(b"heat: 3", b"heat: 4"))
    accepted = rotate_document(changed, WITH_LEGACY, KEY, policy=Policy(legacy="accept"))
    assert (accepted.report.status, accepted.report.action) == (Status.MISMATCH, Action.REFUSED)
    assert accepted.report.message == "does not verify (changed since sealing: heat); not rotated"
    assert accepted.report.warnings == ()
    warned = rotate_document(changed, WITH_LEGACY, KEY, policy=Policy(legacy="warn"))
    assert warned.report.warnings == (LEGACY_WEAKER,)


def test_rotate_expects_bound_only_the_fields_the_binding_expects() -> None:
    """A field the configured binding leaves out (exclude) is not "not bound by the seal": the
    article verifies under that binding, so rotate re-seals it; under the default binding it is
    refused, as verify would fail it."""
    binding = Binding(exclude=("draft",))
    data = sealed(article("title: Hi\nheat: 3\ndraft: true\n"), RING, binding)
    policy = Policy(binding=binding)
    assert verify_document(doc(data), BOTH, policy=policy).status is Status.OK
    outcome = rotate_document(doc(data), BOTH, OTHER, policy=policy)
    assert (outcome.report.status, outcome.report.action) == (Status.OK, Action.ROTATED)
    assert outcome.data is not None
    assert verify_document(doc(outcome.data), BOTH, policy=policy).status is Status.OK
    refused = rotate_document(doc(data), BOTH, OTHER)
    assert (refused.report.action, refused.report.message) == (
        Action.REFUSED,
        "does not verify (not bound by the seal: draft); not rotated",
    )


def test_rotate_to_a_signing_key_encrypts_the_hidden_fields_with_the_key_named() -> None:
    """Rotating an encrypted seal with hidden fields to a signing key moves them into a nested JWE
    under `--encrypt-key`: with two A256GCM keys the keyring cannot choose, the user names one,
    and only that key then reads (restores) the hidden fields."""
    signer = generate_signing_key("sg")
    data = sealed(PLAIN, RING, hide=["heat"])
    ring = Keyring([KEY, OTHER, signer])
    outcome = rotate_document(doc(data), ring, signer, encrypt_key="k2")
    assert (outcome.report.status, outcome.report.action, outcome.report.form) == (Status.OK, Action.ROTATED, "jws")
    assert outcome.data is not None
    restored = restore_document(doc(outcome.data), Keyring([OTHER, signer]))
    assert restored.report.message == "restored: heat"
    with pytest.raises(UnknownKeyError) as caught:
        restore_document(doc(outcome.data), Keyring([KEY, signer]))
    assert caught.value.message == (
        "the seal's hidden fields are encrypted with the key 'k2', which is not in the keyring"
    )


def test_rotate_of_a_legacy_seal_on_a_toml_article_writes_a_toml_seal() -> None:
    """`seal --legacy` refuses TOML, but a legacy seal on a TOML article (the same fields) verifies,
    so rotate carries it over: the new payload is bound to the TOML front matter, and verifies."""
    value = parse(LEGACY_SEALED).seal_entry.value  # type: ignore[union-attr]
    toml = f'+++\ntitle = "Hi"\nheat = 3\nsecured = "{value}"\n+++\nBody text.\n'.encode()
    assert verify_document(doc(toml), WITH_LEGACY).status is Status.OK
    outcome = rotate_document(doc(toml), WITH_LEGACY, KEY)
    assert (outcome.report.status, outcome.report.action, outcome.report.message) == (
        Status.OK,
        Action.ROTATED,
        "re-sealed with 'k1' (was legacy old)",
    )
    assert outcome.data is not None
    assert verify_document(doc(outcome.data), WITH_LEGACY).status is Status.OK


# -- restore -------------------------------------------------------------------------------------


def test_restore_of_a_legacy_seal_says_it_has_nothing_to_restore() -> None:
    """A legacy seal never holds hidden fields: `open --restore` says so, it does not fail."""
    outcome = restore_document(doc(LEGACY_SEALED), WITH_LEGACY)
    assert outcome.data is None
    assert (outcome.report.status, outcome.report.action, outcome.report.message) == (
        Status.OK,
        Action.UNCHANGED,
        "no hidden fields to restore",
    )
    assert (outcome.report.path, outcome.report.kid, outcome.report.form) == ("a.md", "old", "legacy")


def test_restore_of_an_article_without_a_path_reports_it_as_standard_input() -> None:
    hidden = sealed(PLAIN, RING, hide=["heat"])
    outcome = restore_document(doc(hidden, path=None), RING)
    assert (outcome.report.path, outcome.report.message) == ("-", "restored: heat")
    assert restore_document(doc(SEALED, path=None), RING).report.path == "-"


def test_restore_when_the_seal_comes_from_a_merge_key() -> None:
    """`seal` never writes a seal that comes from a `<<` merge, but such an article (the seal moved
    under an anchor by hand) still opens: restore puts the hidden fields back, after the field
    they followed or, when that field is gone, at the end of the front matter (the seal line has no
    place of its own to go before)."""
    value = parse(sealed(article("title: Hi\nheat: 3\nz: 9\n"), RING, hide=["heat"])).seal_entry.value  # type: ignore[union-attr]
    merged = f'base: &b\n  secured: "{value}"\n<<: *b\n'
    outcome = restore_document(doc(article("title: Hi\nz: 9\n" + merged)), RING)
    assert (outcome.report.status, outcome.report.message) == (Status.OK, "restored: heat")
    assert outcome.data == article("title: Hi\nheat: 3\nz: 9\n" + merged)
    gone = restore_document(doc(article("z: 9\n" + merged)), RING)
    assert gone.data == article("z: 9\n" + merged + "heat: 3\n")


# -- seal over an earlier seal: what it says it replaced (_earlier, _what_changed) -----------------


def format_1(fields: str) -> bytes:
    """An article sealed as older securedoc sealed it: payload format 1 (values; the body bound)."""
    unsealed = parse(article(fields))
    payload = dataclasses.replace(build(unsealed, Binding()), version=1, body_sha256=body_digest(unsealed.body))
    return article(fields + f'secured: "{seal_payload(encode(payload), KEY)}"\n')


def test_a_seal_over_an_older_seal_that_cannot_vouch_for_a_spelling_replaces_it() -> None:
    """A format-1 seal over `draft: yes` (a boolean or a string, depending on the reader) opens but
    cannot show what was sealed: verify says so, and seal replaces it without --force (it opened,
    so nothing it held is lost), saying it did not verify and why."""
    payload = decode(b'{"v": 1, "fields": {"title": "Hi", "draft": true}}')
    data = article(f'title: Hi\ndraft: yes\nsecured: "{seal_payload(encode(payload), KEY)}"\n')
    assert verify_document(doc(data), RING).status is Status.ERROR
    outcome = seal_document(doc(data), RING)
    assert (outcome.report.status, outcome.report.action, outcome.report.line) == (Status.MISMATCH, Action.SEALED, 4)
    assert outcome.report.message == (
        "replaced a seal that did not verify ('yes' is a boolean for YAML 1.1 readers (Jekyll, PyYAML) and a "
        "string for Hugo (YAML 1.2); a format-1 seal holds values, not spellings, so it cannot show that this "
        "spelling was sealed)"
    )
    assert outcome.data is not None
    assert verify_document(doc(outcome.data), RING).status is Status.OK


def test_a_seal_over_a_legacy_seal_that_left_a_field_unbound_says_it_did_not_verify() -> None:
    """A legacy seal must bind every visible field (verify fails it otherwise): sealing over one
    that does not is a replaced seal that did not verify, not a mere change of key."""
    outcome = seal_document(doc(LEGACY_SEALED.replace(b"heat: 3\n", b"heat: 3\nx: 1\n")), WITH_LEGACY)
    assert (outcome.report.status, outcome.report.action, outcome.report.message) == (
        Status.MISMATCH,
        Action.SEALED,
        "replaced a seal that did not verify (changed since sealing: x)",
    )
    plain = seal_document(doc(LEGACY_SEALED), WITH_LEGACY)
    assert (plain.report.status, plain.report.message) == (Status.OK, "now with key 'k1' (was 'old')")


def test_a_seal_over_a_seal_two_fields_changed_since_names_both() -> None:
    changed = SEALED.replace(b"title: Hi", b"title: Ho").replace(b"heat: 3", b"heat: 4")
    outcome = seal_document(doc(changed), RING)
    assert (outcome.report.status, outcome.report.message) == (
        Status.MISMATCH,
        "replaced a seal that did not verify (changed since sealing: title, heat)",
    )


def test_a_seal_over_an_older_format_says_the_payload_changed() -> None:
    """Re-sealing a format-1 seal that verifies binds the same fields and the body in format 2: no
    field was added or dropped, so the report says only that the payload changed."""
    data = format_1("title: Hi\nheat: 3\n")
    assert verify_document(doc(data), RING).status is Status.OK
    outcome = seal_document(doc(data), RING)
    assert (outcome.report.status, outcome.report.action, outcome.report.message) == (
        Status.OK,
        Action.SEALED,
        "the payload changed",
    )


def test_a_seal_that_changes_two_things_names_both() -> None:
    """Bound to its path now (bind_path on), and a new field bound: both said, in that order."""
    outcome = seal_document(doc(SEALED.replace(b"heat: 3\n", b"heat: 3\ny: 2\n")), RING, place="a.md")
    assert (outcome.report.status, outcome.report.message) == (
        Status.OK,
        "now bound to its path a.md; now also binds y",
    )

"""Mutation testing of securedoc.articles, second part: rotate_document, restore_document and the
helpers they and seal_document share (_earlier, _what_changed, _all_bound, _previous_*). Tests
that kill the survivors of `python tests/mutate.py articles 'rotate_document*' …` that change what
a user sees or relies on (docs/testing.md, "##### articles: rotate_document, …").

Through the public functions (seal_document, rotate_document, restore_document) and what their
reports tell the user: the status, the action, the words, the file, the line, the warnings.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import KEY_BYTES, LEGACY_BYTES, OTHER_BYTES, article

from securedoc.articles import restore_document, rotate_document, seal_document
from securedoc.document import Document, parse
from securedoc.errors import UnknownKeyError
from securedoc.keys import Key, Keyring, generate_signing_key
from securedoc.models import Action, Status
from securedoc.payload import Binding
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

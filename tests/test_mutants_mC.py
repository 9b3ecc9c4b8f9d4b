"""Mutation testing of securedoc.articles (the seal module): tests that kill the survivors of
`python tests/mutate.py articles` that change what a user sees or relies on (docs/testing.md,
"#### articles"). Through the public functions: seal_document, rotate_document, restore_document.

What a seal, rotate or restore says is what a user reads (text, JSON, JUnit, GitHub annotations):
the status, the action, the words, the line, the key, the form, warnings, notes and the hint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import KEY_BYTES, LEGACY_BYTES, OTHER_BYTES, article

from securedoc import articles
from securedoc.articles import Outcome, restore_document, rotate_document, seal_document
from securedoc.document import Document, Limits, parse
from securedoc.errors import KeyringError, SecuredocError, UsageError
from securedoc.keys import Key, Keyring, generate_signing_key, public_key
from securedoc.models import Action, Status
from securedoc.payload import Binding
from securedoc.verify import Policy, verify_document

KEY = Key("k1", "A256GCM", KEY_BYTES)
OTHER = Key("k2", "A256GCM", OTHER_BYTES)
LEGACY = Key("old", "A128CBC", LEGACY_BYTES)
SIGNER = generate_signing_key("sg")
RING = Keyring([KEY])
BOTH = Keyring([KEY, OTHER])
WITH_LEGACY = Keyring([KEY, LEGACY])
PLAIN = article("title: Hi\nheat: 3\n")
THREE = article("title: Hi\nheat: 3\nz: 9\n")
NONCE = bytes(12)


def doc(data: bytes) -> Document:
    return parse(data, path="a.md")


def sealed(data: bytes, ring: Keyring = RING, **kwargs: Any) -> bytes:
    out = seal_document(doc(data), ring, **kwargs)
    assert out.data is not None, out.report
    return out.data


def said(outcome: Outcome) -> tuple[object, ...]:
    """Everything a report tells the user, and whether the file is written."""
    r = outcome.report
    return (
        outcome.data is not None,
        r.path,
        r.status,
        r.action,
        r.message,
        r.line,
        r.kid,
        r.form,
        r.warnings,
        r.notes,
        r.hint,
    )


SEALED = sealed(PLAIN)  # the seal is on line 4
LEGACY_SEALED = sealed(PLAIN, WITH_LEGACY, legacy=True)
UNOPENABLE = sealed(PLAIN, Keyring([OTHER]))
UNOPENABLE_HINT = (
    "the seal cannot be opened, so it is not replaced: it may hold hidden fields that would be lost. "
    "Seal with the key that made it (--key/--keys/$SECUREDOC_KEY), or pass --force to replace it anyway "
    "(whatever it holds is lost)"
)
LEGACY_WARNING = (
    "wrote a legacy AES-CBC seal: it is unauthenticated, so it cannot prove the article was not changed; "
    "use it only for readers that need it"
)
MALFORMED = (
    "the seal is in no known form: expected 'ciphertext;iv' (legacy), a JWE compact serialization "
    "(five parts separated by '.') or a JWS (three parts separated by '.')"
)

# name -> (how to seal, (written?, path, status, action, message, line, kid, form, warnings, notes, hint))
# fmt: off
LEGACY_WEAKER = "the legacy AES-CBC form is unauthenticated: this check is weaker than a current seal's"
DEMO = Key("demo", "A256GCM", bytes(32), demo=True)
NOT_JSON = article(f'title: Hi\nheat: 3\nsecured: "{articles.encrypt(b"not json", KEY)}"\n')

SEAL_CASES: dict[str, tuple[Callable[[], Outcome], tuple[object, ...]]] = {
    "new": (
        lambda: seal_document(doc(PLAIN), RING),
        (True, "a.md", Status.UNSEALED, Action.SEALED, "new seal", None, "k1", "jwe", (), (), None),
    ),
    "already sealed": (
        lambda: seal_document(doc(SEALED), RING),
        (False, "a.md", Status.OK, Action.UNCHANGED, "already sealed", 4, "k1", "jwe", (), (), None),
    ),
    "forced": (
        lambda: seal_document(doc(SEALED), RING, force=True),
        (
            True, "a.md", Status.OK, Action.SEALED, "forced: the earlier seal was already current", 4, "k1",
            "jwe", (), (), None,
        ),
    ),
    "another key": (
        lambda: seal_document(doc(SEALED), Keyring([KEY, OTHER], primary="k2")),
        (True, "a.md", Status.OK, Action.SEALED, "now with key 'k2' (was 'k1')", 4, "k2", "jwe", (), (), None),
    ),
    "from legacy": (
        lambda: seal_document(doc(LEGACY_SEALED), WITH_LEGACY),
        (True, "a.md", Status.OK, Action.SEALED, "now with key 'k1' (was 'old')", 4, "k1", "jwe", (), (), None),
    ),
    "changed field": (
        lambda: seal_document(doc(SEALED.replace(b"heat: 3", b"heat: 4")), RING),
        (
            True, "a.md", Status.MISMATCH, Action.SEALED,
            "replaced a seal that did not verify (changed since sealing: heat)", 4, "k1", "jwe", (), (), None,
        ),
    ),
    "new field": (
        lambda: seal_document(doc(SEALED.replace(b"heat: 3\n", b"heat: 3\nx: 1\ny: 2\n")), RING),
        (True, "a.md", Status.OK, Action.SEALED, "now also binds x, y", 6, "k1", "jwe", (), (), None),
    ),
    "field no longer bound": (
        lambda: seal_document(doc(SEALED), RING, Binding(exclude=("heat", "title"))),
        (True, "a.md", Status.OK, Action.SEALED, "no longer binds heat, title", 4, "k1", "jwe", (), (), None),
    ),
    "body no longer bound": (
        lambda: seal_document(doc(SEALED), RING, Binding(body=False)),
        (True, "a.md", Status.OK, Action.SEALED, "body binding changed", 4, "k1", "jwe", (), (), None),
    ),
    "hide": (
        lambda: seal_document(doc(SEALED), RING, hide=["heat", "title"]),
        (True, "a.md", Status.OK, Action.SEALED, "hid title, heat", 4, "k1", "jwe", (), ("hidden: title, heat",), None),
    ),
    "hide again": (
        lambda: seal_document(doc(sealed(PLAIN, hide=["heat"])), RING, hide=["heat"]),
        (False, "a.md", Status.OK, Action.UNCHANGED, "already sealed", 3, "k1", "jwe", (), (), None),
    ),
    "hide, named twice, with one hidden before": (
        lambda: seal_document(doc(sealed(THREE, hide=["z"])), RING, hide=["z", "heat", "heat"]),
        (True, "a.md", Status.OK, Action.SEALED, "hid heat", 4, "k1", "jwe", (), ("hidden: heat",), None),
    ),
    "path bound": (
        lambda: seal_document(doc(SEALED), RING, place="p/a.md"),
        (True, "a.md", Status.OK, Action.SEALED, "now bound to its path p/a.md", 4, "k1", "jwe", (), (), None),
    ),
    "path moved": (
        lambda: seal_document(doc(sealed(PLAIN, place="p/a.md")), RING, place="q/a.md"),
        (
            True, "a.md", Status.OK, Action.SEALED, "moved: was sealed as p/a.md, now bound to q/a.md", 4, "k1",
            "jwe", (), (), None,
        ),
    ),
    "path dropped": (
        lambda: seal_document(doc(sealed(PLAIN, place="p/a.md")), RING),
        (True, "a.md", Status.OK, Action.SEALED, "no longer bound to the path p/a.md", 4, "k1", "jwe", (), (), None),
    ),
    "malformed seal": (
        lambda: seal_document(doc(article('title: Hi\nsecured: "nope"\n')), RING),
        (
            True, "a.md", Status.ERROR, Action.SEALED, f"replaced a malformed seal ({MALFORMED})", 3, "k1", "jwe",
            (), (), None,
        ),
    ),
    "unopenable": (
        lambda: seal_document(doc(UNOPENABLE), RING),
        (
            False, "a.md", Status.ERROR, Action.REFUSED, "the seal was made with key 'k2', which is not in the keyring",
            4, None, None, (), (), UNOPENABLE_HINT,
        ),
    ),
    "a payload that is not JSON": (
        lambda: seal_document(doc(NOT_JSON), RING),
        (
            False, "a.md", Status.ERROR, Action.REFUSED, "the payload is not JSON (Expecting value at character 0)",
            4, None, None, (), (), UNOPENABLE_HINT,
        ),
    ),
    "unopenable, forced": (
        lambda: seal_document(doc(UNOPENABLE), RING, force=True),
        (
            True, "a.md", Status.ERROR, Action.SEALED,
            "replaced a seal that could not be opened (the seal was made with key 'k2', which is not in the keyring)",
            4, "k1", "jwe", ("hidden fields the old seal may have held could not be carried over",), (), None,
        ),
    ),
    "legacy": (
        lambda: seal_document(doc(PLAIN), WITH_LEGACY, legacy=True),
        (True, "a.md", Status.UNSEALED, Action.SEALED, "new seal", None, "old", "legacy", (LEGACY_WARNING,), (), None),
    ),
    "legacy again": (
        lambda: seal_document(doc(LEGACY_SEALED), WITH_LEGACY, legacy=True),
        (False, "a.md", Status.OK, Action.UNCHANGED, "already sealed", 4, "old", "legacy", (), (), None),
    ),
    "legacy, binding other fields": (
        lambda: seal_document(doc(LEGACY_SEALED), WITH_LEGACY, Binding(exclude=("heat",)), legacy=True),
        (
            True, "a.md", Status.OK, Action.SEALED, "the payload changed", 4, "old", "legacy", (LEGACY_WARNING,),
            (), None,
        ),
    ),
    "signed": (
        lambda: seal_document(doc(PLAIN), Keyring([KEY, SIGNER]), key=SIGNER),
        (True, "a.md", Status.UNSEALED, Action.SEALED, "new seal", None, "sg", "jws", (), (), None),
    ),
}
# fmt: on


@pytest.mark.parametrize("case", list(SEAL_CASES))
def test_seal_says_what_it_did(case: str) -> None:
    run, expected = SEAL_CASES[case]
    outcome = run()
    assert said(outcome) == expected
    if outcome.data is not None and case != "legacy, binding other fields":  # a legacy seal binds all
        ring = Keyring([KEY, OTHER, LEGACY, SIGNER])
        policy = Policy(legacy="accept", unbound="warn")
        assert verify_document(parse(outcome.data), ring, policy=policy).status is Status.OK


def test_a_seal_is_refused_when_its_hidden_fields_would_be_lost() -> None:
    """A signed seal whose hidden fields are encrypted with a key this keyring lacks: sealing
    again would drop them, so only --force does, and says so."""
    both = Keyring([KEY, SIGNER])
    data = seal_document(doc(PLAIN), both, key=SIGNER, hide=["heat"]).data
    assert data is not None
    signer_only = Keyring([SIGNER])
    refused = seal_document(doc(data), signer_only, key=SIGNER)
    # fmt: off
    assert said(refused) == (
        False, "a.md", Status.ERROR, Action.REFUSED,
        "the seal's hidden fields are encrypted with the key 'k1', which is not in the keyring; not replaced, "
        "because sealing again would lose them",
        3, None, None, (), (),
        "give securedoc the A256GCM key 'k1' to carry them over, or pass --force to drop them",
    )
    # fmt: on
    forced = seal_document(doc(data), signer_only, key=SIGNER, force=True)
    assert forced.data is not None
    assert forced.report.action is Action.SEALED and forced.report.kid == "sg"
    assert forced.report.warnings == (
        "the earlier seal's hidden fields (encrypted with 'k1', not in the keyring) were dropped (--force)",
    )
    # Not carrying hidden fields (what `edit` does after showing them) is no reason to refuse.
    assert seal_document(doc(data), signer_only, key=SIGNER, carry_hidden=False).data is not None
    # With the encryption key the hidden field is carried over, nothing is refused.
    carried = seal_document(doc(data), both, key=SIGNER, force=True)
    assert carried.data is not None and carried.report.warnings == ()
    assert restore_document(parse(carried.data), both).report.message == "restored: heat"


# name -> (how to seal, the error: type, message, path, line, hint)
# fmt: off
REFUSALS: dict[str, tuple[Callable[[], object], tuple[object, ...]]] = {
    "public key": (
        lambda: seal_document(doc(PLAIN), Keyring([public_key(SIGNER)]), key=public_key(SIGNER)),
        (
            KeyringError, "the key 'sg' is a public key: it verifies seals but cannot make them", None, None,
            "sealing needs the private key 'sg' (the JWK with \"d\")",
        ),
    ),
    "legacy key without --legacy": (
        lambda: seal_document(doc(PLAIN), WITH_LEGACY, key=LEGACY),
        (
            UsageError, "the key 'old' is a legacy AES-CBC key; pass --legacy to write a legacy seal with it",
            None, None, None,
        ),
    ),
    "--legacy with a current key": (
        lambda: seal_document(doc(PLAIN), WITH_LEGACY, key=KEY, legacy=True),
        (UsageError, "the key 'k1' is an A256GCM key; --legacy needs a legacy key", None, None, None),
    ),
    "flow mapping": (
        lambda: seal_document(doc(b"---\n{a: 1}\n---\nb\n"), RING),
        (
            SecuredocError, "the front matter is one flow mapping ({...}); securedoc only edits block mappings",
            "a.md", 2, "write the front matter as one 'name: value' field per line",
        ),
    ),
    "complex key": (
        lambda: seal_document(doc(b"---\n? a\n: 1\n---\nb\n"), RING),
        (
            SecuredocError,
            "a top-level key is written with '?' or not at the start of its line; securedoc only edits front "
            "matter whose fields each start a line",
            "a.md", 2, "write the front matter as one 'name: value' field per line",
        ),
    ),
    "Hugo folds the key": (
        lambda: seal_document(doc(article("title: x\nSecured: x\n")), RING),
        (
            SecuredocError,
            "the field 'Secured' is one key with 'secured' for Hugo, which lower-cases keys: a seal next to it "
            "would make the article ambiguous",
            "a.md", 3, "rename the field 'Secured' (or write it 'secured' if it is an old seal)",
        ),
    ),
    "seal from a merge": (
        lambda: seal_document(doc(article("base: &b\n  secured: x\n<<: *b\n")), RING),
        (SecuredocError, "the 'secured' field comes from a << merge; securedoc cannot replace it", "a.md", 4, None),
    ),
    "seal with an anchor": (
        lambda: seal_document(doc(article("secured: &a [x]\nb: *a\n")), RING),
        (
            SecuredocError,
            "the 'secured' field holds YAML that may define an anchor (&) other fields use; securedoc will not "
            "replace it",
            "a.md", 2, 'replace the value by hand (e.g. secured: "") and seal again',
        ),
    ),
    "legacy with bind_path": (
        lambda: seal_document(doc(PLAIN), WITH_LEGACY, legacy=True, place="a.md"),
        (
            UsageError, "the legacy form cannot name the article's path (bind_path is on)", "a.md", None,
            "seal it without --legacy, or turn bind_path off for this run (--no-bind-path)",
        ),
    ),
    "legacy TOML": (
        lambda: seal_document(doc(b"+++\ntitle = 'a'\n+++\nb\n"), WITH_LEGACY, legacy=True),
        (
            UsageError, "the legacy form is for YAML front matter; this article's front matter is TOML", "a.md",
            None, "seal it without --legacy",
        ),
    ),
    "hide the seal": (
        lambda: seal_document(doc(PLAIN), RING, hide=["secured"]),
        (UsageError, "the 'secured' field holds the seal; it cannot be hidden", None, None, None),
    ),
    "hide what is not there": (
        lambda: seal_document(doc(PLAIN), RING, hide=["title", "nope"]),
        (
            UsageError, "there is no field 'nope' to hide", "a.md", None,
            "hide takes the name of a top-level front matter field",
        ),
    ),
    "hide a merged field": (
        lambda: seal_document(doc(article("base: &b\n  x: 1\n<<: *b\n")), RING, hide=["x"]),
        (UsageError, "'x' comes from a << merge; it has no text of its own to hide", "a.md", 4, None),
    ),
    "hide a field right after a merge": (
        lambda: seal_document(doc(article("base: &b\n  x: 1\n<<: *b\nc: 2\nd: 3\n")), RING, hide=["d", "c"]),
        (
            UsageError,
            "'c' comes right after a << merge key, which securedoc cannot move: it cannot be hidden",
            "a.md",
            5,
            "move 'c' above the << line, then hide it",
        ),
    ),
    "hide with legacy": (
        lambda: seal_document(doc(PLAIN), WITH_LEGACY, legacy=True, hide=["heat"]),
        (
            UsageError, "hidden fields need the current (authenticated) form; the legacy form cannot carry them",
            "a.md", None, None,
        ),
    ),
    "hide an alias": (
        lambda: seal_document(doc(article("a: &x 1\nb: *x\n")), RING, hide=["b"]),
        (
            UsageError,
            "'b' cannot be hidden: its YAML does not stand on its own (it uses an alias or shares a line)",
            "a.md", 3, "write the value out in full (no *alias) and hide it again",
        ),
    ),
    "rotate to a legacy key": (
        lambda: rotate_document(doc(SEALED), WITH_LEGACY, LEGACY),
        (
            UsageError, "rotate re-seals with an A256GCM or Ed25519 signing key; 'old' is a legacy key", None,
            None, None,
        ),
    ),
    "rotate to a public key": (
        lambda: rotate_document(doc(SEALED), Keyring([KEY, public_key(SIGNER)]), public_key(SIGNER)),
        (
            KeyringError,
            "the key 'sg' is a public key: it verifies seals but cannot make them, so it cannot be a rotation target",
            None, None, "rotating to 'sg' needs its private key (the JWK with \"d\")",
        ),
    ),
    "rotate to a retired key": (
        lambda: rotate_document(doc(SEALED), Keyring([KEY, OTHER], retired=["k2"]), OTHER),
        (UsageError, "'k2' is retired; rotate to a key that is not", None, None, None),
    ),
    "restore what is not sealed": (
        lambda: restore_document(doc(PLAIN), RING),
        (
            SecuredocError, "the article is not sealed (no 'secured' field)", "a.md", None,
            "run `securedoc seal` on it first",
        ),
    ),
}
# fmt: on


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusals_say_what_where_and_what_to_do(case: str) -> None:
    run, (kind, message, path, line, hint) = REFUSALS[case]
    with pytest.raises(SecuredocError) as caught:
        run()
    error = caught.value
    assert isinstance(error, kind)  # type: ignore[arg-type]
    assert (error.message, error.path, error.line, error.hint) == (message, path, line, hint)


SIGNED_HIDDEN = sealed(PLAIN, Keyring([KEY, SIGNER]), key=SIGNER, hide=["heat"])

# name -> (how to rotate, what the report says)
# fmt: off
ROTATE_CASES: dict[str, tuple[Callable[[], Outcome], tuple[object, ...]]] = {
    "rotated": (
        lambda: rotate_document(doc(SEALED), BOTH, OTHER),
        (True, "a.md", Status.OK, Action.ROTATED, "re-sealed with 'k2' (was k1)", 4, "k2", "jwe", (), (), None),
    ),
    "already current": (
        lambda: rotate_document(doc(SEALED), BOTH, KEY),
        (False, "a.md", Status.OK, Action.CURRENT, "already sealed with 'k1'", 4, "k1", "jwe", (), (), None),
    ),
    "not sealed": (
        lambda: rotate_document(doc(PLAIN), BOTH, OTHER),
        (
            False, "a.md", Status.UNSEALED, Action.REFUSED, "not sealed: nothing to rotate", None, None, None, (), (),
            "run `securedoc seal` on it",
        ),
    ),
    "changed": (
        lambda: rotate_document(doc(SEALED.replace(b"heat: 3", b"heat: 4")), BOTH, OTHER),
        (
            False, "a.md", Status.MISMATCH, Action.REFUSED,
            "does not verify (changed since sealing: heat); not rotated", 4, "k1", "jwe", (), (),
            "check the change; if it is intended, `securedoc seal` it, then rotate",
        ),
    ),
    "changed and unbound": (
        lambda: rotate_document(doc(SEALED.replace(b"heat: 3\n", b"heat: 4\nx: 1\n")), BOTH, OTHER),
        (
            False, "a.md", Status.MISMATCH, Action.REFUSED,
            "does not verify (changed since sealing: heat; not bound by the seal: x); not rotated",
            5, "k1", "jwe", (), ("visible field(s) not covered by the seal: x",),
            "check the change; if it is intended, `securedoc seal` it, then rotate",
        ),
    ),
    "unbound, policy warn": (
        lambda: rotate_document(
            doc(SEALED.replace(b"heat: 3\n", b"heat: 3\nx: 1\n")), BOTH, OTHER, policy=Policy(unbound="warn")
        ),
        (
            True, "a.md", Status.OK, Action.ROTATED, "re-sealed with 'k2' (was k1)", 5, "k2", "jwe", (),
            ("visible field(s) not covered by the seal: x",), None,
        ),
    ),
    "legacy refused": (
        lambda: rotate_document(doc(LEGACY_SEALED), WITH_LEGACY, KEY, policy=Policy(legacy="refuse")),
        (
            False, "a.md", Status.ERROR, Action.REFUSED,
            "sealed in the legacy AES-CBC form, which is refused here: it is unauthenticated",
            4, None, "legacy", (), (), "to rotate legacy seals on purpose, pass --legacy warn",
        ),
    ),
    "legacy warned": (
        lambda: rotate_document(doc(LEGACY_SEALED), WITH_LEGACY, KEY, policy=Policy(legacy="warn")),
        (
            True, "a.md", Status.OK, Action.ROTATED, "re-sealed with 'k1' (was legacy old)", 4, "k1", "jwe",
            (LEGACY_WEAKER,), (), None,
        ),
    ),
    "legacy accepted": (
        lambda: rotate_document(doc(LEGACY_SEALED), WITH_LEGACY, KEY, policy=Policy(legacy="accept", unbound="warn")),
        (True, "a.md", Status.OK, Action.ROTATED, "re-sealed with 'k1' (was legacy old)", 4, "k1", "jwe", (), (), None),
    ),
    "cannot be opened": (
        lambda: rotate_document(doc(UNOPENABLE), RING, KEY),
        (
            False, "a.md", Status.ERROR, Action.FAILED, "the seal was made with key 'k2', which is not in the keyring",
            4, None, None, (), (),
            "add the key 'k2' (a JWK file in the keys folder, --key FILE or $SECUREDOC_KEY); keys present: k1",
        ),
    ),
    "path not bound": (
        lambda: rotate_document(doc(SEALED), BOTH, OTHER, place="a.md"),
        (
            False, "a.md", Status.MISMATCH, Action.REFUSED,
            "does not verify (the seal does not name the article's path (bind_path is on), so it could be a copy "
            "or a move; if a.md is where it belongs, seal it again there (`securedoc seal`)); not rotated",
            4, "k1", "jwe", (), (), "check the change; if it is intended, `securedoc seal` it, then rotate",
        ),
    ),
    "from a demo key": (
        lambda: rotate_document(doc(sealed(PLAIN, Keyring([DEMO]))), Keyring([DEMO, KEY]), KEY),
        (
            False, "a.md", Status.ERROR, Action.REFUSED,
            "sealed with the public demo key 'demo': anyone can make this seal, so rotation will not vouch for "
            "it; not rotated",
            4, "demo", "jwe", ("sealed with the public demo key 'demo': anyone can make this seal",), (),
            "check the article, then seal it with your own key (`securedoc seal`)",
        ),
    ),
    "from a retired key": (
        lambda: rotate_document(doc(SEALED), Keyring([KEY, OTHER], retired=["k1"]), OTHER),
        (
            # the seal with the retired key is gone: no "run `securedoc rotate`" warning (s12)
            True, "a.md", Status.OK, Action.ROTATED, "re-sealed with 'k2' (was k1)", 4, "k2", "jwe", (), (), None,
        ),
    ),
    "a payload that is not JSON": (
        lambda: rotate_document(doc(NOT_JSON), BOTH, OTHER),
        (
            False, "a.md", Status.ERROR, Action.REFUSED, "the payload is not JSON (Expecting value at character 0)",
            4, None, None, (), (), None,
        ),
    ),
    "legacy, a field not bound": (
        lambda: rotate_document(
            doc(LEGACY_SEALED.replace(b"heat: 3\n", b"heat: 3\nx: 1\n")),
            WITH_LEGACY,
            KEY,
            policy=Policy(legacy="warn", unbound="warn"),
        ),
        (
            False, "a.md", Status.MISMATCH, Action.REFUSED, "does not verify (not bound by the seal: x); not rotated",
            5, "old", "legacy", (LEGACY_WEAKER,),
            ("visible field(s) not covered by the seal: x",),
            "check the change; if it is intended, `securedoc seal` it, then rotate",
        ),
    ),
    "from a signed seal, without the key of its hidden fields": (
        lambda: rotate_document(doc(SIGNED_HIDDEN), Keyring([SIGNER, OTHER]), OTHER),
        (
            False, "a.md", Status.ERROR, Action.REFUSED,
            "the seal's hidden fields are encrypted with the key 'k1', which is not in the keyring",
            3, None, None, (), (),
            "reading, restoring or carrying over hidden fields needs the A256GCM key 'k1' (a public key only verifies)",
        ),
    ),
    "from a signed seal": (
        lambda: rotate_document(doc(SIGNED_HIDDEN), Keyring([SIGNER, KEY]), KEY),
        (True, "a.md", Status.OK, Action.ROTATED, "re-sealed with 'k1' (was sg)", 3, "k1", "jwe", (), (), None),
    ),
    "a current seal, legacy refused": (
        lambda: rotate_document(doc(SEALED), BOTH, OTHER, policy=Policy(legacy="refuse")),
        (True, "a.md", Status.OK, Action.ROTATED, "re-sealed with 'k2' (was k1)", 4, "k2", "jwe", (), (), None),
    ),
    "path not bound, and a field changed": (
        lambda: rotate_document(doc(SEALED.replace(b"heat: 3", b"heat: 4")), BOTH, OTHER, place="a.md"),
        (
            False, "a.md", Status.MISMATCH, Action.REFUSED,
            "does not verify (the seal does not name the article's path (bind_path is on), so it could be a copy "
            "or a move; if a.md is where it belongs, seal it again there (`securedoc seal`); changed since "
            "sealing: heat); not rotated",
            4, "k1", "jwe", (), (), "check the change; if it is intended, `securedoc seal` it, then rotate",
        ),
    ),
    "to a signing key": (
        lambda: rotate_document(doc(sealed(PLAIN, hide=["heat"])), Keyring([KEY, SIGNER]), SIGNER),
        (True, "a.md", Status.OK, Action.ROTATED, "re-sealed with 'sg' (was k1)", 3, "sg", "jws", (), (), None),
    ),
}
# fmt: on


@pytest.mark.parametrize("case", list(ROTATE_CASES))
def test_rotate_says_what_it_did(case: str) -> None:
    run, expected = ROTATE_CASES[case]
    outcome = run()
    assert said(outcome) == expected
    if outcome.data is not None:
        ring = Keyring([KEY, OTHER, LEGACY, SIGNER])
        new = parse(outcome.data)
        assert verify_document(new, ring, policy=Policy(unbound="warn")).status is Status.OK
        assert outcome.report.kid == articles.read_seal(new).kid  # type: ignore[union-attr]


HIDDEN_TWO = sealed(article("title: Hi\nheat: 3\nz: 9\n"), hide=["heat", "z"])
RESTORE_NOTE = "the seal still lists them as hidden; `securedoc seal` binds them as visible"

# fmt: off
RESTORE_CASES: dict[str, tuple[bytes, tuple[object, ...]]] = {
    "nothing hidden": (
        SEALED,
        (False, "a.md", Status.OK, Action.UNCHANGED, "no hidden fields to restore", None, "k1", "jwe", (), (), None),
    ),
    "restored": (
        HIDDEN_TWO,
        (True, "a.md", Status.OK, Action.RESTORED, "restored: heat, z", None, "k1", "jwe", (), (RESTORE_NOTE,), None),
    ),
    "one already visible": (
        HIDDEN_TWO.replace(b"title: Hi\n", b"title: Hi\nz: 1\n"),
        (
            True, "a.md", Status.OK, Action.RESTORED, "restored: heat", None, "k1", "jwe", (),
            ("already visible, left as it is: z", RESTORE_NOTE), None,
        ),
    ),
    "all already visible": (
        HIDDEN_TWO.replace(b"title: Hi\n", b"title: Hi\nz: 1\nheat: 2\n"),
        (
            False, "a.md", Status.OK, Action.UNCHANGED, "every hidden field is already visible", None, "k1", "jwe",
            (), ("already visible, left as it is: heat, z",), None,
        ),
    ),
}
# fmt: on


@pytest.mark.parametrize("case", list(RESTORE_CASES))
def test_restore_says_what_it_did(case: str) -> None:
    data, expected = RESTORE_CASES[case]
    assert said(restore_document(doc(data), RING)) == expected


# -- the write path: what is written, and the checks before it --------------------------------------
# Users run without SECUREDOC_CHECK_EDITS: a seal-line edit is proven safe instead of parsed again
# (articles._seal_line_only). Each test here runs in both modes and expects the same.

CHECK_MODES = ["production", "full"]
REPORT_IT = "please report this with the article attached"


def _mode(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    if mode == "production":
        monkeypatch.delenv(articles.CHECK_EDITS_ENV, raising=False)
    else:
        monkeypatch.setenv(articles.CHECK_EDITS_ENV, "full")


# (article, the same article with its seal line, SEAL standing for the new seal)
SEAL_LINES = [
    (article("title: Hi\n"), article('title: Hi\nsecured: "SEAL"\n')),
    (article("title: Hi\n", newline="\r\n"), article('title: Hi\nsecured: "SEAL"\n', newline="\r\n")),
    (article("  title: Hi\n  n: 1\n"), article('  title: Hi\n  n: 1\n  secured: "SEAL"\n')),
    (b"---\n---\nbody\n", b'---\nsecured: "SEAL"\n---\nbody\n'),
    # Mixed line breaks: the seal line takes the break of the line before it.
    (b"---\r\ntitle: Hi\n---\nbody\n", b'---\r\ntitle: Hi\nsecured: "SEAL"\n---\nbody\n'),
    (b"---\ntitle: Hi\r\n---\r\nbody\r\n", b'---\ntitle: Hi\r\nsecured: "SEAL"\r\n---\r\nbody\r\n'),
    (b"---\r\n---\r\nbody\r\n", b'---\r\nsecured: "SEAL"\r\n---\r\nbody\r\n'),
    (article("title: Hi\nsecured: 'old'  # c\nz: 1\n"), article('title: Hi\nsecured: "SEAL"  # c\nz: 1\n')),
    (article("title: Hi\nsecured: old\nz: 1\n"), article('title: Hi\nsecured: "SEAL"\nz: 1\n')),
    (article("secured: [1, 2]\nz: 1\n", newline="\r\n"), article('secured: "SEAL"\nz: 1\n', newline="\r\n")),
    (article("title: Hi\nsecured: |\n  old\n"), article('title: Hi\nsecured: "SEAL"\n')),
    (b'---\ntitle: Hi\nsecured: "old"\n---', b'---\ntitle: Hi\nsecured: "SEAL"\n---'),
    (b"+++\ntitle = 'Hi'\n+++\nbody\n", b"+++\ntitle = 'Hi'\nsecured = \"SEAL\"\n+++\nbody\n"),
    (b"+++\ntitle = 'Hi'\nsecured = 'x'\nz = 1\n+++\n", b"+++\ntitle = 'Hi'\nsecured = \"SEAL\"\nz = 1\n+++\n"),
    (b"+++\nsecured = ['x']\nz = 1\n+++\n", b'+++\nsecured = "SEAL"\nz = 1\n+++\n'),
    (
        b"+++\r\ntitle = 'Hi'\r\n[params]\r\nx = 1\r\n+++\r\n",
        b"+++\r\ntitle = 'Hi'\r\nsecured = \"SEAL\"\r\n[params]\r\nx = 1\r\n+++\r\n",
    ),
]


@pytest.mark.parametrize("mode", CHECK_MODES)
@pytest.mark.parametrize(("before", "after"), SEAL_LINES)
def test_the_seal_line_written(monkeypatch: pytest.MonkeyPatch, mode: str, before: bytes, after: bytes) -> None:
    """Sealing changes the seal line and nothing else: same line breaks, same indentation, the
    rest of the file byte for byte."""
    _mode(monkeypatch, mode)
    data = sealed(before)
    value = parse(data).seal_entry.value  # type: ignore[union-attr]
    assert data == after.replace(b"SEAL", value.encode())
    assert verify_document(parse(data), RING).status is Status.OK


@pytest.mark.parametrize("mode", CHECK_MODES)
def test_a_seal_that_would_break_a_limit_is_never_written(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    """The seal makes the front matter and the file larger: at the limit it is written (and verify
    reads it with the same limits); one byte over, nothing is written (verify would refuse it)."""
    _mode(monkeypatch, mode)
    out = seal_document(parse(PLAIN), RING, _nonce=NONCE).data
    assert out is not None
    new = parse(out)
    front_matter, size = new.fm_end - new.fm_start, len(out)
    for limits in (Limits(max_front_matter=front_matter), Limits(max_file_size=size)):
        written = seal_document(parse(PLAIN, limits=limits), RING, _nonce=NONCE, limits=limits).data
        assert written is not None and len(written) == size
        assert verify_document(parse(written, limits=limits), RING).status is Status.OK
    over = {
        "the front matter is larger than the limit of": Limits(max_front_matter=front_matter - 1),
        f"the file is {size} bytes; the limit is {size - 1}": Limits(max_file_size=size - 1),
    }
    for words, limits in over.items():
        with pytest.raises(SecuredocError) as caught:  # refused, with what to do: not a bug to report
            seal_document(parse(PLAIN, path="a.md", limits=limits), RING, _nonce=NONCE, limits=limits)
        assert not isinstance(caught.value, articles.InternalCheckFailed)
        assert caught.value.message.startswith("the edited article would be over a size limit: " + words)
        assert caught.value.message.endswith("; nothing was written")
        assert caught.value.path == "a.md"
        assert caught.value.hint == (
            "raise limits.max_front_matter (or limits.max_file_size) in securedoc.yaml if this article is genuine "
            "(a seal adds the size of the fields it binds again)"
        )


def _patch_new_bytes(monkeypatch: pytest.MonkeyPatch, change: Callable[[bytes], bytes]) -> None:
    """Make the new bytes of every edit that writes something go wrong the way ``change`` says (a
    bug in an edit)."""
    real = Document.with_front_matter

    def edited(self: Document, edits: Any) -> bytes:
        edits = list(edits)
        data = real(self, edits)
        return change(data) if any(text for _, _, text in edits) else data  # not hide's own trial removal

    monkeypatch.setattr(Document, "with_front_matter", edited)


# name -> (what goes wrong in the new bytes, the check's words, sealed with the body bound)
# fmt: off
BAD_EDITS: dict[str, tuple[Callable[[bytes], bytes], str, bool]] = {
    "a field's value": (
        lambda data: data.replace(b"z: 9", b"z: 8"),
        "the edit would change other fields (z); nothing was written",
        True,
    ),
    "two fields' values": (
        lambda data: data.replace(b"z: 9", b"z: 8").replace(b"title: Hi", b"title: Ho"),
        "the edit would change other fields (title, z); nothing was written",
        True,
    ),
    "fields added": (
        lambda data: data.replace(b"z: 9\n", b"z: 9\nb: 1\na: 2\n"),
        "the edit would change other fields (a, b); nothing was written",
        True,
    ),
    "a field lost": (
        lambda data: data.replace(b"title: Hi\n", b""),
        "the edit would change other fields (title); nothing was written",
        True,
    ),
    "a field lost, another added": (
        lambda data: data.replace(b"title: Hi\n", b"titel: Hi\n"),
        "the edit would change other fields (titel, title); nothing was written",
        True,
    ),
    "the body, bound": (
        lambda data: data + b"more\n",
        "the new seal does not verify ((body)); nothing was written",
        True,
    ),
    "the body, not bound": (
        lambda data: data + b"more\n",
        "the edit would touch bytes outside the front matter",
        False,
    ),
    "the opening line": (
        lambda data: b"---   " + data[3:],
        "the edit would touch bytes outside the front matter",
        False,
    ),
    "a front matter that does not parse": (
        lambda data: data.replace(b"title: Hi\n", b"title: [\n"),
        "the edited front matter would not parse (",
        True,
    ),
}
# fmt: on


@pytest.mark.parametrize(
    ("mode", "hide", "case"),
    [
        pytest.param(mode, hide, case, id=f"{case}-{'hide' if hide else 'seal'}-{mode}")
        for case in BAD_EDITS
        for hide in ((), ("heat",))
        for mode in CHECK_MODES
        # Not the seal line alone in production: the seal-line proof does not parse the new bytes again.
        if hide or mode != "production"
    ],
)
def test_an_edit_that_changes_anything_else_is_never_written(
    monkeypatch: pytest.MonkeyPatch, mode: str, hide: tuple[str, ...], case: str
) -> None:
    """The re-parse check before writing names what would change, and nothing is written. It checks
    every edit but the seal line users write without it, which is proven from the edit instead
    (so a bug in applying an edit is caught there only with SECUREDOC_CHECK_EDITS=full)."""
    change, words, body = BAD_EDITS[case]
    _mode(monkeypatch, mode)
    document = doc(THREE)
    _patch_new_bytes(monkeypatch, change)
    with pytest.raises(articles.InternalCheckFailed) as caught:
        seal_document(document, RING, Binding(body=body), hide=hide)
    assert caught.value.message.startswith(words), caught.value.message
    assert caught.value.path == "a.md"
    if "front matter would not parse" in words or "would change other fields" in words:
        assert caught.value.hint == REPORT_IT  # an internal error the user is asked to report


@pytest.mark.parametrize(
    ("limits", "words"),
    [
        (Limits(max_front_matter=3000), "the front matter is larger than the limit of 3,000 bytes"),
        (Limits(max_file_size=3000), "the file is "),
    ],
    ids=["front matter", "file"],
)
@pytest.mark.parametrize("hide", [(), ("heat",)], ids=["seal", "hide"])
@pytest.mark.parametrize("mode", CHECK_MODES)
def test_a_seal_that_would_cross_a_size_limit_is_refused_not_reported_as_a_bug(
    monkeypatch: pytest.MonkeyPatch, limits: Limits, words: str, hide: tuple[str, ...], mode: str
) -> None:
    """An article just under a limit, which its seal (a copy of the bound fields) would take over
    it: refused, saying which limit and how to raise it; not an internal error to report."""
    _mode(monkeypatch, mode)
    data = article("title: " + "x" * 2400 + "\nheat: 3\n")
    with pytest.raises(SecuredocError) as caught:
        seal_document(parse(data, path="a.md", limits=limits), RING, hide=hide, limits=limits)
    assert type(caught.value).__name__ == "RefusedError"  # not InternalCheckFailed: nothing to report
    message = caught.value.message
    assert message.startswith("the edited article would be over a size limit: " + words), message
    assert message.endswith("3,000; nothing was written") or "limit of 3,000 bytes" in message
    assert message.endswith("; nothing was written")
    assert caught.value.path == "a.md"
    # Where the limit's own error points: the opening line for the front matter, no line for the file.
    assert caught.value.line == (1 if limits.max_front_matter == 3000 else None)
    assert caught.value.hint is not None and "securedoc.yaml" in caught.value.hint


@pytest.mark.parametrize(
    ("limits", "data", "words"),
    [
        (  # a front matter of 1.5 MB, over the default limit of 1 MiB once sealed, under 2 MiB
            Limits(max_front_matter=2 * 2**20),
            article("title: " + "x" * 1_500_000 + "\n"),
            "the front matter is larger than the limit of 2,097,152 bytes",
        ),
        (  # a file of 40 MiB less 100 bytes, over the default 32 MiB, and over 40 MiB once sealed
            Limits(max_file_size=40 * 2**20),
            article("title: t\n", body="x" * (40 * 2**20 - 100 - len(article("title: t\n", body="")))),
            "the file is ",
        ),
    ],
    ids=["front matter", "file"],
)
def test_raised_limits_are_the_limits_a_seal_is_refused_by(limits: Limits, data: bytes, words: str) -> None:
    """Above the default limits too: the edit that crosses the project's raised limit is told as
    that limit (parsed again without any limit, not with the defaults)."""
    with pytest.raises(SecuredocError) as caught:
        seal_document(parse(data, path="a.md", limits=limits), RING, limits=limits)
    assert type(caught.value).__name__ == "RefusedError", caught.value.message
    assert caught.value.message.startswith("the edited article would be over a size limit: " + words)


def test_hiding_a_field_other_fields_need_is_refused() -> None:
    with pytest.raises(UsageError) as caught:
        seal_document(doc(article("a: &x 1\nb: *x\n")), RING, hide=["a"])
    assert caught.value.message == "hiding a would change the value of (the front matter would not parse)"
    assert caught.value.path == "a.md"


# -- hide and restore: where restored fields go ------------------------------------------------------

ABCD = article("a: 1\nb: 2\nc: 3\nd: 4\n")

# name -> (the article, the fields hidden, an edit made while they were hidden, the front matter
# restore writes, the seal line left out)
RESTORES: dict[str, tuple[bytes, list[str], Callable[[bytes], bytes], str]] = {
    "the first field": (ABCD, ["a"], lambda data: data, "a: 1\nb: 2\nc: 3\nd: 4\n"),
    "a run of fields": (ABCD, ["b", "c"], lambda data: data, "a: 1\nb: 2\nc: 3\nd: 4\n"),
    "two runs": (ABCD, ["a", "c"], lambda data: data, "a: 1\nb: 2\nc: 3\nd: 4\n"),
    "all fields": (ABCD, ["d", "c", "b", "a"], lambda data: data, "a: 1\nb: 2\nc: 3\nd: 4\n"),
    "a comment before it": (
        article("a: 1\n# about b\nb: 2\nc: 3\n"),
        ["b"],
        lambda data: data,
        "a: 1\n# about b\nb: 2\nc: 3\n",
    ),
    "the field before it deleted meanwhile": (
        ABCD,
        ["c"],
        lambda data: data.replace(b"b: 2\n", b""),
        "a: 1\nd: 4\nc: 3\n",
    ),
    "the field before it deleted, the seal first": (
        article("secured: x\na: 1\nb: 2\n"),
        ["b"],
        lambda data: data.replace(b"a: 1\n", b""),
        "b: 2\n",
    ),
    "mixed line breaks": (
        b"---\r\na: 1\nb: 2\nc: 3\n---\nbody\n",
        ["b"],
        lambda data: data,
        "a: 1\nb: 2\nc: 3\n",
    ),
    "CRLF": (article("a: 1\nb: 2\nc: 3\n", newline="\r\n"), ["b", "c"], lambda data: data, "a: 1\r\nb: 2\r\nc: 3\r\n"),
}


@pytest.mark.parametrize("case", list(RESTORES))
def test_restore_puts_hidden_fields_back_where_they_stood(case: str) -> None:
    original, names, meanwhile, expected = RESTORES[case]
    hidden = meanwhile(seal_document(doc(original), RING, hide=names, force=True).data or b"")
    for name in names:
        assert f"\n{name}: ".encode() not in hidden
    restored = restore_document(doc(hidden), RING).data
    assert restored is not None
    front_matter = parse(restored).front_matter
    start = front_matter.index("secured: ")
    end = front_matter.index("\n", start) + 1
    assert front_matter[:start] + front_matter[end:] == expected
    assert restored.endswith(original[original.rindex(b"---") :])


def test_a_rotated_seal_that_verify_would_note_something_about_carries_no_fast_path_claim() -> None:
    """The fast path answers `ok` without the notes; so a rotated seal with notes (a field the seal
    does not bind, rotated under unbound=warn) leaves the claim out, and one without carries it."""
    from securedoc import envelope, fastpath

    def header(data: bytes) -> dict[str, Any]:
        return envelope.parse(parse(data).seal_entry.value).header  # type: ignore[union-attr,no-any-return]

    loose = SEALED.replace(b"heat: 3\n", b"heat: 3\nx: 1\n")
    noted = rotate_document(doc(loose), BOTH, OTHER, policy=Policy(unbound="warn"))
    assert noted.data is not None and noted.report.notes
    assert fastpath.CLAIM not in header(noted.data)
    clean = rotate_document(doc(SEALED), BOTH, OTHER)
    assert clean.data is not None and fastpath.CLAIM in header(clean.data)
    assert fastpath.CLAIM not in header(rotate_document(doc(SEALED), BOTH, OTHER, fast=False).data or b"")


def test_a_rotate_refused_for_changes_names_every_field_in_line_order() -> None:
    changed = SEALED.replace(b"title: Hi\nheat: 3\n", b"b: 1\ntitle: Ho\na: 2\nheat: 4\n")
    report = rotate_document(doc(changed), BOTH, OTHER).report
    assert [(d.name, d.change, d.line) for d in report.fields] == [
        ("b", "unbound", 2),
        ("title", "changed", 3),
        ("a", "unbound", 4),
        ("heat", "changed", 5),
    ]
    assert report.message == (
        "does not verify (changed since sealing: title, heat; not bound by the seal: b, a); not rotated"
    )


@pytest.mark.parametrize("mode", CHECK_MODES)
@pytest.mark.parametrize("before", [PLAIN, SEALED, LEGACY_SEALED], ids=["unsealed", "sealed", "legacy"])
def test_a_legacy_seal_is_written_as_users_run_it(monkeypatch: pytest.MonkeyPatch, mode: str, before: bytes) -> None:
    """A legacy seal (`ciphertext;iv`, standard base64) is not a seal the seal-line proof knows:
    it is parsed again and checked, and written in either mode."""
    _mode(monkeypatch, mode)
    out = seal_document(doc(before), WITH_LEGACY, legacy=True, force=True)
    assert out.data is not None and out.report.form == "legacy"
    value = parse(out.data).seal_entry.value  # type: ignore[union-attr]
    assert ";" in value
    assert out.data == article(f'title: Hi\nheat: 3\nsecured: "{value}"\n')
    report = verify_document(parse(out.data), WITH_LEGACY, policy=Policy(legacy="warn"))
    assert report.status is Status.OK and report.form == "legacy"


def test_hidden_fields_that_follow_each_other_in_a_circle_are_restored() -> None:
    """`seal` never writes such a seal, but one made by hand with the key is restored, not a crash:
    a circle of fields that follow each other is broken, a field that followed a field the
    article no longer has goes before the seal line."""
    from securedoc.payload import Hidden, build
    from securedoc.sealing import payload_bytes, seal_payload

    hidden = {"a": Hidden("a: 1\n", "b"), "b": Hidden("b: 2\n", "a"), "c": Hidden("c: 3\n", "gone")}
    payload = build(parse(article("title: Hi\n")), Binding(), hidden)
    value = seal_payload(payload_bytes(payload, KEY, RING), KEY)
    outcome = restore_document(doc(article(f'title: Hi\nsecured: "{value}"\nz: 0\n')), RING)
    assert outcome.report.message == "restored: b, a, c"
    assert outcome.data == article(f'title: Hi\nb: 2\na: 1\nc: 3\nsecured: "{value}"\nz: 0\n')


@pytest.mark.parametrize("mode", CHECK_MODES)
@pytest.mark.parametrize("before", [PLAIN, SEALED], ids=["new", "replaced"])
@pytest.mark.parametrize("wrong", ["nothing", "another value"])
def test_a_seal_that_does_not_land_is_never_written(
    monkeypatch: pytest.MonkeyPatch, mode: str, before: bytes, wrong: str
) -> None:
    """An edit that leaves the seal out, or writes another value than the one just made, is refused."""
    _mode(monkeypatch, mode)
    real = articles._seal_edit

    def misplaced(document: Document, value: str) -> tuple[int, int, str]:
        start, end, text = real(document, value)
        if wrong == "nothing":
            return (start, start, "") if document.seal_entry is None else (start, end, '"x"')
        return start, end, text.replace(value, value[::-1])

    monkeypatch.setattr(articles, "_seal_edit", misplaced)
    with pytest.raises(articles.InternalCheckFailed) as caught:
        seal_document(doc(before), RING, force=True)
    assert caught.value.message == "the new seal did not land in the file; nothing was written"
    assert caught.value.path == "a.md"


def test_the_proven_seal_line_still_opens_the_new_seal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without SECUREDOC_CHECK_EDITS the seal line is not parsed again, but the new seal must
    open with the keyring before anything is written: the words and the file of that refusal."""
    _mode(monkeypatch, "production")
    real = articles.seal_payload

    def with_a_stranger(plaintext: bytes, key: Key, **kwargs: Any) -> str:
        return real(plaintext, Key(key.kid, "A256GCM", OTHER_BYTES), **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(articles, "seal_payload", with_a_stranger)
    for before in (PLAIN, SEALED):
        with pytest.raises(articles.InternalCheckFailed) as caught:
            seal_document(doc(before), RING, force=True)
        assert caught.value.message == "the new seal does not open; nothing was written"
        assert caught.value.path == "a.md"


def test_a_seal_made_with_the_defaults_carries_the_fast_path_claim() -> None:
    """verify's fast path (issue 11) needs the claim: seal_document makes it unless told not to."""
    from securedoc import envelope, fastpath

    def header(data: bytes | None) -> dict[str, Any]:
        assert data is not None
        return envelope.parse(parse(data).seal_entry.value).header  # type: ignore[union-attr,no-any-return]

    assert fastpath.CLAIM in header(seal_document(doc(PLAIN), RING).data)
    assert fastpath.CLAIM in header(rotate_document(doc(SEALED), BOTH, OTHER).data)
    assert fastpath.CLAIM not in header(seal_document(doc(PLAIN), RING, fast=False).data)


@pytest.mark.parametrize("hide", [(), ("heat",)], ids=["seal", "hide"])
def test_a_seal_that_does_not_vouch_for_the_article_is_never_written(
    monkeypatch: pytest.MonkeyPatch, hide: tuple[str, ...]
) -> None:
    """The re-parse check opens the new seal and compares it with the new bytes: a payload built
    from other values (a bug in building it) is refused, naming every field it gets wrong."""
    _mode(monkeypatch, "full")
    real = articles.build

    def from_other_values(document: Document, *args: Any) -> Any:
        changed = document.data.replace(b"title: Hi", b"title: Ho").replace(b"z: 9", b"z: 8")
        return real(parse(changed), *args)

    monkeypatch.setattr(articles, "build", from_other_values)
    with pytest.raises(articles.InternalCheckFailed) as caught:
        seal_document(doc(THREE), RING, hide=hide)
    assert caught.value.message == "the new seal does not verify (title, z); nothing was written"
    assert caught.value.path == "a.md"

"""Canary: key material never appears in stdout, stderr or exception text, whatever happens.

A distinctive key is used by every command, in successful runs and in every error we can provoke,
through the real executable (also with SECUREDOC_DEBUG=1); the output is searched for the key raw
and in every usual encoding, in full and as 16-character fragments.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLE

from securedoc import api, envelope
from securedoc.articles import seal_document
from securedoc.document import parse
from securedoc.errors import SecuredocError
from securedoc.keys import Key, Keyring, key_to_jwk, keys_from_jwk_text
from securedoc.verify import open_seal

CANARY = bytes.fromhex("c0ffeec0de5eed5ca1ab1eba5eba11decafbadd00dfeedfacebeef0ddba11ad5")
LEGACY_CANARY = bytes.fromhex("5ec2e7f00dba5eba11c0ffee0ddba115")
SECRETS = [CANARY, LEGACY_CANARY]


def _encodings(secret: bytes) -> list[bytes]:
    forms = [
        secret.hex().encode(),
        secret.hex().upper().encode(),
        base64.b64encode(secret),
        base64.b64encode(secret).rstrip(b"="),
        base64.urlsafe_b64encode(secret),
        base64.urlsafe_b64encode(secret).rstrip(b"="),
    ]
    fragments = [form[:16] for form in forms] + [form[-16:].rstrip(b"=")[-12:] for form in forms]
    return [secret, *forms, *fragments]


NEEDLES = [needle for secret in SECRETS for needle in _encodings(secret)]


def assert_clean(blob: bytes | str, what: str) -> None:
    data = blob.encode("utf-8", "surrogateescape") if isinstance(blob, str) else blob
    for needle in NEEDLES:
        assert needle not in data, f"key material ({needle[:6]!r}...) leaked in {what}"


def _exe() -> str:
    path = Path(sys.executable).parent / "securedoc"
    return str(path) if path.exists() else "securedoc"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    keys = tmp_path / "keys"
    keys.mkdir()
    for key in (Key("canary", "A256GCM", CANARY), Key("legacy", "A128CBC", LEGACY_CANARY)):
        path = keys / f"{key.kid}.jwk"
        path.write_text(json.dumps(key_to_jwk(key)))
        path.chmod(0o644)  # loose on purpose: the permission warning must not quote the file
    (tmp_path / "securedoc.yaml").write_text("keys:\n  primary: canary\n")
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(EXAMPLE, content / "a.md")
    shutil.copy(EXAMPLE, content / "b.md")
    (content / "bad.md").write_bytes(b"---\ntitle: [oops\n---\n")
    return tmp_path


def test_every_command_keeps_the_key_secret(site: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SECUREDOC_KEY", "CI")}
    debug = {**env, "SECUREDOC_DEBUG": "1"}
    canary_jwk = json.dumps(key_to_jwk(Key("canary", "A256GCM", CANARY)))
    wrong_size = json.dumps({**key_to_jwk(Key("canary", "A256GCM", CANARY)), "alg": "A128CBC"})
    same_kid_other_key = json.dumps(key_to_jwk(Key("canary", "A256GCM", bytes(32))))
    (site / "broken.jwk").write_text(canary_jwk[:-5])  # truncated JSON holding the key
    (site / "short.jwk").write_text(wrong_size)
    (site / "notes.txt").write_text("not a key " + CANARY.hex())
    runs: list[tuple[list[str], dict[str, str], str | None]] = [
        (["keys", "list"], env, None),
        (["keys", "list", "--format", "json"], env, None),
        (["keys", "import", "hexed", "--hex"], env, CANARY.hex()),
        (["keys", "import", "b64", "--base64"], env, base64.b64encode(CANARY).decode()),
        (
            ["keys", "import", "legacy2", "--legacy-cbc", "--base64"],
            env,
            base64.urlsafe_b64encode(LEGACY_CANARY).decode(),
        ),
        (["keys", "import", "bad", "--hex"], env, "zz" + CANARY.hex()),
        (["keys", "import", "short", "--hex"], env, CANARY.hex()[:30]),
        (["keys", "import", "canary", "--hex"], env, CANARY.hex()),  # exists: refused
        (["keys", "new", "fresh"], env, None),
        (["seal", "content", "--dry-run", "--format", "json"], env, None),
        (["seal", "content"], debug, None),  # refused: the legacy seals do not open with this key
        (["seal", "content", "--force"], debug, None),
        (["seal", "content/a.md", "--hide", "excerpt", "--format", "json"], env, None),
        (["seal", "content/b.md", "--legacy", "--primary", "legacy", "-v"], env, None),
        (["open", "content/a.md"], env, None),
        (["open", "content/a.md", "--format", "json"], debug, None),
        (["open", "content/b.md", "--format", "json"], env, None),
        (["open", "content/a.md", "--restore"], env, None),
        (["verify", "content", "-v"], debug, None),
        (["verify", "content", "--format", "json"], env, None),
        (["verify", "content", "--format", "github"], env, None),
        (["verify", "content", "--format", "junit"], env, None),
        (["verify", "content", "--key", "broken.jwk"], debug, None),
        (["verify", "content", "--key", "short.jwk"], env, None),
        (["verify", "content", "--key", "notes.txt"], env, None),
        (["verify", "content"], {**debug, "SECUREDOC_KEY": same_kid_other_key}, None),
        (["verify", "content"], {**env, "SECUREDOC_KEY": canary_jwk[:-3]}, None),
        (["verify", "content", "--keys", "nowhere"], env, None),
        (["rotate", "content", "--to", "fresh", "--format", "json"], debug, None),
        (["rotate", "content", "--to", "nope"], env, None),
        (["keys", "list", "--key", "short.jwk"], env, None),
    ]
    seen_failures = 0
    for args, run_env, stdin in runs:
        done = subprocess.run(
            [_exe(), *args],
            cwd=site,
            env=run_env,
            input=stdin.encode() if stdin else None,
            capture_output=True,
            timeout=60,
            text=False,
        )
        assert_clean(done.stdout, f"stdout of {' '.join(args)}")
        assert_clean(done.stderr, f"stderr of {' '.join(args)}")
        assert b"Traceback" not in done.stderr, args
        seen_failures += done.returncode != 0
    # Tamper, then verify again: mismatch reports show sealed and visible values, never keys.
    path = site / "content" / "a.md"
    path.write_bytes(path.read_bytes().replace(b"heat: 154", b"heat: 1"))
    done = subprocess.run([_exe(), "verify", "content", "--format", "json"], cwd=site, env=env, capture_output=True)
    assert_clean(done.stdout + done.stderr, "tampered verify")
    assert seen_failures >= 10  # the error paths really ran


def test_exceptions_and_reprs_keep_the_key_secret() -> None:
    key = Key("canary", "A256GCM", CANARY)
    ring = Keyring([key])
    texts: list[str] = [repr(key), str(key), repr(ring), repr([key]), repr(ring.describe())]
    attempts = [
        lambda: keys_from_jwk_text(json.dumps({**key_to_jwk(key), "alg": "A128CBC"}), "x"),
        lambda: keys_from_jwk_text(json.dumps(key_to_jwk(key))[:-4], "x"),
        lambda: keys_from_jwk_text(json.dumps({**key_to_jwk(key), "kty": "RSA"}), "x"),
        lambda: keys_from_jwk_text(json.dumps({**key_to_jwk(key), "k": key_to_jwk(key)["k"] + "="}), "x"),
        lambda: Key("x", "A128CBC", CANARY),
        lambda: Keyring([key, Key("canary", "A256GCM", bytes(32))]),
        lambda: api.open(
            seal_document(parse(b"---\nt: 1\n---\n"), ring).data or b"", Keyring([Key("canary", "A256GCM", bytes(32))])
        ),
        lambda: open_seal(
            envelope.parse("AAAAAAAAAAAAAAAAAAAAAA==;AAAAAAAAAAAAAAAAAAAAAA=="),
            Keyring([Key("l", "A128CBC", LEGACY_CANARY)]),
        ),
    ]
    for attempt in attempts:
        with pytest.raises((SecuredocError, ValueError)) as info:
            attempt()
        exc = info.value
        texts += [
            str(exc),
            repr(exc),
            getattr(exc, "diagnostics", lambda: "")(),
            repr(exc.__cause__),
            repr(exc.__context__),
        ]
    for text in texts:
        assert_clean(text, "exception or repr")

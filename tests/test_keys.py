"""Keys: JWK loading and writing, roles, and material that never shows."""

from __future__ import annotations

import base64
import json
import pickle
import stat
from pathlib import Path

import pytest
from conftest import KEY_BYTES, ROOT

from securedoc.errors import KeyringError, UnknownKeyError
from securedoc.keys import (
    Key,
    Keyring,
    generate_key,
    jwk_thumbprint,
    key_from_raw,
    key_to_jwk,
    keys_from_jwk_text,
    load_key_dir,
    load_key_env,
    load_key_file,
    write_key_file,
)

K_B64URL = base64.urlsafe_b64encode(KEY_BYTES).rstrip(b"=").decode()


def jwk(**overrides: object) -> str:
    obj = {"kty": "oct", "kid": "k1", "alg": "A256GCM", "k": K_B64URL, **overrides}
    return json.dumps({k: v for k, v in obj.items() if v is not None})


def test_load_jwk_and_jwk_set() -> None:
    (key,) = keys_from_jwk_text(jwk(), "test")
    assert (key.kid, key.alg, key.secret_bytes(), key.legacy) == ("k1", "A256GCM", KEY_BYTES, False)
    keys = keys_from_jwk_text(
        json.dumps({"keys": [json.loads(jwk()), json.loads(jwk(kid="k2", alg="A128CBC", k="AAAAAAAAAAAAAAAAAAAAAA"))]}),
        "set",
    )
    assert [(k.kid, k.alg, k.bits) for k in keys] == [("k1", "A256GCM", 256), ("k2", "A128CBC", 128)]
    (dir_key,) = keys_from_jwk_text(jwk(alg="dir"), "test")
    assert dir_key.alg == "A256GCM"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not a JSON Web Key"),
        ("[]", "a JWK is a JSON object"),
        (jwk(kid=None), 'no "kid"'),
        (jwk(kty="RSA"), "symmetric"),
        (jwk(alg=None), 'no "alg"'),
        (jwk(alg="HS256"), "unsupported alg"),
        (jwk(alg="A128CBC"), "needs 16 bytes"),
        (jwk(k="abc$"), "not base64url"),
        (jwk(k=K_B64URL + "=="), "not base64url"),
        (jwk(use="sig"), '"use"'),
        (json.dumps({"keys": [json.loads(jwk()), json.loads(jwk())]}), "appears twice"),
        (json.dumps({"keys": "x"}), "is a list"),
    ],
)
def test_bad_jwks_are_clear_and_never_show_the_key(text: str, message: str) -> None:
    with pytest.raises(KeyringError) as info:
        keys_from_jwk_text(text, "keys/k1.jwk")
    shown = info.value.diagnostics() + repr(info.value)
    assert message in shown
    assert K_B64URL not in shown and KEY_BYTES.hex() not in shown


def test_key_repr_pickle_and_equality() -> None:
    key = Key("k1", "A256GCM", KEY_BYTES, source="x")
    for text in (repr(key), str(key), repr([key]), repr(Keyring([key]))):
        assert K_B64URL not in text and KEY_BYTES.hex() not in text and "\\x00\\x01" not in text
    clone = pickle.loads(pickle.dumps(key))
    assert clone == key and clone.secret_bytes() == KEY_BYTES
    with pytest.raises(AttributeError):
        key.kid = "other"  # type: ignore[misc]


def test_write_key_file_is_0600_and_never_overwrites(tmp_path: Path) -> None:
    key = generate_key("newsroom-2026")
    path = write_key_file(key, tmp_path / "keys")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (loaded,), warnings = load_key_file(path)
    assert loaded == key and warnings == []
    with pytest.raises(KeyringError, match="never overwrites"):
        write_key_file(generate_key("newsroom-2026"), tmp_path / "keys")
    assert load_key_file(path)[0][0] == key
    assert not [p for p in (tmp_path / "keys").iterdir() if p.name.endswith(".tmp")]


def test_loose_permissions_warn_like_ssh(tmp_path: Path) -> None:
    path = write_key_file(generate_key("k"), tmp_path)
    path.chmod(0o644)
    _, warnings = load_key_file(path)
    assert warnings and "chmod 600" in warnings[0] and "0644" in warnings[0]


def test_demo_key_is_marked_and_exempt_from_the_permission_warning() -> None:
    keys, warnings = load_key_file(ROOT / "keys" / "demo.jwk")
    assert keys[0].demo and keys[0].kid == "demo" and warnings == []


def test_load_dir_and_env(tmp_path: Path) -> None:
    write_key_file(generate_key("b"), tmp_path)
    write_key_file(generate_key("a"), tmp_path)
    (tmp_path / "notes.txt").write_text("ignored")
    keys, _ = load_key_dir(tmp_path)
    assert [k.kid for k in keys] == ["a", "b"]
    env = {"MY_KEY": jwk()}
    assert [k.kid for k in load_key_env("MY_KEY", env)] == ["k1"]
    assert load_key_env("MISSING", env) == []
    with pytest.raises(KeyringError, match=r"\$MY_KEY: not a JSON Web Key"):
        load_key_env("MY_KEY", {"MY_KEY": "{oops"})


def test_generate_and_import() -> None:
    assert generate_key("x", legacy=True, bits=128).alg == "A128CBC"
    assert key_from_raw("x", bytes(24), legacy=True).alg == "A192CBC"
    with pytest.raises(KeyringError, match="32 bytes"):
        key_from_raw("x", bytes(16), legacy=False)
    with pytest.raises(KeyringError):
        generate_key("x", bits=128)


def test_keyring_roles_and_primary() -> None:
    a, b = generate_key("a"), generate_key("b")
    old = generate_key("old", legacy=True)
    ring = Keyring([a, b, old], primary="b", retired=["a"])
    assert [(i.kid, i.role, i.scheme) for i in ring.describe()] == [
        ("a", "retired", "current"),
        ("b", "primary", "current"),
        ("old", "active", "legacy"),
    ]
    assert ring.primary() == b and ring.primary(legacy=True) == old
    assert Keyring([a, old]).primary() == a  # the only current-form key
    with pytest.raises(KeyringError, match="2 A256GCM keys could seal"):
        Keyring([a, b]).primary()
    with pytest.raises(KeyringError, match="not in the keyring"):
        Keyring([a], primary="zzz")
    with pytest.raises(KeyringError, match="both primary and retired"):
        Keyring([a], primary="a", retired=["a"])
    with pytest.raises(KeyringError, match="two different keys have the id 'a'"):
        Keyring([a, generate_key("a")])
    assert len(Keyring([a, a])) == 1
    with pytest.raises(UnknownKeyError, match="'zzz'"):
        ring.require("zzz")


def test_thumbprint_is_rfc7638() -> None:
    # RFC 7638 section 3.1 uses an RSA key; for "oct" the members are k and kty, in that order.
    key = Key("k1", "A256GCM", KEY_BYTES)
    expected = (
        base64.urlsafe_b64encode(
            __import__("hashlib").sha256(('{"k":"' + K_B64URL + '","kty":"oct"}').encode()).digest()
        )
        .rstrip(b"=")
        .decode()
    )
    assert jwk_thumbprint(key) == expected


def test_key_to_jwk_is_a_standard_jwk() -> None:
    obj = key_to_jwk(Key("k1", "A256GCM", KEY_BYTES))
    assert obj == {"kty": "oct", "kid": "k1", "alg": "A256GCM", "use": "enc", "k": K_B64URL}

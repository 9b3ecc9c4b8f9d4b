"""Signed seals (JWS, Ed25519) verified with nothing but a public key (issue 9).

The key kinds (encrypt, sign, verify only), the signed form and its nested JWE for hidden fields,
what a public key may and may not do, rotation between kinds, the cache's secret, the command line
(`keys new --sign`, `keys public`, `keys list`), and interoperability with joserfc both ways.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from conftest import EXAMPLE, article, write_jwk
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jwe, jws
from joserfc.jwk import OctKey, OKPKey
from joserfc.registry import HeaderParameter

from securedoc import api
from securedoc.articles import restore_document, rotate_document, seal_document
from securedoc.cache import derive_cache_key
from securedoc.document import parse
from securedoc.errors import ConfigError, KeyringError, UnknownKeyError
from securedoc.keys import (
    Key,
    Keyring,
    generate_key,
    generate_signing_key,
    jwk_thumbprint,
    key_to_jwk,
    keys_from_jwk_text,
    load_key_file,
    public_jwk,
    public_key,
)
from securedoc.models import Status
from securedoc.payload import Binding, build, encode
from securedoc.sealing import open_document
from securedoc.verify import verify_document

Cli = Callable[..., Result]

SEED = bytes(range(32))
SIGN = Key("sign-2026", "Ed25519", SEED, source="test")
PUBLIC = public_key(SIGN)
ENC = Key("enc-2026", "A256GCM", bytes(range(100, 132)), source="test")
DOC = article("title: Hello\ntags: [a, b]\nsecret: hush\nweight: 3\n")


def _is_claim(value: object) -> None:
    if not isinstance(value, dict):
        raise ValueError("the securedoc claim is an object")


# The fast-path claim is a private header parameter; joserfc must be told about it.
JWS_REGISTRY = jws.JWSRegistry(
    header_registry={"securedoc": HeaderParameter("securedoc fast-path claim", _is_claim)}, algorithms=["Ed25519"]
)


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _seal(data: bytes = DOC, ring: Keyring | None = None, **kwargs: object) -> bytes:
    ring = ring or Keyring([SIGN, ENC], primary=SIGN.kid)
    out = seal_document(parse(data), ring, **kwargs)  # type: ignore[arg-type]
    assert out.data is not None, out.report
    return out.data


def _secured(data: bytes) -> str:
    value = parse(data).seal_entry.value  # type: ignore[union-attr]
    assert isinstance(value, str)
    return value


# -- keys ----------------------------------------------------------------------------------------


def test_signing_key_jwk_is_rfc8037_and_round_trips() -> None:
    key = generate_signing_key("newsroom-sign")
    jwk = key_to_jwk(key)
    assert set(jwk) == {"kty", "crv", "kid", "alg", "x", "d"}
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["kid"]) == ("OKP", "Ed25519", "Ed25519", "newsroom-sign")
    private = Ed25519PrivateKey.from_private_bytes(_b64url_decode(jwk["d"]))
    assert private.public_key().public_bytes_raw() == _b64url_decode(jwk["x"])
    (again,) = keys_from_jwk_text(json.dumps(jwk), "t")
    assert again == key and again.kind == "sign" and again.private
    public = public_jwk(key)
    assert "d" not in public and public["kid"] == key.kid and public["x"] == jwk["x"]
    (verify_only,) = keys_from_jwk_text(json.dumps(public), "t")
    assert verify_only.kind == "verify" and not verify_only.private
    # Older JOSE libraries write "alg": "EdDSA" on Ed25519 keys: read as Ed25519.
    (old,) = keys_from_jwk_text(json.dumps({**public, "alg": "EdDSA"}), "t")
    assert old.alg == "Ed25519" and old.same_secret(key)


def test_rfc7638_thumbprints_match_an_independent_computation() -> None:
    # RFC 8037 appendix A.3: the thumbprint of the RFC's example Ed25519 key.
    rfc = {"crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "rfc"}
    (key,) = keys_from_jwk_text(json.dumps(rfc), "t")
    assert jwk_thumbprint(key) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    for key in (SIGN, PUBLIC, ENC):
        imported = (OKPKey if key.signing else OctKey).import_key(key_to_jwk(key))
        assert jwk_thumbprint(key) == imported.thumbprint()
    assert jwk_thumbprint(SIGN) == jwk_thumbprint(PUBLIC)  # a key and its public half: one identity


def test_malformed_signing_keys_are_refused_clearly() -> None:
    good = key_to_jwk(SIGN)
    other_x = public_jwk(generate_signing_key("x"))["x"]
    cases = [
        ({**good, "x": other_x}, "is not the one of the private key"),
        ({**good, "crv": "Ed448"}, "Ed25519 only"),
        ({**good, "alg": "ES256"}, '"alg": "Ed25519"'),
        ({**good, "use": "enc"}, '"use": "sig"'),
        ({k: v for k, v in good.items() if k != "x"}, '"x" is missing'),
        ({**good, "d": good["d"][:-2]}, '"d" is'),
    ]
    for jwk, expected in cases:
        with pytest.raises(KeyringError) as info:
            keys_from_jwk_text(json.dumps(jwk), "k.jwk")
        assert expected in str(info.value)
        assert good["d"] not in info.value.diagnostics()


def test_keyring_merges_a_key_with_its_public_half_and_mixes_kinds() -> None:
    ring = Keyring([PUBLIC, SIGN, ENC])
    assert ring.get(SIGN.kid).private  # type: ignore[union-attr]
    ring = Keyring([SIGN, PUBLIC])
    assert ring.get(SIGN.kid).private  # type: ignore[union-attr]
    with pytest.raises(KeyringError, match="two different keys"):
        Keyring([PUBLIC, public_key(Key(SIGN.kid, "Ed25519", bytes(32)))])
    text = json.dumps({"keys": [public_jwk(SIGN), key_to_jwk(ENC)]})
    kinds = {k.kid: k.kind for k in keys_from_jwk_text(text, "$SECUREDOC_KEY")}
    assert kinds == {"sign-2026": "verify", "enc-2026": "encrypt"}


def test_a_public_key_never_seals_and_says_which_private_key_is_needed() -> None:
    only_public = Keyring([PUBLIC])
    with pytest.raises(KeyringError) as info:
        only_public.primary()
    assert "only public keys" in info.value.message and "private key 'sign-2026'" in (info.value.hint or "")
    with pytest.raises(KeyringError, match="is a public key"):
        Keyring([PUBLIC], primary=SIGN.kid).primary()
    with pytest.raises(KeyringError, match="public key") as info:
        seal_document(parse(DOC), only_public, key=PUBLIC)
    assert "private key 'sign-2026'" in str(info.value.hint)
    with pytest.raises(KeyringError, match="private key 'sign-2026'"):
        PUBLIC.secret_bytes()
    sealed = _seal()
    with pytest.raises(KeyringError, match="public key"):
        rotate_document(parse(sealed), Keyring([PUBLIC, ENC]), PUBLIC)


def test_public_key_files_get_no_permission_warning(tmp_path: Path) -> None:
    path = tmp_path / "pub.jwk"
    path.write_text(json.dumps(public_jwk(SIGN)))
    path.chmod(0o644)
    keys, warnings = load_key_file(path)
    assert [k.kind for k in keys] == ["verify"] and warnings == []
    path.write_text(json.dumps(key_to_jwk(SIGN)))
    assert load_key_file(path)[1]  # a private key readable by others: warned


# -- the signed form -----------------------------------------------------------------------------


def test_a_signed_seal_is_a_jws_over_the_canonical_payload() -> None:
    plain = _seal(fast=False)
    assert _b64url_decode(_secured(plain).split(".")[0]) == b'{"alg":"Ed25519","kid":"sign-2026"}'
    sealed = _seal()  # with the fast-path claim, a protected member like any other
    header_b64, payload_b64, signature_b64 = _secured(sealed).split(".")
    header = _b64url_decode(header_b64)
    assert header.startswith(b'{"alg":"Ed25519","kid":"sign-2026","securedoc":{"h":')
    assert set(json.loads(header)) == {"alg", "kid", "securedoc"}
    payload = _b64url_decode(payload_b64)
    assert payload == encode(build(parse(sealed), Binding()))
    Ed25519PrivateKey.from_private_bytes(SEED).public_key().verify(
        _b64url_decode(signature_b64), f"{header_b64}.{payload_b64}".encode()
    )
    assert sealed.replace(_secured(sealed).encode(), b"X") == DOC.replace(b"---\nBody", b'secured: "X"\n---\nBody')


def test_verify_with_only_the_public_key_names_fields_lines_and_values() -> None:
    sealed = _seal()
    ring = Keyring([PUBLIC])
    report = verify_document(parse(sealed), ring)
    assert (report.status, report.kid, report.form) == (Status.OK, "sign-2026", "jws")
    changed = sealed.replace(b"title: Hello", b"title: Howdy").replace(b"weight: 3", b"weight: 4")
    report = verify_document(parse(changed), ring)
    assert report.status is Status.MISMATCH
    assert [(d.name, d.line, d.sealed, d.visible) for d in report.fields] == [
        ("title", 2, "Hello", "Howdy"),
        ("weight", 5, 3, 4),
    ]
    body = verify_document(parse(sealed.replace(b"Body text.", b"Body text!")), ring)
    assert body.status is Status.MISMATCH and body.fields[0].change == "body"
    gone = verify_document(parse(sealed.replace(b"tags: [a, b]\n", b"")), ring)
    assert [(d.name, d.change) for d in gone.fields] == [("tags", "missing")]


NONE_HEADER = base64.urlsafe_b64encode(b'{"alg":"none","kid":"sign-2026"}').rstrip(b"=").decode()


def _with_seal(data: bytes, value: str) -> bytes:
    return data.replace(_secured(data).encode(), value.encode())


def test_tampered_signed_seals_are_errors_never_ok() -> None:
    sealed = _seal()
    value = _secured(sealed)
    header, payload, signature = value.split(".")
    ring = Keyring([PUBLIC])
    forged_payload = base64.urlsafe_b64encode(
        _b64url_decode(payload).replace(b'"title":"Hello"', b'"title":"Howdy"')
    ).rstrip(b"=")
    flipped = bytearray(_b64url_decode(signature))
    flipped[5] ^= 1
    cases = {
        "payload": f"{header}.{forged_payload.decode()}.{signature}",
        "signature": f"{header}.{payload}.{base64.urlsafe_b64encode(bytes(flipped)).rstrip(b'=').decode()}",
        "other key": _secured(_seal(ring=Keyring([Key(SIGN.kid, "Ed25519", bytes(32))]))),
        "alg none": f"{NONE_HEADER}.{payload}.{signature}",
        "embedded jwk": base64.urlsafe_b64encode(
            json.dumps({"alg": "Ed25519", "kid": "sign-2026", "jwk": public_jwk(SIGN)}).encode()
        )
        .rstrip(b"=")
        .decode()
        + f".{payload}.{signature}",
        "detached": f"{header}..{signature}",
        "short signature": f"{header}.{payload}.{signature[:-4]}",
    }
    for name, forged in cases.items():
        data = _with_seal(sealed.replace(b"title: Hello", b"title: Howdy"), forged)
        report = verify_document(parse(data), ring)
        assert report.status is Status.ERROR, (name, report)
    # An HMAC-style confusion: the public key's bytes used as a symmetric key never verify anything.
    report = verify_document(parse(sealed), Keyring([Key(SIGN.kid, "A256GCM", PUBLIC.public_bytes())]))
    assert report.status is Status.ERROR and "Ed25519" in report.message


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
def test_eddsa_seals_from_older_jose_libraries_verify() -> None:
    unsealed = parse(DOC)
    payload = encode(build(unsealed, Binding()))
    their_key = OKPKey.import_key({k: v for k, v in key_to_jwk(SIGN).items() if k != "alg"})
    for alg in ("EdDSA", "Ed25519"):
        token = jws.serialize_compact({"alg": alg, "kid": SIGN.kid}, payload, their_key, algorithms=[alg])
        data = DOC.replace(b"---\nBody", f'secured: "{token}"\n---\nBody'.encode())
        assert verify_document(parse(data), Keyring([PUBLIC])).status is Status.OK, alg
        changed = verify_document(parse(data.replace(b"weight: 3", b"weight: 30")), Keyring([PUBLIC]))
        assert changed.status is Status.MISMATCH and changed.fields[0].name == "weight"


def test_joserfc_verifies_our_jws_and_opens_the_nested_jwe() -> None:
    sealed = _seal(hide=["secret"])
    token = jws.deserialize_compact(_secured(sealed), OKPKey.import_key(public_jwk(SIGN)), registry=JWS_REGISTRY)
    assert {k: v for k, v in token.protected.items() if k != "securedoc"} == {"alg": "Ed25519", "kid": "sign-2026"}
    payload = json.loads(token.payload)
    assert b"hush" not in token.payload and "secret" not in payload["fields"]
    nested = jwe.decrypt_compact(payload["hidden"], OctKey.import_key(key_to_jwk(ENC)))
    assert nested.protected == {"alg": "dir", "enc": "A256GCM", "kid": "enc-2026"}
    assert json.loads(nested.plaintext) == {"secret": {"after": "tags", "yaml": "secret: hush\n"}}


def test_we_accept_a_signed_seal_with_hidden_fields_built_by_joserfc() -> None:
    visible = parse(DOC.replace(b"secret: hush\n", b""))
    hidden = json.dumps({"secret": {"after": "tags", "yaml": "secret: hush\n"}}, separators=(",", ":"))
    nested = jwe.encrypt_compact(
        {"alg": "dir", "enc": "A256GCM", "kid": ENC.kid}, hidden, OctKey.import_key(key_to_jwk(ENC))
    )
    payload = json.loads(encode(build(visible, Binding())))
    payload["hidden"] = nested
    token = jws.serialize_compact(
        {"alg": "Ed25519", "kid": SIGN.kid},
        json.dumps(payload, separators=(",", ":"), sort_keys=True),
        OKPKey.import_key(key_to_jwk(SIGN)),
        algorithms=["Ed25519"],
    )
    data = DOC.replace(b"secret: hush\n", b"").replace(b"---\nBody", f'secured: "{token}"\n---\nBody'.encode())
    assert verify_document(parse(data), Keyring([PUBLIC])).status is Status.OK
    opened = open_document(parse(data), Keyring([PUBLIC, ENC]))
    assert opened.payload.hidden["secret"].yaml == "secret: hush\n"  # type: ignore[union-attr]
    restored = restore_document(parse(data), Keyring([PUBLIC, ENC]))
    assert restored.data is not None and b"secret: hush\n" in restored.data


def test_hidden_fields_stay_confidential_and_need_the_encryption_key() -> None:
    sealed = _seal(hide=["secret"])
    assert b"secret" not in sealed.replace(_secured(sealed).encode(), b"")
    value = _secured(sealed)
    assert b"hush" not in _b64url_decode(value.split(".")[1])
    public_only = Keyring([PUBLIC])
    assert verify_document(parse(sealed), public_only).status is Status.OK
    opened = open_document(parse(sealed), public_only)
    assert opened.hidden_locked == "enc-2026" and not opened.payload.hidden  # type: ignore[union-attr]
    with pytest.raises(UnknownKeyError, match="encrypted with the key 'enc-2026'"):
        restore_document(parse(sealed), public_only)
    restored = restore_document(parse(sealed), Keyring([PUBLIC, ENC]))
    assert restored.data is not None and b"secret: hush" in restored.data
    # Re-sealing without the encryption key would lose them: refused, unless --force.
    refused = seal_document(parse(sealed.replace(b"weight: 3", b"weight: 4")), Keyring([SIGN]))
    assert refused.data is None and refused.report.action == "refused" and "would lose them" in refused.report.message
    assert "enc-2026" in refused.report.message
    forced = seal_document(parse(sealed.replace(b"weight: 3", b"weight: 4")), Keyring([SIGN]), force=True)
    assert forced.data is not None and any("dropped" in w for w in forced.report.warnings)


def test_which_key_encrypts_hidden_fields() -> None:
    other = generate_key("enc-other")
    # The only A256GCM key of the keyring.
    assert json.loads(_nested_header(_seal(hide=["secret"])))["kid"] == "enc-2026"
    # Several: refused unless one is named (keys.encrypt or --encrypt-key).
    ring = Keyring([SIGN, ENC, other], primary=SIGN.kid)
    with pytest.raises(KeyringError, match="which one") as info:
        seal_document(parse(DOC), ring, hide=["secret"])
    assert "--encrypt-key" in str(info.value.hint)
    assert json.loads(_nested_header(_seal(ring=ring, hide=["secret"], encrypt_key="enc-other")))["kid"] == "enc-other"
    named = Keyring([SIGN, ENC, other], primary=SIGN.kid, encrypt="enc-other")
    assert json.loads(_nested_header(_seal(ring=named, hide=["secret"])))["kid"] == "enc-other"
    # None at all: refused. A signing key cannot be the encryption key.
    with pytest.raises(KeyringError, match="none"):
        seal_document(parse(DOC), Keyring([SIGN]), hide=["secret"])
    with pytest.raises(KeyringError, match="A256GCM"):
        seal_document(parse(DOC), Keyring([SIGN]), hide=["secret"], encrypt_key=SIGN.kid)
    # Without hidden fields no encryption key is needed at all.
    assert _seal(ring=Keyring([SIGN]))


def _nested_header(sealed: bytes) -> str:
    payload = json.loads(_b64url_decode(_secured(sealed).split(".")[1]))
    return _b64url_decode(payload["hidden"].split(".")[0]).decode()


def test_resealing_an_unchanged_article_is_byte_identical() -> None:
    ring = Keyring([SIGN, ENC], primary=SIGN.kid)
    for hide in ([], ["secret"]):
        sealed = _seal(ring=ring, hide=hide)
        again = seal_document(parse(sealed), ring)
        assert again.data is None and again.report.action == "unchanged"
        forced = seal_document(parse(sealed), ring, force=True)
        assert forced.data == sealed, hide  # Ed25519 is deterministic; the nested JWE is kept
    # A changed hidden set gets a new nested JWE; the visible edit is re-signed.
    sealed = _seal(ring=ring, hide=["secret"])
    edited = seal_document(parse(sealed.replace(b"weight: 3", b"weight: 4")), ring)
    assert edited.data is not None and _nested_header(edited.data) == _nested_header(sealed)
    assert verify_document(parse(edited.data), Keyring([PUBLIC])).status is Status.OK


def test_byte_exact_edits_with_the_signed_form() -> None:
    data = EXAMPLE.read_bytes()
    sealed = _seal(data, force=True)  # it holds a legacy seal nobody here can open
    doc, new = parse(data), parse(sealed)
    assert sealed[new.fm_end :] == data[doc.fm_end :]
    without = [e for e in new.entries if e.name != "secured"]
    assert [(e.name, e.value) for e in without] == [(e.name, e.value) for e in doc.entries if e.name != "secured"]
    crlf = article("title: A\nn: 1\n", newline="\r\n")
    out = _seal(crlf)
    assert out.count(b"\r\n") == out.count(b"\n") and out.startswith(crlf[: crlf.index(b"---\r\nBody")])


def test_rotate_between_any_kinds_refusing_what_does_not_verify(legacy_key: Key) -> None:
    ring = Keyring([SIGN, ENC, legacy_key])
    start = seal_document(parse(DOC), ring, key=ENC, hide=["secret"]).data
    assert start is not None
    signed = rotate_document(parse(start), ring, SIGN)
    assert signed.data is not None and signed.report.form == "jws"
    assert verify_document(parse(signed.data), Keyring([PUBLIC])).status is Status.OK
    assert open_document(parse(signed.data), ring).payload.hidden["secret"].yaml == "secret: hush\n"  # type: ignore[union-attr]
    back = rotate_document(parse(signed.data), ring, ENC)
    assert back.data is not None and back.report.form == "jwe"
    assert open_document(parse(back.data), ring).payload.hidden["secret"].yaml == "secret: hush\n"  # type: ignore[union-attr]
    other_sign = generate_signing_key("sign-2027")
    ring2 = Keyring([SIGN, ENC, other_sign])
    moved = rotate_document(parse(signed.data), ring2, other_sign)
    assert moved.data is not None and _nested_header(moved.data) == _nested_header(signed.data)  # carried as is
    assert verify_document(parse(moved.data), Keyring([public_key(other_sign)])).status is Status.OK
    assert rotate_document(parse(signed.data), ring, SIGN).report.action == "current"
    # A signed seal that does not verify is never re-sealed.
    tampered = rotate_document(parse(signed.data.replace(b"weight: 3", b"weight: 5")), ring, ENC)
    assert tampered.data is None and tampered.report.action == "refused"
    # The legacy form rotates to a signed seal too.
    legacy = seal_document(parse(article("title: Old\n")), ring, key=legacy_key, legacy=True).data
    assert legacy is not None
    up = rotate_document(parse(legacy), ring, SIGN)
    assert up.data is not None and verify_document(parse(up.data), Keyring([PUBLIC])).status is Status.OK
    # Rotating from signed to encrypted needs the hidden fields' key.
    stranger = Key("x", "A256GCM", bytes(32))
    locked = rotate_document(parse(signed.data), Keyring([SIGN, stranger]), stranger)
    assert locked.data is None and "enc-2026" in locked.report.message


def test_demo_and_retired_rules_apply_to_signing_keys() -> None:
    demo = Key("demo-sign", "Ed25519", bytes(32), demo=True)
    sealed = _seal(ring=Keyring([demo]))
    public = public_key(demo)
    assert public.demo and public_jwk(demo)["x-securedoc-demo"] is True
    report = verify_document(parse(sealed), Keyring([public]))
    assert report.status is Status.OK and any("demo" in w for w in report.warnings)
    sealed = _seal()
    retired = Keyring([PUBLIC], retired=[SIGN.kid])
    assert any("retired" in w for w in verify_document(parse(sealed), retired).warnings)
    assert verify_document(parse(sealed), retired, retired="error").status is Status.ERROR


# -- the cache -----------------------------------------------------------------------------------


def test_the_cache_key_never_derives_from_public_material_alone() -> None:
    settings = {"purpose": "verify"}
    with pytest.raises(ConfigError, match="needs a secret"):
        derive_cache_key(Keyring([PUBLIC]), settings, environ={})
    with pytest.raises(ConfigError, match="needs a secret"):  # the demo key's material is public too
        derive_cache_key(Keyring([PUBLIC, Key("demo", "A256GCM", bytes(32), demo=True)]), settings, environ={})
    with pytest.raises(ConfigError, match="too short"):
        derive_cache_key(Keyring([PUBLIC]), settings, environ={"SECUREDOC_CACHE_SECRET": "short"})
    one = derive_cache_key(Keyring([PUBLIC]), settings, environ={"SECUREDOC_CACHE_SECRET": "a" * 32})
    two = derive_cache_key(Keyring([PUBLIC]), settings, environ={"SECUREDOC_CACHE_SECRET": "b" * 32})
    assert one != two
    other_public = public_key(generate_signing_key(SIGN.kid))
    three = derive_cache_key(Keyring([other_public]), settings, environ={"SECUREDOC_CACHE_SECRET": "a" * 32})
    assert three != one  # a different public key: different entries
    assert derive_cache_key(Keyring([SIGN]), settings, environ={})  # a private key is a secret


# -- the command line ----------------------------------------------------------------------------


@pytest.fixture
def signing_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """keys/sign-2026.jwk (private) and keys/public/sign-2026.jwk; content/ with three articles."""
    write_jwk(tmp_path / "keys", SIGN)
    public = tmp_path / "keys" / "public" / "sign-2026.jwk"
    public.parent.mkdir()
    public.write_text(json.dumps(public_jwk(SIGN)))
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(EXAMPLE, content / EXAMPLE.name)
    for n in range(2):
        (content / f"a{n}.md").write_bytes(article(f"title: Article {n}\nn: {n}\n"))
    monkeypatch.chdir(tmp_path)
    for name in ("SECUREDOC_KEY", "CI", "SECUREDOC_CACHE_SECRET", "SECUREDOC_KEY_COMMAND"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_cli_keys_new_sign_public_and_list(tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CI", raising=False)  # a local run: the keys folder is used (not under CI)
    monkeypatch.delenv("SECUREDOC_KEY", raising=False)
    result = cli("keys", "new", "news-sign", "--sign")
    assert result.exit_code == 0, result.output
    path = tmp_path / "keys" / "news-sign.jwk"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    jwk = json.loads(path.read_text())
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("OKP", "Ed25519", "Ed25519") and "d" in jwk
    assert "keys public news-sign" in result.stderr
    before = path.read_bytes()
    assert cli("keys", "new", "news-sign", "--sign").exit_code == 2 and path.read_bytes() == before
    assert cli("keys", "new", "x", "--sign", "--legacy-cbc").exit_code == 2

    result = cli("keys", "public", "news-sign")
    assert result.exit_code == 0 and json.loads(result.stdout) == {k: v for k, v in jwk.items() if k != "d"}
    result = cli("keys", "public", "news-sign", "--keys", "keys", "--out", "keys/public/news-sign.jwk")
    assert result.exit_code == 0, result.output
    out = tmp_path / "keys" / "public" / "news-sign.jwk"
    assert "d" not in json.loads(out.read_text()) and stat.S_IMODE(out.stat().st_mode) == 0o644
    assert cli("keys", "public", "news-sign", "--out", str(out)).exit_code == 2  # never overwritten
    result = cli("keys", "public", "news-sign", "--key", str(out))  # from the public key itself
    assert result.exit_code == 0 and json.loads(result.stdout)["x"] == jwk["x"]
    cli("keys", "new", "enc")
    result = cli("keys", "public", "enc")
    assert result.exit_code == 2 and "no public half" in result.stderr
    assert cli("keys", "public", "missing").exit_code == 2

    result = cli("keys", "list", "--format", "json")
    rows = {json.loads(line)["kid"]: json.loads(line) for line in result.stdout.splitlines()}
    assert rows["news-sign"]["kind"] == "sign" and rows["enc"]["kind"] == "encrypt"
    assert rows["news-sign"]["thumbprint"] == OKPKey.import_key(jwk).thumbprint()
    result = cli("keys", "list", "--key", str(out))
    assert "verify only" in result.stdout and OKPKey.import_key(jwk).thumbprint() in result.stdout
    secret = json.dumps({"keys": [json.loads(out.read_text()), key_to_jwk(ENC)]})
    (tmp_path / "empty").mkdir()
    result = cli("keys", "list", "--format", "json", "--keys", str(tmp_path / "empty"), env={"SECUREDOC_KEY": secret})
    assert result.exit_code == 0, result.output
    kinds = sorted(json.loads(line)["kind"] for line in result.stdout.splitlines())
    assert kinds == ["encrypt", "verify"]


def test_cli_seal_with_private_key_verify_with_public_key_only(signing_project: Path, cli: Cli) -> None:
    result = cli("seal", "content", "--force")
    assert result.exit_code == 0, result.output
    public = "keys/public/sign-2026.jwk"
    for fmt in ("text", "json", "github", "junit"):
        result = cli("verify", "content", "--key", public, "--format", fmt)
        assert result.exit_code == 0, (fmt, result.output)
    article_path = signing_project / "content" / "a1.md"
    article_path.write_bytes(article_path.read_bytes().replace(b"title: Article 1", b"title: Forged"))
    result = cli("verify", "content", "--key", public, "--format", "json", "--jobs", "2")
    assert result.exit_code == 1
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    bad = [r for r in reports if r.get("status") == "mismatch"]
    assert len(bad) == 1 and bad[0]["fields"][0]["name"] == "title"
    assert bad[0]["fields"][0]["sealed"] == "Article 1" and bad[0]["fields"][0]["visible"] == "Forged"
    result = cli("verify", "content", "--format", "github", env={"SECUREDOC_KEY": json.dumps(public_jwk(SIGN))})
    assert result.exit_code == 1 and "title" in result.stdout


def test_cli_public_key_refusals(signing_project: Path, cli: Cli) -> None:
    public = "keys/public/sign-2026.jwk"
    result = cli("seal", "content", "--key", public)
    assert result.exit_code == 2 and "private key 'sign-2026'" in result.stderr
    cli("seal", "content", "--force")
    result = cli("rotate", "content", "--key", public)
    assert result.exit_code == 2 and "private key" in result.stderr
    result = cli("rotate", "content", "--key", public, "--to", "sign-2026")
    assert result.exit_code == 2 and "public key" in result.stderr
    result = cli("verify", "content", "--key", public, "--cache", ".cache")
    assert result.exit_code == 2 and "needs a secret" in result.stderr
    result = cli("verify", "content", "--key", public, "--cache", ".cache", env={"SECUREDOC_CACHE_SECRET": "s" * 40})
    assert result.exit_code == 0, result.output
    result = cli("verify", "content", "--key", public, "--cache", ".cache", env={"SECUREDOC_CACHE_SECRET": "s" * 40})
    assert result.exit_code == 0 and "3 ok" in result.stderr
    assert list((signing_project / ".cache").iterdir())


def test_cli_hide_open_restore_with_signed_seals(signing_project: Path, cli: Cli) -> None:
    target = "content/a0.md"
    result = cli("seal", target, "--hide", "n")
    assert result.exit_code == 2 and "--encrypt-key" in result.stderr  # no A256GCM key: refused up front
    write_jwk(signing_project / "keys", ENC)
    result = cli("seal", target, "--hide", "n", "--primary", "sign-2026")
    assert result.exit_code == 0, result.output
    assert b"n: 0" not in (signing_project / target).read_bytes()
    public = "keys/public/sign-2026.jwk"
    assert cli("verify", target, "--key", public).exit_code == 0
    result = cli("open", target, "--key", public)
    assert result.exit_code != 0 and "enc-2026" in result.stderr
    result = cli("open", target, "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["payload"]["hidden"]["n"]["yaml"] == "n: 0\n"
    assert json.loads(result.stdout)["form"] == "jws"
    result = cli("open", target)
    assert "JWS (Ed25519)" in result.stdout and "n: 0" in result.stdout
    result = cli("open", target, "--restore")
    assert result.exit_code == 0 and b"n: 0\n" in (signing_project / target).read_bytes()


def test_cli_rotate_from_symmetric_to_signing(project: Path, cli: Cli) -> None:
    assert cli("seal", "content", "--force").exit_code == 0
    write_jwk(project / "keys", SIGN)
    result = cli("rotate", "content", "--to", "sign-2026")
    assert result.exit_code == 0, result.output
    public = project / "pub.jwk"
    public.write_text(json.dumps(public_jwk(SIGN)))
    assert cli("verify", "content", "--key", str(public)).exit_code == 0
    assert cli("rotate", "content", "--to", "test-2026").exit_code == 0
    assert cli("verify", "content", "--key", str(public)).exit_code == 1  # encrypted again: needs that key


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_cli_verify_changed_with_a_public_key(signing_project: Path, cli: Cli) -> None:
    cli("seal", "content", "--force")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@e"
    for args in (["init", "-q"], ["add", "content"], ["commit", "-qm", "x"]):
        subprocess.run(["git", *args], check=True, env=env, capture_output=True)
    path = signing_project / "content" / "a0.md"
    path.write_bytes(path.read_bytes().replace(b"n: 0", b"n: 9"))
    result = cli("verify", "--changed", "--key", "keys/public/sign-2026.jwk", "--format", "json")
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["path"] for r in lines if "status" in r] == [os.path.join("content", "a0.md")]


def test_api_round_trip_with_signing_keys() -> None:
    ring = Keyring([SIGN])
    sealed = api.seal(DOC, ring)
    assert api.verify(sealed, Keyring([PUBLIC])).status is Status.OK
    assert api.open(sealed, Keyring([PUBLIC])).payload.fields  # type: ignore[union-attr]
    digest = hashlib.sha256(sealed).hexdigest()
    assert api.seal(sealed, ring) == sealed and hashlib.sha256(api.seal(sealed, ring)).hexdigest() == digest


def test_the_fast_path_takes_signed_seals_with_the_public_key_only() -> None:
    from securedoc import fastpath
    from securedoc.document import DEFAULT_LIMITS

    sealed = _seal()
    settings = fastpath.settings_for(DEFAULT_LIMITS)
    report = fastpath.verify_bytes(sealed, Keyring([PUBLIC]), settings=settings, limits=DEFAULT_LIMITS)
    assert report is not None and (report.status, report.form, report.kid) == (Status.OK, "jws", "sign-2026")
    for ring in (
        Keyring([Key(SIGN.kid, "A256GCM", PUBLIC.public_bytes())]),
        Keyring([public_key(generate_signing_key(SIGN.kid))]),
    ):
        assert fastpath.verify_bytes(sealed, ring, settings=settings, limits=DEFAULT_LIMITS) is None
    changed = sealed.replace(b"weight: 3", b"weight: 4")
    assert fastpath.verify_bytes(changed, Keyring([PUBLIC]), settings=settings, limits=DEFAULT_LIMITS) is None


def test_edit_refuses_a_signed_seal_whose_hidden_fields_it_cannot_open(tmp_path: Path) -> None:
    from securedoc.edit import edit_file

    path = tmp_path / "a.md"
    path.write_bytes(_seal(hide=["secret"]))
    before = path.read_bytes()
    with pytest.raises(UnknownKeyError, match="enc-2026"):
        edit_file(str(path), Keyring([SIGN]), editor=["true"])
    assert path.read_bytes() == before


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_ci_with_a_committed_public_key_read_through_trust(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recipe of docs/keys.md: the public key committed under keys/public, CI holds no secret and
    reads it from the trusted revision; a pull request that swaps in its own key and re-signs fails."""
    monkeypatch.chdir(tmp_path)
    for name in ("SECUREDOC_KEY", "SECUREDOC_KEY_COMMAND", "SECUREDOC_CACHE_SECRET"):
        monkeypatch.delenv(name, raising=False)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@e"

    def git(*args: str) -> None:
        subprocess.run(["git", *args], check=True, env=env, capture_output=True)

    git("init", "-q")
    private = tmp_path / "private" / "sign-2026.jwk"
    write_jwk(private.parent, SIGN)
    assert (
        cli("keys", "public", "sign-2026", "--key", str(private), "--out", "keys/public/sign-2026.jwk").exit_code == 0
    )
    (tmp_path / "securedoc.yaml").write_text("keys:\n  dir: keys/public\n")
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_bytes(article("title: A\nn: 1\n"))
    assert cli("seal", "content", "--key", str(private)).exit_code == 0
    git("add", "securedoc.yaml", "keys", "content")
    git("commit", "-qm", "sealed")
    ci = {"CI": "true"}
    result = cli("verify", "content", "--trust", "HEAD", env=ci)
    assert result.exit_code == 0, result.output
    # The pull request: its own signing key, its public half in keys/public, the article re-signed.
    forger = generate_signing_key("sign-2026")
    (tmp_path / "keys" / "public" / "sign-2026.jwk").write_text(json.dumps(public_jwk(forger)))
    path = tmp_path / "content" / "a.md"
    forged = seal_document(
        parse(path.read_bytes().replace(b"title: A", b"title: Forged")), Keyring([forger]), force=True
    )
    assert forged.data is not None
    path.write_bytes(forged.data)
    result = cli("verify", "content", "--trust", "HEAD", env=ci)
    assert result.exit_code != 0, result.output
    result = cli("verify", "content", env={**ci, "SECUREDOC_KEY": json.dumps(public_jwk(SIGN))})
    assert result.exit_code != 0, result.output


def test_signed_seals_through_the_proven_seal_line_edit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without SECUREDOC_CHECK_EDITS=full (what users run), a seal-line-only edit is proven, not
    re-parsed: the proof must accept a signed seal, and the result must verify with the public key."""
    monkeypatch.delenv("SECUREDOC_CHECK_EDITS", raising=False)
    ring = Keyring([SIGN, ENC], primary=SIGN.kid)
    first = _seal(ring=ring)
    again = seal_document(parse(first.replace(b"weight: 3", b"weight: 4")), ring)
    assert again.data is not None and again.report.action == "sealed"
    assert verify_document(parse(again.data), Keyring([PUBLIC])).status is Status.OK
    forced = seal_document(parse(again.data), ring, force=True)
    assert forced.data == again.data


def test_the_private_signing_key_never_leaks(tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The canary of test_leaks, for an Ed25519 private key: never in any output or error text."""
    from test_leaks import _encodings

    seed = bytes.fromhex("5eed5eedc0ffee0ddba11ad5c0de5eed5ca1ab1eba5eba11decafbadd00dfeed")
    canary = Key("canary-sign", "Ed25519", seed)
    needles = _encodings(seed)
    monkeypatch.chdir(tmp_path)
    for name in ("SECUREDOC_KEY", "SECUREDOC_KEY_COMMAND", "CI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECUREDOC_DEBUG", "1")
    write_jwk(tmp_path / "keys", canary)
    write_jwk(tmp_path / "keys", ENC)
    (tmp_path / "securedoc.yaml").write_text("keys:\n  primary: canary-sign\n")
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_bytes(DOC)
    (tmp_path / "content" / "b.md").write_bytes(DOC.replace(b"Hello", b"Bye"))
    bad = {**key_to_jwk(canary), "x": public_jwk(SIGN)["x"]}  # d and x of different keys
    (tmp_path / "mixed.jwk").write_text(json.dumps(bad))
    (tmp_path / "cut.jwk").write_text(json.dumps(key_to_jwk(canary))[:-6])
    runs = [
        ["keys", "list"],
        ["keys", "list", "--format", "json"],
        ["keys", "public", "canary-sign"],
        ["keys", "public", "canary-sign", "--out", "pub.jwk"],
        ["seal", "content", "--hide", "secret", "--format", "json"],
        ["seal", "content", "--force", "-v"],
        ["verify", "content", "--format", "json"],
        ["verify", "content", "--key", "pub.jwk", "--format", "github"],
        ["verify", "content", "--key", "pub.jwk", "--cache", "c"],
        ["open", "content/a.md", "--format", "json"],
        ["open", "content/a.md", "--key", "pub.jwk"],
        ["rotate", "content", "--to", "enc-2026"],
        ["rotate", "content", "--to", "canary-sign", "--key", "pub.jwk"],
        ["verify", "content", "--key", "mixed.jwk"],
        ["verify", "content", "--key", "cut.jwk"],
        ["seal", "content", "--key", "pub.jwk"],
    ]
    failures = 0
    for args in runs:
        result = cli(*args)
        failures += result.exit_code != 0
        for needle in needles:
            assert needle not in result.stdout_bytes + result.stderr_bytes, args
    assert failures >= 5

"""The signed-form test vectors (tests/data/vectors/securedoc-signed-v1.json, shown in docs/format.md).

securedoc must reproduce each vector byte for byte. An independent implementation, written here
from docs/format.md with nothing of securedoc but the published payload text (raw `cryptography`
Ed25519 and AES-GCM, hand-built JSON headers), must produce the very same `secured` string, and
joserfc must verify it with the public key alone.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jwe, jws
from joserfc.jwk import OctKey, OKPKey
from joserfc.registry import HeaderParameter

from securedoc import fastpath
from securedoc.articles import seal_document
from securedoc.document import DEFAULT_LIMITS, parse
from securedoc.keys import Keyring, keys_from_jwk_text
from securedoc.models import Status
from securedoc.payload import Binding
from securedoc.rules import RULES_VERSION
from securedoc.verify import verify_document

FILE = Path(__file__).parent / "data" / "vectors" / "securedoc-signed-v1.json"
VECTORS = json.loads(FILE.read_text())["vectors"]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _ring(vector: dict) -> Keyring:
    keys = keys_from_jwk_text(json.dumps(vector["jwk"]), "vector")
    if vector["encrypt_jwk"]:
        keys += keys_from_jwk_text(json.dumps(vector["encrypt_jwk"]), "vector")
    return Keyring(keys, primary=vector["jwk"]["kid"])


def test_there_are_vectors_with_and_without_hidden_fields() -> None:
    assert len(VECTORS) == 2 and [bool(v["hide"]) for v in VECTORS] == [False, True]
    assert VECTORS[0]["jwk"]["d"] == _b64url(bytes(range(32)))


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_signed_vector_reproduces_exactly(vector: dict) -> None:
    assert vector["fast_path"]["rules_version"] == RULES_VERSION, (
        "RULES_VERSION changed: regenerate the signed vectors (python tests/data/vectors/generate_signed.py) "
        "and update the signed vector shown in docs/format.md"
    )
    article = base64.b64decode(vector["article_b64"])
    nonce = bytes.fromhex(vector["nonce_hex"]) if vector["nonce_hex"] else None
    out = seal_document(parse(article), _ring(vector), Binding(), hide=vector["hide"], _nonce=nonce)
    assert out.data == base64.b64decode(vector["sealed_article_b64"])
    assert parse(out.data).seal_entry.value == vector["secured"]  # type: ignore[union-attr]
    public = Keyring(keys_from_jwk_text(json.dumps(vector["public_jwk"]), "vector"))
    assert verify_document(parse(out.data), public).status is Status.OK


def _independent_secured(vector: dict) -> str:
    """docs/format.md section 2.3, implemented without securedoc."""
    payload = vector["payload"]
    if vector["hide"]:
        # The nested JWE: dir + A256GCM, header {"alg","enc","kid"} sorted, no whitespace.
        enc = vector["encrypt_jwk"]
        hidden = json.loads(payload)["hidden"]
        # What it encrypts: the hidden mapping, canonical JSON (here: one field, written by hand).
        plaintext = json.dumps(
            {
                "embargo": {
                    "after": "title",
                    "yaml": "# release time, not public yet\nembargo: 2026-12-01T09:00:00+01:00\n",
                }
            },
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        header = _b64url(
            json.dumps({"alg": "dir", "enc": "A256GCM", "kid": enc["kid"]}, separators=(",", ":")).encode()
        )
        nonce = bytes.fromhex(vector["nonce_hex"])
        sealed = AESGCM(_unb64url(enc["k"])).encrypt(nonce, plaintext, header.encode("ascii"))
        nested = ".".join((header, "", _b64url(nonce), _b64url(sealed[:-16]), _b64url(sealed[-16:])))
        assert nested == hidden
    # The fast-path claim (section 6.1): the sealed file without its seal string, bound to the offset.
    fast = vector["fast_path"]
    sealed_article = base64.b64decode(vector["sealed_article_b64"])
    offset = fast["seal_offset"]
    without = sealed_article[:offset] + sealed_article[offset + len(vector["secured"]) :]
    h = _b64url(hashlib.sha256(b"securedoc fast path 1\x00" + offset.to_bytes(8, "big") + without).digest())
    claim = {"h": h, "r": fast["rules_version"], "s": fast["settings"]}
    protected = {"alg": "Ed25519", "kid": vector["jwk"]["kid"], "securedoc": claim}
    header = _b64url(json.dumps(protected, separators=(",", ":"), sort_keys=True).encode())
    body = _b64url(payload.encode("utf-8"))
    signature = Ed25519PrivateKey.from_private_bytes(_unb64url(vector["jwk"]["d"])).sign(f"{header}.{body}".encode())
    return f"{header}.{body}.{_b64url(signature)}"


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_an_independent_implementation_reproduces_the_vector(vector: dict) -> None:
    assert _independent_secured(vector) == vector["secured"]
    public = Ed25519PublicKey.from_public_bytes(_unb64url(vector["public_jwk"]["x"]))
    header, body, signature = vector["secured"].split(".")
    public.verify(_unb64url(signature), f"{header}.{body}".encode())
    # ...and the fast path accepts it with the public key alone, and nothing else.
    public_ring = Keyring(keys_from_jwk_text(json.dumps(vector["public_jwk"]), "vector"))
    sealed = base64.b64decode(vector["sealed_article_b64"])
    settings = vector["fast_path"]["settings"]
    report = fastpath.verify_bytes(sealed, public_ring, settings=settings, limits=DEFAULT_LIMITS)
    assert report is not None and report.status is Status.OK and report.form == "jws"
    changed = sealed.replace(b"title:", b"title: ", 1)
    assert fastpath.verify_bytes(changed, public_ring, settings=settings, limits=DEFAULT_LIMITS) is None


def _is_claim(value: object) -> None:
    if not isinstance(value, dict):
        raise ValueError("the securedoc claim is an object")


# The fast-path claim is a private header parameter; joserfc must be told about it.
JWS_REGISTRY = jws.JWSRegistry(
    header_registry={"securedoc": HeaderParameter("securedoc fast-path claim", _is_claim)}, algorithms=["Ed25519"]
)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_joserfc_verifies_the_vector_with_the_public_key(vector: dict) -> None:
    token = jws.deserialize_compact(vector["secured"], OKPKey.import_key(vector["public_jwk"]), registry=JWS_REGISTRY)
    assert token.payload.decode("utf-8") == vector["payload"]
    if vector["hide"]:
        nested = jwe.decrypt_compact(json.loads(token.payload)["hidden"], OctKey.import_key(vector["encrypt_jwk"]))
        assert set(json.loads(nested.plaintext)) == set(vector["hide"])


def test_the_signed_vectors_shown_in_the_format_spec_are_the_current_ones() -> None:
    spec = (Path(__file__).resolve().parent.parent / "docs" / "format.md").read_text(encoding="utf-8")
    assert VECTORS[0]["secured"] in spec and VECTORS[1]["payload"] in spec
    assert VECTORS[0]["fast_path"]["sha256_b64url"] in spec

"""The published test vectors (tests/data/vectors/securedoc-v1.json, shown in docs/format.md).

Our implementation must reproduce every vector exactly, and an independent implementation
(joserfc for JWE, raw `cryptography` for the legacy form) must open every one.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from joserfc import jwe
from joserfc.jwk import OctKey

from securedoc.document import parse
from securedoc.keys import Keyring, keys_from_jwk_text
from securedoc.models import Status
from securedoc.payload import Binding, build, encode, legacy_plaintext
from securedoc.seal import seal_document
from securedoc.verify import verify_document

VECTORS = json.loads((Path(__file__).parent / "data" / "vectors" / "securedoc-v1.json").read_text())["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_reproduces_exactly(vector: dict) -> None:
    (key,) = keys_from_jwk_text(json.dumps(vector["jwk"]), "vector")
    ring = Keyring([key])
    article = base64.b64decode(vector["article_b64"])
    out = seal_document(
        parse(article),
        ring,
        Binding(**vector["binding"]),
        hide=vector["hide"],
        legacy=vector["legacy"],
        _nonce=bytes.fromhex(vector["nonce_hex"]),
    )
    assert out.data == base64.b64decode(vector["sealed_article_b64"])
    assert parse(out.data).seal_entry.value == vector["secured"]  # type: ignore[union-attr]
    assert verify_document(parse(out.data), ring).status is Status.OK


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_opens_with_an_independent_implementation(vector: dict) -> None:
    sealed = parse(base64.b64decode(vector["sealed_article_b64"]))
    without_hidden = parse(base64.b64decode(vector["article_b64"]))
    if vector["legacy"]:
        raw_key = base64.urlsafe_b64decode(vector["jwk"]["k"] + "==")
        ct_b64, iv_b64 = vector["secured"].split(";")
        decryptor = Cipher(algorithms.AES(raw_key), modes.CBC(base64.b64decode(iv_b64))).decryptor()
        padded = decryptor.update(base64.b64decode(ct_b64)) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        plaintext = unpadder.update(padded) + unpadder.finalize()
        assert plaintext == legacy_plaintext(build(without_hidden, Binding(**vector["binding"])))
        return
    token = jwe.decrypt_compact(vector["secured"], OctKey.import_key(vector["jwk"]))
    assert token.protected["kid"] == vector["jwk"]["kid"]
    payload = json.loads(token.plaintext)
    assert payload["v"] == 1
    visible = {e.name for e in sealed.entries if e.name != "secured"}
    if isinstance(payload["fields"], dict) and "$" not in payload["fields"]:
        assert set(payload["fields"]) == visible - set(vector["binding"].get("exclude", []))
    assert set(payload.get("hidden", {})) == set(vector["hide"])
    if not vector["hide"]:
        assert token.plaintext == encode(build(sealed, Binding(**vector["binding"])))

"""The published test vectors (tests/data/vectors/securedoc-v2.json, shown in docs/format.md).

Our implementation must reproduce every vector exactly, and an independent implementation
(joserfc for JWE, raw `cryptography` for the legacy form) must open every one.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from joserfc import jwe
from joserfc.jwk import OctKey
from joserfc.registry import HeaderParameter

from securedoc import copies, fastpath
from securedoc.articles import seal_document
from securedoc.document import DEFAULT_LIMITS, parse
from securedoc.errors import DocumentError
from securedoc.keys import Keyring, keys_from_jwk_text
from securedoc.models import Status
from securedoc.payload import Binding, build, encode, legacy_plaintext
from securedoc.rules import RULES_VERSION
from securedoc.verify import Policy, verify_document


def _is_claim(value: object) -> None:
    if not isinstance(value, dict):
        raise ValueError("the securedoc claim is an object")


# The fast-path claim is a private header parameter; joserfc must be told about it.
REGISTRY = jwe.JWERegistry(header_registry={"securedoc": HeaderParameter("securedoc fast-path claim", _is_claim)})
VECTORS = json.loads((Path(__file__).parent / "data" / "vectors" / "securedoc-v2.json").read_text())["vectors"]
# Payload format 1, frozen: what older securedoc wrote. Those seals keep verifying.
VECTORS_V1 = json.loads((Path(__file__).parent / "data" / "vectors" / "securedoc-v1.json").read_text())["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_reproduces_exactly(vector: dict) -> None:
    if vector["fast_path"] is not None:
        assert vector["fast_path"]["rules_version"] == RULES_VERSION, (
            "RULES_VERSION changed: regenerate the vectors (python tests/data/vectors/generate.py) and "
            "update the first vector shown in docs/format.md"
        )
    (key,) = keys_from_jwk_text(json.dumps(vector["jwk"]), "vector")
    ring = Keyring([key])
    article = base64.b64decode(vector["article_b64"])
    place = vector.get("path")  # bind_path: the article's path relative to the project root
    out = seal_document(
        parse(article),
        ring,
        Binding(**vector["binding"]),
        hide=vector["hide"],
        legacy=vector["legacy"],
        _nonce=bytes.fromhex(vector["nonce_hex"]),
        place=place,
        fast=copies.fast_settings(fastpath.settings_for(DEFAULT_LIMITS), place) or True,
    )
    assert out.data == base64.b64decode(vector["sealed_article_b64"])
    assert parse(out.data).seal_entry.value == vector["secured"]  # type: ignore[union-attr]
    policy = Policy(binding=Binding(**vector["binding"]))  # the verifier knows what the sealer left out
    assert verify_document(parse(out.data), ring, policy=policy, place=place).status is Status.OK
    if place is not None:
        moved = verify_document(parse(out.data), ring, policy=policy, place="content/elsewhere.md")
        assert moved.status is Status.MISMATCH and moved.fields[0].sealed == place


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
    token = jwe.decrypt_compact(vector["secured"], OctKey.import_key(vector["jwk"]), registry=REGISTRY)
    assert token.protected["kid"] == vector["jwk"]["kid"]
    payload = json.loads(token.plaintext)
    assert payload["v"] == 2
    visible = {e.name for e in sealed.entries if e.name != "secured"}
    if isinstance(payload["fields"], dict) and "$" not in payload["fields"]:
        assert set(payload["fields"]) == visible - set(vector["binding"].get("exclude", []))
    assert set(payload.get("hidden", {})) == set(vector["hide"])
    assert payload.get("path") == vector.get("path")
    if not vector["hide"]:
        expected = dataclasses.replace(build(sealed, Binding(**vector["binding"])), path=vector.get("path"))
        assert token.plaintext == encode(expected)


FAST = [v for v in VECTORS if v["fast_path"] is not None]


@pytest.mark.parametrize("vector", FAST, ids=[v["name"] for v in FAST])
def test_vector_fast_path_claim_by_hand(vector: dict) -> None:
    """The fast-path claim, recomputed from docs/format.md alone (hashlib and joserfc, not securedoc)."""
    fast = vector["fast_path"]
    sealed = base64.b64decode(vector["sealed_article_b64"])
    value = vector["secured"].encode("ascii")
    offset = fast["seal_offset"]
    assert sealed[offset : offset + len(value)] == value and sealed[offset - 1 : offset] == b'"'
    without = sealed[:offset] + sealed[offset + len(value) :]
    h = hashlib.sha256(b"securedoc fast path 1\x00" + offset.to_bytes(8, "big") + without).digest()
    assert base64.urlsafe_b64encode(h).rstrip(b"=").decode() == fast["sha256_b64url"]
    token = jwe.decrypt_compact(vector["secured"], OctKey.import_key(vector["jwk"]), registry=REGISTRY)
    assert token.protected["securedoc"] == {
        "h": fast["sha256_b64url"],
        "r": fast["rules_version"],
        "s": fast["settings"],
    }
    (key,) = keys_from_jwk_text(json.dumps(vector["jwk"]), "vector")
    report = fastpath.verify_bytes(sealed, Keyring([key]), settings=fast["settings"], limits=DEFAULT_LIMITS)
    assert report is not None and report.status is Status.OK
    assert report == verify_document(parse(sealed, path="-"), Keyring([key]))


def test_vectors_without_fast_path_say_why() -> None:
    """Seals whose verification would note something (fields not bound) or legacy seals carry no claim."""
    names = {v["name"] for v in VECTORS if v["fast_path"] is None}
    assert names == {
        "current form, body not bound, fields excluded",
        "legacy form (AES-128-CBC, written with --legacy)",
    }


@pytest.mark.parametrize("vector", VECTORS_V1, ids=[v["name"] for v in VECTORS_V1])
def test_format_1_seals_keep_verifying_or_are_reported_clearly(vector: dict) -> None:
    (key,) = keys_from_jwk_text(json.dumps(vector["jwk"]), "vector")
    data = base64.b64decode(vector["sealed_article_b64"])
    if "typed keys" in vector["name"]:
        # `1: one` next to `'1': string one` is one key for Hugo: refused now, with its line.
        with pytest.raises(DocumentError, match="one key for some reader") as info:
            parse(data)
        assert info.value.line == 4 and info.value.hint
        return
    policy = Policy(binding=Binding(**vector["binding"]))  # the verifier's trusted binding
    report = verify_document(parse(data), Keyring([key]), policy=policy)
    assert report.status is Status.OK, report

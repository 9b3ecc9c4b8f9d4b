"""The crypto layer against Project Wycheproof (tests/data/wycheproof, Apache-2.0, see SOURCE.md).

AES-CBC-PKCS5: all 216 tests. AES-GCM: every test whose IV length `cryptography`'s AESGCM accepts
(8 to 128 bytes); the others are counted, and there must be exactly the 33 the README names.
Ed25519: all 151 verification tests, through crypto.ed25519_verify (what signed seals use).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from securedoc import crypto
from securedoc.errors import DecryptionFailed, SignatureInvalid

VECTORS = Path(__file__).parent / "data" / "wycheproof"


def _cases(name: str) -> list[tuple[dict, dict]]:
    data = json.loads((VECTORS / name).read_text())
    return [(group, test) for group in data["testGroups"] for test in group["tests"]]


CBC = _cases("aes_cbc_pkcs5_test.json")
GCM = _cases("aes_gcm_test.json")
ED25519 = _cases("ed25519_test.json")
GCM_SUPPORTED = [(g, t) for g, t in GCM if 8 <= len(bytes.fromhex(t["iv"])) <= 128]


def test_vector_counts() -> None:
    assert len(CBC) == 216
    assert len(GCM) == 316
    assert len(GCM) - len(GCM_SUPPORTED) == 33  # IV sizes 0, 8, 16, 32, 48 and 2056 bits
    assert len(ED25519) == 151
    assert sum(t["result"] == "valid" for _, t in ED25519) == 88
    assert sum(t["result"] == "invalid" for _, t in ED25519) == 63


@pytest.mark.parametrize(("group", "test"), ED25519, ids=[f"ed25519-{t['tcId']}" for _, t in ED25519])
def test_ed25519_verify(group: dict, test: dict) -> None:
    public = bytes.fromhex(group["publicKey"]["pk"])
    msg, sig = bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"])
    if test["result"] == "valid":
        crypto.ed25519_verify(public, sig, msg)
    else:
        assert test["result"] == "invalid"
        with pytest.raises(SignatureInvalid) as info:
            crypto.ed25519_verify(public, sig, msg)
        assert str(info.value).startswith("the signature does not verify with this key")


def test_ed25519_sign_is_deterministic_and_rfc8032() -> None:
    # RFC 8032 section 7.1, TEST 1 (empty message).
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    signature = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    assert crypto.ed25519_public(seed) == public
    assert crypto.ed25519_sign(seed, b"") == signature == crypto.ed25519_sign(seed, b"")
    crypto.ed25519_verify(public, signature, b"")
    with pytest.raises(SignatureInvalid):
        crypto.ed25519_verify(public, signature, b"x")
    assert len(crypto.ed25519_generate()) == 32


@pytest.mark.parametrize(("group", "test"), CBC, ids=[f"cbc-{t['tcId']}" for _, t in CBC])
def test_aes_cbc_pkcs5(group: dict, test: dict) -> None:
    key, iv = bytes.fromhex(test["key"]), bytes.fromhex(test["iv"])
    msg, ct = bytes.fromhex(test["msg"]), bytes.fromhex(test["ct"])
    if test["result"] == "valid":
        assert crypto.cbc_encrypt(key, iv, msg) == ct
        assert crypto.cbc_decrypt(key, iv, ct) == msg
    else:
        with pytest.raises(DecryptionFailed) as info:
            crypto.cbc_decrypt(key, iv, ct)
        assert str(info.value) == str(DecryptionFailed(info.value.message))


@pytest.mark.parametrize(("group", "test"), GCM_SUPPORTED, ids=[f"gcm-{t['tcId']}" for _, t in GCM_SUPPORTED])
def test_aes_gcm(group: dict, test: dict) -> None:
    key, iv = bytes.fromhex(test["key"]), bytes.fromhex(test["iv"])
    msg, ct, tag = bytes.fromhex(test["msg"]), bytes.fromhex(test["ct"]), bytes.fromhex(test["tag"])
    aad = bytes.fromhex(test["aad"])
    if test["result"] == "valid":
        assert crypto.gcm_encrypt(key, iv, msg, aad) == (ct, tag)
        assert crypto.gcm_decrypt(key, iv, ct, tag, aad) == msg
    else:
        with pytest.raises(DecryptionFailed):
            crypto.gcm_decrypt(key, iv, ct, tag, aad)


def test_gcm_unsupported_iv_is_a_uniform_failure() -> None:
    zero_iv = [(g, t) for g, t in GCM if not t["iv"]]
    assert zero_iv
    _, test = zero_iv[0]
    with pytest.raises(DecryptionFailed):
        crypto.gcm_decrypt(bytes.fromhex(test["key"]), b"", bytes.fromhex(test["ct"]), bytes.fromhex(test["tag"]), b"")


def test_cbc_failures_are_indistinguishable() -> None:
    """Bad padding, bad length and a wrong key all give the very same error text."""
    key, iv = bytes(16), bytes(16)
    ct = crypto.cbc_encrypt(key, iv, b"hello world")
    messages = set()
    for attempt in (
        lambda: crypto.cbc_decrypt(bytes([1] * 16), iv, ct),  # wrong key (padding almost surely bad)
        lambda: crypto.cbc_decrypt(key, iv, ct[:-1]),  # bad length
        lambda: crypto.cbc_decrypt(key, iv, ct[:-16] + bytes(16)),  # garbage last block
        lambda: crypto.cbc_decrypt(key, iv, b""),
    ):
        with pytest.raises(DecryptionFailed) as info:
            attempt()
        messages.add(str(info.value))
    assert len(messages) == 1


def test_key_size_errors_do_not_show_the_key() -> None:
    with pytest.raises(ValueError) as info:
        crypto.gcm_encrypt(b"\xaa" * 20, bytes(12), b"x", b"")
    assert str(info.value) == "an AES key has 16, 24 or 32 bytes, not 20"

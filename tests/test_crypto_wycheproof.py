"""The crypto layer against Project Wycheproof (tests/data/wycheproof, Apache-2.0, see SOURCE.md).

AES-CBC-PKCS5: all 216 tests. AES-GCM: every test whose IV length `cryptography`'s AESGCM accepts
(8 to 128 bytes); the others are counted, and there must be exactly the 33 the README names.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from securedoc import crypto
from securedoc.errors import DecryptionFailed

VECTORS = Path(__file__).parent / "data" / "wycheproof"


def _cases(name: str) -> list[tuple[dict, dict]]:
    data = json.loads((VECTORS / name).read_text())
    return [(group, test) for group in data["testGroups"] for test in group["tests"]]


CBC = _cases("aes_cbc_pkcs5_test.json")
GCM = _cases("aes_gcm_test.json")
GCM_SUPPORTED = [(g, t) for g, t in GCM if 8 <= len(bytes.fromhex(t["iv"])) <= 128]


def test_vector_counts() -> None:
    assert len(CBC) == 216
    assert len(GCM) == 316
    assert len(GCM) - len(GCM_SUPPORTED) == 33  # IV sizes 0, 8, 16, 32, 48 and 2056 bits


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

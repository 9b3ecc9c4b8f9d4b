"""Tests written against surviving mutants of envelope, sealing and fileio (issue 12; docs/testing.md,
"Mutation testing", the sections "envelope", "sealing" and "fileio and atomicfile, re-run").

Each group says which mutants it kills. They assert what a user relies on: which seals are accepted
and which refused, the exact words of each refusal (what is wrong, where), the bytes securedoc writes,
which key opens a seal.
"""

from __future__ import annotations

import base64
import dataclasses
import errno
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from securedoc import atomicfile, crypto, envelope, fileio, sealing
from securedoc.document import Limits, parse
from securedoc.errors import (
    DecryptionFailed,
    KeyringError,
    MalformedSeal,
    PayloadError,
    RefusedError,
    SecuredocError,
    SignatureInvalid,
    UnknownKeyError,
    WriteError,
)
from securedoc.keys import Key, Keyring, public_key
from securedoc.payload import Hidden, Payload, encode


def _u(data: bytes | int) -> str:
    return envelope.b64url_encode(bytes(data) if isinstance(data, int) else data)


def _b64(n: int) -> str:
    return base64.b64encode(bytes(n)).decode()


def _header(obj: object) -> str:
    return _u(json.dumps(obj, separators=(",", ":")).encode())


def _refusal(text: object) -> str:
    with pytest.raises(MalformedSeal) as info:
        envelope.parse(text)  # type: ignore[arg-type]
    return info.value.message


JWE_HEADER = {"alg": "dir", "enc": "A256GCM", "kid": "k1"}
JWS_HEADER = {"alg": "Ed25519", "kid": "s1"}


def _jwe(
    header: object = None, *, key: str = "", nonce: str | None = None, ct: str | None = None, tag: str | None = None
) -> str:
    head = _header(JWE_HEADER if header is None else header)
    return ".".join(
        (head, key, _u(12) if nonce is None else nonce, _u(40) if ct is None else ct, _u(16) if tag is None else tag)
    )


def _jws(header: object = None, *, payload: str | None = None, signature: str | None = None) -> str:
    head = _header(JWS_HEADER if header is None else header)
    return ".".join((head, _u(b'{"v":1}') if payload is None else payload, _u(64) if signature is None else signature))


# -- envelope: the words of every refusal ------------------------------------------------------------
# Mutants: each message string ("XX...XX", lower/upper case), the name of the part in it (`what`),
# the sizes and counts it reports. A user reads these words to know what is wrong with a seal.


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the seal is empty"),
        (
            _b64(32) + ";" + _b64(16) + ";" + _b64(16),
            "the seal has 3 parts separated by ';'; the legacy form has exactly 2 (ciphertext;iv)",
        ),
        (_jwe().replace(".", ";", 1), "the seal mixes the legacy form (';') and the JOSE forms ('.')"),
        (
            _jwe() + ".x",
            "the seal has 6 parts separated by '.'; a JWE compact serialization has exactly 5, "
            "a JWS (signed seal) exactly 3",
        ),
        (
            "a.b",
            "the seal has 2 parts separated by '.'; a JWE compact serialization has exactly 5, "
            "a JWS (signed seal) exactly 3",
        ),
        (
            "abc",
            "the seal is in no known form: expected 'ciphertext;iv' (legacy), a JWE compact "
            "serialization (five parts separated by '.') or a JWS (three parts separated by '.')",
        ),
        ("é" + _b64(16), "the seal contains 'é'; a seal is plain ASCII"),
        ("AA\u200bA", "the seal contains the character U+200B; a seal is plain ASCII"),
    ],
)
def test_the_seal_shape_refusals_say_what_is_wrong(text: str, message: str) -> None:
    assert _refusal(text) == message


def test_a_seal_that_is_not_a_string_names_its_type() -> None:
    assert _refusal(123) == "a seal is a string, not int"
    assert _refusal(None) == "a seal is a string, not NoneType"
    assert _refusal(b"abc") == "a seal is a string, not bytes"


@pytest.mark.parametrize("space", [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\u00a0", "\u2028", "\u3000"])
def test_any_whitespace_in_a_seal_is_named_as_whitespace(space: str) -> None:
    """ASCII and Unicode whitespace alike: the seal was wrapped or pasted with a break, not 'non-ASCII'."""
    for text in (_jwe()[:10] + space + _jwe()[10:], _b64(32) + ";" + space + _b64(16), space + _jws()):
        assert _refusal(text) == "the seal contains whitespace or line breaks; a seal is one unbroken string"


def test_legacy_refusals_name_the_part_and_the_sizes() -> None:
    iv = _b64(16)
    assert _refusal(";" + iv) == "the legacy seal has no ciphertext before ';'"
    assert _refusal(_b64(32) + ";") == "the legacy seal has no IV after ';'"
    assert _refusal(f"{_b64(32)};{_b64(12)}") == "the legacy IV is 12 bytes; AES-CBC uses 16"
    assert _refusal(f"{_b64(32)};{_b64(17)}") == "the legacy IV is 17 bytes; AES-CBC uses 16"
    assert _refusal(f"{_b64(20)};{iv}") == (
        "the legacy ciphertext is 20 bytes, not a multiple of the 16-byte AES block"
    )
    assert _refusal(f"{_b64(32)[:-1]};{iv}") == (
        "the legacy ciphertext is not valid base64: its length (43) is not a multiple of 4 "
        "(missing or extra '=' padding?)"
    )
    assert _refusal(f"{_b64(32)};{iv.rstrip('=')}") == (
        "the legacy IV is not valid base64: its length (22) is not a multiple of 4 (missing or extra '=' padding?)"
    )
    assert _refusal(f"{_b64(32)};{iv}".replace("A", "-", 1)) == "the legacy ciphertext is not base64: it contains '-'"
    assert _refusal(f"{_b64(32)};{iv[:-3]}_==") == "the legacy IV is not base64: it contains '_'"
    assert _refusal(f"{_b64(32)};AA=A" + "A" * 20) == "the legacy IV is not valid base64: '=' padding may only end it"
    assert _refusal(_b64(32)[:-2] + "B=;" + iv) == (
        "the legacy ciphertext is not canonical base64 (its last character has stray bits)"
    )
    assert _refusal(_b64(32) + ";" + iv[:-3] + "B==") == (
        "the legacy IV is not canonical base64 (its last character has stray bits)"
    )


@pytest.mark.parametrize("size", [16, 32, 48, 400])
def test_legacy_ciphertexts_of_whole_blocks_are_accepted(size: int) -> None:
    seal = envelope.parse(f"{_b64(size)};{_b64(16)}")
    assert seal == envelope.LegacySeal(bytes(size), bytes(16))


def test_legacy_base64_padding_and_last_characters() -> None:
    """Canonical standard base64: one or two '=' end a part, and a last character that carries only
    bits of the data is accepted; one with bits beyond the data is not (RFC 4648 3.5)."""
    iv = bytes(range(16))
    for ciphertext in (bytes(15) + b"\xff", bytes(30) + b"\xff\xff", bytes(47) + b"\xff"):
        text = base64.b64encode(ciphertext).decode() + ";" + base64.b64encode(iv).decode()
        assert envelope.parse(text) == envelope.LegacySeal(ciphertext, iv)
    ends = base64.b64encode(bytes(15) + b"\xff").decode()  # ends "/w==": 'w' (48) has its low 4 bits clear
    assert ends.endswith("/w==")
    for stray in "xyzB/":
        with pytest.raises(MalformedSeal, match="stray bits"):
            envelope.parse(f"{ends[:-3]}{stray}==;{_b64(16)}")
    ends = base64.b64encode(bytes(31) + b"\xff").decode()  # ends "P8=": '8' (60) has its low 2 bits clear
    assert ends.endswith("P8=")
    assert envelope.parse(f"{ends};{_b64(16)}") == envelope.LegacySeal(bytes(31) + b"\xff", bytes(16))
    for stray in "9+/":
        with pytest.raises(MalformedSeal, match="stray bits"):
            envelope.parse(f"{ends[:-2]}{stray}=;{_b64(16)}")


def test_jwe_refusals_name_the_member_and_the_sizes() -> None:
    assert _refusal(_jwe({"alg": "A256KW", "enc": "A256GCM", "kid": "k"})) == (
        'the JWE header has alg "A256KW"; securedoc seals use "dir" (direct encryption)'
    )
    assert _refusal(_jwe({"enc": "A256GCM", "kid": "k"})) == (
        'the JWE header has alg null; securedoc seals use "dir" (direct encryption)'
    )
    assert _refusal(_jwe({"alg": "dir", "enc": "A128GCM", "kid": "k"})) == (
        'the JWE header has enc "A128GCM"; securedoc seals use "A256GCM"'
    )
    assert _refusal(_jwe({"alg": "dir", "kid": "k"})) == 'the JWE header has enc null; securedoc seals use "A256GCM"'
    assert _refusal(_jwe({"alg": "dir", "enc": "A256GCM"})) == (
        "the JWE header has no key id (kid), so no key can be chosen to check it"
    )
    assert _refusal(_jwe({**JWE_HEADER, "zip": "DEF"})) == (
        "the JWE header asks for compression (zip), which securedoc does not support"
    )
    assert _refusal(_jwe({**JWE_HEADER, "crit": ["x"]})) == (
        "the JWE header lists critical extensions (crit) that securedoc does not know"
    )
    assert _refusal(_jwe(key=_u(8))) == 'the JWE has an encrypted key; with alg "dir" that part must be empty'
    assert _refusal(_jwe(nonce=_u(16))) == "the JWE nonce is 16 bytes; A256GCM uses 12"
    assert _refusal(_jwe(nonce=_u(11))) == "the JWE nonce is 11 bytes; A256GCM uses 12"
    assert _refusal(_jwe(ct="")) == "the JWE ciphertext is empty"
    assert _refusal(_jwe(tag=_u(12))) == "the JWE tag is 12 bytes; A256GCM uses 16"
    assert _refusal(_jwe(tag=_u(17))) == "the JWE tag is 17 bytes; A256GCM uses 16"
    # base64url errors name the part they are in
    assert _refusal(_jwe(nonce=_u(12) + "=")) == "the JWE nonce is not base64url: it contains '='"
    assert _refusal(_jwe(ct=_u(40) + "+")) == "the JWE ciphertext is not base64url: it contains '+'"
    assert _refusal(_jwe(tag="/" + _u(16))) == "the JWE tag is not base64url: it contains '/'"
    assert (
        _refusal(_jwe(tag=_u(16)[:-1] + "B"))
        == "the JWE tag is not canonical base64url (its last character has stray bits)"
    )
    assert _refusal("AAA" + _jwe()) == "the JWE header is not valid base64url: its length (57) is impossible"


def test_jwe_header_refusals_say_what_is_wrong_with_the_header() -> None:
    assert _refusal(_jwe(header=None).replace(_header(JWE_HEADER), _u(b"not json"))) == (
        "the JWE header is not JSON (Expecting value at character 0)"
    )
    assert _refusal(_jwe(header=[1])) == "the JWE header is not a JSON object"
    assert _refusal(_jwe().replace(_header(JWE_HEADER), _u(b"\xff"))) == "the JWE header is not UTF-8 text"
    twice = _u(b'{"alg":"dir","enc":"A256GCM","kid":"k","kid":"j"}')
    assert _refusal(_jwe().replace(_header(JWE_HEADER), twice)) == "the JWE header names 'kid' twice"


def test_jws_refusals_name_the_member_and_the_sizes() -> None:
    for alg in ("none", "HS256", "ES256", "ed25519"):
        assert _refusal(_jws({"alg": alg, "kid": "s"})) == (
            f'the JWS header has alg "{alg}"; securedoc signed seals use "Ed25519"'
        )
    assert _refusal(_jws({"kid": "s"})) == 'the JWS header has alg null; securedoc signed seals use "Ed25519"'
    assert _refusal(_jws({"alg": "Ed25519"})) == (
        "the JWS header has no key id (kid), so no key can be chosen to check it"
    )
    assert _refusal(_jws({"alg": "Ed25519", "kid": "a\nb"})) == (
        "the JWS header's key id is not a valid key id (printable text, up to 128 characters)"
    )
    assert _refusal(_jws({**JWS_HEADER, "crit": ["b64"]})) == (
        "the JWS header lists critical extensions (crit) that securedoc does not know"
    )
    assert _refusal(_jws(payload="")) == "the JWS payload is empty (a detached payload is not a seal)"
    assert _refusal(_jws(signature=_u(63))) == "the JWS signature is 63 bytes; Ed25519 signatures have 64"
    assert _refusal(_jws(signature=_u(65))) == "the JWS signature is 65 bytes; Ed25519 signatures have 64"
    assert _refusal(_jws(signature="")) == "the JWS signature is 0 bytes; Ed25519 signatures have 64"
    assert _refusal(_jws(payload="e30=")) == "the JWS payload is not base64url: it contains '='"
    assert _refusal(_jws(signature=_u(64) + "=")) == "the JWS signature is not base64url: it contains '='"
    assert _refusal(_jws().replace(_header(JWS_HEADER), _u(b"[]"))) == "the JWS header is not a JSON object"
    assert _refusal(_jws().replace(_header(JWS_HEADER), _u(b"{"))) == (
        "the JWS header is not JSON (Expecting property name enclosed in double quotes at character 1)"
    )
    assert _refusal(_jws().replace(_header(JWS_HEADER), _u(b"\xc3("))) == "the JWS header is not UTF-8 text"
    assert _refusal("=" + _jws()) == "the JWS header is not base64url: it contains '='"
    twice = _u(b'{"alg":"Ed25519","alg":"Ed25519","kid":"s"}')
    assert _refusal(_jws().replace(_header(JWS_HEADER), twice)) == "the JWS header names 'alg' twice"


@pytest.mark.parametrize("member", ["jwk", "jku", "x5u", "x5c", "b64", "zip", "enc"])
def test_a_jws_header_that_brings_a_key_or_changes_the_payload_is_refused(member: str) -> None:
    """A signed seal must never choose its own key (jwk, jku, x5u, x5c) nor how its payload is read."""
    assert _refusal(_jws({**JWS_HEADER, member: "x"})) == (
        f"the JWS header has '{member}', which securedoc does not accept: keys come from the keyring, "
        "chosen by kid, and the payload is plain base64url"
    )


def test_a_jws_header_refusal_names_the_first_refused_member() -> None:
    assert "'jwk'" in _refusal(_jws({**JWS_HEADER, "enc": "x", "jwk": {}}))


@pytest.mark.parametrize("alg", ["Ed25519", "EdDSA"])
def test_a_jws_with_either_ed25519_name_parses_to_its_parts(alg: str) -> None:
    head = _header({"alg": alg, "kid": "s1", "typ": "JWT"})
    payload, signature = _u(b'{"fields":{}}'), _u(bytes(range(64)))
    seal = envelope.parse(f"{head}.{payload}.{signature}")
    assert seal == envelope.JwsSeal(
        head, "s1", alg, payload, b'{"fields":{}}', bytes(range(64)), {"alg": alg, "kid": "s1", "typ": "JWT"}
    )
    assert seal.signing_input == f"{head}.{payload}".encode("ascii")  # type: ignore[union-attr]
    assert envelope.format_seal(seal) == f"{head}.{payload}.{signature}"


@given(
    kid=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,40}", fullmatch=True),
    payload=st.binary(min_size=1, max_size=200),
    signature=st.binary(min_size=64, max_size=64),
)
def test_jws_round_trip(kid: str, payload: bytes, signature: bytes) -> None:
    protected = envelope.jws_protected_header(kid)
    seal = envelope.JwsSeal(protected, kid, envelope.JWS_ALG, _u(payload), payload, signature, {})
    text = envelope.format_seal(seal)
    assert text == f"{protected}.{_u(payload)}.{_u(signature)}"
    parsed = envelope.parse(text)
    assert parsed == envelope.JwsSeal(
        protected, kid, "Ed25519", _u(payload), payload, signature, {"alg": "Ed25519", "kid": kid}
    )
    assert envelope.format_seal(parsed) == text


def test_a_jwe_parses_to_its_parts_and_its_header_is_the_aad() -> None:
    head = _header({"alg": "dir", "enc": "A256GCM", "kid": "k1", "securedoc": {"r": 4}})
    text = f"{head}..{_u(bytes(range(12)))}.{_u(b'ciphertext')}.{_u(bytes(range(16)))}"
    seal = envelope.parse(text)
    assert seal == envelope.JweSeal(
        head,
        "k1",
        bytes(range(12)),
        b"ciphertext",
        bytes(range(16)),
        {"alg": "dir", "enc": "A256GCM", "kid": "k1", "securedoc": {"r": 4}},
    )
    assert seal.aad == head.encode("ascii")  # type: ignore[union-attr]
    assert envelope.format_seal(seal) == text


# -- envelope: limits -------------------------------------------------------------------------------
# Mutants: `>` for `>=` (and the limits 4096 and 128 moved by one) in the header and key-id checks.


def _header_of_length(length: int, base: dict[str, str]) -> str:
    """A base64url header segment of exactly ``length`` characters (a multiple of 4)."""
    filler = 3 * length // 4 - len(json.dumps({**base, "x": ""}, separators=(",", ":")))
    return _header({**base, "x": "y" * filler})


@pytest.mark.parametrize(("base", "make", "what"), [(JWE_HEADER, _jwe, "JWE"), (JWS_HEADER, _jws, "JWS")])
def test_a_header_of_up_to_4096_characters_is_accepted(base: dict[str, str], make: object, what: str) -> None:
    head = _header_of_length(4096, base)
    assert len(head) == 4096
    seal = envelope.parse(make().replace(_header(base), head))  # type: ignore[operator]
    assert seal.protected == head  # type: ignore[union-attr]
    longer = _header_of_length(4100, base)
    assert _refusal(make().replace(_header(base), longer)) == (  # type: ignore[operator]
        f"the {what} header is 4100 characters long; the limit is 4096"
    )
    assert _refusal(make().replace(_header(base), head + "A")) == (  # type: ignore[operator]
        f"the {what} header is 4097 characters long; the limit is 4096"
    )


@pytest.mark.parametrize(("base", "make", "what"), [(JWE_HEADER, _jwe, "JWE"), (JWS_HEADER, _jws, "JWS")])
def test_key_ids_are_printable_and_up_to_128_characters(base: dict[str, str], make: object, what: str) -> None:
    for kid in ("k", "k" * 128, "clé-2026", "a b"):
        assert envelope.parse(make({**base, "kid": kid})).kid == kid  # type: ignore[operator,union-attr]
    invalid = f"the {what} header's key id is not a valid key id (printable text, up to 128 characters)"
    for bad in ("k" * 129, "a\x1bb", "\u200b"):
        assert _refusal(make({**base, "kid": bad})) == invalid  # type: ignore[operator]
    missing = f"the {what} header has no key id (kid), so no key can be chosen to check it"
    for nothing in ("", None, 7, ["k"]):
        assert _refusal(make({**base, "kid": nothing})) == missing  # type: ignore[operator]


# -- envelope: the headers securedoc writes ---------------------------------------------------------
# Mutants: sort_keys, separators, ensure_ascii, the protected names, `extra or {}`.


def _decoded(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def test_the_headers_securedoc_writes_are_canonical_json() -> None:
    assert _decoded(envelope.protected_header("k1")) == b'{"alg":"dir","enc":"A256GCM","kid":"k1"}'
    assert _decoded(envelope.jws_protected_header("s1")) == b'{"alg":"Ed25519","kid":"s1"}'
    assert _decoded(envelope.protected_header("clé", {"z": 1, "b": {"y": 2, "x": "é"}})) == (
        '{"alg":"dir","b":{"x":"é","y":2},"enc":"A256GCM","kid":"clé","z":1}'.encode()
    )
    assert _decoded(envelope.jws_protected_header("clé", {"securedoc": {"s": "é", "h": "x"}, "a": None})) == (
        '{"a":null,"alg":"Ed25519","kid":"clé","securedoc":{"h":"x","s":"é"}}'.encode()
    )
    assert envelope.protected_header("k1", None) == envelope.protected_header("k1", {})
    assert envelope.jws_protected_header("k1", None) == envelope.jws_protected_header("k1", {})


@pytest.mark.parametrize("name", ["alg", "enc", "kid"])
def test_extra_header_members_never_replace_alg_enc_or_kid(name: str) -> None:
    with pytest.raises(ValueError, match="^extra header members cannot replace alg, enc or kid$"):
        envelope.protected_header("k1", {name: "x"})
    if name != "enc":
        with pytest.raises(ValueError, match="^extra header members cannot replace alg or kid$"):
            envelope.jws_protected_header("k1", {name: "x"})


def test_b64url_decode_names_what_it_decodes() -> None:
    assert envelope.b64url_decode(_u(b"abc"), "thing") == b"abc"
    with pytest.raises(MalformedSeal) as info:
        envelope.b64url_decode("ab=", "key file's k")
    assert info.value.message == "the key file's k is not base64url: it contains '='"


# -- sealing: which key seals, which key opens, and the words when it does not --------------------

ENC = Key("enc-2026", "A256GCM", bytes(range(32)), source="test")
ENC2 = Key("enc-2027", "A256GCM", bytes(range(1, 33)), source="test")
SIGN = Key("sign-2026", "Ed25519", bytes(range(64, 96)), source="test")
PUBLIC = public_key(SIGN)
CBC = Key("cbc-1", "A128CBC", bytes(range(200, 216)), source="test")
CBC2 = Key("cbc-2", "A128CBC", bytes(range(16)), source="test")
FIELDS = {"title": Hidden("title: x\n", None)}
PLAIN = b'{"fields":{"title":"Hello"},"v":2}'


def _payload(hidden: dict[str, Hidden] | None = None) -> Payload:
    return Payload(fields={"title": ("title", "Hello")}, hidden=hidden or {})


def _error(call: Callable[[], object], kind: type[SecuredocError] = SecuredocError) -> SecuredocError:
    with pytest.raises(kind) as info:
        call()
    return info.value


@pytest.mark.parametrize(("key", "form"), [(ENC, "jwe"), (SIGN, "jws"), (CBC, "legacy")])
def test_every_kind_of_key_seals_and_opens_its_own_form(key: Key, form: str) -> None:
    ring = Keyring([ENC, SIGN, CBC], primary=ENC.kid)
    plaintext = PLAIN if form != "legacy" else b'{"title":"Hello"}'
    text = sealing.seal_payload(plaintext, key)
    assert sealing.form_of(key) == form
    seal = envelope.parse(text)
    assert seal.form == form
    opened = sealing.open_seal(seal, ring)
    assert (opened.key, opened.plaintext, opened.form, opened.hidden_locked) == (key, plaintext, form, None)
    assert sealing.open_checked(seal, ring).key == key
    if form != "legacy":
        assert sealing.authenticates(seal, ring) == key  # type: ignore[arg-type]


def test_a_jwe_is_sealed_under_the_nonce_and_header_given() -> None:
    nonce = bytes(range(12))
    text = sealing.seal_payload(PLAIN, ENC, nonce=nonce, header={"securedoc": {"r": 4}})
    seal = envelope.parse(text)
    assert isinstance(seal, envelope.JweSeal)
    assert seal.nonce == nonce and seal.header == {
        "alg": "dir",
        "enc": "A256GCM",
        "kid": ENC.kid,
        "securedoc": {"r": 4},
    }
    assert sealing.seal_payload(PLAIN, ENC, nonce=nonce, header={"securedoc": {"r": 4}}) == text
    assert sealing.seal_payload(PLAIN, ENC) != sealing.seal_payload(PLAIN, ENC)  # a fresh nonce each time
    iv = bytes(16)
    legacy = envelope.parse(sealing.seal_payload(PLAIN, CBC, nonce=iv))
    assert isinstance(legacy, envelope.LegacySeal) and legacy.iv == iv
    assert sealing.seal_payload(PLAIN, CBC) != sealing.seal_payload(PLAIN, CBC)
    signed = sealing.seal_payload(PLAIN, SIGN, header={"securedoc": {"r": 4}})
    assert signed == sealing.seal_payload(PLAIN, SIGN, header={"securedoc": {"r": 4}})  # Ed25519 is deterministic
    assert envelope.parse(signed).header == {"alg": "Ed25519", "kid": SIGN.kid, "securedoc": {"r": 4}}


def test_what_cannot_seal_says_why() -> None:
    error = _error(lambda: sealing.seal_payload(PLAIN, PUBLIC), KeyringError)
    assert error.message == "the key 'sign-2026' is a public key: it verifies seals but cannot make them"
    assert error.hint == "sealing needs the private key 'sign-2026' (the JWK with \"d\")"
    with pytest.raises(ValueError, match="^the legacy form has no header$"):
        sealing.seal_payload(PLAIN, CBC, header={"securedoc": {}})
    error = _error(lambda: sealing.seal_hidden(FIELDS, CBC), KeyringError)
    assert error.message == "hidden fields are encrypted with an A256GCM key; 'cbc-1' is a A128CBC key"
    error = _error(lambda: sealing.seal_hidden(FIELDS, SIGN), KeyringError)
    assert error.message == "hidden fields are encrypted with an A256GCM key; 'sign-2026' is a Ed25519 key"


def test_a_jwe_is_authenticated_with_its_header_as_written() -> None:
    seal = envelope.parse(sealing.seal_payload(PLAIN, ENC))
    assert isinstance(seal, envelope.JweSeal)
    respelled = _u(json.dumps(seal.header, separators=(", ", ": ")).encode())  # same members, other spelling
    forged = envelope.parse(envelope.format_seal(dataclasses.replace(seal, protected=respelled)))
    error = _error(lambda: sealing.open_seal(forged, Keyring([ENC])), DecryptionFailed)
    assert error.message == (
        "the seal does not decrypt with the key 'enc-2026': the seal was changed, or the key "
        "file holds a different key with the same id"
    )
    assert error.hint == "if the article is yours, run `securedoc seal --force` to seal it again"
    assert sealing.authenticates(forged, Keyring([ENC])) is None  # type: ignore[arg-type]
    other = Key(ENC.kid, "A256GCM", bytes(32), source="test")
    assert sealing.authenticates(seal, Keyring([other])) is None
    assert _error(lambda: sealing.open_seal(seal, Keyring([other])), DecryptionFailed).message == error.message


def test_a_key_id_names_one_key_for_one_algorithm() -> None:
    jwe = envelope.parse(sealing.seal_payload(PLAIN, ENC))
    as_signing = Key(ENC.kid, "Ed25519", bytes(range(64, 96)), source="test")
    error = _error(lambda: sealing.open_seal(jwe, Keyring([as_signing])), DecryptionFailed)
    assert error.message == "the seal is a JWE (A256GCM) but the key 'enc-2026' is an Ed25519 signing key"
    assert error.hint == "a key id must name one key for one algorithm; check the key file"
    as_cbc = Key(ENC.kid, "A256CBC", bytes(range(32)), source="test")
    error = _error(lambda: sealing.open_seal(jwe, Keyring([as_cbc])), DecryptionFailed)
    assert error.message == "the seal is a JWE (A256GCM) but the key 'enc-2026' is a legacy AES-CBC key (A256CBC)"
    assert error.hint == "a key id must name one key for one algorithm; check the key file"
    assert sealing.authenticates(jwe, Keyring([as_cbc])) is None  # type: ignore[arg-type]
    assert sealing.authenticates(jwe, Keyring([as_signing])) is None  # type: ignore[arg-type]
    jws = envelope.parse(sealing.seal_payload(PLAIN, SIGN))
    as_aes = Key(SIGN.kid, "A256GCM", bytes(range(32)), source="test")
    error = _error(lambda: sealing.open_seal(jws, Keyring([as_aes])), SignatureInvalid)
    assert error.message == "the seal is signed (JWS, Ed25519) but the key 'sign-2026' is a A256GCM key"
    assert error.hint == "a key id must name one key for one algorithm; check the key file"
    assert sealing.authenticates(jws, Keyring([as_aes])) is None  # type: ignore[arg-type]
    for seal in (jwe, jws):
        assert sealing.authenticates(seal, Keyring([ENC2])) is None  # type: ignore[arg-type]
        assert isinstance(_error(lambda: sealing.open_seal(seal, Keyring([ENC2]))), UnknownKeyError)  # noqa: B023


def test_a_signature_that_does_not_verify_says_why() -> None:
    seal = envelope.parse(sealing.seal_payload(PLAIN, SIGN))
    assert isinstance(seal, envelope.JwsSeal)
    other = Key(SIGN.kid, "Ed25519", bytes(32), source="test")
    error = _error(lambda: sealing.open_seal(seal, Keyring([other])), SignatureInvalid)
    assert error.message == (
        "the signature does not verify with the key 'sign-2026': the seal was changed, or the key "
        "file holds a different key with the same id"
    )
    assert error.hint == "if the article is yours, run `securedoc seal --force` to seal it again"
    assert sealing.authenticates(seal, Keyring([other])) is None
    assert sealing.authenticates(seal, Keyring([PUBLIC])) == PUBLIC
    # the signature covers the header too
    respelled = _u(json.dumps(seal.header, separators=(", ", ": ")).encode())
    forged = envelope.parse(envelope.format_seal(dataclasses.replace(seal, protected=respelled)))
    assert sealing.authenticates(forged, Keyring([PUBLIC])) is None  # type: ignore[arg-type]
    assert _error(lambda: sealing.open_seal(forged, Keyring([PUBLIC])), SignatureInvalid).message == error.message


def test_a_payload_of_the_wrong_form_for_its_seal_is_refused() -> None:
    """Hidden fields in the clear in a public (signed) payload, or a JWE string in an encrypted one."""
    clear = encode(_payload(FIELDS))
    error = _error(lambda: sealing.open_seal(envelope.parse(sealing.seal_payload(clear, SIGN)), Keyring([PUBLIC])))
    assert isinstance(error, PayloadError)
    assert (
        error.message == "the signed payload holds hidden fields in the clear; a signed seal must encrypt them (a JWE)"
    )
    nested = encode(dataclasses.replace(_payload(), sealed_hidden=sealing.seal_hidden(FIELDS, ENC)))
    error = _error(lambda: sealing.open_seal(envelope.parse(sealing.seal_payload(nested, ENC)), Keyring([ENC])))
    assert isinstance(error, PayloadError)
    assert error.message == "the payload's hidden fields are not a mapping"


def test_a_signed_payload_carries_its_hidden_fields_as_a_jwe_under_the_hidden_key() -> None:
    ring = Keyring([SIGN, ENC, ENC2], primary=SIGN.kid, encrypt=ENC2.kid)
    data = sealing.payload_bytes(_payload(FIELDS), SIGN, ring)
    obj = json.loads(data)
    assert set(obj) == {"v", "fields", "hidden"} and isinstance(obj["hidden"], str)
    assert envelope.parse(obj["hidden"]).kid == ENC2.kid
    assert sealing.open_hidden(obj["hidden"], ring) == (FIELDS, None)
    data = sealing.payload_bytes(_payload(FIELDS), SIGN, ring, encrypt_key=ENC.kid)
    assert envelope.parse(json.loads(data)["hidden"]).kid == ENC.kid
    # no hidden fields: no member; an encrypted seal keeps them as a mapping inside its payload
    assert json.loads(sealing.payload_bytes(_payload(), SIGN, ring)) == {"v": 2, "fields": {"title": "Hello"}}
    unsealed = dataclasses.replace(_payload(FIELDS), sealed_hidden="x")
    assert sealing.payload_bytes(unsealed, ENC, ring) == encode(_payload(FIELDS))
    assert json.loads(sealing.payload_bytes(unsealed, ENC, ring))["hidden"] == {
        "title": {"after": None, "yaml": "title: x\n"}
    }
    opened = sealing.open_seal(envelope.parse(sealing.seal_payload(data, SIGN)), ring)
    assert opened.payload.hidden == FIELDS and opened.hidden_locked is None  # type: ignore[union-attr]


def test_an_unchanged_signed_seal_keeps_its_hidden_jwe_byte_for_byte() -> None:
    ring = Keyring([SIGN, ENC], primary=SIGN.kid)
    first = sealing.payload_bytes(_payload(FIELDS), SIGN, ring)
    previous = sealing.open_seal(envelope.parse(sealing.seal_payload(first, SIGN)), ring)
    assert sealing.payload_bytes(_payload(FIELDS), SIGN, ring, previous=previous) == first
    assert sealing.payload_bytes(_payload(FIELDS), SIGN, ring) != first  # without it: a fresh nonce
    changed = {"title": Hidden("title: y\n", None)}
    again = sealing.payload_bytes(_payload(changed), SIGN, ring, previous=previous)
    assert again != first and sealing.open_hidden(json.loads(again)["hidden"], ring) == (changed, None)
    # another hidden key asked for: sealed again under it
    moved = sealing.payload_bytes(
        _payload(FIELDS), SIGN, Keyring([SIGN, ENC, ENC2]), encrypt_key=ENC2.kid, previous=previous
    )
    assert envelope.parse(json.loads(moved)["hidden"]).kid == ENC2.kid
    # a previous seal whose hidden fields could not be opened is never copied
    locked = dataclasses.replace(previous, hidden_locked=ENC.kid)
    assert sealing.payload_bytes(_payload(FIELDS), SIGN, ring, previous=locked) != first
    jwe_nonce = bytes(range(12))
    fixed = sealing.payload_bytes(_payload(FIELDS), SIGN, ring, hidden_nonce=jwe_nonce)
    assert envelope.parse(json.loads(fixed)["hidden"]).nonce == jwe_nonce  # type: ignore[union-attr]


def test_hidden_fields_without_their_key_are_locked_not_lost() -> None:
    ring = Keyring([SIGN, ENC], primary=SIGN.kid)
    sealed = sealing.seal_payload(sealing.payload_bytes(_payload(FIELDS), SIGN, ring), SIGN)
    opened = sealing.open_seal(envelope.parse(sealed), Keyring([PUBLIC]))
    assert opened.hidden_locked == ENC.kid and opened.payload.hidden == {}  # type: ignore[union-attr]
    error = _error(lambda: sealing.require_hidden(opened), UnknownKeyError)
    assert (
        error.message == "the seal's hidden fields are encrypted with the key 'enc-2026', which is not in the keyring"
    )
    assert error.hint == (
        "reading, restoring or carrying over hidden fields needs the A256GCM key 'enc-2026' "
        "(a public key only verifies)"
    )
    unlocked = sealing.require_hidden(sealing.open_seal(envelope.parse(sealed), ring))
    assert unlocked.payload.hidden == FIELDS  # type: ignore[union-attr]
    hidden = json.loads(sealing.open_seal(envelope.parse(sealed), ring).plaintext)["hidden"]
    assert sealing.open_hidden(hidden, Keyring([PUBLIC]), must=False) == ({}, ENC.kid)
    assert _error(lambda: sealing.open_hidden(hidden, Keyring([PUBLIC]))).message == error.message
    wrong_alg = Keyring([Key(ENC.kid, "A256CBC", bytes(32), source="test")])
    assert sealing.open_hidden(hidden, wrong_alg, must=False) == ({}, ENC.kid)
    assert isinstance(_error(lambda: sealing.open_hidden(hidden, wrong_alg)), UnknownKeyError)
    other = Keyring([Key(ENC.kid, "A256GCM", bytes(32), source="test")])
    error = _error(lambda: sealing.open_hidden(hidden, other, must=False), DecryptionFailed)
    assert error.message == (
        "the hidden fields do not decrypt with the key 'enc-2026': the key file holds a different key with the same id"
    )
    assert error.hint == "give securedoc the A256GCM key 'enc-2026' that sealed them"


def test_hidden_fields_that_are_not_a_jwe_are_refused() -> None:
    error = _error(lambda: sealing.open_hidden("abc", Keyring([ENC])), PayloadError)
    assert error.message == (
        "the signed payload's hidden fields are not a valid JWE: the seal is in no known form: expected "
        "'ciphertext;iv' (legacy), a JWE compact serialization (five parts separated by '.') or a JWS "
        "(three parts separated by '.')"
    )
    jws = sealing.seal_payload(PLAIN, SIGN)
    error = _error(lambda: sealing.open_hidden(jws, Keyring([SIGN]), must=False), PayloadError)
    assert error.message == "the signed payload's hidden fields are not a JWE (dir + A256GCM)"


def _cbc_seal(plaintext: bytes, key: Key, *, also_opens_with: Key, plaintext_is: Callable[[bytes], bool]) -> str:
    """A legacy seal of ``plaintext`` under ``key`` that ``also_opens_with`` decrypts without a padding
    error, to something ``plaintext_is`` accepts (CBC has no integrity: about one IV in 256 does)."""
    for _ in range(100_000):
        text = sealing.seal_payload(plaintext, key)
        seal = envelope.parse(text)
        assert isinstance(seal, envelope.LegacySeal)
        try:
            other = crypto.cbc_decrypt(also_opens_with.secret_bytes(), seal.iv, seal.ciphertext)
        except DecryptionFailed:
            continue
        if plaintext_is(other):
            return text
    raise AssertionError("no such seal found")


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_of_several_legacy_keys_the_one_that_gives_fields_opens_the_seal() -> None:
    """A wrong AES-CBC key often decrypts without an error: the key whose plaintext is a JSON object
    of fields wins, then text, then bytes, then the keyring's order."""
    fields = b'{"title":"Hello"}'
    text = _cbc_seal(fields, CBC2, also_opens_with=CBC, plaintext_is=lambda data: not _is_text(data))
    for ring in (Keyring([CBC, CBC2]), Keyring([CBC2, CBC])):
        opened = sealing.open_seal(envelope.parse(text), ring)
        assert (opened.key, opened.plaintext, opened.checkable) == (CBC2, fields, True)
    words = b"plain words"  # text beats bytes that are not text
    text = _cbc_seal(words, CBC2, also_opens_with=CBC, plaintext_is=lambda data: not _is_text(data))
    for ring in (Keyring([CBC, CBC2]), Keyring([CBC2, CBC])):
        opened = sealing.open_seal(envelope.parse(text), ring)
        assert (opened.key, opened.plaintext, opened.checkable) == (CBC2, words, False)
    # a key that fails with a padding error is passed over, wherever it stands in the keyring
    for _ in range(1000):
        seal = envelope.parse(sealing.seal_payload(fields, CBC2))
        if _opens_with_error(seal, Keyring([CBC])):  # type: ignore[arg-type]
            break
    for ring in (Keyring([CBC, CBC2]), Keyring([CBC2, CBC])):
        assert sealing.open_seal(seal, ring).key == CBC2
    # two keys of the same rank: the first in the keyring
    same = _cbc_seal(b"\xff\xfe", CBC2, also_opens_with=CBC, plaintext_is=lambda data: not _is_text(data))
    assert sealing.open_seal(envelope.parse(same), Keyring([CBC, CBC2])).key == CBC
    assert sealing.open_seal(envelope.parse(same), Keyring([CBC2, CBC])).key == CBC2


def test_legacy_seals_that_cannot_be_opened_say_why_and_give_one_answer() -> None:
    seal = envelope.parse(sealing.seal_payload(b'{"title":"Hello"}', CBC))
    error = _error(lambda: sealing.open_seal(seal, Keyring([ENC])), UnknownKeyError)
    assert error.message == "the seal is in the legacy AES-CBC form, and the keyring has no legacy key"
    assert error.hint == "add the legacy key (`securedoc keys import KID --legacy-cbc --hex < key.hex`)"
    flipped = envelope.parse(sealing.seal_payload(b'{"title":"Hello"}', CBC, nonce=bytes(16)))
    assert isinstance(flipped, envelope.LegacySeal)
    bad = dataclasses.replace(flipped, iv=bytes(16), ciphertext=flipped.ciphertext[:-16] + bytes(16))
    tries = [bad] + [dataclasses.replace(bad, ciphertext=bytes([i]) * 16 + bad.ciphertext[16:]) for i in range(9)]
    failing = [s for s in tries if _opens_with_error(s, Keyring([CBC]))]
    assert failing, "a padding error"
    error = _error(lambda: sealing.open_seal(failing[0], Keyring([CBC])), DecryptionFailed)
    assert (
        error.message
        == "the legacy seal does not decrypt with any legacy key: a key is missing or the seal was changed"
    )
    assert error.hint == "check that the right legacy key is in the keyring; re-seal if the article was edited"
    # open_checked: a padding error and a plaintext that is not fields get one answer (no padding oracle)
    for unreadable in (failing[0], envelope.parse(sealing.seal_payload(b"not json", CBC))):
        error = _error(lambda: sealing.open_checked(unreadable, Keyring([CBC])), PayloadError)  # noqa: B023
        assert (error.message, error.hint) == (sealing.LEGACY_UNCHECKABLE, sealing.LEGACY_HINT)
    # but a JWE that does not decrypt stays a decryption failure
    jwe = envelope.parse(sealing.seal_payload(PLAIN, ENC))
    wrong = Keyring([Key(ENC.kid, "A256GCM", bytes(32), source="test")])
    assert type(_error(lambda: sealing.open_checked(jwe, wrong))) is DecryptionFailed


def _opens_with_error(seal: envelope.LegacySeal, ring: Keyring) -> bool:
    try:
        sealing.open_seal(seal, ring)
    except DecryptionFailed:
        return True
    return False


SEALED_BY = "---\ntitle: x\nsecured: {}\n---\nBody\n"


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("~", "nothing (null)"),
        ("true", "a boolean"),
        ("3", "a number"),
        ("1.5", "a number"),
        ("[1]", "a list"),
        ("{a: 1}", "a mapping"),
        ("2020-01-01", "a date"),
        ("2020-01-01T10:00:00Z", "a timestamp"),
        (".inf", "the unquoted value .inf"),
        ("0x1F", "the unquoted value 0x1F"),
        ("!!binary aGVsbG8=", "binary data (!!binary)"),
        ("!!set {a, b}", "a set (!!set)"),
        ("!!omap [a: 1]", "an ordered mapping (!!omap)"),
        ("!!pairs [a: 1]", "a list of pairs (!!pairs)"),
        ("!foo bar", "a value tagged !foo"),
        ("{1: a}", "a mapping"),
    ],
)
def test_a_secured_field_that_is_not_a_string_says_what_it_holds(value: str, kind: str) -> None:
    document = parse(SEALED_BY.format(value).encode(), path="post.md")
    error = _error(lambda: sealing.read_seal(document), MalformedSeal)
    assert error.message == f"the 'secured' field holds {kind}, not a seal string"
    assert (error.path, error.line, error.field) == ("post.md", 3, "secured")
    assert error.hint == "run `securedoc seal` to replace it with a seal, or remove the 'secured' field"
    assert _error(lambda: sealing.open_document(document, Keyring([ENC]))).message == error.message


def test_a_damaged_seal_is_located_and_says_what_to_do() -> None:
    document = parse(SEALED_BY.format('"abc"').encode(), path="post.md")
    error = _error(lambda: sealing.read_seal(document), MalformedSeal)
    assert (error.path, error.line, error.field) == ("post.md", 3, "secured")
    assert error.message.startswith("the seal is in no known form")
    assert error.hint == "the seal was damaged or edited by hand; run `securedoc seal` to seal the article again"
    assert sealing.read_seal(parse(b"---\ntitle: x\n---\nBody\n")) is None


def test_open_document_refuses_what_is_not_sealed_and_locates_what_does_not_open() -> None:
    error = _error(lambda: sealing.open_document(parse(b"---\ntitle: x\n---\nBody\n", path="a.md"), Keyring([ENC])))
    assert isinstance(error, RefusedError)
    assert (error.message, error.path, error.hint) == (
        "the article is not sealed (no 'secured' field)",
        "a.md",
        "run `securedoc seal` on it first",
    )
    jwe = sealing.seal_payload(PLAIN, ENC)
    document = parse(f'---\ntitle: x\nn: 1\nsecured: "{jwe}"\n---\nBody\n'.encode(), path="a.md")
    assert sealing.open_document(document, Keyring([ENC])).plaintext == PLAIN
    error = _error(lambda: sealing.open_document(document, Keyring([ENC2])), UnknownKeyError)
    assert (error.path, error.line) == ("a.md", 4)
    # a legacy seal that is not fields: one answer, unless raw asks to see it anyway
    legacy = sealing.seal_payload(b"not json", CBC)
    document = parse(f'---\ntitle: x\nsecured: "{legacy}"\n---\nBody\n'.encode(), path="a.md")
    error = _error(lambda: sealing.open_document(document, Keyring([CBC])), PayloadError)
    assert (error.message, error.path, error.line) == (sealing.LEGACY_UNCHECKABLE, "a.md", 3)
    assert sealing.open_document(document, Keyring([CBC]), raw=True).plaintext == b"not json"


# -- fileio: limits on what is read, and folders this user cannot write ------------------------------


def test_standard_input_is_read_no_further_than_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """An endless or huge standard input is refused once it passes the limit, not read to its end
    first (mutant: `stream.read(None)`, which reads everything into memory, or never returns)."""
    read_end, write_end = os.pipe()
    written = 0

    def writer() -> None:
        nonlocal written
        chunk = b"x" * 4096
        try:
            while written < 64 << 20:
                written += os.write(write_end, chunk)
        except OSError:
            pass  # the reader closed its end: it has stopped reading
        finally:
            os.close(write_end)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    with os.fdopen(read_end, "rb") as stream:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stream))
        with pytest.raises(SecuredocError, match="standard input"):
            fileio.read_stdin(Limits(max_file_size=1000))
        monkeypatch.undo()
    thread.join(timeout=30)
    assert written < 1 << 20  # what the limit read, and what the pipe held


def test_a_folder_this_user_cannot_write_is_refused() -> None:
    """Write bits on a folder are not enough: the folder must be writable by this user (mutant:
    `os.access(folder, W_OK & X_OK)`, which only asks whether it exists). Checked as an ordinary user
    on '/' (root's, 0755): as root, in a forked child that becomes 'nobody'."""
    path = os.path.join("/", "securedoc-no-such-article.md")
    snapshot = fileio.Snapshot(0, 0, 0, 0, stat.S_IFREG | 0o644, 0, 0)
    if os.stat("/").st_mode & 0o022 or os.stat("/").st_uid == os.geteuid() != 0:
        pytest.skip("'/' is writable by this user here")
    if os.geteuid() != 0:
        with pytest.raises(WriteError) as info:
            fileio.check_writable(path, snapshot)
        assert info.value.message == "its folder is read-only, so the file cannot be replaced safely"
        return
    fileio.check_writable(path, snapshot)  # root may write there

    def refused() -> int:
        try:
            fileio.check_writable(path, snapshot)
        except WriteError as error:
            return 0 if error.message == "its folder is read-only, so the file cannot be replaced safely" else 2
        return 1

    assert _as_nobody(refused) == 0, "as 'nobody', '/' was not refused as read-only"


def _as_nobody(run: Callable[[], int]) -> int:
    """The exit code of ``run()`` in a forked child that has become 'nobody' (uid and gid 65534);
    4 if it raised. The child never returns into pytest."""
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            os.setgid(65534)
            os.setuid(65534)
            code = run()
        except BaseException:
            code = 4
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_write_error_other_than_a_full_disk_gets_no_full_disk_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"old")
    _, snapshot = fileio.read_article(str(path))

    def failing(fd: int, data: bytes) -> int:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(fileio.os, "write", failing)
    with pytest.raises(WriteError) as info:
        fileio.atomic_replace(str(path), b"new", snapshot)
    monkeypatch.undo()
    assert info.value.message == "cannot write the file: Input/output error; the original is unchanged"
    assert info.value.hint is None
    assert path.read_bytes() == b"old"


def test_an_ordinary_user_rewrites_a_shared_article_owned_by_someone_else() -> None:
    """Only root gives a rewritten file its owner back; an ordinary user who may write an article of
    someone else's (a shared, group-writable folder) rewrites it as their own (mutant: `geteuid() == 0
    or ...`, which tries to chown and fails). As root: in a forked child that becomes 'nobody'."""
    if os.geteuid() != 0:
        pytest.skip("needs root to make a file of another user's")
    folder = tempfile.mkdtemp(prefix="securedoc-shared-")
    try:
        os.chmod(folder, 0o777)
        path = os.path.join(folder, "a.md")
        with open(path, "wb") as handle:
            handle.write(b"old")
        os.chmod(path, 0o666)

        def rewrite() -> int:
            _, snapshot = fileio.read_article(path)
            fileio.atomic_replace(path, b"new", snapshot)
            return 0

        assert _as_nobody(rewrite) == 0, "as 'nobody', the shared article was not rewritten"
        with open(path, "rb") as handle:
            assert handle.read() == b"new"
        assert os.stat(path).st_uid == 65534
        _, snapshot = fileio.read_article(path)  # and root, rewriting it, keeps its owner
        fileio.atomic_replace(path, b"newer", snapshot)
        assert os.stat(path).st_uid == 65534
    finally:
        shutil.rmtree(folder)


def test_a_file_that_grows_while_read_is_refused_not_cut_short(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that keeps growing while it is read (short reads, a log being written) is refused
    once it passes the limit, neither cut at the limit (mutant: `while remaining > 1`) nor read on
    without end (mutants: `remaining = len(chunk)`, `remaining += len(chunk)`)."""
    path = tmp_path / "a.md"
    path.write_bytes(b"12345")
    handed_out = 0

    def growing(fd: int, size: int) -> bytes:
        nonlocal handed_out
        if size <= 0 or handed_out >= 10_000:
            return b""
        handed_out += 1
        return b"x"  # one byte a read, as a file being appended to

    monkeypatch.setattr(fileio.os, "read", growing)
    with pytest.raises(SecuredocError) as info:
        fileio.read_article(str(path), Limits(max_file_size=10))
    monkeypatch.undo()
    assert "grew while being read" in info.value.message
    assert handed_out < 100  # about the limit, not the 10,000 bytes there were


def test_the_clean_up_never_signals_the_process_that_left_a_temporary_file(tmp_path: Path) -> None:
    """Asking whether a temporary file's writer is alive must not disturb it (mutant:
    `os.kill(pid, 1)` for signal 0, which hangs up the writer: another securedoc run, an editor)."""
    # (a hang-up is fatal to it, even when this test runs under nohup, which ignores it)
    code = "import signal, time; signal.signal(signal.SIGHUP, signal.SIG_DFL); time.sleep(60)"
    writer = subprocess.Popen([sys.executable, "-c", code])
    time.sleep(0.2)  # let it set its signal handling up
    try:
        temp = tmp_path / f".a.md.securedoc-{writer.pid}-{'0' * 16}.tmp"
        temp.write_bytes(b"half")  # fresh, and its writer alive: kept
        assert atomicfile.cleanup_temp_files(str(tmp_path)) == []
        assert temp.exists()
        with pytest.raises(subprocess.TimeoutExpired):
            writer.wait(timeout=0.5)  # still running: never signalled
    finally:
        writer.kill()
        writer.wait()

"""The `secured` string and its three forms: the codec.

* **encrypted** (JWE): a JWE compact serialization (RFC 7516) with ``alg: dir``, ``enc: A256GCM``::

      BASE64URL(header) . "" . BASE64URL(nonce) . BASE64URL(ciphertext) . BASE64URL(tag)

  The protected header names the key (``kid``) and is authenticated as AES-GCM's associated data.
* **signed** (JWS): a JWS compact serialization (RFC 7515) with ``alg: Ed25519``::

      BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature)

  The payload is readable by anyone; the Ed25519 signature covers header and payload.
* **legacy**: ``BASE64(ciphertext) ";" BASE64(iv)``: AES-CBC, PKCS#7, a 16-byte IV, no integrity.

They are told apart by shape (a ``;``, four ``.`` or two ``.``). Parsing is strict: canonical base64 only
(no whitespace, no line breaks, correct padding, no stray bits), exact lengths, one form per
string; anything else raises :class:`~securedoc.errors.MalformedSeal` saying what is wrong.
This module does no cryptography: see :mod:`securedoc.crypto`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import b64url
from .crypto import CBC_IV_SIZE, GCM_NONCE_SIZE, GCM_TAG_SIZE
from .errors import MalformedSeal

__all__ = [
    "JWE_ALG",
    "JWE_ENC",
    "JWS_ALG",
    "JWS_ALGS",
    "JweSeal",
    "JwsSeal",
    "LegacySeal",
    "Seal",
    "parse",
    "format_seal",
    "protected_header",
    "jws_protected_header",
    "b64url_encode",
    "b64url_decode",
]

JWE_ALG = "dir"
JWE_ENC = "A256GCM"
JWS_ALG = "Ed25519"  # RFC 9864's fully-specified name; what securedoc writes
JWS_ALGS = (JWS_ALG, "EdDSA")  # read: EdDSA is what older JOSE libraries write for Ed25519
ED25519_SIGNATURE_SIZE = 64

_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_WHITESPACE = re.compile(r"\s")
_MAX_KID = 128
_MAX_HEADER = 4096


@dataclass(frozen=True)
class JweSeal:
    """A current-form seal. ``protected`` is the header segment exactly as written (it is the AAD)."""

    protected: str
    kid: str
    nonce: bytes
    ciphertext: bytes
    tag: bytes
    header: dict[str, Any]

    form = "jwe"

    @property
    def aad(self) -> bytes:
        return self.protected.encode("ascii")


@dataclass(frozen=True)
class JwsSeal:
    """A signed seal. ``protected`` and ``payload_b64`` are the segments exactly as written (the
    signature covers them as they are)."""

    protected: str
    kid: str
    alg: str
    payload_b64: str
    payload: bytes
    signature: bytes
    header: dict[str, Any]

    form = "jws"

    @property
    def signing_input(self) -> bytes:
        return (self.protected + "." + self.payload_b64).encode("ascii")


@dataclass(frozen=True)
class LegacySeal:
    """A legacy-form seal: AES-CBC ciphertext and its IV, no key id, no integrity."""

    ciphertext: bytes
    iv: bytes

    form = "legacy"


Seal = JweSeal | JwsSeal | LegacySeal


b64url_encode = b64url.encode
_show_char = b64url.show_char
_STD_VALUES = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def b64url_decode(text: str, what: str) -> bytes:
    """Strict, canonical base64url without padding (RFC 7515 section 2)."""
    try:
        return b64url.decode(text)
    except b64url.NotBase64url as exc:
        raise MalformedSeal(f"the {what} {exc}") from None


def _b64_decode(text: str, what: str) -> bytes:
    """Strict, canonical standard base64 with padding (RFC 4648 section 4)."""
    if not _B64.fullmatch(text):
        bad = next((c for c in text if not (c.isascii() and (c.isalnum() or c in "+/="))), None)
        if bad is None:
            raise MalformedSeal(f"the {what} is not valid base64: '=' padding may only end it")
        raise MalformedSeal(f"the {what} is not base64: it contains {_show_char(bad)}")
    if len(text) % 4:
        raise MalformedSeal(
            f"the {what} is not valid base64: its length ({len(text)}) is not a multiple of 4 "
            "(missing or extra '=' padding?)"
        )
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise MalformedSeal(f"the {what} is not valid base64 (misplaced '=' padding)") from None
    body = text.rstrip("=")
    if body and b64url.stray_bits(body[-1], len(body), _STD_VALUES):
        raise MalformedSeal(f"the {what} is not canonical base64 (its last character has stray bits)")
    return data


def protected_header(kid: str, extra: Mapping[str, Any] | None = None) -> str:
    """The header segment securedoc writes: canonical JSON, sorted keys, then base64url.

    ``extra`` adds protected members (they cannot replace ``alg``, ``enc`` or ``kid``).
    """
    header: dict[str, Any] = dict(extra or {})
    if {"alg", "enc", "kid"} & set(header):
        raise ValueError("extra header members cannot replace alg, enc or kid")
    header.update(alg=JWE_ALG, enc=JWE_ENC, kid=kid)
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return b64url_encode(text.encode("utf-8"))


def jws_protected_header(kid: str, extra: Mapping[str, Any] | None = None) -> str:
    """The JWS header segment securedoc writes: ``{"alg":"Ed25519","kid":KID}`` plus ``extra``
    protected members, canonical JSON (sorted keys, no whitespace), then base64url."""
    header: dict[str, Any] = dict(extra or {})
    if {"alg", "kid"} & set(header):
        raise ValueError("extra header members cannot replace alg or kid")
    header.update(alg=JWS_ALG, kid=kid)
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return b64url_encode(text.encode("utf-8"))


def _reject_duplicates(what: str) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise MalformedSeal(f"the {what} header names '{key}' twice")
            seen[key] = value
        return seen

    return hook


def _parse_header(segment: str, what: str = "JWE") -> dict[str, Any]:
    if len(segment) > _MAX_HEADER:
        raise MalformedSeal(f"the {what} header is {len(segment)} characters long; the limit is {_MAX_HEADER}")
    raw = b64url_decode(segment, f"{what} header")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_reject_duplicates(what))
    except UnicodeDecodeError:
        raise MalformedSeal(f"the {what} header is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise MalformedSeal(f"the {what} header is not JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(header, dict):
        raise MalformedSeal(f"the {what} header is not a JSON object")
    return header


def _check_kid(kid: Any, what: str) -> str:
    if not isinstance(kid, str) or not kid:
        raise MalformedSeal(f"the {what} header has no key id (kid), so no key can be chosen to check it")
    if len(kid) > _MAX_KID or not kid.isprintable():
        raise MalformedSeal(
            f"the {what} header's key id is not a valid key id (printable text, up to {_MAX_KID} characters)"
        )
    return kid


# Header members that would let a seal bring or point at its own key, or change how the payload
# is read: securedoc chooses keys by kid from its own keyring only, and reads payloads one way.
_JWS_REFUSED = ("jwk", "jku", "x5u", "x5c", "b64", "zip", "enc")


def _parse_jws(parts: list[str]) -> JwsSeal:
    protected, payload_b64, signature_b64 = parts
    header = _parse_header(protected, "JWS")
    alg = header.get("alg")
    if alg not in JWS_ALGS:
        raise MalformedSeal(f'the JWS header has alg {json.dumps(alg)}; securedoc signed seals use "Ed25519"')
    kid = _check_kid(header.get("kid"), "JWS")
    if "crit" in header:
        raise MalformedSeal("the JWS header lists critical extensions (crit) that securedoc does not know")
    refused = [name for name in _JWS_REFUSED if name in header]
    if refused:
        raise MalformedSeal(
            f"the JWS header has '{refused[0]}', which securedoc does not accept: keys come from the keyring, "
            "chosen by kid, and the payload is plain base64url"
        )
    if not payload_b64:
        raise MalformedSeal("the JWS payload is empty (a detached payload is not a seal)")
    payload = b64url_decode(payload_b64, "JWS payload")
    signature = b64url_decode(signature_b64, "JWS signature")
    if len(signature) != ED25519_SIGNATURE_SIZE:
        raise MalformedSeal(f"the JWS signature is {len(signature)} bytes; Ed25519 signatures have 64")
    return JwsSeal(protected, kid, alg, payload_b64, payload, signature, header)


def _parse_jwe(parts: list[str]) -> JweSeal:
    protected, encrypted_key, nonce_b64, ciphertext_b64, tag_b64 = parts
    header = _parse_header(protected)
    alg, enc, kid = header.get("alg"), header.get("enc"), header.get("kid")
    if alg != JWE_ALG:
        raise MalformedSeal(f'the JWE header has alg {json.dumps(alg)}; securedoc seals use "dir" (direct encryption)')
    if enc != JWE_ENC:
        raise MalformedSeal(f'the JWE header has enc {json.dumps(enc)}; securedoc seals use "A256GCM"')
    kid = _check_kid(kid, "JWE")
    if "zip" in header:
        raise MalformedSeal("the JWE header asks for compression (zip), which securedoc does not support")
    if "crit" in header:
        raise MalformedSeal("the JWE header lists critical extensions (crit) that securedoc does not know")
    if encrypted_key:
        raise MalformedSeal('the JWE has an encrypted key; with alg "dir" that part must be empty')
    nonce = b64url_decode(nonce_b64, "JWE nonce")
    if len(nonce) != GCM_NONCE_SIZE:
        raise MalformedSeal(f"the JWE nonce is {len(nonce)} bytes; A256GCM uses {GCM_NONCE_SIZE}")
    ciphertext = b64url_decode(ciphertext_b64, "JWE ciphertext")
    if not ciphertext:
        raise MalformedSeal("the JWE ciphertext is empty")
    tag = b64url_decode(tag_b64, "JWE tag")
    if len(tag) != GCM_TAG_SIZE:
        raise MalformedSeal(f"the JWE tag is {len(tag)} bytes; A256GCM uses {GCM_TAG_SIZE}")
    return JweSeal(protected, kid, nonce, ciphertext, tag, header)


def _parse_legacy(parts: list[str]) -> LegacySeal:
    ciphertext_b64, iv_b64 = parts
    if not ciphertext_b64:
        raise MalformedSeal("the legacy seal has no ciphertext before ';'")
    if not iv_b64:
        raise MalformedSeal("the legacy seal has no IV after ';'")
    ciphertext = _b64_decode(ciphertext_b64, "legacy ciphertext")
    iv = _b64_decode(iv_b64, "legacy IV")
    if len(iv) != CBC_IV_SIZE:
        raise MalformedSeal(f"the legacy IV is {len(iv)} bytes; AES-CBC uses {CBC_IV_SIZE}")
    if len(ciphertext) % 16:
        raise MalformedSeal(
            f"the legacy ciphertext is {len(ciphertext)} bytes, not a multiple of the 16-byte AES block"
        )
    return LegacySeal(ciphertext, iv)


def parse(text: str) -> Seal:
    """Parse a `secured` value into a seal of either form, strictly."""
    if not isinstance(text, str):
        raise MalformedSeal(f"a seal is a string, not {type(text).__name__}")
    if not text:
        raise MalformedSeal("the seal is empty")
    if any(c in text for c in " \t\n\r\x0b\x0c") or (not text.isascii() and _WHITESPACE.search(text)):
        raise MalformedSeal("the seal contains whitespace or line breaks; a seal is one unbroken string")
    if not text.isascii():
        bad = next(c for c in text if not c.isascii())
        raise MalformedSeal(f"the seal contains {_show_char(bad)}; a seal is plain ASCII")
    if ";" in text:
        parts = text.split(";")
        if len(parts) != 2:
            raise MalformedSeal(
                f"the seal has {len(parts)} parts separated by ';'; the legacy form has exactly 2 (ciphertext;iv)"
            )
        if "." in text:
            raise MalformedSeal("the seal mixes the legacy form (';') and the JOSE forms ('.')")
        return _parse_legacy(parts)
    parts = text.split(".")
    if len(parts) == 5:
        return _parse_jwe(parts)
    if len(parts) == 3:
        return _parse_jws(parts)
    if len(parts) > 1:
        raise MalformedSeal(
            f"the seal has {len(parts)} parts separated by '.'; a JWE compact serialization has exactly 5, "
            "a JWS (signed seal) exactly 3"
        )
    raise MalformedSeal(
        "the seal is in no known form: expected 'ciphertext;iv' (legacy), a JWE compact "
        "serialization (five parts separated by '.') or a JWS (three parts separated by '.')"
    )


def format_seal(seal: Seal) -> str:
    """The `secured` string for a seal (the inverse of :func:`parse`)."""
    if isinstance(seal, JweSeal):
        return ".".join(
            (seal.protected, "", b64url_encode(seal.nonce), b64url_encode(seal.ciphertext), b64url_encode(seal.tag))
        )
    if isinstance(seal, JwsSeal):
        return ".".join((seal.protected, seal.payload_b64, b64url_encode(seal.signature)))
    return base64.b64encode(seal.ciphertext).decode("ascii") + ";" + base64.b64encode(seal.iv).decode("ascii")

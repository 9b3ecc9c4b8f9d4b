"""The `secured` string and its two forms: the codec.

* **current**: a JWE compact serialization (RFC 7516) with ``alg: dir`` and ``enc: A256GCM``::

      BASE64URL(header) . "" . BASE64URL(nonce) . BASE64URL(ciphertext) . BASE64URL(tag)

  The protected header names the key (``kid``) and is authenticated as AES-GCM's associated data.
* **legacy**: ``BASE64(ciphertext) ";" BASE64(iv)``: AES-CBC, PKCS#7, a 16-byte IV, no integrity.

The two are told apart by shape (a ``;`` or four ``.``). Parsing is strict: canonical base64 only
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

from .crypto import CBC_IV_SIZE, GCM_NONCE_SIZE, GCM_TAG_SIZE
from .errors import MalformedSeal

__all__ = [
    "JWE_ALG",
    "JWE_ENC",
    "JweSeal",
    "LegacySeal",
    "Seal",
    "parse",
    "format_seal",
    "protected_header",
    "b64url_encode",
    "b64url_decode",
]

JWE_ALG = "dir"
JWE_ENC = "A256GCM"

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
class LegacySeal:
    """A legacy-form seal: AES-CBC ciphertext and its IV, no key id, no integrity."""

    ciphertext: bytes
    iv: bytes

    form = "legacy"


Seal = JweSeal | LegacySeal


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_URL_VALUES = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")}
_STD_VALUES = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _stray_bits(last: str, data_chars: int, values: dict[str, int]) -> bool:
    """Whether the last character of canonical base64 carries bits beyond the data (RFC 4648 3.5).
    With 2 data characters in the last quantum the low 4 bits are unused, with 3 the low 2."""
    unused = {2: 0xF, 3: 0x3}.get(data_chars % 4, 0)
    return bool(values.get(last, 0) & unused)


def b64url_decode(text: str, what: str) -> bytes:
    """Strict, canonical base64url without padding (RFC 7515 section 2)."""
    if "+" in text or "/" in text or "=" in text or not text.isascii():
        bad = next(c for c in text if not (c.isascii() and (c.isalnum() or c in "-_")))
        raise MalformedSeal(f"the {what} is not base64url: it contains {_show_char(bad)}")
    if len(text) % 4 == 1:
        raise MalformedSeal(f"the {what} is not valid base64url: its length ({len(text)}) is impossible")
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        bad = next((c for c in text if not (c.isalnum() or c in "-_")), "?")
        raise MalformedSeal(f"the {what} is not base64url: it contains {_show_char(bad)}") from None
    if text and _stray_bits(text[-1], len(text), _URL_VALUES):
        raise MalformedSeal(f"the {what} is not canonical base64url (its last character has stray bits)")
    return data


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
    if body and _stray_bits(body[-1], len(body), _STD_VALUES):
        raise MalformedSeal(f"the {what} is not canonical base64 (its last character has stray bits)")
    return data


def _show_char(c: str) -> str:
    if c == " ":
        return "a space"
    if c in "\r\n":
        return "a line break"
    if c == "\t":
        return "a tab"
    if c.isprintable():
        return f"'{c}'"
    return f"the character U+{ord(c):04X}"


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


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise MalformedSeal(f"the JWE header names '{key}' twice")
        seen[key] = value
    return seen


def _parse_header(segment: str) -> dict[str, Any]:
    if len(segment) > _MAX_HEADER:
        raise MalformedSeal(f"the JWE header is {len(segment)} characters long; the limit is {_MAX_HEADER}")
    raw = b64url_decode(segment, "JWE header")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_reject_duplicates)
    except UnicodeDecodeError:
        raise MalformedSeal("the JWE header is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise MalformedSeal(f"the JWE header is not JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(header, dict):
        raise MalformedSeal("the JWE header is not a JSON object")
    return header


def _parse_jwe(parts: list[str]) -> JweSeal:
    protected, encrypted_key, nonce_b64, ciphertext_b64, tag_b64 = parts
    header = _parse_header(protected)
    alg, enc, kid = header.get("alg"), header.get("enc"), header.get("kid")
    if alg != JWE_ALG:
        raise MalformedSeal(f'the JWE header has alg {json.dumps(alg)}; securedoc seals use "dir" (direct encryption)')
    if enc != JWE_ENC:
        raise MalformedSeal(f'the JWE header has enc {json.dumps(enc)}; securedoc seals use "A256GCM"')
    if not isinstance(kid, str) or not kid:
        raise MalformedSeal("the JWE header has no key id (kid), so no key can be chosen to open it")
    if len(kid) > _MAX_KID or not kid.isprintable():
        raise MalformedSeal(
            f"the JWE header's key id is not a valid key id (printable text, up to {_MAX_KID} characters)"
        )
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
            raise MalformedSeal("the seal mixes the legacy form (';') and the JWE form ('.')")
        return _parse_legacy(parts)
    parts = text.split(".")
    if len(parts) == 5:
        return _parse_jwe(parts)
    if len(parts) > 1:
        raise MalformedSeal(
            f"the seal has {len(parts)} parts separated by '.'; a JWE compact serialization has exactly 5"
        )
    raise MalformedSeal(
        "the seal is in neither form: expected 'ciphertext;iv' (legacy) or a JWE compact "
        "serialization (five parts separated by '.')"
    )


def format_seal(seal: Seal) -> str:
    """The `secured` string for a seal (the inverse of :func:`parse`)."""
    if isinstance(seal, JweSeal):
        return ".".join(
            (seal.protected, "", b64url_encode(seal.nonce), b64url_encode(seal.ciphertext), b64url_encode(seal.tag))
        )
    return base64.b64encode(seal.ciphertext).decode("ascii") + ";" + base64.b64encode(seal.iv).decode("ascii")

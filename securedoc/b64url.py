"""Unpadded base64url (RFC 7515 section 2: RFC 4648 section 5 without ``=``): the one encoder and
the one strict decoder that seals, key files, the fast path and the settings fingerprint share.

A leaf module (standard library only): ``keys`` and ``rules`` use it without loading YAML.
"""

from __future__ import annotations

import base64
import binascii

__all__ = ["encode", "decode", "NotBase64url", "show_char"]

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_VALUES = {c: i for i, c in enumerate(_ALPHABET)}


class NotBase64url(ValueError):
    """Text that is not canonical unpadded base64url. ``str()`` finishes the sentence "the X ...",
    e.g. "is not base64url: it contains '='", so each caller names what it decoded."""


def encode(data: bytes) -> str:
    """``data`` as base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def stray_bits(last: str, data_chars: int, values: dict[str, int]) -> bool:
    """Whether the last character of canonical base64 carries bits beyond the data (RFC 4648 3.5).
    With 2 data characters in the last quantum the low 4 bits are unused, with 3 the low 2."""
    unused = {2: 0xF, 3: 0x3}.get(data_chars % 4, 0)
    return bool(values.get(last, 0) & unused)


def decode(text: str) -> bytes:
    """Strict, canonical base64url without padding: one spelling per byte string, else
    :class:`NotBase64url` saying what is wrong."""
    if "+" in text or "/" in text or "=" in text or not text.isascii():
        bad = next(c for c in text if not (c.isascii() and (c.isalnum() or c in "-_")))
        raise NotBase64url(f"is not base64url: it contains {show_char(bad)}")
    if len(text) % 4 == 1:
        raise NotBase64url(f"is not valid base64url: its length ({len(text)}) is impossible")
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        bad = next((c for c in text if not (c.isalnum() or c in "-_")), "?")
        raise NotBase64url(f"is not base64url: it contains {show_char(bad)}") from None
    if text and stray_bits(text[-1], len(text), _VALUES):
        raise NotBase64url("is not canonical base64url (its last character has stray bits)")
    return data


def show_char(c: str) -> str:
    """A character named for an error message (never a raw control character)."""
    if c == " ":
        return "a space"
    if c in "\r\n":
        return "a line break"
    if c == "\t":
        return "a tab"
    if c.isprintable():
        return f"'{c}'"
    return f"the character U+{ord(c):04X}"

"""Keyring-level seal and open: the one owner of the `secured` string's cryptography.

The role :class:`cryptography.fernet.MultiFernet` plays for Fernet tokens, for every form a seal
can take:

* :func:`seal_payload`: payload bytes under a key -> the `secured` string (a JWE for an A256GCM
  key, the legacy form for an AES-CBC key);
* :func:`open_seal`: a parsed seal -> :class:`Opened` (which key opened it, the plaintext, the
  decoded payload), choosing the key by ``kid`` (or trying every legacy key);
* :func:`read_seal` / :func:`open_document`: the same, starting from an article's `secured` field.

Everything else (seal.py, verify.py, the API) goes through here; nothing else calls
:mod:`securedoc.crypto` on seals. Extra protected header members (``header=``) are authenticated
with the rest of the header, so later format additions need no change of this shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import crypto, envelope
from .document import SEAL_FIELD, Document
from .errors import DecryptionFailed, MalformedSeal, PayloadError, RefusedError, SecuredocError, UnknownKeyError
from .keys import Key, Keyring
from .payload import LegacyPayload, Payload, decode, decode_legacy

__all__ = [
    "Opened",
    "seal_payload",
    "open_seal",
    "open_checked",
    "authenticates",
    "read_seal",
    "open_document",
    "LEGACY_UNCHECKABLE",
]

LEGACY_UNCHECKABLE = (
    "legacy payload cannot be checked against the article: the seal does not decrypt to a JSON "
    "object of fields with any legacy key (a payload that is not JSON, a missing key, or a changed seal)"
)

LEGACY_HINT = (
    "check that the right legacy key is in the keyring; if the article is yours, "
    "`securedoc seal --force` replaces the legacy seal with a current one"
)


@dataclass(frozen=True)
class Opened:
    """A decrypted seal: which key opened it and what it holds."""

    seal: envelope.Seal
    key: Key
    plaintext: bytes
    payload: Payload | LegacyPayload

    @property
    def form(self) -> str:
        return self.seal.form

    @property
    def checkable(self) -> bool:
        return isinstance(self.payload, Payload) or self.payload.fields is not None


# -- seal ----------------------------------------------------------------------------------------


def seal_payload(
    plaintext: bytes, key: Key, *, nonce: bytes | None = None, header: Mapping[str, Any] | None = None
) -> str:
    """The `secured` string for payload bytes under ``key``: a JWE for an A256GCM key, the legacy
    form for an AES-CBC key.

    ``header``: extra protected header members (authenticated; not for the legacy form, which has
    no header). ``nonce`` (12 bytes, or a 16-byte IV for CBC) exists for published test vectors
    only: a nonce must never be used twice with one key.
    """
    if key.legacy:
        if header:
            raise ValueError("the legacy form has no header")
        iv = nonce if nonce is not None else crypto.random_bytes(crypto.CBC_IV_SIZE)
        ciphertext = crypto.cbc_encrypt(key.secret_bytes(), iv, plaintext)
        return envelope.format_seal(envelope.LegacySeal(ciphertext, iv))
    protected = envelope.protected_header(key.kid, header)
    nonce = nonce if nonce is not None else crypto.random_bytes(crypto.GCM_NONCE_SIZE)
    ciphertext, tag = crypto.gcm_encrypt(key.secret_bytes(), nonce, plaintext, protected.encode("ascii"))
    return envelope.format_seal(envelope.JweSeal(protected, key.kid, nonce, ciphertext, tag, {}))


# -- open ----------------------------------------------------------------------------------------


def _open_legacy(seal: envelope.LegacySeal, keyring: Keyring) -> Opened:
    keys = keyring.legacy_keys()
    if not keys:
        raise UnknownKeyError(
            "the seal is in the legacy AES-CBC form, and the keyring has no legacy key",
            hint="add the legacy key (`securedoc keys import KID --legacy-cbc --hex < key.hex`)",
        )
    candidates: list[tuple[int, Key, bytes, LegacyPayload]] = []
    for order, key in enumerate(keys):
        try:
            plaintext = crypto.cbc_decrypt(key.secret_bytes(), seal.iv, seal.ciphertext)
        except DecryptionFailed:
            continue
        payload = decode_legacy(plaintext)
        rank = 0 if payload.fields is not None else (1 if payload.text is not None else 2)
        candidates.append((rank * 1000 + order, key, plaintext, payload))
    if not candidates:
        raise DecryptionFailed(
            "the legacy seal does not decrypt with any legacy key: a key is missing or the seal was changed",
            hint="check that the right legacy key is in the keyring; re-seal if the article was edited",
        )
    _, key, plaintext, payload = min(candidates, key=lambda c: c[0])
    return Opened(seal, key, plaintext, payload)


def open_seal(seal: envelope.Seal, keyring: Keyring) -> Opened:
    """Decrypt a seal with the keyring. Raises UnknownKeyError, DecryptionFailed or PayloadError."""
    if isinstance(seal, envelope.LegacySeal):
        return _open_legacy(seal, keyring)
    key = keyring.require(seal.kid)
    if key.legacy:
        raise DecryptionFailed(
            f"the seal is a JWE (A256GCM) but the key '{key.kid}' is a legacy AES-CBC key ({key.alg})",
            hint="a key id must name one key for one algorithm; check the key file",
        )
    try:
        plaintext = crypto.gcm_decrypt(key.secret_bytes(), seal.nonce, seal.ciphertext, seal.tag, seal.aad)
    except DecryptionFailed:
        raise DecryptionFailed(
            f"the seal does not decrypt with the key '{key.kid}': the seal was changed, or the key "
            f"file holds a different key with the same id",
            hint="if the article is yours, run `securedoc seal --force` to seal it again",
        ) from None
    return Opened(seal, key, plaintext, decode(plaintext))


def authenticates(seal: envelope.JweSeal, keyring: Keyring) -> Key | None:
    """The key under which a current-form seal authenticates (its header included), else None.

    For the byte fast path (securedoc.fastpath): the plaintext is decrypted and dropped, so the
    payload is not decoded; whatever does not authenticate is left to :func:`open_seal` to explain.
    """
    key = keyring.get(seal.kid)
    if key is None or key.legacy:
        return None
    try:
        crypto.gcm_decrypt(key.secret_bytes(), seal.nonce, seal.ciphertext, seal.tag, seal.aad)
    except DecryptionFailed:
        return None
    return key


def open_checked(seal: envelope.Seal, keyring: Keyring) -> Opened:
    """:func:`open_seal`, with ONE answer for every legacy seal that cannot be checked.

    A legacy seal that does not decrypt (bad padding, wrong key) and one that decrypts to
    something other than a JSON object both raise the same PayloadError (same message, same
    hint), so that no command (verify, seal, seal --dry-run, rotate, open) is a padding oracle.
    """
    try:
        opened = open_seal(seal, keyring)
    except DecryptionFailed:
        if isinstance(seal, envelope.LegacySeal):
            raise PayloadError(LEGACY_UNCHECKABLE, hint=LEGACY_HINT) from None
        raise
    if not opened.checkable:
        raise PayloadError(LEGACY_UNCHECKABLE, hint=LEGACY_HINT)
    return opened


def read_seal(document: Document) -> envelope.Seal | None:
    """The parsed `secured` field, None when there is none; MalformedSeal (with its line) when bad."""
    entry = document.seal_entry
    if entry is None:
        return None
    value = entry.value
    if not isinstance(value, str):
        kind = _kind(value)
        raise MalformedSeal(
            f"the '{SEAL_FIELD}' field holds {kind}, not a seal string",
            path=document.path,
            line=entry.line,
            field=SEAL_FIELD,
            hint=f"run `securedoc seal` to replace it with a seal, or remove the '{SEAL_FIELD}' field",
        )
    try:
        return envelope.parse(value)
    except MalformedSeal as exc:
        exc.field = SEAL_FIELD
        exc.hint = exc.hint or "the seal was damaged or edited by hand; run `securedoc seal` to seal the article again"
        raise exc.located(path=document.path, line=entry.line) from None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        tag = str(value.get("$"))
        return {"float": "a number", "timestamp": "a timestamp", "date": "a date"}.get(tag, "a mapping")
    return type(value).__name__


def open_document(document: Document, keyring: Keyring, *, raw: bool = False) -> Opened:
    """Open an article's seal (``securedoc open``). Raises if there is none or it does not open.

    A legacy seal that does not decrypt to a JSON object gets the same error as one that does not
    decrypt at all (no padding oracle), unless ``raw`` asks to see such a payload anyway.
    """
    entry = document.seal_entry
    seal = read_seal(document)
    if seal is None or entry is None:
        raise RefusedError(
            f"the article is not sealed (no '{SEAL_FIELD}' field)",
            path=document.path,
            hint="run `securedoc seal` on it first",
        )
    try:
        return open_seal(seal, keyring) if raw else open_checked(seal, keyring)
    except SecuredocError as exc:
        raise exc.located(path=document.path, line=entry.line) from None

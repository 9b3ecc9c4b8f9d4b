"""Keyring-level seal and open: the one owner of the `secured` string's cryptography.

The role :class:`cryptography.fernet.MultiFernet` plays for Fernet tokens, for every form a seal
can take:

* :func:`seal_payload`: payload bytes under a key -> the `secured` string (a JWE for an A256GCM
  key, a JWS for an Ed25519 private key, the legacy form for an AES-CBC key);
* :func:`payload_bytes`: a :class:`Payload` -> the bytes a given key seals (for a signing key, the
  hidden fields become a nested JWE under the keyring's encryption key, :meth:`Keyring.hidden_key`);
* :func:`open_seal`: a parsed seal -> :class:`Opened` (which key opened or verified it, the
  plaintext, the decoded payload), choosing the key by ``kid`` (or trying every legacy key);
* :func:`read_seal` / :func:`open_document`: the same, starting from an article's `secured` field.

A signed seal is opened (verified) with a public key; its hidden fields stay locked unless the
keyring holds their encryption key (:attr:`Opened.hidden_locked`, :func:`require_hidden`).

Everything else (articles.py, verify.py, the API) goes through here; nothing else calls
:mod:`securedoc.crypto` on seals. Extra protected header members (``header=``) are authenticated
with the rest of the header, so later format additions need no change of this shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from . import crypto, envelope
from .document import SEAL_FIELD, Document
from .errors import (
    DecryptionFailed,
    KeyringError,
    MalformedSeal,
    PayloadError,
    RefusedError,
    SecuredocError,
    SignatureInvalid,
    UnknownKeyError,
)
from .keys import Key, Keyring
from .payload import Hidden, LegacyPayload, Payload, decode, decode_hidden, decode_legacy, encode, encode_hidden

__all__ = [
    "Opened",
    "form_of",
    "seal_payload",
    "seal_hidden",
    "payload_bytes",
    "open_seal",
    "authenticates",
    "open_hidden",
    "require_hidden",
    "read_seal",
    "open_document",
    "open_checked",
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
    hidden_locked: str | None = None  # signed seal: the kid of the missing key its hidden fields need

    @property
    def form(self) -> str:
        return self.seal.form

    @property
    def checkable(self) -> bool:
        return isinstance(self.payload, Payload) or self.payload.fields is not None


# -- seal ----------------------------------------------------------------------------------------


def form_of(key: Key) -> str:
    """The form a key writes: ``jws`` (Ed25519), ``legacy`` (AES-CBC) or ``jwe`` (A256GCM)."""
    return "jws" if key.signing else "legacy" if key.legacy else "jwe"


def seal_payload(
    plaintext: bytes, key: Key, *, nonce: bytes | None = None, header: Mapping[str, Any] | None = None
) -> str:
    """The `secured` string for payload bytes under ``key``: a JWE for an A256GCM key, a JWS for an
    Ed25519 private key, the legacy form for an AES-CBC key.

    ``header``: extra protected header members (authenticated; not for the legacy form, which has
    no header). ``nonce`` (12 bytes, or a 16-byte IV for CBC) exists for published test vectors
    only: a nonce must never be used twice with one key. Ed25519 needs none: it is deterministic.
    """
    if key.signing:
        if not key.private:
            raise KeyringError(
                f"the key '{key.kid}' is a public key: it verifies seals but cannot make them",
                hint=f"sealing needs the private key '{key.kid}' (the JWK with \"d\")",
            )
        protected = envelope.jws_protected_header(key.kid, header)
        payload_b64 = envelope.b64url_encode(plaintext)
        signing_input = (protected + "." + payload_b64).encode("ascii")
        signature = crypto.ed25519_sign(key.secret_bytes(), signing_input)
        return envelope.format_seal(
            envelope.JwsSeal(protected, key.kid, envelope.JWS_ALG, payload_b64, plaintext, signature, {})
        )
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


def seal_hidden(hidden: Mapping[str, Hidden], key: Key, *, nonce: bytes | None = None) -> str:
    """A signed seal's hidden fields: a JWE (dir + A256GCM) of their canonical JSON under ``key``."""
    if key.alg != "A256GCM":
        raise KeyringError(f"hidden fields are encrypted with an A256GCM key; '{key.kid}' is a {key.alg} key")
    return seal_payload(encode_hidden(hidden), key, nonce=nonce)


def payload_bytes(
    payload: Payload,
    key: Key,
    keyring: Keyring,
    *,
    encrypt_key: str | None = None,
    previous: Opened | None = None,
    hidden_nonce: bytes | None = None,
) -> bytes:
    """The bytes ``key`` seals for ``payload``.

    For a JWE the hidden fields stay a mapping inside the (encrypted) payload. For a JWS, whose
    payload anyone reads, they become a nested JWE under the keyring's encryption key
    (``encrypt_key``, else :meth:`Keyring.hidden_key`); when the ``previous`` seal held the very
    same hidden fields under that key, its JWE is kept as it was, so that a re-seal of an
    unchanged article is byte-identical.
    """
    if not key.signing:
        return encode(replace(payload, sealed_hidden=None))
    if not payload.hidden:
        return encode(replace(payload, sealed_hidden=None))
    hidden_key = keyring.hidden_key(encrypt_key)
    if (
        previous is not None
        and isinstance(previous.payload, Payload)
        and previous.payload.sealed_hidden is not None
        and previous.hidden_locked is None
        and dict(previous.payload.hidden) == dict(payload.hidden)
        and _jwe_kid(previous.payload.sealed_hidden) == hidden_key.kid
    ):
        sealed = previous.payload.sealed_hidden
    else:
        sealed = seal_hidden(payload.hidden, hidden_key, nonce=hidden_nonce)
    return encode(replace(payload, hidden={}, sealed_hidden=sealed))


def _jwe_kid(text: str) -> str | None:
    try:
        seal = envelope.parse(text)
    except MalformedSeal:
        return None
    return seal.kid if isinstance(seal, envelope.JweSeal) else None


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


def _open_jws(seal: envelope.JwsSeal, keyring: Keyring) -> Opened:
    key = keyring.require(seal.kid)
    if not key.signing:
        raise SignatureInvalid(
            f"the seal is signed (JWS, Ed25519) but the key '{key.kid}' is a {key.alg} key",
            hint="a key id must name one key for one algorithm; check the key file",
        )
    try:
        crypto.ed25519_verify(key.public_bytes(), seal.signature, seal.signing_input)
    except SignatureInvalid:
        raise SignatureInvalid(
            f"the signature does not verify with the key '{key.kid}': the seal was changed, or the key "
            f"file holds a different key with the same id",
            hint="if the article is yours, run `securedoc seal --force` to seal it again",
        ) from None
    payload = decode(seal.payload)
    if payload.sealed_hidden is None:
        if payload.hidden:
            raise PayloadError(
                "the signed payload holds hidden fields in the clear; a signed seal must encrypt them (a JWE)"
            )
        return Opened(seal, key, seal.payload, payload)
    hidden, locked = open_hidden(payload.sealed_hidden, keyring, must=False)
    return Opened(seal, key, seal.payload, replace(payload, hidden=hidden), hidden_locked=locked)


def open_hidden(text: str, keyring: Keyring, *, must: bool = True) -> tuple[dict[str, Hidden], str | None]:
    """Decrypt a signed seal's hidden fields: ``(fields, None)``; when the keyring lacks their key
    and not ``must``: ``({}, kid)``. The JWE is checked for form even when it cannot be opened."""
    try:
        jwe = envelope.parse(text)
    except MalformedSeal as exc:
        raise PayloadError(f"the signed payload's hidden fields are not a valid JWE: {exc.message}") from None
    if not isinstance(jwe, envelope.JweSeal):
        raise PayloadError("the signed payload's hidden fields are not a JWE (dir + A256GCM)")
    key = keyring.get(jwe.kid)
    if key is None or key.alg != "A256GCM":
        if not must:
            return {}, jwe.kid
        raise _locked_error(jwe.kid)
    try:
        plaintext = crypto.gcm_decrypt(key.secret_bytes(), jwe.nonce, jwe.ciphertext, jwe.tag, jwe.aad)
    except DecryptionFailed:
        raise DecryptionFailed(
            f"the hidden fields do not decrypt with the key '{key.kid}': the key file holds a different key "
            "with the same id",
            hint=f"give securedoc the A256GCM key '{key.kid}' that sealed them",
        ) from None
    return decode_hidden(plaintext), None


def _locked_error(kid: str) -> UnknownKeyError:
    return UnknownKeyError(
        f"the seal's hidden fields are encrypted with the key '{kid}', which is not in the keyring",
        hint=f"reading, restoring or carrying over hidden fields needs the A256GCM key '{kid}' "
        "(a public key only verifies)",
    )


def require_hidden(opened: Opened) -> Opened:
    """``opened``, or UnknownKeyError when its hidden fields are locked (their key is missing)."""
    if opened.hidden_locked is not None:
        raise _locked_error(opened.hidden_locked)
    return opened


def open_seal(seal: envelope.Seal, keyring: Keyring) -> Opened:
    """Open a seal with the keyring: decrypt it (JWE, legacy) or verify its signature (JWS).
    Raises UnknownKeyError, DecryptionFailed (SignatureInvalid for a JWS) or PayloadError."""
    if isinstance(seal, envelope.LegacySeal):
        return _open_legacy(seal, keyring)
    if isinstance(seal, envelope.JwsSeal):
        return _open_jws(seal, keyring)
    key = keyring.require(seal.kid)
    if key.signing:
        raise DecryptionFailed(
            f"the seal is a JWE (A256GCM) but the key '{key.kid}' is an Ed25519 signing key",
            hint="a key id must name one key for one algorithm; check the key file",
        )
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
    payload = decode(plaintext)
    if payload.sealed_hidden is not None:
        raise PayloadError("the payload's hidden fields are not a mapping")
    return Opened(seal, key, plaintext, payload)


def authenticates(seal: envelope.JweSeal | envelope.JwsSeal, keyring: Keyring) -> Key | None:
    """The key under which a current-form or signed seal authenticates (its header included), else None.

    For the byte fast path (securedoc.fastpath): a JWE's plaintext is decrypted and dropped, a JWS's
    signature is checked, and the payload is not decoded; whatever does not authenticate is left to
    :func:`open_seal` to explain.
    """
    key = keyring.get(seal.kid)
    if key is None:
        return None
    if isinstance(seal, envelope.JwsSeal):
        if not key.signing:
            return None
        try:
            crypto.ed25519_verify(key.public_bytes(), seal.signature, seal.signing_input)
        except SignatureInvalid:
            return None
        return key
    if key.alg != "A256GCM":
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
        kind = _value_kind(value)
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


def _value_kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):  # a mapping, or a tagged value (securedoc.canonical)
        tag = value.get("$")
        if tag == "plain":  # `.inf`, `0x1F`, `yes`: YAML readers disagree on what it is
            return f"the unquoted value {value.get('v')}"
        if tag == "tag":
            return f"a value tagged {value.get('t')}"
        return _KINDS.get(str(tag), "a mapping")
    return type(value).__name__


_KINDS = {
    "float": "a number",
    "timestamp": "a timestamp",
    "date": "a date",
    "binary": "binary data (!!binary)",
    "set": "a set (!!set)",
    "omap": "an ordered mapping (!!omap)",
    "pairs": "a list of pairs (!!pairs)",
}


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

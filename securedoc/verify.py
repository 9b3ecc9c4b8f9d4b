"""Open a seal and check it against the article: payload vs document -> Report.

Pure: no file I/O. The steps, in order: find the `secured` field; parse it (envelope); pick the key
(by ``kid`` for JWE; for the legacy form, every legacy key is tried); decrypt (crypto); decode the
payload; compare every bound field, the body digest, and list visible fields that were not sealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import crypto, envelope
from .canonical import dumps, plain
from .document import SEAL_FIELD, Document, body_digest
from .errors import (
    DecryptionFailed,
    MalformedSeal,
    PayloadError,
    SecuredocError,
    UnknownKeyError,
)
from .keys import Key, Keyring
from .models import FieldDiff, Report, RetiredPolicy, Status
from .payload import LegacyPayload, Payload, decode, decode_legacy

__all__ = ["Opened", "read_seal", "open_seal", "compare", "verify_document", "LEGACY_UNCHECKABLE"]

LEGACY_UNCHECKABLE = (
    "legacy payload cannot be checked against the article: the seal does not decrypt to a JSON "
    "object of fields with any legacy key (a payload that is not JSON, a missing key, or a changed seal)"
)


_LEGACY_HINT = (
    "`securedoc open` shows what the seal holds; if the article is yours, `securedoc seal` "
    "replaces the legacy seal with a current one"
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


def compare(document: Document, opened: Opened) -> tuple[list[FieldDiff], list[str]]:
    """The fields that differ from the seal, and notes (visible fields that were not sealed)."""
    payload = opened.payload
    seal_line = document.seal_entry.line if document.seal_entry else None
    diffs: list[FieldDiff] = []
    notes: list[str] = []
    if isinstance(payload, LegacyPayload):
        if payload.fields is None:
            raise PayloadError(LEGACY_UNCHECKABLE, hint=_LEGACY_HINT)
        sealed_names = set(payload.fields)
        for name, sealed in payload.fields.items():
            entry = document.get(name)
            if entry is None:
                diffs.append(FieldDiff(name, seal_line, plain(sealed), None, "missing"))
            elif dumps(plain(entry.value)) != dumps(plain(sealed)):
                diffs.append(FieldDiff(name, entry.line, plain(sealed), plain(entry.value)))
        unsealed = [e.name for e in document.entries if e.ident != SEAL_FIELD and e.name not in sealed_names]
    else:
        visible = [document._by_ident.get(ident) for ident in payload.fields]
        sealed_values = [sealed for _, sealed in payload.fields.values()]
        # One comparison for the whole payload; field by field only when something differs.
        if None in visible or dumps(sealed_values) != dumps([e.value for e in visible if e is not None]):
            for (key, sealed), entry in zip(payload.fields.values(), visible, strict=True):
                name = key if type(key) is str else dumps(key)
                if entry is None:
                    diffs.append(FieldDiff(name, seal_line, sealed, None, "missing"))
                elif dumps(entry.value) != dumps(sealed):
                    diffs.append(FieldDiff(name, entry.line, sealed, entry.value))
        if payload.body_sha256 is not None:
            digest = body_digest(document.body)
            if digest != payload.body_sha256:
                diffs.append(
                    FieldDiff("(body)", document.body_line, "sha256:" + payload.body_sha256, "sha256:" + digest, "body")
                )
        unsealed = [
            e.name
            for e in document.entries
            if e.ident != SEAL_FIELD and e.ident not in payload.fields and e.name not in payload.hidden
        ]
        back = [e.name for e in document.entries if e.name in payload.hidden]
        if back:
            notes.append(
                "hidden field(s) visible again, not covered by the seal: "
                + ", ".join(back)
                + " (run `securedoc seal` to bind them)"
            )
    if unsealed:
        notes.append("visible field(s) not covered by the seal: " + ", ".join(unsealed))
    diffs.sort(key=lambda d: (d.line or 0, d.name))
    return diffs, notes


def key_warnings(key: Key, keyring: Keyring) -> list[str]:
    warnings = []
    if keyring.role(key.kid) == "retired":
        warnings.append(
            f"sealed with the retired key '{key.kid}'; run `securedoc rotate` to re-seal with the primary key"
        )
    if key.demo:
        warnings.append(f"sealed with the public demo key '{key.kid}': anyone can make this seal")
    if key.legacy:
        warnings.append("the legacy AES-CBC form is unauthenticated: this check is weaker than a current seal's")
    return warnings


def verify_document(document: Document, keyring: Keyring, *, retired: RetiredPolicy = "warn") -> Report:
    """Check a parsed article against its seal. Never raises for bad input: errors become reports."""
    path = document.path or "-"
    entry = document.seal_entry
    try:
        seal = read_seal(document)
        if seal is None:
            return Report(
                path,
                Status.UNSEALED,
                message=f"no '{SEAL_FIELD}' field: the article is not sealed",
                hint="run `securedoc seal` on it",
            )
        try:
            opened = open_seal(seal, keyring)
        except DecryptionFailed:
            if isinstance(seal, envelope.LegacySeal):
                # One answer for bad padding and for a non-JSON plaintext: no padding oracle.
                raise PayloadError(LEGACY_UNCHECKABLE, hint=_LEGACY_HINT) from None
            raise
        diffs, notes = compare(document, opened)
    except SecuredocError as exc:
        exc.located(path=document.path, line=entry.line if entry else None)
        return error_report(path, exc)
    key = opened.key
    warnings = key_warnings(key, keyring)
    common: dict[str, Any] = dict(
        line=entry.line if entry else None, kid=key.kid, form=opened.form, notes=tuple(notes), warnings=tuple(warnings)
    )
    if diffs:
        names = ", ".join(d.name for d in diffs)
        return Report(
            path,
            Status.MISMATCH,
            message=f"changed since sealing: {names}",
            fields=tuple(diffs),
            hint="if the change is intended, run `securedoc seal` to seal the article again",
            **common,
        )
    if retired == "error" and keyring.role(key.kid) == "retired":
        return Report(
            path,
            Status.ERROR,
            message=f"sealed with the retired key '{key.kid}'",
            hint="run `securedoc rotate` to re-seal with the primary key",
            **common,
        )
    return Report(path, Status.OK, message="seal matches", **common)


def error_report(path: str, exc: SecuredocError, **extra: Any) -> Report:
    """A Report for an error: the message without the path (the report carries it)."""
    message = exc.message
    if exc.field and exc.field not in message:
        message = f"field '{exc.field}': {message}"
    return Report(path, Status.ERROR, message=message, line=exc.line, hint=exc.hint, **extra)

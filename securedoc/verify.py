"""Open a seal and check it against the article: payload vs document -> Report.

Pure: no file I/O. The steps, in order: find the `secured` field and open it (both in
:mod:`securedoc.sealing`, which owns keys and cryptography); compare every bound field, the body
digest, and list visible fields that were not sealed.
"""

from __future__ import annotations

from typing import Any

from . import envelope
from .canonical import dumps, plain
from .document import SEAL_FIELD, Document, body_digest
from .errors import DecryptionFailed, PayloadError, SecuredocError
from .keys import Key, Keyring
from .models import FieldDiff, Report, RetiredPolicy, Status
from .payload import LegacyPayload
from .sealing import Opened, open_seal, read_seal

# Opened, read_seal and open_seal live in securedoc.sealing; re-exported for existing callers.
__all__ = ["Opened", "read_seal", "open_seal", "compare", "conclude", "verify_document", "LEGACY_UNCHECKABLE"]

LEGACY_UNCHECKABLE = (
    "legacy payload cannot be checked against the article: the seal does not decrypt to a JSON "
    "object of fields with any legacy key (a payload that is not JSON, a missing key, or a changed seal)"
)


_LEGACY_HINT = (
    "`securedoc open` shows what the seal holds; if the article is yours, `securedoc seal` "
    "replaces the legacy seal with a current one"
)


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
        if payload.syntax != document.syntax:  # TOML and YAML seals are not interchangeable (docs/format.md)
            diffs.append(FieldDiff("(front matter syntax)", 1, payload.syntax, document.syntax))
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
    return conclude(path, entry.line if entry else None, opened.key, opened.form, keyring, retired, diffs, notes)


def conclude(
    path: str,
    line: int | None,
    key: Key,
    form: str,
    keyring: Keyring,
    retired: RetiredPolicy = "warn",
    diffs: list[FieldDiff] | None = None,
    notes: list[str] | None = None,
) -> Report:
    """The report once the seal is open and compared: the rules on keys apply here, on the full path
    and on the byte fast path (securedoc.fastpath) alike."""
    diffs = diffs or []
    warnings = key_warnings(key, keyring)
    common: dict[str, Any] = dict(line=line, kid=key.kid, form=form, notes=tuple(notes or ()), warnings=tuple(warnings))
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

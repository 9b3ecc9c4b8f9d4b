"""Open a seal and check it against the article: payload vs document -> Report.

Pure: no file I/O. The steps, in order: find the `secured` field and open it (both in
:mod:`securedoc.sealing`, which owns keys and cryptography); compare every bound field, the body
digest, and list visible fields that were not sealed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from . import copies, envelope
from .canonical import dumps, plain
from .document import SEAL_FIELD, Document, Entry, body_digest, body_digest_v2
from .errors import DocumentError, PayloadError, SecuredocError
from .keys import Key, Keyring
from .models import FieldDiff, LegacyPolicy, Report, RetiredPolicy, Status, UnboundPolicy
from .payload import DEFAULT_BINDING, Binding, LegacyPayload
from .readers import describe_plain, first_plain
from .sealing import LEGACY_HINT, LEGACY_UNCHECKABLE, Opened, open_checked, open_seal, read_seal

# Opened, read_seal, open_seal and open_checked live in securedoc.sealing; re-exported for callers.
__all__ = [
    "Opened",
    "Policy",
    "DEFAULT_POLICY",
    "read_seal",
    "open_seal",
    "open_checked",
    "compare",
    "conclude",
    "uncovered",
    "verify_document",
    "LEGACY_UNCHECKABLE",
    "LEGACY_REFUSED",
]

LEGACY_REFUSED = "sealed in the legacy AES-CBC form, which is refused here: it is unauthenticated"
_LEGACY_REFUSED_HINT = (
    "re-seal the article (`securedoc rotate --legacy warn`, or `securedoc seal`), or accept legacy seals "
    "on purpose with `--legacy warn` or `--legacy accept` on the command line"
)


@dataclass(frozen=True)
class Policy:
    """What a verdict accepts beyond "the seal opens and every bound field matches".

    ``legacy``: legacy AES-CBC seals are accepted, accepted with a warning, or refused.
    ``unbound``: a visible top-level field that the seal does not bind (and that ``binding`` does
    not leave out) fails the article, gets a warning, or is only noted.
    ``demo``: a seal made with the public demo key is a warning or an error (under CI).
    """

    legacy: LegacyPolicy = "warn"
    unbound: UnboundPolicy = "error"
    demo: Literal["warn", "error"] = "warn"
    binding: Binding = DEFAULT_BINDING


DEFAULT_POLICY = Policy()


def uncovered(document: Document, opened: Opened, binding: Binding = DEFAULT_BINDING) -> list[FieldDiff]:
    """Visible top-level fields that ``binding`` expects bound and the seal does not bind.

    A hidden field that is visible again counts: its visible value is not what was sealed.
    """
    payload = opened.payload
    result = []
    for entry in document.entries:
        if entry.ident == SEAL_FIELD or not binding.binds(entry):
            continue
        if isinstance(payload, LegacyPayload):
            if payload.fields is not None and entry.name in payload.fields:
                continue
        elif entry.ident in payload.fields:
            continue
        result.append(FieldDiff(entry.name, entry.line, None, entry.value, "unbound"))
    return result


def _values_not_spellings(document: Document, entries: list[Entry | None], body: bool, form: str) -> None:
    """Format-1 and legacy seals bound values, not spellings (payload format 2 binds the spellings
    readers disagree on). Where the article holds such a spelling in a bound field, or (with the
    body bound) a lone CR in the body or a `...` closing line, such a seal cannot show what was
    sealed: say so instead of answering for one reader."""
    hint = (
        "check the article against what was published; if it is right, seal it again (`securedoc seal`): "
        "a current seal binds the spelling, so it verifies as written"
    )
    for entry in entries:
        if entry is None:
            continue
        text = first_plain(entry.value) or first_plain(entry.key)
        if text is not None:
            raise DocumentError(
                f"{describe_plain(text)}; a {form} seal holds values, not spellings, so it cannot show "
                "that this spelling was sealed",
                path=document.path,
                line=entry.line,
                field=entry.name,
                hint=hint,
            )
    if not body:
        return
    if document.closing == b"...":
        raise DocumentError(
            "the front matter closes with '...', where Hugo reads on to the next '---' line; a "
            f"{form} seal does not bind the closing line, so it cannot show that it was sealed",
            path=document.path,
            line=document.file_line(len(document.front_matter)),
            hint=hint,
        )
    body_bytes = document.body
    if b"\r" in body_bytes and body_bytes.count(b"\r") != body_bytes.count(b"\r\n"):
        at = re.search(rb"\r(?!\n)", body_bytes).start()  # type: ignore[union-attr]
        raise DocumentError(
            "the body holds a carriage return (CR) without a line feed, where Jekyll breaks the line and "
            f"Hugo does not; a {form} seal read it as a line break, so it cannot show what was sealed",
            path=document.path,
            line=document.body_line + body_bytes.count(b"\n", 0, at),
            hint=hint,
        )


def compare(document: Document, opened: Opened) -> tuple[list[FieldDiff], list[str]]:
    """The fields that differ from the seal, and notes (visible fields that were not sealed)."""
    payload = opened.payload
    seal_line = document.seal_entry.line if document.seal_entry else None
    diffs: list[FieldDiff] = []
    notes: list[str] = []
    if isinstance(payload, LegacyPayload):
        if payload.fields is None:
            raise PayloadError(LEGACY_UNCHECKABLE, hint=LEGACY_HINT)
        sealed_names = set(payload.fields)
        _values_not_spellings(document, [document.get(name) for name in payload.fields], False, "legacy")
        for name, sealed in payload.fields.items():
            entry = document.get(name)
            if entry is None:
                diffs.append(FieldDiff(name, seal_line, plain(sealed), None, "missing"))
            elif dumps(plain(entry.value)) != dumps(plain(sealed)):
                diffs.append(FieldDiff(name, entry.line, plain(sealed), plain(entry.value)))
        unsealed = [e.name for e in document.entries if e.ident != SEAL_FIELD and e.name not in sealed_names]
    else:
        visible = [document._by_ident.get(ident) for ident in payload.fields]
        if payload.version == 1:
            _values_not_spellings(document, visible, payload.body_sha256 is not None, "format-1")
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
            if payload.version == 1:
                digest = body_digest(document.body)
            else:
                digest = body_digest_v2(document.body, document.closing)
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


def key_warnings(key: Key, keyring: Keyring, *, legacy: bool = True, retired: bool = True) -> list[str]:
    """What to say about a seal made with ``key``. ``retired=False``: not that the key is retired
    (a seal rotate has just replaced)."""
    warnings = []
    if retired and keyring.role(key.kid) == "retired":
        warnings.append(
            f"sealed with the retired key '{key.kid}'; run `securedoc rotate` to re-seal with the primary key"
        )
    if key.demo:
        warnings.append(f"sealed with the public demo key '{key.kid}': anyone can make this seal")
    if key.legacy and legacy:
        warnings.append("the legacy AES-CBC form is unauthenticated: this check is weaker than a current seal's")
    return warnings


def unbound_message(diffs: list[FieldDiff]) -> str:
    return "not bound by the seal: " + ", ".join(d.name for d in diffs)


def _mismatch_message(diffs: list[FieldDiff]) -> str:
    changed = [d.name for d in diffs if d.change not in ("unbound", "path")]
    unbound = [d for d in diffs if d.change == "unbound"]
    parts = [copies.path_message(d) for d in diffs if d.change == "path"]
    if changed:
        parts.append("changed since sealing: " + ", ".join(changed))
    if unbound:
        parts.append(unbound_message(unbound))
    return "; ".join(parts)


def demo_refused(key: Key) -> tuple[str, str]:
    return (
        f"sealed with the public demo key '{key.kid}': anyone can make this seal, so in CI it proves nothing",
        "seal the article with your own key (`securedoc keys new KID`; in CI, give it through a secret in "
        "$SECUREDOC_KEY)",
    )


def verify_document(
    document: Document,
    keyring: Keyring,
    *,
    retired: RetiredPolicy = "warn",
    policy: Policy = DEFAULT_POLICY,
    place: str | None = None,
) -> Report:
    """Check a parsed article against its seal. Never raises for bad input: errors become reports.

    ``place`` (bind_path on): the article's path relative to the project root, which the seal must
    name (securedoc.copies)."""
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
        if isinstance(seal, envelope.LegacySeal) and policy.legacy == "refuse":
            # Refused before anything is decrypted: nothing to learn from the answer.
            return Report(
                path,
                Status.ERROR,
                message=LEGACY_REFUSED,
                line=entry.line if entry else None,
                form="legacy",
                hint=_LEGACY_REFUSED_HINT,
            )
        opened = open_checked(seal, keyring)
        diffs, notes = compare(document, opened)
    except SecuredocError as exc:
        exc.located(path=document.path, line=entry.line if entry else None)
        return error_report(path, exc)
    if place is not None:
        diffs = sorted(
            diffs + copies.place_diffs(opened.payload, place, entry.line if entry else None),
            key=lambda d: (d.line or 0, d.name),
        )
    warnings: list[str] = []
    unbound = uncovered(document, opened, policy.binding)
    notes = [n for n in notes if not n.startswith(_UNCOVERED_NOTES)]
    if unbound:
        if isinstance(opened.payload, LegacyPayload) or policy.unbound == "error":
            diffs.extend(unbound)
            diffs.sort(key=lambda d: (d.line or 0, d.name))
        elif policy.unbound == "warn":
            warnings.extend(f"{path}:{d.line}: '{d.name}' is not bound by the seal" for d in unbound)
        else:
            notes.append("visible field(s) not covered by the seal: " + ", ".join(d.name for d in unbound))
    line = entry.line if entry else None
    return conclude(
        path, line, opened.key, opened.form, keyring, retired, diffs, notes, policy=policy, warnings=warnings
    )


def conclude(
    path: str,
    line: int | None,
    key: Key,
    form: str,
    keyring: Keyring,
    retired: RetiredPolicy = "warn",
    diffs: list[FieldDiff] | None = None,
    notes: list[str] | None = None,
    *,
    policy: Policy = DEFAULT_POLICY,
    warnings: list[str] | None = None,
) -> Report:
    """The report once the seal is open and compared: the rules on keys (retired, demo, legacy
    warnings) apply here, on the full path and on the byte fast path (securedoc.fastpath) alike."""
    diffs = diffs or []
    every_warning = key_warnings(key, keyring, legacy=policy.legacy != "accept") + list(warnings or ())
    common: dict[str, Any] = dict(
        line=line, kid=key.kid, form=form, notes=tuple(notes or ()), warnings=tuple(every_warning)
    )
    if key.demo and policy.demo == "error":
        message, hint = demo_refused(key)
        return Report(path, Status.ERROR, message=message, hint=hint, fields=tuple(diffs), **common)
    if diffs:
        return Report(
            path,
            Status.MISMATCH,
            message=_mismatch_message(diffs),
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


_UNCOVERED_NOTES = ("visible field(s) not covered by the seal", "hidden field(s) visible again")


def error_report(path: str, exc: SecuredocError, **extra: Any) -> Report:
    """A Report for an error: the message without the path (the report carries it)."""
    message = exc.message
    if exc.field and exc.field not in message:
        message = f"field '{exc.field}': {message}"
    return Report(path, Status.ERROR, message=message, line=exc.line, hint=exc.hint, **extra)

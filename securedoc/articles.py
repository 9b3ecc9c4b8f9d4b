"""Seal, rotate and restore articles: Document in, new bytes (or nothing to do) out. Pure.

Every edit is checked before it is returned: the new bytes are parsed again, every field that was
not meant to change must have the same canonical value, and the new seal must open and verify.
A failed check is an internal error and nothing is written.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from . import copies, envelope, fastpath, sealing
from .canonical import dumps
from .document import DEFAULT_LIMITS, SEAL_FIELD, Document, Entry, Limits, parse
from .errors import (
    DocumentError,
    KeyringError,
    MalformedSeal,
    PayloadError,
    RefusedError,
    SecuredocError,
    UsageError,
)
from .keys import Key, Keyring
from .models import Action, Report, Status
from .payload import DEFAULT_BINDING, Binding, Hidden, LegacyPayload, Payload, build, legacy_plaintext
from .readers import key_folds
from .sealing import (
    Opened,
    form_of,
    open_checked,
    open_document,
    open_seal,
    payload_bytes,
    read_seal,
    require_hidden,
    seal_payload,
)
from .verify import DEFAULT_POLICY, LEGACY_REFUSED, Policy, compare, error_report, key_warnings, uncovered

# The keyring-level seal/open lives in securedoc.sealing; these names stay for existing callers.
encrypt = seal_payload

__all__ = ["Outcome", "seal_document", "rotate_document", "restore_document", "open_document", "encrypt"]


@dataclass(frozen=True)
class Outcome:
    """New file bytes (None: leave the file alone) and the report for the file."""

    data: bytes | None
    report: Report


class InternalCheckFailed(SecuredocError):
    """securedoc's own edit did not pass its check: a bug. Nothing is written."""


# -- editing -------------------------------------------------------------------------------------


def _seal_line(document: Document, value: str, newline: str) -> str:
    return document.seal_line(value, newline)


def _require_block(document: Document) -> None:
    if document.flow:
        raise DocumentError(
            "the front matter is one flow mapping ({...}); securedoc only edits block mappings",
            path=document.path,
            line=2,
            hint="write the front matter as one 'name: value' field per line",
        )
    if document.complex_keys:
        raise DocumentError(
            "a top-level key is written with '?' or not at the start of its line; securedoc only edits "
            "front matter whose fields each start a line",
            path=document.path,
            line=2,
            hint="write the front matter as one 'name: value' field per line",
        )


def _seal_edit(document: Document, value: str) -> tuple[int, int, str]:
    entry = document.seal_entry
    if entry is None:
        for other in document.entries:
            if other.key_node is not None and SEAL_FIELD in key_folds(other.key_node):
                raise DocumentError(
                    f"the field '{other.name}' is one key with '{SEAL_FIELD}' for Hugo, which lower-cases keys: "
                    "a seal next to it would make the article ambiguous",
                    path=document.path,
                    line=other.line,
                    hint=f"rename the field '{other.name}' (or write it '{SEAL_FIELD}' if it is an old seal)",
                )
        at = document.seal_insert_at()
        newline = document.newline_before(at) if at else document.newline
        return at, at, _seal_line(document, value, newline)
    span = document.simple_value_span(entry)
    if span is not None:
        return span[0], span[1], f'"{value}"'
    if entry.merged:
        raise DocumentError(
            f"the '{SEAL_FIELD}' field comes from a << merge; securedoc cannot replace it",
            path=document.path,
            line=entry.line,
        )
    start, end = document.entry_region(entry)
    text = document.front_matter[start:end]
    if "&" in text:
        raise DocumentError(
            f"the '{SEAL_FIELD}' field holds YAML that may define an anchor (&) other fields use; "
            "securedoc will not replace it",
            path=document.path,
            line=entry.line,
            hint=f'replace the value by hand (e.g. {SEAL_FIELD}: "") and seal again',
        )
    newline = "\r\n" if text.endswith("\r\n") else "\n" if text.endswith("\n") else ""
    return start, end, _seal_line(document, value, newline)


def _parses_without_limits(data: bytes, path: str | None) -> bool:
    """Whether an edited file fails to parse only because of the size limits (an edit that makes
    the file larger than they allow is refused, not reported as a bug)."""
    unbounded = Limits(max_file_size=sys.maxsize, max_front_matter=sys.maxsize)
    try:
        parse(data, path=path, limits=unbounded)
    except SecuredocError:
        return False
    return True


def _self_check(
    old: Document,
    new_data: bytes,
    *,
    removed: Iterable[str] = (),
    added: dict[object, Any] | None = None,
    seal_value: str | None,
    keyring: Keyring,
    limits: Limits,
) -> Document:
    """Parse the edited file again and prove that only what was meant to change did."""
    gone = set(removed)
    try:
        new = parse(new_data, path=old.path, limits=limits)
    except SecuredocError as exc:
        if _parses_without_limits(new_data, old.path):
            raise RefusedError(
                f"the edited article would be over a size limit: {exc.message}; nothing was written",
                path=old.path,
                line=exc.line,
                hint="raise limits.max_front_matter (or limits.max_file_size) in securedoc.yaml if this article "
                "is genuine (a seal adds the size of the fields it binds again)",
            ) from None
        raise InternalCheckFailed(
            f"the edited front matter would not parse ({exc.message}); nothing was written",
            path=old.path,
            hint="please report this with the article attached",
        ) from None
    expected: dict[object, str] = {}
    for entry in old.entries:
        if entry.ident == SEAL_FIELD or entry.name in gone:
            continue
        expected[entry.ident] = dumps(entry.value)
    for name, value in (added or {}).items():
        expected[name] = dumps(value)
    actual = {e.ident: dumps(e.value) for e in new.entries if e.ident != SEAL_FIELD}
    if actual != expected:
        changed = sorted(str(k) for k in set(actual) ^ set(expected)) or sorted(
            str(k) for k in expected if actual.get(k) != expected[k]
        )
        raise InternalCheckFailed(
            "the edit would change other fields (" + ", ".join(changed) + "); nothing was written",
            path=old.path,
            hint="please report this with the article attached",
        )
    if seal_value is not None:
        landed = new.seal_entry
        if landed is None or landed.value != seal_value:
            raise InternalCheckFailed("the new seal did not land in the file; nothing was written", path=old.path)
        opened = open_seal(envelope.parse(seal_value), keyring)
        diffs, _ = compare(new, opened)
        if diffs:
            raise InternalCheckFailed(
                "the new seal does not verify (" + ", ".join(d.name for d in diffs) + "); nothing was written",
                path=old.path,
            )
    if new.data[new.fm_end :] != old.data[old.fm_end :] or new.data[: new.fm_start] != old.data[: old.fm_start]:
        raise InternalCheckFailed("the edit would touch bytes outside the front matter", path=old.path)
    return new


def _fast_settings(fast: str | bool, limits: Limits) -> str | None:
    if fast is True:
        return fastpath.settings_for(limits)
    return fast or None


def _claim_holds(new: Document, value: str) -> bool:
    """Whether the byte search of the fast path finds exactly the seal the parser sees, written
    in double quotes (YAML, or a TOML basic string)."""
    entry = new.seal_entry
    span = new.simple_value_span(entry) if entry is not None else None
    if span is None:
        return False
    start, end = span
    text = new.front_matter
    if text[start:end] != f'"{value}"':
        return False
    at = new.fm_start + (start + 1 if text.isascii() else len(text[: start + 1].encode("utf-8")))
    return fastpath.locate(new.data) == (at, at + len(value))


# The text between a key and its value when neither an anchor nor a tag stands there.
_COLON_BLANKS = re.compile(r":[ \t]+")
# SECUREDOC_CHECK_EDITS=full: also re-parse edits that are proven safe, and stop if the proof and
# the parse disagree. The test suite and the fuzzer run with it.
CHECK_EDITS_ENV = "SECUREDOC_CHECK_EDITS"


def _seal_line_only(document: Document, edit: tuple[int, int, str], value: str, limits: Limits) -> bool:
    """Whether an edit that only writes the seal is safe without parsing the new file again.

    Two edits qualify, in YAML front matter whose fields each start a line (no flow mapping, no
    complex keys): replacing the value of `secured: VALUE` (a one-line plain or quoted scalar, a tag
    before it included, but no anchor, which other fields may use) by ``"SEAL"``, and adding the
    line ``secured: "SEAL"`` at the end of the front matter, at the column of the top-level keys,
    when there is no `secured` field.
    The seal holds only base64url characters and dots, which mean nothing inside double quotes; a
    complete scalar token replaced by another leaves every other token as it was; and a line at the
    top-level keys' column after the last complete line ends whatever block came before it (flow
    collections and quoted scalars are closed, or the front matter would not have parsed) and adds
    one key. So every other field keeps its value, and no other byte of the file moves.
    """
    if document.syntax != "yaml" or document.flow or document.complex_keys:
        return False
    if not _SEAL_CHARS.fullmatch(value):
        return False
    start, end, text = edit
    front_matter = document.front_matter
    growth = len(text.encode("utf-8")) - len(front_matter[start:end].encode("utf-8"))
    if document.fm_end - document.fm_start + growth > limits.max_front_matter or (
        len(document.data) + growth > limits.max_file_size
    ):
        return False
    entry = document.seal_entry
    if entry is None:
        return (
            start == end == len(front_matter)
            and (front_matter == "" or front_matter.endswith("\n"))
            and text in (document.seal_line(value, "\n"), document.seal_line(value, "\r\n"))
        )
    if entry.merged or entry.key_node is None or text != f'"{value}"':
        return False
    if document.simple_value_span(entry) != (start, end) or front_matter[start : start + 1] in ("&", "*"):
        return False  # an anchor goes with the value it names: other fields may use it
    return _COLON_BLANKS.fullmatch(front_matter, entry.key_node.end_mark.index, start) is not None


_SEAL_CHARS = re.compile(r"[A-Za-z0-9_.-]+")


def _write_seal(
    document: Document,
    edits: list[tuple[int, int, str]],
    plaintext: bytes,
    key: Key,
    *,
    fast: str | None,
    removed: Iterable[str] = (),
    keyring: Keyring,
    limits: Limits,
    nonce: bytes | None,
) -> tuple[bytes, str]:
    """Encrypt, edit and check: the new file bytes and the seal string. With ``fast`` (the settings
    fingerprint) a current-form seal carries the fast-path claim (securedoc.fastpath) for the new
    bytes, unless the byte search would not find this seal.

    An edit that only writes the seal line is proven safe (:func:`_seal_line_only`) instead of
    parsed again; every other edit is parsed again and checked (:func:`_self_check`)."""
    header = None
    if fast is not None and not key.legacy:
        blank = document.with_front_matter([*edits, _seal_edit(document, "")])
        span = fastpath.locate(blank)
        if span is not None and span[0] == span[1]:
            header = {fastpath.CLAIM: fastpath.claim(blank, span[0], fast)}
    for attempt in (header, None):
        value = seal_payload(plaintext, key, nonce=nonce, header=attempt)
        edit = _seal_edit(document, value)
        new_data = document.with_front_matter([*edits, edit])
        if not edits and _seal_line_only(document, edit, value, limits):
            # The seal string's place in the new bytes, from the edit: everything before it is unchanged.
            before = document.front_matter[: edit[0]] + edit[2][: edit[2].index('"') + 1]
            at = document.fm_start + len(before.encode("utf-8"))
            holds = fastpath.locate(new_data) == (at, at + len(value))
            if os.environ.get(CHECK_EDITS_ENV) == "full":
                new = _self_check(document, new_data, removed=removed, seal_value=value, keyring=keyring, limits=limits)
                if holds != _claim_holds(new, value) or new.data[at : at + len(value)] != value.encode("ascii"):
                    raise InternalCheckFailed("the seal-line proof and the parser disagree", path=document.path)
            else:
                written = envelope.parse(value)
                if (
                    not isinstance(written, envelope.JweSeal | envelope.JwsSeal)
                    or sealing.authenticates(written, keyring) is None
                ):
                    raise InternalCheckFailed("the new seal does not open; nothing was written", path=document.path)
        else:
            new = _self_check(document, new_data, removed=removed, seal_value=value, keyring=keyring, limits=limits)
            holds = _claim_holds(new, value)
        if attempt is None or holds:
            return new_data, value
    raise AssertionError("unreachable")  # pragma: no cover


def _all_bound(document: Document, payload: Payload, removed: Iterable[str] = ()) -> bool:
    """Whether verify would have nothing to note: every visible field bound, no hidden one visible."""
    gone = set(removed)
    return all(
        e.ident in payload.fields and e.name not in payload.hidden
        for e in document.entries
        if e.ident != SEAL_FIELD and e.name not in gone
    )


# -- seal ----------------------------------------------------------------------------------------


def _earlier(document: Document, keyring: Keyring) -> tuple[Status, Opened | None, str, list[str], bool]:
    """How the existing seal stands: status, the opened seal (if it opened), what to say, warnings,
    and whether it is a seal that could not be opened (and so may hold hidden fields)."""
    entry = document.seal_entry
    if entry is None:
        return Status.UNSEALED, None, "new seal", [], False
    try:
        seal = read_seal(document)
    except MalformedSeal as exc:
        # Not a seal anyone could open: nothing in it can be lost.
        return Status.ERROR, None, f"replaced a malformed seal ({exc.message})", [], False
    assert seal is not None
    try:
        opened = open_checked(seal, keyring)
    except SecuredocError as exc:
        return (
            Status.ERROR,
            None,
            f"replaced a seal that could not be opened ({exc.message})",
            ["hidden fields the old seal may have held could not be carried over"],
            True,
        )
    try:
        diffs, _ = compare(document, opened)
    except SecuredocError as exc:  # an older seal that cannot vouch for a spelling in the article
        return Status.MISMATCH, opened, f"replaced a seal that did not verify ({exc.message})", [], False
    diffs += uncovered(document, opened) if isinstance(opened.payload, LegacyPayload) else []
    if diffs:
        names = ", ".join(d.name for d in diffs)
        return (
            Status.MISMATCH,
            opened,
            f"replaced a seal that did not verify (changed since sealing: {names})",
            [],
            False,
        )
    return Status.OK, opened, "", [], False


def _previous_entry(document: Document, name: str) -> Entry | None:
    previous = None
    for entry in document.entries:
        if entry.name == name:
            return previous
        previous = entry
    return None


def _previous_name(document: Document, name: str) -> str | None:
    previous = _previous_entry(document, name)
    return previous.name if previous is not None else None


_UNPARSABLE = "(the front matter would not parse)"


def _changed_by_removing(
    document: Document, spans: list[tuple[int, int]], hidden: set[str], limits: Limits
) -> list[str]:
    """The visible fields whose value would change if the spans were removed."""
    try:
        after = parse(document.with_front_matter([(a, b, "") for a, b in spans]), limits=limits)
    except SecuredocError:
        return [_UNPARSABLE]
    values = {e.ident: dumps(e.value) for e in after.entries}
    return [e.name for e in document.entries if e.name not in hidden and values.get(e.ident) != dumps(e.value)]


def _hide_spans(document: Document, names: list[str], limits: Limits) -> dict[str, tuple[int, int]]:
    """Where each hidden field's text starts and ends, for fields given in document order.

    A field's text runs from the end of the previous field's value (so the blank lines and
    comments in front of it travel with it, and restore puts back the same bytes) to the end of
    its own value. If removing them all would change another field (a block scalar with keep
    chomping, |+, takes in the blank lines left next to it), each run of hidden fields also takes
    the gap after it along.
    """
    spans: dict[str, tuple[int, int]] = {}
    floor = 0
    for name in names:
        entry = document.get(name)
        assert entry is not None
        if entry.merged:
            raise UsageError(
                f"'{name}' comes from a << merge; it has no text of its own to hide",
                path=document.path,
                line=entry.line,
            )
        previous = _previous_entry(document, name)
        if previous is not None and previous.merged:
            # Its text would start at the top of the front matter and take the merge along.
            raise UsageError(
                f"'{name}' comes right after a << merge key, which securedoc cannot move: it cannot be hidden",
                path=document.path,
                line=entry.line,
                hint=f"move '{name}' above the << line, then hide it",
            )
        start = document.entry_region(previous)[1] if previous is not None else 0
        start = max(start, floor)
        end = document.entry_region(entry)[1]
        spans[name] = (start, end)
        floor = end
    changed = _changed_by_removing(document, list(spans.values()), set(names), limits)
    if changed:
        widened: dict[str, tuple[int, int]] = {}
        for position, name in enumerate(names):
            start, end = spans[name]
            following = names[position + 1] if position + 1 < len(names) else None
            if following is None or spans[following][0] != end:
                end = max(end, document.get(name).region_limit)  # type: ignore[union-attr]
            widened[name] = (start, end)
        spans = widened
        changed = _changed_by_removing(document, list(spans.values()), set(names), limits)
    if changed:
        raise UsageError(
            f"hiding {', '.join(names)} would change the value of {', '.join(changed)}",
            path=document.path,
            # Removing fields fails to parse when another field uses an anchor in them (*alias).
            hint="another field uses an anchor (&) in what would be hidden, through an alias (*); write that "
            "field's value out in full (no *alias) and hide again"
            if changed == [_UNPARSABLE]
            else "this happens around block scalars that keep trailing blank lines (|+); "
            "remove the blank lines after the field and try again",
        )
    return spans


def _hidden_text(document: Document, name: str, span: tuple[int, int], limits: Limits) -> Hidden:
    entry = document.get(name)
    assert entry is not None
    normalized = document.front_matter[span[0] : span[1]].replace("\r\n", "\n")
    if not normalized.endswith("\n"):
        normalized += "\n"
    # The field's text must stand on its own (no aliases to anchors elsewhere), or it cannot be restored.
    try:
        alone = document.parse_fragment(normalized, limits)
    except SecuredocError:
        alone = None
    if alone is None or len(alone.entries) != 1 or dumps(alone.entries[0].value) != dumps(entry.value):
        raise UsageError(
            f"'{name}' cannot be hidden: its YAML does not stand on its own (it uses an alias or shares a line)",
            path=document.path,
            line=entry.line,
            hint="write the value out in full (no *alias) and hide it again",
        )
    return Hidden(normalized, _previous_name(document, name))


def seal_document(
    document: Document,
    keyring: Keyring,
    binding: Binding = DEFAULT_BINDING,
    *,
    key: Key | None = None,
    hide: Iterable[str] = (),
    force: bool = False,
    legacy: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    carry_hidden: bool = True,
    fast: str | bool = True,
    encrypt_key: str | None = None,
    place: str | None = None,
    _nonce: bytes | None = None,
) -> Outcome:
    """Seal what is visible now, replacing any earlier seal.

    ``place`` (bind_path on): the article's path relative to the project root, bound into the
    payload (securedoc.copies); a seal that names another path, or none, is replaced.

    ``fast``: the settings fingerprint to bind for verify's byte fast path (True: the one for
    ``limits`` and default settings; False: no fast-path claim).

    Hidden fields of an earlier seal that opens are carried over (unless the field is visible
    again, which then wins; ``carry_hidden=False``: not at all, as ``edit`` does after putting
    them back in front of the person editing). Returns ``data=None`` when the file already holds a
    seal by ``key`` of exactly this payload (and not ``force``). With an Ed25519 ``key`` the seal is
    signed (JWS) and hidden fields are encrypted with ``encrypt_key`` (default:
    :meth:`Keyring.hidden_key`).
    """
    path = document.path or "-"
    key = key or keyring.primary(legacy=legacy)
    if not key.private:
        raise KeyringError(
            f"the key '{key.kid}' is a public key: it verifies seals but cannot make them",
            hint=f"sealing needs the private key '{key.kid}' (the JWK with \"d\")",
        )
    if key.legacy != legacy:
        raise UsageError(
            f"the key '{key.kid}' is {'a legacy AES-CBC' if key.legacy else 'an A256GCM'} key; "
            + ("--legacy needs a legacy key" if legacy else "pass --legacy to write a legacy seal with it")
        )
    _require_block(document)
    if legacy and place is not None:
        raise UsageError(
            "the legacy form cannot name the article's path (bind_path is on)",
            path=document.path,
            hint="seal it without --legacy, or turn bind_path off for this run (--no-bind-path)",
        )
    if legacy and document.syntax != "yaml":
        raise UsageError(
            f"the legacy form is for YAML front matter; this article's front matter is {document.syntax.upper()}",
            path=document.path,
            hint="seal it without --legacy",
        )
    status, opened, message, warnings, unreadable = _earlier(document, keyring)
    if unreadable and not force:
        reason = message[len("replaced a seal that could not be opened (") : -1]
        return Outcome(
            None,
            Report(
                path,
                Status.ERROR,
                # The message is the one verify gives for this seal (for a legacy seal, the one
                # answer for every failure), so that seal is no oracle either.
                message=reason,
                line=document.seal_entry.line if document.seal_entry else None,
                action=Action.REFUSED,
                hint="the seal cannot be opened, so it is not replaced: it may hold hidden fields that "
                "would be lost. Seal with the key that made it (--key/--keys/$SECUREDOC_KEY), or pass "
                "--force to replace it anyway (whatever it holds is lost)",
            ),
        )
    if carry_hidden and opened is not None and opened.hidden_locked is not None:
        # A signed seal whose hidden fields are encrypted with a key this keyring lacks.
        if not force:
            return Outcome(
                None,
                Report(
                    path,
                    Status.ERROR,
                    message=f"the seal's hidden fields are encrypted with the key '{opened.hidden_locked}', which "
                    "is not in the keyring; not replaced, because sealing again would lose them",
                    line=document.seal_entry.line if document.seal_entry else None,
                    action=Action.REFUSED,
                    hint=f"give securedoc the A256GCM key '{opened.hidden_locked}' to carry them over, "
                    "or pass --force to drop them",
                ),
            )
        warnings.append(
            f"the earlier seal's hidden fields (encrypted with '{opened.hidden_locked}', not in the keyring) "
            "were dropped (--force)"
        )

    hidden: dict[str, Hidden] = {}
    if carry_hidden and opened is not None and isinstance(opened.payload, Payload):
        for name, item in opened.payload.hidden.items():
            if document.get(name) is None:
                hidden[name] = item
    requested = list(dict.fromkeys(hide))
    edits: list[tuple[int, int, str]] = []
    newly_hidden: list[str] = []
    for name in requested:
        if name == SEAL_FIELD:
            raise UsageError(f"the '{SEAL_FIELD}' field holds the seal; it cannot be hidden")
        if document.get(name) is None:
            if name in hidden:
                continue  # already hidden by the earlier seal
            raise UsageError(
                f"there is no field '{name}' to hide",
                path=document.path,
                hint="hide takes the name of a top-level front matter field",
            )
        newly_hidden.append(name)
    newly_hidden.sort(key=lambda n: document.get(n).line)  # type: ignore[union-attr]
    if newly_hidden:
        for name, span in _hide_spans(document, newly_hidden, limits).items():
            hidden[name] = _hidden_text(document, name, span, limits)
            edits.append((span[0], span[1], ""))
    if legacy and hidden:
        raise UsageError(
            "hidden fields need the current (authenticated) form; the legacy form cannot carry them",
            path=document.path,
        )

    payload = build(document, binding, hidden)
    if place is not None:
        payload = replace(payload, path=place)
    form = form_of(key)
    if legacy:
        plaintext = legacy_plaintext(payload)
    else:
        plaintext = payload_bytes(
            payload,
            key,
            keyring,
            encrypt_key=encrypt_key,
            previous=opened,
            hidden_nonce=_nonce if key.signing else None,  # test vectors: a signed seal's nested JWE
        )
    common: dict[str, Any] = dict(line=document.seal_entry.line if document.seal_entry else None, form=form)
    if (
        opened is not None
        and not force
        and not newly_hidden
        and opened.key.kid == key.kid
        and opened.form == form
        and opened.plaintext == plaintext
    ):
        return Outcome(
            None, Report(path, status, message="already sealed", kid=key.kid, action=Action.UNCHANGED, **common)
        )

    settings = _fast_settings(fast, limits) if not legacy and _all_bound(document, payload, newly_hidden) else None
    new_data, value = _write_seal(
        document,
        edits,
        plaintext,
        key,
        fast=settings,
        removed=newly_hidden,
        keyring=keyring,
        limits=limits,
        nonce=_nonce,
    )

    if legacy:
        warnings.append(
            "wrote a legacy AES-CBC seal: it is unauthenticated, so it cannot prove the article "
            "was not changed; use it only for readers that need it"
        )
    notes = []
    if newly_hidden:
        notes.append("hidden: " + ", ".join(newly_hidden))
    if status is Status.OK and opened is not None:
        if opened.key.kid != key.kid or opened.form != form:
            message = f"now with key '{key.kid}' (was '{opened.key.kid}')"
        elif opened.plaintext == plaintext:
            message = "forced: the earlier seal was already current"
        else:
            message = _what_changed(opened, payload, newly_hidden)
    report = Report(
        path,
        status,
        message=message,
        kid=key.kid,
        action=Action.SEALED,
        warnings=tuple(warnings),
        notes=tuple(notes),
        **common,
    )
    return Outcome(new_data, report)


def _what_changed(opened: Opened, payload: Payload, newly_hidden: list[str]) -> str:
    if newly_hidden:
        return "hid " + ", ".join(newly_hidden)
    old = opened.payload
    if not isinstance(old, Payload):  # a legacy seal sealed again in the legacy form (same key, same form)
        return "the payload changed"
    parts = []
    if old.path != payload.path:
        if payload.path is None:
            parts.append(f"no longer bound to the path {old.path}")
        elif old.path is None:
            parts.append(f"now bound to its path {payload.path}")
        else:
            parts.append(f"moved: was sealed as {old.path}, now bound to {payload.path}")
    added = [str(payload.fields[i][0]) for i in payload.fields if i not in old.fields]
    dropped = [str(old.fields[i][0]) for i in old.fields if i not in payload.fields]
    if added:
        parts.append("now also binds " + ", ".join(added))
    if dropped:
        parts.append("no longer binds " + ", ".join(dropped))
    if (old.body_sha256 is None) != (payload.body_sha256 is None):
        parts.append("body binding changed")
    return "; ".join(parts) or "the payload changed"


# -- rotate --------------------------------------------------------------------------------------


def rotate_document(
    document: Document,
    keyring: Keyring,
    target: Key,
    *,
    limits: Limits = DEFAULT_LIMITS,
    fast: str | bool = True,
    policy: Policy = DEFAULT_POLICY,
    encrypt_key: str | None = None,
    place: str | None = None,
    _nonce: bytes | None = None,
) -> Outcome:
    """Re-seal an article with ``target`` after verifying it. Never re-seals what does not verify.

    ``place`` (bind_path on): the article's path, which the seal must name (else it does not verify).

    The payload is carried over as it is (hidden fields included); a legacy JSON payload becomes
    a format-1 payload binding the same fields (still without a body digest: the legacy seal never
    covered the body, and rotation must not start vouching for it). Refused: seals that do not
    verify (a legacy payload must bind every visible field ``policy.binding`` expects; unbound
    fields of a current seal follow ``policy.unbound``), seals made with the public demo key, and
    legacy seals when ``policy.legacy`` refuses them. Between an encrypted and a signed seal the
    hidden fields move between the payload and a nested JWE (``encrypt_key``).
    """
    path = document.path or "-"
    if target.legacy:
        raise UsageError(f"rotate re-seals with an A256GCM or Ed25519 signing key; '{target.kid}' is a legacy key")
    if not target.private:
        raise KeyringError(
            f"the key '{target.kid}' is a public key: it verifies seals but cannot make them, so it cannot "
            "be a rotation target",
            hint=f"rotating to '{target.kid}' needs its private key (the JWK with \"d\")",
        )
    if keyring.role(target.kid) == "retired":
        raise UsageError(f"'{target.kid}' is retired; rotate to a key that is not")
    entry = document.seal_entry
    if entry is None:
        return Outcome(
            None,
            Report(
                path,
                Status.UNSEALED,
                message="not sealed: nothing to rotate",
                action=Action.REFUSED,
                hint="run `securedoc seal` on it",
            ),
        )
    try:
        seal = read_seal(document)
        assert seal is not None
        if isinstance(seal, envelope.LegacySeal) and policy.legacy == "refuse":
            return Outcome(
                None,
                Report(
                    path,
                    Status.ERROR,
                    message=LEGACY_REFUSED,
                    line=entry.line,
                    form="legacy",
                    action=Action.REFUSED,
                    hint="to rotate legacy seals on purpose, pass --legacy warn",
                ),
            )
        opened = open_checked(seal, keyring)
        diffs, notes = compare(document, opened)
        if place is not None:
            diffs += copies.place_diffs(opened.payload, place, entry.line)
    except SecuredocError as exc:
        exc.located(path=document.path, line=entry.line)
        refused = isinstance(exc, PayloadError)
        return Outcome(None, error_report(path, exc, action=Action.REFUSED if refused else "failed"))
    source_warnings = key_warnings(opened.key, keyring, legacy=policy.legacy != "accept")
    common: dict[str, Any] = dict(line=entry.line, form=opened.form, notes=tuple(notes))
    if opened.key.demo:
        return Outcome(
            None,
            Report(
                path,
                Status.ERROR,
                message=f"sealed with the public demo key '{opened.key.kid}': anyone can make this seal, "
                "so rotation will not vouch for it; not rotated",
                kid=opened.key.kid,
                action=Action.REFUSED,
                warnings=tuple(source_warnings),
                hint="check the article, then seal it with your own key (`securedoc seal`)",
                **common,
            ),
        )
    unbound = uncovered(document, opened, policy.binding)
    if unbound and (isinstance(opened.payload, LegacyPayload) or policy.unbound == "error"):
        diffs = sorted(diffs + unbound, key=lambda d: (d.line or 0, d.name))
    if diffs:
        changed = [d.name for d in diffs if d.change not in ("unbound", "path")]
        loose = [d.name for d in diffs if d.change == "unbound"]
        what = "; ".join(
            part
            for part in (
                *(copies.path_message(d) for d in diffs if d.change == "path"),
                "changed since sealing: " + ", ".join(changed) if changed else "",
                "not bound by the seal: " + ", ".join(loose) if loose else "",
            )
            if part
        )
        return Outcome(
            None,
            Report(
                path,
                Status.MISMATCH,
                message=f"does not verify ({what}); not rotated",
                fields=tuple(diffs),
                kid=opened.key.kid,
                action=Action.REFUSED,
                warnings=tuple(source_warnings),
                hint="check the change; if it is intended, `securedoc seal` it, then rotate",
                **common,
            ),
        )
    if opened.form == form_of(target) and opened.key.kid == target.kid:
        return Outcome(
            None,
            Report(
                path,
                Status.OK,
                message=f"already sealed with '{target.kid}'",
                kid=target.kid,
                action=Action.CURRENT,
                **common,
            ),
        )
    if isinstance(opened.payload, LegacyPayload):
        fields = {e.ident: (e.key, e.value) for e in document.entries if e.name in (opened.payload.fields or {})}
        plaintext = payload_bytes(Payload(fields=fields, syntax=document.syntax), target, keyring)
    elif opened.form == form_of(target):
        plaintext = opened.plaintext  # same form: carried over byte for byte (a nested JWE too)
    else:
        if opened.payload.sealed_hidden is not None:
            try:
                require_hidden(opened)
            except SecuredocError as exc:
                exc.located(path=document.path, line=entry.line)
                return Outcome(None, error_report(path, exc, action=Action.REFUSED))
        plaintext = payload_bytes(opened.payload, target, keyring, encrypt_key=encrypt_key)
    _require_block(document)
    new_data, _ = _write_seal(
        document,
        [],
        plaintext,
        target,
        fast=_fast_settings(fast, limits) if not notes else None,
        keyring=keyring,
        limits=limits,
        nonce=_nonce,
    )
    was = f"legacy {opened.key.kid}" if opened.form == "legacy" else opened.key.kid
    # What the old key's seal was (legacy: a weaker check vouched for it) still matters; that its
    # key is retired and wants `securedoc rotate` does not: the seal is gone.
    replaced = key_warnings(opened.key, keyring, legacy=policy.legacy != "accept", retired=False)
    warnings = tuple(dict.fromkeys(replaced + key_warnings(target, keyring)))
    return Outcome(
        new_data,
        Report(
            path,
            Status.OK,
            message=f"re-sealed with '{target.kid}' (was {was})",
            kid=target.kid,
            action=Action.ROTATED,
            warnings=warnings,
            line=entry.line,
            form=form_of(target),
            notes=tuple(notes),
        ),
    )


# -- open ----------------------------------------------------------------------------------------


def restore_document(document: Document, keyring: Keyring, *, limits: Limits = DEFAULT_LIMITS) -> Outcome:
    """Put hidden fields back into the visible front matter (``open --restore``), where they stood."""
    path = document.path or "-"
    opened = require_hidden(open_document(document, keyring))
    payload = opened.payload
    hidden = payload.hidden if isinstance(payload, Payload) else {}
    todo = {name: item for name, item in hidden.items() if document.get(name) is None}
    skipped = sorted(set(hidden) - set(todo))
    notes = [f"already visible, left as it is: {', '.join(skipped)}"] if skipped else []
    if not todo:
        message = "no hidden fields to restore" if not hidden else "every hidden field is already visible"
        return Outcome(
            None,
            Report(
                path,
                Status.OK,
                message=message,
                kid=opened.key.kid,
                form=opened.form,
                action=Action.UNCHANGED,
                notes=tuple(notes),
            ),
        )
    _require_block(document)
    # Chain hidden fields that followed one another; anchor each chain after a visible field.
    order: list[str] = []
    placed: set[str] = set()

    def place(name: str, trail: tuple[str, ...] = ()) -> None:
        if name in placed or name in trail:
            return
        after = todo[name].after
        if after in todo:
            place(after, trail + (name,))
        placed.add(name)
        order.append(name)

    for name in sorted(todo):
        place(name)
    inserts: dict[int, list[str]] = {}
    position_of: dict[str, int] = {}
    seal_entry = document.seal_entry
    default_at = (
        document.entry_region(seal_entry)[0] if seal_entry and not seal_entry.merged else len(document.front_matter)
    )
    for name in order:
        after = todo[name].after
        if after in position_of:
            at = position_of[after]
        elif after is None:
            at = 0
        else:
            anchor = document.get(after)
            at = document.entry_region(anchor)[1] if anchor is not None and not anchor.merged else default_at
        at = document.place(at, todo[name].yaml)
        position_of[name] = at
        inserts.setdefault(at, []).append(name)
    edits = []
    for at, names in inserts.items():
        newline = document.newline_before(at) if at else document.newline
        text = "".join(todo[n].yaml.replace("\n", newline) for n in names)
        edits.append((at, at, text))
    new_data = document.with_front_matter(edits)
    added: dict[object, Any] = {}
    for name in order:
        alone = document.parse_fragment(todo[name].yaml, limits)
        added[alone.entries[0].ident] = alone.entries[0].value
    _self_check(document, new_data, added=added, seal_value=None, keyring=keyring, limits=limits)
    report = Report(
        path,
        Status.OK,
        message="restored: " + ", ".join(order),
        kid=opened.key.kid,
        form=opened.form,
        action=Action.RESTORED,
        notes=tuple(notes + ["the seal still lists them as hidden; `securedoc seal` binds them as visible"]),
    )
    return Outcome(new_data, report)

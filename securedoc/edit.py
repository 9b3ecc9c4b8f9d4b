"""``securedoc edit FILE``: open an article in an editor with its hidden fields back, re-seal on save.

Like ``sops FILE`` and ``ansible-vault edit``:

1. the article is verified; one that does not verify (changed since sealing, a seal that does not
   open) is refused unless ``force``, so an edit never launders tampering;
2. its hidden fields are put back where they stood (as ``open --restore`` would) into a private
   temporary copy: a fresh folder of mode 0700 holding one file of mode 0600, named like the
   article so the editor highlights Markdown;
3. ``$VISUAL`` (else ``$EDITOR``, else ``vi``) edits that copy;
4. no change: nothing is written (same bytes, same time stamp). Otherwise the edited text is sealed
   again, the fields that were hidden are hidden again (a hidden field deleted in the editor is
   gone from the seal too), and the article is replaced atomically, provided nobody changed the
   file meanwhile;
5. the temporary folder (and whatever the editor left in it: swap and backup files) is removed,
   whatever happens: editor failure, bad YAML, Ctrl-C, SIGTERM, SIGHUP (a closed terminal).
   Only SIGKILL (and a power cut) can leave it behind: it is in the system's temporary folder,
   readable by its owner alone.

When the edited text cannot be sealed (invalid YAML, a field that cannot be hidden) and a person
is at the terminal, securedoc says why and offers to reopen the editor on the same text, so the
edit is not lost; without a terminal it is an error and nothing is written.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .articles import Outcome, restore_document, seal_document
from .document import SEAL_FIELD, Limits, parse
from .errors import FileAccessError, RefusedError, SecuredocError, UsageError, WriteError
from .fileio import cleanup_temp_files, read_article, write_target
from .filestep import Task, rewrite
from .keys import Key, Keyring
from .models import Action, Report, Status
from .payload import Binding, Payload
from .sealing import open_seal, read_seal, require_hidden
from .verify import verify_document

__all__ = ["EditorFailed", "editor_command", "edit_file"]


class EditorFailed(SecuredocError):
    """The editor could not be started, or it exited with an error: nothing is written."""


def editor_command(environ: dict[str, str] | None = None) -> list[str]:
    """The editor to run, as an argument list: $VISUAL, else $EDITOR, else vi (as git does)."""
    env = os.environ if environ is None else environ
    for name in ("VISUAL", "EDITOR"):
        value = env.get(name, "").strip()
        if value:
            try:
                argv = shlex.split(value)
            except ValueError as exc:
                raise UsageError(f"${name} cannot be split into a command ({exc})", hint="check its quotes") from None
            if argv:
                return argv
    return ["vi"]


def _run_editor(argv: list[str], path: str) -> None:
    name = os.path.basename(argv[0])
    try:
        done = subprocess.run([*argv, path], check=False)
    except FileNotFoundError:
        raise EditorFailed(
            f"the editor '{name}' was not found; nothing was written",
            hint="set $VISUAL or $EDITOR to your editor, e.g. export EDITOR='nano'",
        ) from None
    except OSError as exc:
        raise EditorFailed(f"the editor '{name}' cannot be run ({exc.strerror}); nothing was written") from None
    if done.returncode != 0:
        status = f"killed by signal {-done.returncode}" if done.returncode < 0 else f"exit status {done.returncode}"
        raise EditorFailed(f"the editor '{name}' failed ({status}); nothing was written")


@dataclass(frozen=True)
class _Prepared:
    text: bytes  # what the editor starts from
    hidden: tuple[str, ...]  # the fields hidden now, put back for the edit
    seal_value: str | None  # the seal as it stands, to notice an edit of the seal itself
    note: str | None


def _prepare(
    data: bytes, path: str, keyring: Keyring, force: bool, limits: Limits, place: str | None = None
) -> _Prepared:
    document = parse(data, path=path, limits=limits)
    report = verify_document(document, keyring, place=place)
    seal_value = document.seal_entry.value if document.seal_entry is not None else None
    if report.status in (Status.MISMATCH, Status.ERROR) and not force:
        detail = report.message + (f" ({report.hint})" if report.status is Status.ERROR and report.hint else "")
        raise RefusedError(
            f"does not verify: {detail}; not opened for editing",
            path=path,
            line=report.line,
            hint="check what changed (securedoc verify); to edit and seal it anyway, pass --force",
        )
    if report.status is Status.UNSEALED:
        return _Prepared(data, (), None, "not sealed yet: it is sealed when you save")
    try:
        seal = read_seal(document)
        opened = open_seal(seal, keyring) if seal is not None else None
    except SecuredocError:
        opened = None  # --force on a seal that does not open: edit what is visible
    if opened is None:
        return _Prepared(data, (), seal_value, "the seal does not open: hidden fields it may hold are lost")
    if opened.hidden_locked is not None:  # a signed seal whose hidden fields' key is missing: they would be lost
        require_hidden(opened)
    hidden = tuple(opened.payload.hidden) if isinstance(opened.payload, Payload) else ()
    if not hidden:
        return _Prepared(data, (), seal_value, None)
    outcome = restore_document(document, keyring, limits=limits)
    restored = outcome.data if outcome.data is not None else data
    visible = tuple(name for name in hidden if document.get(name) is None)
    return _Prepared(restored, visible, seal_value, None)


def _reseal(
    edited: bytes,
    prepared: _Prepared,
    path: str,
    keyring: Keyring,
    *,
    key: Key | None,
    binding: Binding,
    hide: Iterable[str],
    force: bool,
    limits: Limits,
    place: str | None = None,
) -> tuple[bytes, Report]:
    document = parse(edited, path=path, limits=limits)
    entry = document.seal_entry
    if prepared.seal_value is not None and entry is not None and entry.value != prepared.seal_value:
        raise UsageError(
            f"the '{SEAL_FIELD}' field was edited; securedoc writes it",
            path=path,
            line=entry.line,
            hint=f"leave the '{SEAL_FIELD}' line as it is (or delete it); the article is sealed again on save",
        )
    names = [n for n in dict.fromkeys((*prepared.hidden, *hide)) if document.get(n) is not None]
    outcome = seal_document(
        document, keyring, binding, key=key, hide=names, force=force, limits=limits, carry_hidden=False, place=place
    )
    data = outcome.data if outcome.data is not None else edited  # the seal already covers the edit
    gone = sorted(set(prepared.hidden) - set(names))
    notes = list(outcome.report.notes)
    if gone:
        notes.append("deleted while editing, no longer in the seal: " + ", ".join(gone))
    kid = outcome.report.kid
    return data, Report(
        path,
        Status.OK,
        message="edited and sealed" + (f" with key '{kid}'" if kid else ""),
        kid=kid,
        form=outcome.report.form,
        action=Action.EDITED,
        warnings=outcome.report.warnings,
        notes=tuple(notes),
    )


def _private_copy(folder: str, name: str, data: bytes) -> str:
    path = os.path.join(folder, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    return path


def _ask_again(problem: SecuredocError) -> bool:
    """A person at the terminal may fix a bad edit instead of losing it."""
    try:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            return False
    except (AttributeError, ValueError):
        return False
    sys.stderr.write(f"securedoc: cannot seal the edited article: {problem.diagnostics()}\n")
    sys.stderr.write("Reopen the editor to fix it? [Y/n] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("", "y", "yes")


def edit_file(
    path: str,
    keyring: Keyring,
    *,
    key: Key | None = None,
    binding: Binding | None = None,
    hide: Iterable[str] = (),
    force: bool = False,
    limits: Limits | None = None,
    editor: list[str] | None = None,
    ask_again: Callable[[SecuredocError], bool] = _ask_again,
    place: str | None = None,
) -> Report:
    """Edit one article (see the module documentation). Returns the report (``edited``/``unchanged``).

    ``place`` (bind_path): the article's path relative to the project root; it must verify there,
    and the new seal names it."""
    limits = limits or Limits()
    binding = binding or Binding()
    hide = tuple(hide)
    if not os.path.exists(path):
        raise FileAccessError("no such file", path=path, hint="edit opens an existing article")
    target = write_target(path, (os.path.dirname(os.path.abspath(path)),), False)
    data, _ = read_article(target, limits)
    prepared = _prepare(data, path, keyring, force, limits, place)
    argv = editor if editor is not None else editor_command()
    folder = tempfile.mkdtemp(prefix="securedoc-edit-")  # mode 0700
    previous = _trap_signals()
    try:
        copy = _private_copy(folder, os.path.basename(target), prepared.text)
        while True:
            _run_editor(argv, copy)
            try:
                with open(copy, "rb") as handle:
                    edited = handle.read()
            except OSError as exc:
                raise EditorFailed(f"the edited copy cannot be read ({exc.strerror}); nothing was written") from None
            if edited == prepared.text:
                return Report(path, Status.OK, message="no change; nothing written", action=Action.UNCHANGED)
            try:
                new_data, report = _reseal(
                    edited,
                    prepared,
                    path,
                    keyring,
                    key=key,
                    binding=binding,
                    hide=hide,
                    force=force,
                    limits=limits,
                    place=place,
                )
                break
            except SecuredocError as exc:
                if not ask_again(exc):
                    raise _lost(exc) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        _restore_signals(previous)
    cleanup_temp_files(os.path.dirname(target))

    def unchanged(current: bytes) -> None:
        if current != data:
            raise WriteError(
                "the file changed on disk while it was being edited; nothing was written",
                path=path,
                hint="run `securedoc edit` again to edit the current version",
            )

    # The write is the per-file step of every command that writes (securedoc.filestep.rewrite): the
    # real file locked, checked to be what the editor started from, replaced atomically.
    task = Task("edit", keyring, limits=limits, roots=(os.path.dirname(target),))
    rewrite(task, target, lambda _document, _place: Outcome(new_data, report), None, check=unchanged)
    if prepared.note:
        report = Report(
            report.path,
            report.status,
            message=report.message,
            kid=report.kid,
            form=report.form,
            action=report.action,
            warnings=report.warnings,
            notes=(*report.notes, prepared.note),
        )
    return report


class _Terminated(SecuredocError):
    """securedoc was told to stop (SIGTERM, SIGHUP: a closed terminal) while the editor was open."""

    exit_code = 130


def _terminated(signum: int, _frame: object) -> None:
    raise _Terminated(
        f"stopped by signal {signal.Signals(signum).name} while editing; nothing was written "
        "and the private copy was removed"
    )


def _trap_signals() -> dict[int, Any]:
    """SIGTERM and SIGHUP end the edit like Ctrl-C does: through ``finally``, so the copy goes."""
    previous: dict[int, Any] = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        try:
            previous[signum] = signal.signal(signum, _terminated)
        except (ValueError, OSError):  # not the main thread: leave signals alone
            pass
    return previous


def _restore_signals(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _lost(exc: SecuredocError) -> SecuredocError:
    exc.message = f"the edited article cannot be sealed: {exc.message}; nothing was written"
    return exc

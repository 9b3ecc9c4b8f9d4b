"""Pipes and copies: ``-`` for standard input, ``--output FILE`` for ``seal`` and ``open --restore``.

* ``securedoc seal -`` reads an article on standard input and writes the sealed article to
  standard output (the report goes to standard error); ``securedoc seal a.md --output b.md``
  leaves ``a.md`` as it is and writes the sealed copy to ``b.md`` (``--output -``: standard
  output). The output is always the whole article, also when its seal was already current.
* ``securedoc open --restore a.md --output b.md`` writes the copy with hidden fields put back
  (``open --restore -`` reads standard input and writes standard output).
* ``verify -`` and ``open -`` read the article from standard input (see :mod:`securedoc.api`).

An output file is written like every article: a temporary file in its folder, flushed, renamed
over the target (whose permission bits are kept when it exists). A failure leaves it untouched.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from . import atomicfile
from .articles import restore_document, seal_document
from .document import Limits, parse
from .errors import SecuredocError, UsageError, WriteError
from .fileio import STDIN, read_article
from .filestep import settle_seal
from .keys import Key, Keyring
from .models import Action, Report
from .payload import Binding
from .verify import error_report

__all__ = ["single_path", "write_output", "seal_copy", "restore_copy"]


def single_path(paths: Iterable[str], command: str) -> str:
    """The one article a piped or --output run works on."""
    given = list(paths)
    if len(given) != 1:
        raise UsageError(
            f"{command} with '-' or --output works on one article, not {len(given)}",
            hint="give one file (or '-' for standard input)",
        )
    path = given[0]
    if path != STDIN and os.path.isdir(path):
        raise UsageError(f"{path} is a folder; --output takes one article", path=path)
    return path


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def write_output(output: str, data: bytes) -> None:
    """Write ``data`` to ``output`` (``-``: standard output) atomically."""
    if output == STDIN:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = os.path.realpath(output)
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise WriteError(f"cannot write the output: {exc.strerror}", path=output) from None
    try:
        fd, temp = atomicfile.create_temp(target, 0o666 if mode is None else 0o600)  # new: as umask says
    except OSError as exc:
        raise WriteError(f"cannot write the output: {exc.strerror}", path=output) from None
    try:
        atomicfile.commit_temp(fd, temp, target, data, mode=mode)
    except OSError as exc:
        raise WriteError(f"cannot write the output: {exc.strerror}; nothing was written", path=output) from None


def _input(path: str, output: str | None, limits: Limits) -> bytes:
    if output is not None and output != STDIN and path != STDIN and _same_file(path, output):
        raise UsageError(
            "--output names the article itself", path=path, hint="leave out --output to change the file in place"
        )
    data, _ = read_article(path, limits)
    return data


def seal_copy(
    path: str,
    output: str,
    keyring: Keyring,
    *,
    binding: Binding,
    key: Key | None,
    hide: Iterable[str],
    force: bool,
    legacy: bool,
    dry_run: bool,
    limits: Limits,
    encrypt_key: str | None = None,
) -> Report:
    """Seal ``path`` (or standard input) into ``output`` (or standard output). Never raises for the
    article's own problems: they come back as an error report and nothing is written."""
    try:
        data = _input(path, output, limits)
        outcome = seal_document(
            parse(data, path=path, limits=limits),
            keyring,
            binding,
            key=key,
            hide=tuple(hide),
            force=force,
            legacy=legacy,
            limits=limits,
            encrypt_key=encrypt_key,
        )
    except UsageError:
        raise
    except SecuredocError as exc:
        return error_report(path, exc.located(path=path), action=Action.FAILED)
    if outcome.report.action == Action.REFUSED:
        return outcome.report  # a seal it cannot open: nothing is written, and the run fails
    report = settle_seal(outcome.report)
    if dry_run:
        return report.with_(action=Action.WOULD_SEAL) if outcome.data is not None else report
    write_output(output, outcome.data if outcome.data is not None else data)
    return report


def restore_copy(path: str, output: str, keyring: Keyring, *, limits: Limits) -> Report:
    """``open --restore`` into ``output`` (or standard output): the article with hidden fields back."""
    data = _input(path, output, limits)
    outcome = restore_document(parse(data, path=path, limits=limits), keyring, limits=limits)
    write_output(output, outcome.data if outcome.data is not None else data)
    return outcome.report

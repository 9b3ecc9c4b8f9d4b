"""Copies and moves: one seal on two files, and seals bound to the article's place.

A seal vouches for an article's fields and body, not for where the article stands. Two checks
close that gap (docs/security.md, "Copies and moves"):

* **One seal, one file.** A batch ``verify`` remembers a fingerprint of every seal it meets
  (:func:`fingerprint`: a hash of the seal string, never the seal itself) and the file it is in
  (``(st_dev, st_ino)``: a link and its target, or two hard links, are one file). When a second,
  distinct file carries a seal already seen, both are errors: the later file inline, the earlier
  one (already reported, since reports stream in order) in a follow-up report
  (:class:`Tracker`). With ``--changed``, the files that did not change are read for their seals
  first (:func:`seed`), so a new copy of an unchanged article is caught too.
* **Bound to its place** (``bind-path: true`` / ``--bind-path``, opt in). ``seal`` writes the
  article's path relative to the project root (:func:`project_root`, :func:`place_of`) into the
  payload (``"path"``, authenticated in JWE and JWS alike); ``verify`` then requires that the seal
  binds exactly the path the article is found at, so a moved or copied article fails until it is
  sealed again. The place is folded into the fast path's settings fingerprint (:func:`fast_settings`)
  and into the verification cache's purpose, so neither can pass a moved file.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UsageError
from .models import FOLLOW_UP, Action, FieldDiff, Report, Status, fails

if TYPE_CHECKING:
    from .document import Document, Limits
    from .filestep import Result, Task

PATH_FIELD = "(path)"

__all__ = [
    "PATH_FIELD",
    "place_diffs",
    "path_message",
    "cache_purpose",
    "fingerprint",
    "seal_of_bytes",
    "seal_of_document",
    "Tracker",
    "seed",
    "fresh_copy",
    "shared_seals",
    "project_root",
    "place_of",
    "fast_settings",
    "FOLLOW_UP",
]

_DOMAIN = b"securedoc seal fingerprint 1\x00"


def fingerprint(seal: str) -> str:
    """A short name for a seal string (128 bits of SHA-256, base64url): equal seals, equal names.

    A legacy seal (``ciphertext;iv``) is named by its ciphertext alone: CBC lets anyone change the
    IV, and with it only the first plaintext block, so a copy with a flipped IV is the same seal."""
    text = seal.split(";", 1)[0] if ";" in seal else seal
    digest = hashlib.sha256(_DOMAIN + text.encode("utf-8", "surrogateescape")).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def seal_of_bytes(data: bytes) -> str | None:
    """The fingerprint of the seal the byte search finds (the fast path's and the cache's seal)."""
    from .fastpath import locate

    span = locate(data)
    if span is None:
        return None
    try:
        return fingerprint(data[span[0] : span[1]].decode("ascii"))
    except UnicodeDecodeError:
        return None


def seal_of_document(document: Document) -> str | None:
    """The fingerprint of the parsed article's `secured` value (when it is a string)."""
    entry = document.seal_entry
    if entry is None or not isinstance(entry.value, str) or not entry.value:
        return None
    return fingerprint(entry.value)


# -- one seal, one file --------------------------------------------------------------------------


@dataclass(slots=True)
class _Holder:
    """A file that carries a seal: what a follow-up report needs, not the whole report (a run
    remembers one per sealed file, so it is kept small: slots, and shared ``was`` tuples)."""

    path: str
    file: tuple[int, int] | None
    was: tuple[str, bool] | None  # its report's (status, failed); None: a file outside the run (--changed)
    line: int | None = None
    told: bool = False  # whether it was told (inline, or by its follow-up report)


def _others(holders: list[_Holder]) -> str:
    return ", ".join(h.path for h in holders)


_HINT = (
    "a seal belongs to one article: if this file is a copy, remove it; if both files are meant to "
    "be articles, seal the copy again (`securedoc seal` on both gives the later one a fresh seal, "
    "or turn on `bind-path` so that every seal names its article's path)"
)


class Tracker:
    """Remembers the seals of a run's files (by fingerprint) and turns a second file with the same
    seal into an error, with a follow-up error for the file that carried it first."""

    def __init__(self) -> None:
        # One holder per seal, the common case; a list once a second file carries it.
        self._seen: dict[str, _Holder | list[_Holder]] = {}
        self._was: dict[tuple[str, bool], tuple[str, bool]] = {}  # a handful of distinct values

    def holders(self) -> Iterator[list[_Holder]]:
        """The files that carry each seal seen, in the order they were met."""
        for found in self._seen.values():
            yield found if isinstance(found, list) else [found]

    def _holders(self, seal: str) -> list[_Holder]:
        found = self._seen.get(seal)
        if found is None:
            return []
        return found if isinstance(found, list) else [found]

    def _keep(self, seal: str, holders: list[_Holder], holder: _Holder) -> None:
        self._seen[seal] = [*holders, holder] if holders else holder

    def remember(self, seal: str, path: str, file: tuple[int, int] | None) -> None:
        """A file outside the run (``--changed``: unchanged) that carries ``seal``."""
        holders = self._holders(seal)
        if not any(file is not None and h.file == file for h in holders):
            self._keep(seal, holders, _Holder(os.path.normpath(path), file, None))

    def add(self, report: Report, seal: str | None, file: tuple[int, int] | None) -> list[Report]:
        """The report for one file, then any follow-up reports for earlier files."""
        if seal is None:
            return [report]
        found = self._seen.get(seal)
        if found is None:  # a seal met for the first time: the common case, kept short
            was = (report.status.value, fails(report))
            self._seen[seal] = _Holder(report.path, file, self._was.setdefault(was, was), report.line)
            return [report]
        earlier = found if isinstance(found, list) else [found]
        if any(file is not None and h.file == file for h in earlier):
            return [report]  # a link to (or a hard link of) a file already seen: the same file
        was = (report.status.value, fails(report))
        was = self._was.setdefault(was, was)
        # A duplicate is told inline.
        self._keep(seal, earlier, _Holder(report.path, file, was, report.line, told=True))
        out = [_duplicate(report, earlier)]
        for holder in earlier:
            if holder.told:
                continue
            holder.told = True
            out.append(_follow_up(holder, report.path))
        return out


def _duplicate(report: Report, earlier: list[_Holder]) -> Report:
    message = f"carries the same seal as {_others(earlier)}: one of them is a copy"
    if report.status is not Status.OK and report.message:
        message += f" (and: {report.message})"
    return report.with_(status=Status.ERROR, message=message, hint=_HINT)


def _follow_up(holder: _Holder, later: str) -> Report:
    return Report(
        holder.path,
        Status.ERROR,
        message=f"carries the same seal as {later}: one of them is a copy",
        line=holder.line,
        hint=_HINT,
        extra={FOLLOW_UP: holder.was},
    )


def fresh_copy(task: Task, result: Result, seen: dict[str, str]) -> Report:
    """``seal``: a file left unchanged whose seal an earlier file of the run carries too (a copy)
    is sealed afresh, so that the two no longer share a seal (a JWE's nonce is new each time). A
    signed seal (Ed25519 is deterministic) of the very same article and path comes out the same:
    that is said in a warning."""
    from dataclasses import replace

    from .filestep import handle

    report = result.report
    assert result.seal is not None
    first = seen.setdefault(result.seal, report.path)
    if first == report.path:
        return report
    again = handle(replace(task, force=True), report.path)
    fresh = again.report
    if fresh.action in (Action.SEALED, Action.WOULD_SEAL):
        fresh = fresh.with_(message=f"a fresh seal: it carried the same seal as {first} (a copy)")
    if again.seal is not None and again.seal == result.seal:
        fresh = fresh.with_(
            warnings=(
                *fresh.warnings,
                f"still carries the same seal as {first}: a signed seal of the same article is the same; "
                "verify reports both files until one of them changes (or turn on bind-path)",
            )
        )
    return fresh


def shared_seals(paths: Iterable[str], limits: Limits) -> dict[str, list[str]]:
    """``rotate``: which of these files carry a seal that another (distinct) file of them carries
    too, each with the others. Read before anything is rotated, since a rotated copy would get a
    seal of its own and no longer look like a copy (rotate must never launder)."""
    tracker = Tracker()
    seed(tracker, paths, set(), limits)
    shared: dict[str, list[str]] = {}
    for holders in tracker.holders():
        if len(holders) > 1:
            for holder in holders:
                shared[holder.path] = [h.path for h in holders if h is not holder]
    return shared


def seed(tracker: Tracker, paths: Iterable[str], skip: set[str], limits: Limits) -> None:
    """Read the seals of files outside the run (``--changed``: the unchanged ones) into ``tracker``.

    Unreadable or unparsable files are left out: they are not part of the run's verdict."""
    from .document import parse
    from .errors import SecuredocError
    from .fileio import read_article

    for path in paths:
        if os.path.abspath(path) in skip:
            continue
        try:
            data, snapshot = read_article(path, limits)
            seal = seal_of_bytes(data)
            if seal is None:
                seal = seal_of_document(parse(data, path=path, limits=limits))
        except (SecuredocError, RecursionError, MemoryError, ValueError):
            continue
        if seal is not None:
            tracker.remember(seal, path, (snapshot.dev, snapshot.ino))


# -- bound to its place --------------------------------------------------------------------------


def project_root(config_root: Path | None, *, git_top: Path | None = None) -> Path:
    """The folder paths are bound relative to: the configuration file's folder (securedoc.yaml or
    pyproject.toml's [tool.securedoc]; under ``--trust REV``, REV's file), else the top of the git
    work tree holding the current folder. Neither: a usage error (a root that moved with the
    current folder would bind nothing)."""
    if config_root is not None:
        return Path(os.path.realpath(config_root))
    top = git_top if git_top is not None else _git_top()
    if top is not None:
        return Path(os.path.realpath(top))
    raise UsageError(
        "bind-path needs a project root: a securedoc.yaml (or pyproject.toml with [tool.securedoc]) "
        "found upwards from the current folder, or a git work tree",
        hint="add a securedoc.yaml at the top of the site (it may say just `bind-path: true`), "
        "or run securedoc inside the site's git checkout",
    )


def _git_top() -> Path | None:
    import subprocess  # only with bind-path and no configuration file: keeps start-up short

    try:
        done = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, check=False)
    except FileNotFoundError:
        return None
    if done.returncode != 0:
        return None
    text = done.stdout.decode("utf-8", "surrogateescape").strip()
    return Path(text) if text else None


def place_of(path: str, root: str) -> str:
    """``path`` relative to the project root, with ``/``: the name the site generator renders it
    under (a link keeps its own name). A path outside the root is a usage error."""
    for candidate in (os.path.abspath(path), _name_identity(path)):
        rel = os.path.relpath(candidate, root)
        if rel != os.curdir and rel != os.pardir and not rel.startswith(os.pardir + os.sep):
            return rel.replace(os.sep, "/")
    raise UsageError(
        f"{path} is outside the project root {root}, so its seal cannot name its path (bind-path)",
        path=path,
        hint="run securedoc from inside the project, or give paths inside it",
    )


def _name_identity(path: str) -> str:
    return os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(path))), os.path.basename(path))


def place_diffs(payload: object, place: str, line: int | None) -> list[FieldDiff]:
    """With bind_path on: the difference between the path the seal names (a payload's ``path``;
    a legacy seal names none) and the article's place, as a field difference ``(path)``."""
    bound = getattr(payload, "path", None)
    if bound == place:
        return []
    return [FieldDiff(PATH_FIELD, line, bound, place, "path")]


def path_message(diff: FieldDiff) -> str:
    """What a ``(path)`` difference says, naming both paths and what to do."""
    if diff.sealed is None:
        return (
            f"the seal does not name the article's path (bind_path is on), so it could be a copy or a move; "
            f"if {diff.visible} is where it belongs, seal it again there (`securedoc seal`)"
        )
    return (
        f"sealed as {diff.sealed}, found at {diff.visible}: moved or copied; if it belongs at "
        f"{diff.visible}, seal it again there (`securedoc seal`), else move it back"
    )


def fast_settings(settings: str | None, place: str | None) -> str | None:
    """The fast path's settings fingerprint for one file: the run's, with the place bound in when
    bind-path is on (a claim written at one place never matches at another)."""
    if settings is None or place is None:
        return settings
    from .rules import settings_fingerprint

    return settings_fingerprint(run=settings, path=place)


def cache_purpose(purpose: bytes, place: str | None) -> bytes:
    """The verification cache's purpose for one file: with bind-path on, the place is part of it."""
    if place is None:
        return purpose
    return purpose + b" path " + place.encode("utf-8", "surrogateescape")

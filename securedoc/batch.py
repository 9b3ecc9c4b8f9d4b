"""Whole archives: find the files, map a Task over them in parallel, in order, in bounded memory.

* :func:`discover` walks the paths given (files and folders, recursively), yields the Markdown files
  (the extensions Hugo and Jekyll render, or the configured set) in a stable sorted order, skips
  hidden names (``.git`` included) and excluded paths. Whatever else it meets that a site
  generator could render (a link to a folder, a submodule, a file outside the set that opens with
  front matter) becomes an error for that path, as does a path that does not exist; the walk goes on.
* :func:`map_ordered` runs a Task over the files with a pool of worker processes, a bounded number
  of chunks in flight, and yields results in input order, so memory does not grow with the archive.
  A worker that dies (killed, out of memory) costs the chunk that killed it, which is reported,
  not the run and not the chunks that were in flight beside it; no file is written twice.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, MutableSequence, Sequence
from dataclasses import dataclass, replace
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CoverageError, FileAccessError, SecuredocError
from .filestep import Result, Task, handle
from .models import Action, Report, Status
from .verify import error_report

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = [
    "Item",
    "discover",
    "map_ordered",
    "default_jobs",
    "compile_globs",
    "MARKDOWN_SUFFIXES",
    "DEFAULT_EXTENSIONS",
]

# The Markdown extensions the site generators render: Hugo's Markdown content format (md, markdown,
# mdown) and Jekyll's default `markdown_ext` (markdown, mkdown, mkdn, mkd, md); compared without case.
DEFAULT_EXTENSIONS = ("md", "markdown", "mdown", "mkdown", "mkdn", "mkd")
MARKDOWN_SUFFIXES = tuple("." + ext for ext in DEFAULT_EXTENSIONS)


@dataclass(frozen=True)
class Item:
    """A file to handle, or a path that could not be handled (``error``)."""

    path: str
    error: SecuredocError | None = None


SMALL_RUN = 64  # files: below this, starting worker processes costs more than it saves


def cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def default_jobs(load: float | None = None) -> int:
    """Worker processes when neither --jobs nor ``jobs:`` says: the cores that are idle now.

    Verification is CPU-bound and a worker costs the same CPU time per file as the main process
    (measured: 1,500 articles, ~3.4 s of CPU with 1, 2 or 3 jobs), so extra workers only help
    when there are idle cores to run them. On a busy 2-core machine (load 7) ``--jobs 2`` took
    10.9 s against 10.3 s for ``--jobs 1`` (medians of 5); see docs/performance.md. So: the
    number of cores minus the 1-minute load average, rounded, at least 1.
    """
    total = cores()
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # pragma: no cover - not Unix
            load = 0.0
    return max(1, min(total, int(total - load + 0.5)))


def _glob_regex(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        out.append("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c))
        i += 1
    return "".join(out)


def compile_globs(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """Exclude patterns: matched against the path relative to the project root, with ``/``.

    ``*`` and ``?`` stay within one folder name, ``**`` crosses folders; a pattern without ``/``
    matches a file or folder of that name at any depth (``drafts``, ``*.tmp.md``).
    """
    if not patterns:
        return None
    parts = []
    for pattern in patterns:
        pattern = pattern.strip().rstrip("/")
        if not pattern:
            continue
        if pattern.startswith("/"):
            parts.append(_glob_regex(pattern[1:]))
        elif "/" not in pattern:
            parts.append("(?:.*/)?" + _glob_regex(pattern))
        else:
            parts.append(_glob_regex(pattern))
    return re.compile("(?:" + "|".join(parts) + r")(?:/.*)?\Z") if parts else None


def normalize_extensions(extensions: Iterable[str] | None) -> tuple[str, ...]:
    """Extensions as securedoc compares them: lower case, without the dot (default: the Markdown set)."""
    if extensions is None:
        return DEFAULT_EXTENSIONS
    return tuple(dict.fromkeys(ext.strip().lstrip(".").lower() for ext in extensions if ext.strip().lstrip(".")))


def suffixes(extensions: Iterable[str] | None = None) -> tuple[str, ...]:
    """``('.md', '.markdown', ...)`` for ``str.endswith`` (callers lower-case the name)."""
    return tuple("." + ext for ext in normalize_extensions(extensions))


def _is_markdown(name: str, ends: tuple[str, ...] = MARKDOWN_SUFFIXES) -> bool:
    return name.lower().endswith(ends)


_FRONT_MATTER = re.compile(rb"\A(?:\xef\xbb\xbf)?(?:---|\+\+\+)[ \t]*\r?\n")


def opens_with_front_matter(path: str) -> bool:
    """Whether a file starts like a page: a ``---`` (YAML) or ``+++`` (TOML) line, after a BOM."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        head = os.read(fd, 64)
    except OSError:
        return False
    finally:
        os.close(fd)
    return _FRONT_MATTER.match(head) is not None


def _outside_set(path: str, name: str) -> CoverageError:
    ext = os.path.splitext(name)[1] or "(no extension)"
    return CoverageError(
        f"opens with front matter like a page, but '{ext}' is not one of the Markdown extensions checked",
        path=path,
        hint="site generators may render it: add the extension to `extensions` in securedoc.yaml "
        "(or --extensions) to check it, or exclude the file",
    )


def _folder_link(path: str) -> CoverageError:
    return CoverageError(
        f"is a symbolic link to the folder {os.path.realpath(path)}; its files would not be checked",
        path=path,
        hint="site generators follow such links: pass --follow-symlinks to check the files in it, or exclude the path",
    )


def _submodule(path: str) -> CoverageError:
    return CoverageError(
        "is a git submodule or another repository inside the paths given; its files would not be checked",
        path=path,
        hint="pass --follow-submodules to check the files in it, or exclude the path",
    )


def is_repository(folder: str) -> bool:
    """Whether a folder is the top of a git work tree (a submodule has a ``.git`` file)."""
    return os.path.lexists(os.path.join(folder, ".git"))


def discover(
    paths: Sequence[str],
    *,
    exclude: re.Pattern[str] | None = None,
    base: Path | None = None,
    follow_symlinks: bool = False,
    extensions: Iterable[str] | None = None,
    links_by_name: bool = False,
    follow_submodules: bool = False,
) -> Iterator[Item]:
    """The files under ``paths``, sorted, each once. Missing paths become error items.

    Nothing under the paths escapes silently: a link to a folder (unless ``follow_symlinks``), a
    submodule or nested repository (unless ``follow_submodules``), and a file outside the
    Markdown ``extensions`` that opens with front matter become error items; only excluded paths
    and hidden names (``.git``, ``.github``..., which the site generators do not render either)
    are left out. With ``links_by_name`` (verify), a Markdown-named link to a file is a file of
    its own, checked under its own name whatever its target; otherwise (seal, rotate) a link to a
    file inside the tree is left to that file.
    """
    base_dir = str((base or Path.cwd()).resolve())
    ends = suffixes(extensions)
    # Remembering every file would make memory grow with the archive. A file can only come twice
    # through a link or when the paths given overlap, so only then is it remembered.
    seen: set[str] = set()
    reals = [os.path.realpath(p) for p in paths if os.path.isdir(p)]
    overlapping = (
        len(paths) > len(reals)  # files given one by one
        or len(set(reals)) != len(reals)
        or any(a.startswith(b.rstrip(os.sep) + os.sep) for a in reals for b in reals if a != b)
    )

    def excluded(path: str) -> bool:
        if exclude is None:
            return False
        rel = os.path.relpath(os.path.abspath(path), base_dir)
        if rel.startswith(".."):
            return False
        return exclude.match(rel.replace(os.sep, "/")) is not None

    # A plain file in a tree walked once cannot come again: the common case needs no bookkeeping.
    plain = not overlapping and not follow_symlinks

    def once(path: str, real: str | None = None) -> bool:
        if real is not None and plain:
            return True
        key = real if real is not None else os.path.realpath(path)
        if key in seen:
            return False
        seen.add(key)
        return True

    def walk(folder: str, real_folder: str, visited: frozenset[str], top: str) -> Iterator[Item]:
        # real_folder is the folder's real path: a name in it that is not a link is real too,
        # so only links cost a realpath() (several system calls each).
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            yield Item(folder, FileAccessError(f"cannot list this folder: {exc.strerror}", path=folder))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue  # hidden files and folders, .git included
            path = entry.path  # os.path.join(folder, entry.name)
            if exclude is not None and excluded(path):
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
                is_link = entry.is_symlink()
            except OSError:
                continue
            if is_dir:
                if is_link and not follow_symlinks:
                    yield Item(path, _folder_link(path))
                    continue
                if not follow_submodules and is_repository(path):
                    yield Item(path, _submodule(path))
                    continue
                real = os.path.realpath(path) if is_link else os.path.join(real_folder, entry.name)
                if real in visited:
                    continue
                yield from walk(path, real, visited | {real}, top)
            elif _is_markdown(entry.name, ends):
                if not is_link:
                    if plain or once(path, os.path.join(real_folder, entry.name)):
                        yield Item(path)
                elif not os.path.exists(path):
                    yield Item(path, FileAccessError("is a broken symbolic link", path=path))
                elif links_by_name:
                    # Its own page for the site generator: checked under its own name.
                    if once(path, os.path.join(real_folder, entry.name)):
                        yield Item(path)
                elif os.path.realpath(path).startswith(top + os.sep):
                    target = os.path.realpath(path)
                    if _is_markdown(os.path.basename(target), ends) and not excluded(target):
                        continue  # a link to a file in this tree: the file is visited under its own name
                    if once(path, None):
                        yield Item(path)
                elif once(path, None):
                    yield Item(path)
            elif opens_with_front_matter(path):
                yield Item(path, _outside_set(path, entry.name))

    for given in paths:
        if not os.path.lexists(given):
            yield Item(
                given,
                FileAccessError("no such file or folder", path=given, hint="check the path; nothing was done for it"),
            )
            continue
        if os.path.isdir(given):
            if excluded(given):
                continue
            top = os.path.realpath(given)
            yield from walk(given, top, frozenset({top}), top)
        elif not os.path.exists(given):
            yield Item(given, FileAccessError("is a broken symbolic link", path=given))
        elif not excluded(given) and (once(given, _name_identity(given)) if links_by_name else once(given)):
            yield Item(given)


def _name_identity(path: str) -> str:
    """A file's name made absolute through its folder's real path (a link stays itself)."""
    return os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(path))), os.path.basename(path))


# -- parallel map --------------------------------------------------------------------------------

_TASK: Task | None = None
_AGAIN: Task | None = None  # _TASK for a file a dead worker may have handled already: never forced
# Shared with the workers: one byte per file of each chunk in flight, 0 (not started), _STARTED
# or _DONE, so that after a crash the parent knows which files a dead worker may have written.
_STATES: MutableSequence[int] = []
_STARTED, _DONE = 1, 2


def _init_worker(task: Task, states: MutableSequence[int]) -> None:
    import signal  # workers only: not at start-up

    global _TASK, _AGAIN, _STATES
    _TASK = task
    _AGAIN = replace(task, force=False) if task.force else task
    _STATES = states
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and shuts the pool down
    _die_with_parent()


def _die_with_parent() -> None:
    """Linux: end this worker if the parent dies (a killed run leaves no orphans behind)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - best effort
        pass
    if os.getppid() == 1:  # pragma: no cover - the parent died before prctl took effect
        os._exit(1)


def _run_chunk(paths: list[str], offset: int, again: frozenset[int] = frozenset()) -> tuple[list[Result], float]:
    """Handle a chunk in a worker, marking each file started and done in the shared states; the
    results, and the seconds the chunk took.

    ``again``: the files a worker that died may have handled already. They are handled without
    ``force``, so a file already written is found current and not written a second time."""
    assert _TASK is not None and _AGAIN is not None
    start = time.perf_counter()
    results = []
    for i, path in enumerate(paths):
        _STATES[offset + i] = _STARTED
        results.append(handle(_AGAIN if i in again else _TASK, path))
        _STATES[offset + i] = _DONE
    return results, time.perf_counter() - start


def _chunks(items: Iterable[Item], size: Callable[[], int]) -> Iterator[list[Item]]:
    """Chunks of the items, each of ``size()`` items at the time it is cut."""
    iterator = iter(items)
    while True:
        chunk = list(islice(iterator, size()))
        if not chunk:
            return
        yield chunk


# Chunk sizes. Each chunk costs a round trip through the pool (the main process's threads, two
# pipes, a future, and a worker that may wait for the next chunk meanwhile): about a millisecond
# of the main process's time, on cores the workers need. So a chunk should take a worker about
# CHUNK_SECONDS: long enough that round trips cost about 1% of the run, short enough that the
# workers finish close together at the end of the run (the last chunks cannot be shared).
CHUNK_SECONDS = 0.05
LARGEST_CHUNK = 1024  # files


def next_chunk_size(size: int, files: int, seconds: float, smallest: int) -> int:
    """The chunk size after a chunk of ``files`` files took a worker ``seconds``: what takes about
    CHUNK_SECONDS at that rate, at least ``smallest``, at most LARGEST_CHUNK, and at most four
    times the current size (one slow or fast chunk does not swing it)."""
    if files <= 0 or seconds <= 0:
        return size
    fits = int(min(CHUNK_SECONDS * files / seconds, LARGEST_CHUNK))
    return max(smallest, min(LARGEST_CHUNK, 4 * size, max(fits, size // 4)))


def _merge(chunk: list[Item], results: list[Result]) -> Iterator[Result]:
    done = iter(results)
    for item in chunk:
        if item.error is not None:
            yield Result(error_report(item.path, item.error, action=None))
        else:
            yield next(done)


def _crashed(chunk: list[Item], command: str, touched: frozenset[int] = frozenset()) -> list[Result]:
    """The reports of a chunk that killed its worker. ``touched``: the files (indexes among those
    handled) that a dead worker had started, which seal and rotate may have written."""
    paths = [item.path for item in chunk if item.error is None]
    return [
        Result(
            Report(
                path,
                Status.ERROR,
                message="a securedoc worker process died while handling this file or one next to it",
                hint="run again with --jobs 1 to find the file; "
                + (
                    "this file may have been written before the worker died (whole: writes are atomic)"
                    if i in touched and command != "verify"
                    else "the files were left as they were"
                ),
                action=Action.FAILED if command != "verify" else None,
            )
        )
        for i, path in enumerate(paths)
    ]


@dataclass
class _Flight:
    """A chunk sent to a pool: its files to handle, its place in the shared states, its future."""

    chunk: list[Item]
    paths: list[str]
    slot: int
    offset: int
    future: Future[tuple[list[Result], float]] | None = None
    results: list[Result] | None = None
    touched: frozenset[int] = frozenset()  # files a dead worker had started (it may have written them)


def map_ordered(task: Task, items: Iterable[Item], *, jobs: int = 1, chunk_size: int = 16) -> Iterator[Result]:
    """Run ``task`` over ``items``; results in input order, at most ``4 * jobs`` chunks in flight.

    The first ``4 * jobs`` chunks hold ``chunk_size`` files, so that every worker starts at once
    and a small run is shared out evenly; then each chunk is sized from how long the last one
    took (:func:`next_chunk_size`).

    A worker that dies breaks the whole pool, and every chunk in flight fails with it. Only the
    chunk that killed its worker is reported (as lost): the chunks that failed are run again, each
    alone in a pool of its own, and one that breaks that pool too is the culprit; the others are
    answered. A file is never written twice: the files a dead worker had started are handled
    again without ``force`` (securedoc.filestep finds what it wrote current).
    """
    iterator = iter(items)
    head = list(islice(iterator, 2))
    if len(head) < 2:
        jobs = 1  # one file: a pool of workers would only add start-up time
    items = chain(head, iterator)
    if jobs <= 1:
        for item in items:
            if item.error is not None:
                yield Result(error_report(item.path, item.error))
            else:
                yield handle(task, item.path)
        return
    # Imported here: a one-file run (the common case from editors and hooks) never pays for them.
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    window = 4 * jobs
    size = chunk_size
    chunks = _chunks(items, lambda: size)
    width = max(LARGEST_CHUNK, chunk_size)  # the largest chunk
    states: MutableSequence[int] = context.RawArray("B", window * width)
    free = list(range(window - 1, -1, -1))

    def new_pool(workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(task, states)
        )

    pool = new_pool(jobs)
    pending: deque[_Flight] = deque()

    def top_up() -> None:
        while len(pending) < window:
            chunk = next(chunks, None)
            if chunk is None:
                return
            paths = [item.path for item in chunk if item.error is None]
            slot = free.pop()
            offset = slot * width
            states[offset : offset + len(paths)] = bytes(len(paths))
            flight = _Flight(chunk, paths, slot, offset)
            if paths:
                flight.future = pool.submit(_run_chunk, paths, offset)
            pending.append(flight)

    def alone(suspects: list[_Flight]) -> None:
        """Run each chunk again in a pool of one worker (``jobs`` at a time); set its results, or
        leave them None if it breaks that pool too."""
        todo = deque(suspects)
        running: dict[Future[tuple[list[Result], float]], tuple[_Flight, ProcessPoolExecutor, frozenset[int]]] = {}
        try:
            while todo or running:
                while todo and len(running) < jobs:
                    flight = todo.popleft()
                    n, offset = len(flight.paths), flight.offset
                    again = frozenset(i for i in range(n) if states[offset + i])
                    states[offset : offset + n] = bytes(n)
                    single = new_pool(1)
                    running[single.submit(_run_chunk, flight.paths, offset, again)] = (flight, single, again)
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    flight, single, again = running.pop(future)
                    try:
                        flight.results = future.result()[0]
                    except BrokenProcessPool:
                        flight.results = None  # it kills its worker even alone: the culprit
                    single.shutdown(wait=True)
                    if flight.results is None:
                        started = (i for i in range(len(flight.paths)) if states[flight.offset + i])
                        flight.touched = again.union(started)
        finally:
            for _, single, _ in running.values():
                single.shutdown(wait=True, cancel_futures=True)

    try:
        top_up()
        while pending:
            flight = pending[0]
            try:
                if flight.future is not None:
                    flight.results, seconds = flight.future.result()
                    size = next_chunk_size(size, len(flight.paths), seconds, chunk_size)
                else:
                    flight.results = []
            except BrokenProcessPool:
                # The pool broke: every chunk still in flight failed with it, whichever worker died.
                # Wait for the pool's workers to be gone (they may still be writing) before the
                # shared states say which files they started.
                flights = list(pending)
                pending.clear()
                suspects = []
                for other in flights:
                    if other.future is None:
                        other.results = []
                        continue
                    try:
                        other.results = other.future.result()[0]
                    except BrokenProcessPool:
                        suspects.append(other)
                pool.shutdown(wait=True, cancel_futures=True)
                alone(suspects)
                pool = new_pool(jobs)
                for other in flights:
                    free.append(other.slot)
                top_up()
                for other in flights:
                    if other.results is None:
                        yield from _merge(other.chunk, _crashed(other.chunk, task.command, other.touched))
                    else:
                        yield from _merge(other.chunk, other.results)
                continue
            pending.popleft()
            free.append(flight.slot)
            top_up()
            yield from _merge(flight.chunk, flight.results)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)

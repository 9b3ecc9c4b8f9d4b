"""Reading and atomically rewriting article files. The only module that writes articles.

A rewrite never leaves a half-written file: the new bytes go to a temporary file in the same
folder (``.NAME.securedoc-PID-RANDOM.tmp``), which is flushed to disk and renamed over the
original; the folder is flushed too. The original's permission bits (and owner, when running as
root) are kept. Before the rename, securedoc checks that the file is still the one it read (same
inode, size and modification time): a file changed or replaced meanwhile is left alone and
reported. While a file is being sealed, securedoc holds an advisory lock (``flock``) on it, so two
securedoc runs over one archive take turns per file instead of racing.

Temporary files left by a run that was killed are removed by the next run that touches that
folder. A temporary file is only ever removed when no process holds its lock (a writer locks it
as soon as it creates it) and the process that made it is gone or it is more than a few seconds
old. The writing and the clean-up are :mod:`securedoc.atomicfile`'s, shared with the cache.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from . import atomicfile
from .atomicfile import TEMP_PATTERN, cleanup_temp_files
from .document import DEFAULT_LIMITS, Limits, too_large
from .errors import FileAccessError, WriteError

__all__ = [
    "Snapshot",
    "read_article",
    "locked_article",
    "atomic_replace",
    "cleanup_temp_files",
    "write_target",
    "TEMP_PATTERN",
    "STDIN",
    "read_stdin",
]


@dataclass(frozen=True)
class Snapshot:
    """What a file was when it was read: enough to notice that it changed before we write."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    mode: int
    uid: int
    gid: int

    @classmethod
    def of(cls, st: os.stat_result) -> Snapshot:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode, st.st_uid, st.st_gid)

    def same_file(self, st: os.stat_result) -> bool:
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) == (self.dev, self.ino, self.size, self.mtime_ns)


def _access_error(path: str, exc: OSError) -> FileAccessError:
    if isinstance(exc, FileNotFoundError):
        return FileAccessError("no such file (it may have been moved or deleted during the run)", path=path)
    if isinstance(exc, PermissionError):
        return FileAccessError(
            "permission denied: securedoc cannot read this file", path=path, hint="check the file's permissions"
        )
    if isinstance(exc, IsADirectoryError):
        return FileAccessError("is a folder, not a file", path=path)
    if exc.errno == errno.ELOOP:
        return FileAccessError("too many levels of symbolic links", path=path)
    return FileAccessError(f"cannot read the file: {exc.strerror or exc}", path=path)


def _read_fd(fd: int, path: str, limits: Limits) -> tuple[bytes, os.stat_result]:
    st = os.fstat(fd)
    if stat.S_ISDIR(st.st_mode):
        raise FileAccessError("is a folder, not a file", path=path)
    if not stat.S_ISREG(st.st_mode):
        raise FileAccessError("not a regular file (a device, pipe or socket?)", path=path)
    if st.st_size > limits.max_file_size:
        raise too_large(path, limits, st.st_size)
    chunks = []
    remaining = limits.max_file_size + 1
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    data = b"".join(chunks)
    if len(data) > limits.max_file_size:
        raise too_large(path, limits, what="the file (it grew while being read)")
    return data, st


STDIN = "-"


def read_stdin(limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Standard input, whole, no larger than the limit (``-`` as a path: verify, open, seal)."""
    stream = sys.stdin.buffer
    data = stream.read(limits.max_file_size + 1)
    if len(data) > limits.max_file_size:
        raise too_large(STDIN, limits, what="standard input")
    return data


def read_article(path: str, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes, Snapshot]:
    """The bytes of a regular file no larger than the limit (follows symbolic links).

    ``-`` is standard input (its snapshot describes file descriptor 0; it is never written back)."""
    if path == STDIN:
        return read_stdin(limits), Snapshot.of(os.fstat(0))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as exc:
        raise _access_error(path, exc) from None
    try:
        data, st = _read_fd(fd, path, limits)
    except OSError as exc:
        raise _access_error(path, exc) from None
    finally:
        os.close(fd)
    return data, Snapshot.of(st)


@contextmanager
def locked_article(path: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[tuple[bytes, Snapshot]]:
    """Read a file while holding an exclusive advisory lock on it, until the block ends.

    If another process replaced the file while we waited for the lock, the new file is opened
    and locked instead (a few times at most), so what we read is what is at ``path`` now.
    """
    for _ in range(20):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError as exc:
            raise _access_error(path, exc) from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                current = os.stat(path)
            except OSError as exc:
                raise _access_error(path, exc) from None
            held = os.fstat(fd)
            if (held.st_dev, held.st_ino) != (current.st_dev, current.st_ino):
                continue  # replaced while we waited: lock the new one
            try:
                data, st = _read_fd(fd, path, limits)
            except OSError as exc:
                raise _access_error(path, exc) from None
            yield data, Snapshot.of(st)
            return
        finally:
            os.close(fd)
    raise WriteError("the file keeps being replaced by another process; try again", path=path)


def check_writable(path: str, snapshot: Snapshot) -> None:
    """Refuse files and folders marked read-only, even for root, who could write them anyway."""
    if not snapshot.mode & 0o222:
        raise WriteError(
            "the file is read-only; securedoc leaves read-only files alone",
            path=path,
            hint=f"make it writable (chmod u+w {path}) to seal it",
        )
    folder = os.path.dirname(os.path.abspath(path))
    try:
        folder_mode = os.stat(folder).st_mode
    except OSError as exc:
        raise _access_error(folder, exc) from None
    if not folder_mode & 0o222 or not os.access(folder, os.W_OK | os.X_OK):
        raise WriteError(
            "its folder is read-only, so the file cannot be replaced safely",
            path=path,
            hint=f"make the folder writable (chmod u+w {folder})",
        )


def atomic_replace(path: str, data: bytes, snapshot: Snapshot) -> None:
    """Replace ``path`` with ``data`` atomically, if it is still the file described by ``snapshot``.

    On any failure the original bytes stay in place and the temporary file is removed
    (:mod:`securedoc.atomicfile` does the writing).
    """
    check_writable(path, snapshot)
    try:
        fd, temp = atomicfile.create_temp(path)
    except OSError as exc:
        raise WriteError(
            f"cannot create a temporary file next to it: {exc.strerror}",
            path=path,
            hint="check that the folder is writable and the disk is not full",
        ) from None

    def still_the_file_we_read() -> None:
        try:
            current = os.stat(path)
        except FileNotFoundError:
            raise WriteError(
                "the file was deleted while securedoc was sealing it; nothing was written", path=path
            ) from None
        if not snapshot.same_file(current):
            raise WriteError(
                "the file changed while securedoc was sealing it; nothing was written",
                path=path,
                hint="run the command again",
            )

    owner = None
    if os.geteuid() == 0 and (snapshot.uid, snapshot.gid) != (os.getuid(), os.getgid()):
        owner = (snapshot.uid, snapshot.gid)
    try:
        atomicfile.commit_temp(
            fd, temp, path, data, mode=stat.S_IMODE(snapshot.mode), owner=owner, check=still_the_file_we_read
        )
    except OSError as exc:
        hint = "the disk may be full" if exc.errno == errno.ENOSPC else None
        raise WriteError(
            f"cannot write the file: {exc.strerror or exc}; the original is unchanged", path=path, hint=hint
        ) from None


def within(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def write_target(path: str, roots: tuple[str, ...], follow_symlinks: bool) -> str:
    """The real file a rewrite of ``path`` goes to. Links are written through, not replaced.

    A link whose target lies outside the folders given on the command line is refused unless
    ``follow_symlinks``.
    """
    real = os.path.realpath(path)
    if real != os.path.abspath(path) and not follow_symlinks and not within(real, roots):
        raise WriteError(
            f"is a symbolic link to {real}, outside the folders given; securedoc does not write there",
            path=path,
            hint="pass --follow-symlinks to write through links that lead elsewhere",
        )
    return real

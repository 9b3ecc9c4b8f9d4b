"""Writing a file so that a reader sees the old bytes or the new ones, never a mix: the one atomic
write that articles (``fileio``), ``--output`` copies (``streams``) and the verification cache
(``cache``) share, and the clean-up of what a killed writer left behind.

The new bytes go to a temporary file in the same folder, ``.NAME.securedoc-PID-RANDOM.tmp``, locked
(``flock``) from the moment it exists; it is flushed to disk, renamed over the target, and the
folder is flushed too. On any failure the temporary file is removed and the target is untouched.
A run killed meanwhile leaves the temporary file: :func:`cleanup_temp_files` removes it later,
when no process holds its lock and its writer is gone (or it is more than a few seconds old).

A leaf module (standard library only): ``keys`` uses :func:`fsync_folder` and :func:`pid_alive`
without loading YAML.
"""

from __future__ import annotations

import fcntl
import os
import re
import stat
import time
from collections.abc import Callable

__all__ = ["TEMP_PATTERN", "create_temp", "commit_temp", "replace_file", "cleanup_temp_files", "fsync_folder"]

TEMP_PATTERN = re.compile(r"^\..+\.securedoc-(?P<pid>\d+)-[0-9a-f]{16}\.tmp$")
_UNLOCKED_GRACE = 5.0  # a writer locks its temporary file microseconds after creating it


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entries to disk (a rename is durable only then); best effort."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def create_temp(path: str, mode: int = 0o600) -> tuple[int, str]:
    """A new, locked temporary file next to ``path`` (created with ``mode``, less the umask): its
    descriptor and its path. Raises :class:`OSError` when the folder does not let it be made."""
    folder = os.path.dirname(os.path.abspath(path))
    temp = os.path.join(folder, f".{os.path.basename(path)}.securedoc-{os.getpid()}-{os.urandom(8).hex()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # marks the temporary file as in use
    except BaseException:
        os.close(fd)
        remove(temp)
        raise
    return fd, temp


def commit_temp(
    fd: int,
    temp: str,
    path: str,
    data: bytes,
    *,
    mode: int | None,
    owner: tuple[int, int] | None = None,
    check: Callable[[], None] | None = None,
) -> None:
    """Write ``data`` to the temporary file from :func:`create_temp`, give it ``mode`` (None: keep
    the mode it was created with) and ``owner``, flush it, call ``check`` (which may refuse by
    raising), rename it over ``path`` and flush the folder. Closes ``fd``; on any failure removes
    ``temp`` and re-raises."""
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if owner is not None:
                os.fchown(fd, *owner)
            if mode is not None:
                os.fchmod(fd, mode)
            os.fsync(fd)
            if check is not None:
                check()
            os.replace(temp, path)
        finally:
            os.close(fd)
    except BaseException:
        remove(temp)
        raise
    fsync_folder(os.path.dirname(os.path.abspath(path)))


def replace_file(path: str, data: bytes, *, mode: int = 0o600) -> None:
    """Replace (or create) ``path`` with ``data`` atomically. Raises :class:`OSError`."""
    fd, temp = create_temp(path)
    commit_temp(fd, temp, path, data, mode=mode)


def remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def pid_alive(pid: int) -> bool:
    """Whether a process is running (a zombie, killed but not yet reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in (b"Z", b"X")


def cleanup_temp_files(folder: str) -> list[str]:
    """Remove securedoc temporary files that a killed run left in ``folder``; returns their paths."""
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = TEMP_PATTERN.match(entry.name)
        if match is None:
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # another process is writing it right now
            st = os.fstat(fd)
            stale = not pid_alive(int(match.group("pid"))) or now - st.st_mtime > _UNLOCKED_GRACE
            if stale and stat.S_ISREG(st.st_mode):
                try:
                    os.unlink(entry.path)
                    removed.append(entry.path)
                except OSError:
                    pass
        finally:
            os.close(fd)
    return removed

"""Atomic writes: a failure leaves the original bytes; modes kept; read-only and links respected."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from securedoc import fileio
from securedoc.document import Limits
from securedoc.errors import DocumentError, FileAccessError, WriteError


def test_atomic_replace_keeps_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"old")
    path.chmod(0o640)
    data, snap = fileio.read_article(str(path))
    fileio.atomic_replace(str(path), b"new", snap)
    assert path.read_bytes() == b"new" and stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_changed_file_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"old")
    _, snap = fileio.read_article(str(path))
    path.write_bytes(b"someone else's edit")
    with pytest.raises(WriteError, match="changed while"):
        fileio.atomic_replace(str(path), b"new", snap)
    assert path.read_bytes() == b"someone else's edit"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_failure_during_write_leaves_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"original")
    _, snap = fileio.read_article(str(path))

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(WriteError, match="disk may be full|No space"):
        fileio.atomic_replace(str(path), b"new", snap)
    assert path.read_bytes() == b"original"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_read_only_file_and_folder_are_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"x")
    path.chmod(0o444)
    _, snap = fileio.read_article(str(path))
    with pytest.raises(WriteError, match="read-only"):
        fileio.atomic_replace(str(path), b"y", snap)
    path.chmod(0o644)
    _, snap = fileio.read_article(str(path))
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(WriteError, match="folder is read-only"):
            fileio.atomic_replace(str(path), b"y", snap)
    finally:
        tmp_path.chmod(0o755)
    assert path.read_bytes() == b"x"


def test_read_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError, match="no such file"):
        fileio.read_article(str(tmp_path / "nope.md"))
    with pytest.raises(FileAccessError, match="folder"):
        fileio.read_article(str(tmp_path))
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    with pytest.raises(FileAccessError, match="not a regular file"):
        fileio.read_article(str(fifo))
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(DocumentError, match="limit"):
        fileio.read_article(str(big), Limits(max_file_size=1000))


def test_symlink_policy(tmp_path: Path) -> None:
    inside, outside = tmp_path / "site", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    (outside / "real.md").write_text("x")
    (inside / "real.md").write_text("x")
    (inside / "out.md").symlink_to(outside / "real.md")
    (inside / "in.md").symlink_to(inside / "real.md")
    roots = (str(inside.resolve()),)
    assert fileio.write_target(str(inside / "in.md"), roots, False) == str((inside / "real.md").resolve())
    with pytest.raises(WriteError, match="outside the folders given"):
        fileio.write_target(str(inside / "out.md"), roots, False)
    assert fileio.write_target(str(inside / "out.md"), roots, True) == str((outside / "real.md").resolve())


def test_cleanup_removes_only_stale_temp_files(tmp_path: Path) -> None:
    import fcntl
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".a.md.securedoc-{dead_pid}-{'0' * 16}.tmp"
    stale.write_text("partial")
    busy = tmp_path / f".b.md.securedoc-{dead_pid}-{'1' * 16}.tmp"
    busy.write_text("being written")
    mine = tmp_path / f".c.md.securedoc-{os.getpid()}-{'2' * 16}.tmp"
    mine.write_text("a live process's")
    other = tmp_path / ".notes.tmp"
    other.write_text("not ours")
    with open(busy) as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        removed = fileio.cleanup_temp_files(str(tmp_path))
    assert removed == [str(stale)]
    assert busy.exists() and mine.exists() and other.exists()


def test_locked_article_sees_the_current_file(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"one")
    with fileio.locked_article(str(path)) as (data, snap):
        assert data == b"one"
        fileio.atomic_replace(str(path), b"two", snap)
    with fileio.locked_article(str(path)) as (data, _):
        assert data == b"two"


def test_one_size_limit_error_wherever_the_bytes_come_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from securedoc.document import parse
    from securedoc.toml_document import parse_toml

    limits = Limits(max_file_size=1000)
    yaml_article = b"---\ntitle: x\n---\n" + b"x" * 2000
    toml_article = b"+++\ntitle = 'x'\n+++\n" + b"x" * 2000
    big = tmp_path / "big.md"
    big.write_bytes(yaml_article)
    errors = []
    for read in (
        lambda: fileio.read_article(str(big), limits),
        lambda: parse(yaml_article, path=str(big), limits=limits),
        lambda: parse_toml(toml_article, path=str(big), limits=limits),
    ):
        with pytest.raises(DocumentError) as info:
            read()
        errors.append(info.value)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(yaml_article)))
    with pytest.raises(DocumentError) as info:
        fileio.read_stdin(limits)
    errors.append(info.value)
    sizes = [f"{len(yaml_article):,}", f"{len(yaml_article):,}", f"{len(toml_article):,}"]
    for error, size in zip(errors, sizes, strict=False):
        assert error.message == f"the file is {size} bytes; the limit is 1,000", error.message
    assert errors[-1].message == "standard input is larger than the limit of 1,000 bytes"
    assert errors[-1].path == "-"
    assert len({e.hint for e in errors}) == 1 and "limits.max_file_size" in str(errors[0].hint)

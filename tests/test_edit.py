"""securedoc.edit.edit_file's write: the per-file step of every command that writes
(securedoc.filestep.rewrite) -- the real file locked, checked to be what the editor started from,
replaced atomically -- after the editor session, which holds no lock."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import EXAMPLE

from securedoc.document import parse
from securedoc.edit import edit_file
from securedoc.errors import WriteError
from securedoc.keys import Key, Keyring
from securedoc.models import Action, Status
from securedoc.verify import verify_document

# The editor stand-in: adds 1 to `quality` in its copy; EDIT_MEANWHILE (a Python statement) runs first,
# with `article` the real file's path (what another program does to the file meanwhile).
EDITOR = r"""
import os, re, sys
copy, article = sys.argv[-1], sys.argv[-2]
exec(os.environ.get("EDIT_MEANWHILE", ""))
text = open(copy, "rb").read()
bump = lambda m: b"quality: %d" % (int(m.group(1)) + 1)
open(copy, "wb").write(re.sub(rb"(?m)^quality: (\d+)", bump, text))
"""


@pytest.fixture
def article(tmp_path: Path, key: Key) -> Path:
    path = tmp_path / "site" / "a.md"
    path.parent.mkdir()
    path.write_bytes(EXAMPLE.read_bytes())
    edit_file(str(path), Keyring([key]), key=key, force=True, editor=_editor(tmp_path, path))  # seal it
    return path


def _editor(tmp_path: Path, article: Path) -> list[str]:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR)
    return [sys.executable, str(script), str(article)]


def test_an_edit_is_sealed_and_written(article: Path, key: Key, tmp_path: Path) -> None:
    ring = Keyring([key])
    report = edit_file(str(article), ring, key=key, editor=_editor(tmp_path, article))
    assert report.action is Action.EDITED and report.status is Status.OK
    data = article.read_bytes()
    assert b"\nquality: 106" in data
    assert verify_document(parse(data, path=str(article)), ring).status is Status.OK
    assert [p.name for p in article.parent.iterdir()] == ["a.md"]  # no temporary file left


def test_a_file_changed_meanwhile_is_not_overwritten(
    article: Path, key: Key, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDIT_MEANWHILE", "open(article, 'ab').write(b'\\nadded by someone else\\n')")
    before = article.read_bytes()
    with pytest.raises(WriteError, match="changed on disk while it was being edited; nothing was written"):
        edit_file(str(article), Keyring([key]), key=key, editor=_editor(tmp_path, article))
    assert article.read_bytes() == before + b"\nadded by someone else\n"  # their change stays


def test_the_write_waits_for_a_lock_held_by_another_process(
    article: Path, key: Key, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another securedoc holding the file's lock when the editor closes: edit waits for it (the lock
    is taken for the write, not during the editor session, which would block every other run)."""
    released = tmp_path / "released"
    holder = (
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "open(sys.argv[2] + '.held', 'w').close(); time.sleep(1.0); open(sys.argv[2], 'w').close()\n"
    )
    meanwhile = (
        "import subprocess, time\n"
        f"subprocess.Popen([sys.executable, '-c', {holder!r}, article, {str(released)!r}])\n"
        f"while not os.path.exists({str(released)!r} + '.held'): time.sleep(0.01)\n"
    )
    monkeypatch.setenv("EDIT_MEANWHILE", meanwhile)
    report = edit_file(str(article), Keyring([key]), key=key, editor=_editor(tmp_path, article))
    assert report.action is Action.EDITED
    assert released.exists()  # the lock was released before edit could write
    assert b"\nquality: 106" in article.read_bytes()


def test_a_link_is_written_through_and_one_outside_its_folder_refused(article: Path, key: Key, tmp_path: Path) -> None:
    link = article.parent / "link.md"
    link.symlink_to("a.md")
    edit_file(str(link), Keyring([key]), key=key, editor=_editor(tmp_path, article))
    assert link.is_symlink() and b"\nquality: 106" in article.read_bytes()  # the link's target, written
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    far = outside / "far.md"
    far.symlink_to(article)
    before = article.read_bytes()
    with pytest.raises(WriteError, match="outside the folders given"):
        edit_file(str(far), Keyring([key]), key=key, editor=_editor(tmp_path, article))
    assert article.read_bytes() == before

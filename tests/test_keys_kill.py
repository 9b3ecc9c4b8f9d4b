"""`keys new` killed at any point leaves no key material behind and nothing `git add -A` stages
(issue 8, point 10). The key is written to an unnamed file (O_TMPFILE) that gets its name only
when complete; a named temporary file left by an older securedoc is removed by the next run."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from securedoc.keys import load_key_file

SECUREDOC = str(Path(sys.executable).with_name("securedoc"))

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECUREDOC_", "GIT_"))}
    env.update(GIT_CONFIG_NOSYSTEM="1", CI="false")
    return env


def test_sigkill_at_any_moment_leaves_nothing_to_read_or_stage(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, env=_env())
    (tmp_path / ".gitignore").write_text("/keys/*.jwk\n")
    keys = tmp_path / "keys"
    keys.mkdir()
    rng = random.Random(8)
    completed = 0
    for i in range(24):
        process = subprocess.Popen(
            [SECUREDOC, "keys", "new", f"k{i}", "--dir", "keys"],
            cwd=tmp_path,
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, 0.6))
        process.send_signal(signal.SIGKILL)
        process.wait()
        names = sorted(os.listdir(keys))
        # Only complete key files, each one loads; nothing else, not even hidden.
        assert all(name.endswith(".jwk") and not name.startswith(".") for name in names), names
        for name in names:
            found, _ = load_key_file(keys / name)
            assert [k.kid for k in found] == [name[: -len(".jwk")]]
        completed = len(names)
        staged = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert staged.strip() == "?? .gitignore", staged
    assert completed < 24  # some kills landed before the key was written (timing varies)


def test_next_run_removes_a_named_temporary_key_file(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    # What securedoc 0.1.0 left when killed between writing and renaming: a secret in a dot file.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = keys / f".old.jwk.{dead.stdout.strip()}.0123456789ab.tmp"
    leftover.write_text('{"kty": "oct", "k": "secret"}')
    done = subprocess.run(
        [SECUREDOC, "keys", "new", "fresh", "--dir", "keys"], cwd=tmp_path, env=_env(), capture_output=True
    )
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(keys)) == ["fresh.jwk"]


@pytest.mark.parametrize("moment", ["write", "fsync", "fchmod"])
def test_sigkill_while_the_key_is_being_written(tmp_path: Path, moment: str) -> None:
    """Deterministic: the process kills itself at the moment the key's bytes are being written."""
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, env=_env())
    (tmp_path / ".gitignore").write_text("/keys/*.jwk\n")
    script = (
        "import os, signal, sys\n"
        f"real = os.{moment}\n"
        "def dying(*args):\n"
        "    if os.path.isdir('keys') and args and isinstance(args[0], int):\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(*args)\n"
        f"os.{moment} = dying\n"
        "from securedoc.cli import main\n"
        "sys.argv = ['securedoc', 'keys', 'new', 'victim', '--dir', 'keys']\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=_env(), capture_output=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert os.listdir(tmp_path / "keys") == []
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=tmp_path, env=_env(), capture_output=True
    )
    assert status.stdout.decode().strip() == "?? .gitignore"
    again = subprocess.run(
        [SECUREDOC, "keys", "new", "victim", "--dir", "keys"], cwd=tmp_path, env=_env(), capture_output=True
    )
    assert again.returncode == 0 and os.listdir(tmp_path / "keys") == ["victim.jwk"]

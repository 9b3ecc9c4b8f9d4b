"""The hook definitions in .pre-commit-hooks.yaml, run for real by pre-commit (try-repo).

pre-commit builds its own virtual environment from this repository (pip install from the package
registry), so this test takes a minute the first time; it is marked slow but runs in CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, ROOT, write_jwk

from securedoc.keys import Key

pytestmark = pytest.mark.slow


def test_hook_file_is_well_formed() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"securedoc-verify", "securedoc-seal"}
    for hook in hooks:
        assert hook["language"] == "python" and hook["entry"].startswith("securedoc ")
        # pre-commit appends file names after the entry: `--` keeps them from being read as options.
        assert re.search(hook["files"], "a/b.MDOWN") and not re.search(hook["files"], "a.txt")
        assert hook["entry"].endswith(" --")


def _git(cwd: Path, *args: str, env: dict[str, str]) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, env=env, capture_output=True)


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if not (ROOT / ".git").exists():
        pytest.skip("pre-commit try-repo needs securedoc as a git checkout (this is an unpacked copy)")
    home = tmp_path_factory.mktemp("pre-commit-home")
    return {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "SECUREDOC_KEY": "",
        "CI": "",  # the hooks run on an author's machine, with the keys folder
    }


def _try_repo(site: Path, hook: str, env: dict[str, str], *files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--verbose", "--files", *files],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_hooks_seal_and_verify_staged_articles(tmp_path: Path, hook_env: dict[str, str]) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _git(site, "init", "-q", env=hook_env)
    write_jwk(site / "keys", Key("site-key", "A256GCM", bytes(range(32))))
    (site / ".gitignore").write_text("keys/*.jwk\n")
    article = site / "content" / "article.md"
    article.parent.mkdir()
    # The example without its legacy seal: `seal` never replaces a seal it cannot open (without --force).
    article.write_bytes(b"".join(line for line in EXAMPLE.read_bytes().splitlines(True) if b"secured:" not in line))
    _git(site, "add", ".", env=hook_env)

    sealing = _try_repo(site, "securedoc-seal", hook_env, "content/article.md")
    # pre-commit fails a hook that modified files: the author reviews and stages them.
    assert sealing.returncode == 1, sealing.stdout + sealing.stderr
    assert "files were modified by this hook" in sealing.stdout
    sealed = article.read_bytes()
    assert sealed.count(b'secured: "eyJ') == 1

    again = _try_repo(site, "securedoc-seal", hook_env, "content/article.md")
    assert again.returncode == 0, again.stdout + again.stderr
    assert article.read_bytes() == sealed

    verifying = _try_repo(site, "securedoc-verify", hook_env, "content/article.md")
    assert verifying.returncode == 0, verifying.stdout + verifying.stderr

    article.write_bytes(sealed.replace(b"heat: 154", b"heat: 155"))
    failing = _try_repo(site, "securedoc-verify", hook_env, "content/article.md")
    assert failing.returncode == 1
    assert "heat: sealed 154, visible 155" in failing.stdout


def test_a_file_named_like_an_option_is_checked_as_a_file(tmp_path: Path, hook_env: dict[str, str]) -> None:
    """Issue 8: a committed empty file `--config=relax.md` must not become the hook's --config."""
    site = tmp_path / "site"
    site.mkdir()
    _git(site, "init", "-q", env=hook_env)
    write_jwk(site / "keys", Key("site-key", "A256GCM", bytes(range(32))))
    (site / ".gitignore").write_text("keys/*.jwk\n")
    (site / "relax.md").write_text("unsealed: ignore\nexclude: ['**']\n")
    (site / "--config=relax.md").write_text("")
    (site / "content").mkdir()
    (site / "content" / "new.md").write_text("---\ntitle: not sealed\n---\n")
    _git(site, "add", ".", env=hook_env)
    # pre-commit's own parser would read the name as an option too: let it find the files in git.
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "securedoc-verify", "--verbose", "--all-files"],
        cwd=site,
        env=hook_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "content/new.md: unsealed" in done.stdout
    assert "\n--config=relax.md: error: " in done.stdout  # an empty file, checked (and failing) as an article

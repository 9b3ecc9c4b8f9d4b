"""The hook definitions in .pre-commit-hooks.yaml: run the way pre-commit runs them, and for real
by pre-commit (try-repo).

pre-commit builds its own virtual environment from this repository (pip install from the package
registry), so the real run takes a minute the first time; it is marked slow but runs in CI. The
same hooks are also run directly (entry + file names, as pre-commit calls them) with the securedoc
under test, so the hook definitions are checked where pre-commit or the registry is missing.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, ROOT, unavailable, write_jwk

from securedoc.keys import Key


def _hooks() -> list[dict[str, object]]:
    hooks: list[dict[str, object]] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    return hooks


def test_hook_file_is_well_formed() -> None:
    hooks = _hooks()
    assert {h["id"] for h in hooks} == {"securedoc-verify", "securedoc-seal"}
    for hook in hooks:
        assert hook["language"] == "python" and hook["entry"].startswith("securedoc ")
        # pre-commit appends file names after the entry: `--` keeps them from being read as options.
        assert re.search(hook["files"], "a/b.MDOWN") and not re.search(hook["files"], "a.txt")
        assert hook["entry"].endswith(" --")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SECUREDOC_KEY", "CI")}
    return env  # the hooks run on an author's machine, with the keys folder


def _run_hook(site: Path, hook_id: str, *files: str) -> tuple[int, str, bool]:
    """What pre-commit does with a hook: entry + args + the matching file names, in the repository's
    root; a hook that exits 0 but changed files fails. (exit code, output, files changed)."""
    hook = next(h for h in _hooks() if h["id"] == hook_id)
    matching = [f for f in files if re.search(str(hook["files"]), f)]
    command = shlex.split(str(hook["entry"])) + [str(a) for a in hook.get("args", [])]
    installed = Path(sys.executable).parent / command[0]  # the securedoc under test
    if installed.exists():
        command[0] = str(installed)
    before = {f: (site / f).read_bytes() for f in matching}
    done = subprocess.run([*command, *matching], cwd=site, env=_env(), capture_output=True, text=True, timeout=120)
    changed = any((site / f).read_bytes() != data for f, data in before.items())
    return done.returncode, done.stdout + done.stderr, changed


def _article_without_seal() -> bytes:
    # The example without its legacy seal: `seal` never replaces a seal it cannot open (without --force).
    return b"".join(line for line in EXAMPLE.read_bytes().splitlines(True) if b"secured:" not in line)


def test_hooks_as_pre_commit_calls_them(tmp_path: Path) -> None:
    """Needs neither pre-commit nor the package registry: the hook definitions, run directly."""
    site = tmp_path / "site"
    write_jwk(site / "keys", Key("site-key", "A256GCM", bytes(range(32))))
    article = site / "content" / "article.md"
    article.parent.mkdir()
    article.write_bytes(_article_without_seal())
    (site / "notes.txt").write_text("not an article")

    code, output, changed = _run_hook(site, "securedoc-seal", "content/article.md", "notes.txt")
    assert code == 0 and changed, output  # pre-commit fails the hook because it changed a file
    sealed = article.read_bytes()
    assert sealed.count(b'secured: "eyJ') == 1
    assert _run_hook(site, "securedoc-seal", "content/article.md")[::2] == (0, False)
    code, output, _ = _run_hook(site, "securedoc-verify", "content/article.md", "notes.txt")
    assert code == 0, output
    article.write_bytes(sealed.replace(b"heat: 154", b"heat: 155"))
    code, output, _ = _run_hook(site, "securedoc-verify", "content/article.md")
    assert code == 1 and "heat: sealed 154, visible 155" in output

    # A file named like an option is checked as a file (the entry ends with `--`).
    (site / "relax.md").write_text("unsealed: ignore\nexclude: ['**']\n")
    (site / "--config=relax.md").write_text("")
    (site / "content" / "new.md").write_text("---\ntitle: not sealed\n---\n")
    code, output, _ = _run_hook(site, "securedoc-verify", "--config=relax.md", "content/new.md")
    assert code == 1, output
    assert "content/new.md: unsealed" in output and "--config=relax.md: error: " in output


def _git(cwd: Path, *args: str, env: dict[str, str]) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, env=env, capture_output=True)


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if importlib.util.find_spec("pre_commit") is None:  # CI installs the test extra from the registry
        unavailable("pre-commit is not installed (the test extra brings it); the hooks ran directly instead")
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


def _try_repo(site: Path, env: dict[str, str], hook: str, *options: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--verbose", *options],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if "CalledProcessError" in done.stdout + done.stderr and "pip" in done.stdout + done.stderr:
        # pre-commit installs securedoc and its dependencies from the package registry; CI has one.
        unavailable("pre-commit could not install securedoc from the package registry (offline?)", done.stdout)
    return done


@pytest.mark.slow
def test_hooks_seal_and_verify_staged_articles(tmp_path: Path, hook_env: dict[str, str]) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _git(site, "init", "-q", env=hook_env)
    write_jwk(site / "keys", Key("site-key", "A256GCM", bytes(range(32))))
    (site / ".gitignore").write_text("keys/*.jwk\n")
    article = site / "content" / "article.md"
    article.parent.mkdir()
    article.write_bytes(_article_without_seal())
    _git(site, "add", ".", env=hook_env)

    sealing = _try_repo(site, hook_env, "securedoc-seal", "--files", "content/article.md")
    # pre-commit fails a hook that modified files: the author reviews and stages them.
    assert sealing.returncode == 1, sealing.stdout + sealing.stderr
    assert "files were modified by this hook" in sealing.stdout
    sealed = article.read_bytes()
    assert sealed.count(b'secured: "eyJ') == 1

    again = _try_repo(site, hook_env, "securedoc-seal", "--files", "content/article.md")
    assert again.returncode == 0, again.stdout + again.stderr
    assert article.read_bytes() == sealed

    verifying = _try_repo(site, hook_env, "securedoc-verify", "--files", "content/article.md")
    assert verifying.returncode == 0, verifying.stdout + verifying.stderr

    article.write_bytes(sealed.replace(b"heat: 154", b"heat: 155"))
    failing = _try_repo(site, hook_env, "securedoc-verify", "--files", "content/article.md")
    assert failing.returncode == 1
    assert "heat: sealed 154, visible 155" in failing.stdout


@pytest.mark.slow
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
    done = _try_repo(site, hook_env, "securedoc-verify", "--all-files")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "content/new.md: unsealed" in done.stdout
    assert "\n--config=relax.md: error: " in done.stdout  # an empty file, checked (and failing) as an article

"""Copies and moves are caught (issue 8, point 7): one seal on two files, and seals bound to paths.

Every attack runs as CI runs it: the installed ``securedoc`` command, ``CI=true``, the real key in
``SECUREDOC_KEY``, in a real git repository; with and without ``--jobs 2``, with ``--changed``,
with the fast path and with ``--full``. Each must fail the run (exit 1) while the honest run passes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import KEY_BYTES

from securedoc import copies
from securedoc.keys import Key, key_to_jwk
from securedoc.models import FOLLOW_UP, Report, Status
from securedoc.render import Summary

SECUREDOC = str(Path(sys.executable).with_name("securedoc"))
KEY = json.dumps(key_to_jwk(Key("newsroom-2026", "A256GCM", KEY_BYTES)))

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

ARTICLE = "---\ntitle: {title}\nheat: 154\n---\nBody of {title}.\n"

# (extra verify options): the fast path and the full path, one process and two workers
MODES = [(), ("--full",), ("--jobs", "2"), ("--jobs", "2", "--full")]


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SECUREDOC_", "GIT_"))}
    base.update(
        CI="true",
        SECUREDOC_KEY=KEY,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        HOME=os.environ.get("HOME", "/tmp"),
    )
    base.update(extra)
    return base


def sd(cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SECUREDOC, *args], cwd=cwd, env=env(**extra), capture_output=True, text=True, timeout=120)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def json_reports(done: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A git repository with content/ holding three sealed articles, committed."""
    root = tmp_path / "site"
    (root / "content" / "posts").mkdir(parents=True)
    (root / "content" / "a.md").write_text(ARTICLE.format(title="a"))
    (root / "content" / "correction.md").write_text(ARTICLE.format(title="correction"))
    (root / "content" / "posts" / "b.md").write_text(ARTICLE.format(title="b"))
    git(root, "init", "-q", "-b", "main")
    done = sd(root, "seal", "content")
    assert done.returncode == 0, done.stderr
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    honest = sd(root, "verify", "content")
    assert honest.returncode == 0, honest.stdout + honest.stderr
    return root


# -- one seal, one file --------------------------------------------------------------------------


@needs_git
@pytest.mark.parametrize("mode", MODES)
def test_a_copy_over_another_articles_path_fails_on_both(site: Path, mode: tuple[str, ...]) -> None:
    # A correction replaced by the original story: every byte is a sealed article's.
    shutil.copyfile(site / "content" / "a.md", site / "content" / "correction.md")
    done = sd(site, "verify", "content", "--format", "json", *mode)
    assert done.returncode == 1, done.stdout + done.stderr
    reports = json_reports(done)
    errors = {(r["path"], r["message"]) for r in reports if r["status"] == "error"}
    assert ("content/correction.md", "carries the same seal as content/a.md: one of them is a copy") in errors
    assert ("content/a.md", "carries the same seal as content/correction.md: one of them is a copy") in errors
    assert "2 error" in done.stderr and "3 files" in done.stderr


@needs_git
@pytest.mark.parametrize("mode", MODES)
def test_a_duplicate_under_a_new_name_fails(site: Path, mode: tuple[str, ...]) -> None:
    shutil.copyfile(site / "content" / "posts" / "b.md", site / "content" / "b-copy.md")
    done = sd(site, "verify", "content", *mode)
    assert done.returncode == 1, done.stdout + done.stderr
    # b-copy.md is walked first: posts/b.md is the later file, reported inline; b-copy.md follows up.
    assert "content/posts/b.md:4: error: carries the same seal as content/b-copy.md" in done.stdout
    assert "content/b-copy.md:4: error: carries the same seal as content/posts/b.md" in done.stdout
    assert "4 files: 2 ok, 2 error" in done.stderr


@needs_git
@pytest.mark.parametrize("mode", [(), ("--full",), ("--jobs", "2")])
def test_changed_catches_a_new_copy_of_an_unchanged_article(site: Path, mode: tuple[str, ...]) -> None:
    shutil.copyfile(site / "content" / "a.md", site / "content" / "new.md")
    done = sd(site, "verify", "--changed", "HEAD", *mode, "--", "content")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "content/new.md:4: error: carries the same seal as content/a.md" in done.stdout
    assert "content/a.md: error: carries the same seal as content/new.md" in done.stdout
    # The unchanged file is reported (it is one of the two), so the count says two files.
    assert "2 files: 2 error" in done.stderr
    # From another folder: the same answer.
    inside = sd(site / "content", "verify", "--changed", "HEAD", *mode)
    assert inside.returncode == 1, inside.stdout + inside.stderr


@needs_git
@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit"])
def test_every_format_names_both_files(site: Path, fmt: str) -> None:
    shutil.copyfile(site / "content" / "a.md", site / "content" / "z-copy.md")
    done = sd(site, "verify", "content", "--format", fmt)
    assert done.returncode == 1
    out = done.stdout
    # the message, and in JUnit its copy in the element's text
    assert out.count("carries the same seal as") == (4 if fmt == "junit" else 2), out
    if fmt == "github":
        assert "::error file=content/z-copy.md,line=4," in out
        assert "::error file=content/a.md,line=4," in out
        assert "4 files: 2 ok, 2 error" in out  # the summary notice
    if fmt == "junit":
        import xml.etree.ElementTree as ET

        suite = ET.fromstring(out).find("testsuite")
        assert suite is not None
        assert suite.get("errors") == "2"
        assert suite.get("tests") == str(len(suite.findall("testcase")))


@needs_git
def test_a_link_and_its_target_are_one_file(site: Path) -> None:
    os.symlink("a.md", site / "content" / "alias.md")
    os.link(site / "content" / "posts" / "b.md", site / "content" / "hard.md")
    for mode in MODES:
        done = sd(site, "verify", "content", *mode)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "same seal" not in done.stdout


@needs_git
def test_seal_gives_a_copy_a_fresh_seal(site: Path) -> None:
    shutil.copyfile(site / "content" / "a.md", site / "content" / "z-copy.md")
    dry = sd(site, "seal", "--dry-run", "content")
    assert "content/z-copy.md:4: would seal: a fresh seal: it carried the same seal as content/a.md" in dry.stdout
    done = sd(site, "seal", "content")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "content/z-copy.md:4: sealed: a fresh seal: it carried the same seal as content/a.md" in done.stdout
    assert (site / "content" / "a.md").read_bytes() == git(site, "show", "HEAD:content/a.md").encode()
    again = sd(site, "verify", "content")
    assert again.returncode == 0, again.stdout + again.stderr


def test_seal_fingerprints_name_seals_not_show_them() -> None:
    seal = "eyJhbGciOiJkaXIifQ..AAAA.BBBB.CCCC"
    name = copies.fingerprint(seal)
    assert name == copies.fingerprint(seal) and len(name) == 22
    assert seal not in name and "AAAA" not in name
    assert copies.fingerprint(seal + "x") != name
    # A legacy seal is named by its ciphertext: a flipped IV is the same seal.
    flipped = copies.fingerprint("Y2lwaGVy;AQAAAAAAAAAAAAAAAAAAAA==")
    assert copies.fingerprint("Y2lwaGVy;AAAAAAAAAAAAAAAAAAAAAA==") == flipped


def test_a_follow_up_moves_the_count_instead_of_adding_a_file() -> None:
    summary = Summary("verify")
    tracker = copies.Tracker()
    out: list[Report] = []
    out += tracker.add(Report("a.md", Status.OK, line=3), "S", (1, 1))
    out += tracker.add(Report("b.md", Status.OK, line=3), "T", (1, 2))
    out += tracker.add(Report("c.md", Status.OK, line=3), "S", (1, 3))
    out += tracker.add(Report("d.md", Status.OK, line=3), "S", (1, 1))  # a link to a.md
    out += tracker.add(Report("e.md", Status.MISMATCH, message="changed since sealing: title"), "S", (1, 4))
    for report in out:
        summary.add(report)
    assert [(r.path, r.status) for r in out] == [
        ("a.md", Status.OK),
        ("b.md", Status.OK),
        ("c.md", Status.ERROR),
        ("a.md", Status.ERROR),
        ("d.md", Status.OK),
        ("e.md", Status.ERROR),
    ]
    assert out[3].extra[FOLLOW_UP] == ("ok", False)
    assert "a.md, c.md" in out[5].message and "changed since sealing: title" in out[5].message
    assert summary.files == 5
    assert summary.statuses["ok"] == 2 and summary.statuses["error"] == 3 and summary.failed == 3

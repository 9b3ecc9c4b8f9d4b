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


# -- bound to its place (bind_path) --------------------------------------------------------------


@pytest.fixture
def bound(tmp_path: Path) -> Path:
    """A git repository whose committed securedoc.yaml says `bind_path: true`, three articles sealed."""
    root = tmp_path / "bound"
    (root / "content" / "posts").mkdir(parents=True)
    (root / "securedoc.yaml").write_text("bind_path: true\n")
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


@needs_git
@pytest.mark.parametrize("mode", MODES)
def test_a_moved_article_fails_until_sealed_again(bound: Path, mode: tuple[str, ...]) -> None:
    os.rename(bound / "content" / "posts" / "b.md", bound / "content" / "b.md")
    done = sd(bound, "verify", "content", *mode)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "content/b.md:4: mismatch: sealed as content/posts/b.md, found at content/b.md: moved or copied" in done.stdout
    )
    assert "seal it again there" in done.stdout
    # From another folder, the project root is the same (securedoc.yaml's folder): same answer.
    inside = sd(bound / "content" / "posts", "verify", "--format", "json", *mode, "../")
    assert inside.returncode == 1
    moved = [r for r in json_reports(inside) if r["status"] != "ok"]
    assert [(r["path"], r["fields"][0]["sealed"], r["fields"][0]["visible"]) for r in moved] == [  # type: ignore[index]
        ("../b.md", "content/posts/b.md", "content/b.md")
    ]
    # Sealed again where it stands (the author's step, outside CI), it passes.
    sealed = sd(bound, "seal", "content/b.md", CI="")
    assert "moved: was sealed as content/posts/b.md, now bound to content/b.md" in sealed.stdout
    assert sd(bound, "verify", "content", *mode).returncode == 0


@needs_git
@pytest.mark.parametrize("mode", [(), ("--full",), ("--jobs", "2")])
def test_bound_copies_and_moves_fail_with_changed(bound: Path, mode: tuple[str, ...]) -> None:
    shutil.copyfile(bound / "content" / "a.md", bound / "content" / "correction.md")
    os.rename(bound / "content" / "posts" / "b.md", bound / "content" / "posts" / "b2.md")
    done = sd(bound, "verify", "--changed", "HEAD", "--format", "json", *mode)
    assert done.returncode == 1, done.stdout + done.stderr
    by_path = {r["path"]: r for r in json_reports(done)}
    assert by_path["content/correction.md"]["status"] == "error"  # a duplicate, and bound elsewhere
    assert "sealed as content/a.md, found at content/correction.md" in str(by_path["content/correction.md"]["message"])
    assert by_path["content/posts/b2.md"]["status"] == "mismatch"
    assert by_path["content/posts/b2.md"]["fields"] == [
        {
            "name": "(path)",
            "line": 4,
            "sealed": "content/posts/b.md",
            "visible": "content/posts/b2.md",
            "change": "path",
        }
    ]


@needs_git
def test_a_seal_without_a_path_fails_when_bind_path_is_on(site: Path) -> None:
    # Sealed before bind_path was turned on: the seal names no path, so it could be anywhere.
    (site / "securedoc.yaml").write_text("bind_path: true\n")
    done = sd(site, "verify", "content")
    assert done.returncode == 1
    assert "the seal does not name the article's path (bind_path is on)" in done.stdout
    # Off again on the command line: the seals verify as before.
    assert sd(site, "verify", "--no-bind-path", "content").returncode == 0
    # `seal` (outside CI) binds each article to its path; then it verifies.
    sealed = sd(site, "seal", "content", CI="")
    assert sealed.stdout.count("now bound to its path") == 3, sealed.stdout
    assert sd(site, "verify", "content").returncode == 0
    # On the command line alone, without a securedoc.yaml: the root is the git work tree's top.
    (site / "securedoc.yaml").unlink()
    assert sd(site, "verify", "--bind-path", "content").returncode == 0
    assert sd(site / "content", "verify", "--bind-path", ".").returncode == 0


@needs_git
def test_switching_bind_path_off_from_the_checkout_is_refused_in_ci(bound: Path) -> None:
    (bound / "securedoc.yaml").write_text("bind_path: false\n")
    done = sd(bound, "verify", "content")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "`bind_path: false` would loosen the check" in done.stderr and "--no-bind-path" in done.stderr
    # Under --trust, the base's `bind_path: true` holds whatever the working tree says.
    os.rename(bound / "content" / "a.md", bound / "content" / "a2.md")
    trusted = sd(bound, "verify", "--trust", "HEAD", "content")
    assert trusted.returncode == 1, trusted.stdout + trusted.stderr
    assert "sealed as content/a.md, found at content/a2.md" in trusted.stdout
    (bound / "securedoc.yaml").unlink()
    assert sd(bound, "verify", "--trust", "HEAD", "content").returncode == 1
    # Said on the command line (from outside the change), it is the workflow's decision.
    assert sd(bound, "verify", "--no-bind-path", "content").returncode == 0


@needs_git
def test_rotate_refuses_a_moved_article_and_keeps_the_binding(bound: Path) -> None:
    other = json.dumps(key_to_jwk(Key("newsroom-2027", "A256GCM", bytes(range(7, 39)))))
    keys = json.dumps({"keys": [json.loads(KEY), json.loads(other)]})
    os.rename(bound / "content" / "a.md", bound / "content" / "a2.md")
    done = sd(bound, "rotate", "--to", "newsroom-2027", "content", SECUREDOC_KEY=keys)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "content/a2.md:4: refused (mismatch): does not verify (sealed as content/a.md" in done.stdout
    assert (bound / "content" / "a2.md").read_bytes() == git(bound, "show", "HEAD:content/a.md").encode()
    # The others were rotated, and their seals still name their paths.
    assert "content/posts/b.md:4: rotated" in done.stdout
    opened = sd(bound, "open", "content/posts/b.md", SECUREDOC_KEY=keys)
    assert "newsroom-2027" in opened.stdout and "path: content/posts/b.md" in opened.stdout, opened.stdout
    assert sd(bound, "verify", "content/posts", SECUREDOC_KEY=keys).returncode == 0


@needs_git
def test_the_cache_does_not_pass_a_moved_article(bound: Path) -> None:
    cache = str(bound.parent / "cache")
    assert sd(bound, "verify", "--cache", cache, "content").returncode == 0
    warm = sd(bound, "verify", "--cache", cache, "content")
    assert warm.returncode == 0 and "from cache" in warm.stderr
    os.rename(bound / "content" / "a.md", bound / "content" / "a2.md")
    moved = sd(bound, "verify", "--cache", cache, "content")
    assert moved.returncode == 1 and "sealed as content/a.md, found at content/a2.md" in moved.stdout


def test_the_fast_path_binds_the_place(tmp_path: Path) -> None:
    from securedoc import fastpath
    from securedoc.api import seal, verify
    from securedoc.document import DEFAULT_LIMITS
    from securedoc.filestep import Task, handle
    from securedoc.keys import Keyring

    key = Key("newsroom-2026", "A256GCM", KEY_BYTES)
    ring = Keyring([key])
    data = seal(ARTICLE.format(title="a"), ring, place="content/a.md")
    base = fastpath.settings_for(DEFAULT_LIMITS)
    here = copies.fast_settings(base, "content/a.md")
    assert here is not None and here != base
    # The fast path passes the bytes at their place, and nowhere else (not even without bind_path).
    assert fastpath.verify_bytes(data, ring, settings=here, limits=DEFAULT_LIMITS) is not None
    elsewhere = copies.fast_settings(base, "content/b.md")
    assert elsewhere is not None
    assert fastpath.verify_bytes(data, ring, settings=elsewhere, limits=DEFAULT_LIMITS) is None
    assert fastpath.verify_bytes(data, ring, settings=base, limits=DEFAULT_LIMITS) is None
    assert verify(data, ring, place="content/a.md").status is Status.OK
    assert verify(data, ring, place="content/b.md", full=True).status is Status.MISMATCH
    assert verify(data, ring, place="content/b.md").status is Status.MISMATCH
    # A batch run's worker: the same answers on both paths.
    article = tmp_path / "content" / "a.md"
    article.parent.mkdir()
    article.write_bytes(data)
    for fast in (base, None):
        task = Task("verify", ring, fast=fast, bind_root=str(tmp_path))
        assert handle(task, str(article)).report.status is Status.OK
        moved = Task("verify", ring, fast=fast, bind_root=str(tmp_path / "content"))
        assert handle(moved, str(article)).report.fields[0].visible == "a.md"


def test_signed_seals_bind_the_path_too() -> None:
    from securedoc.api import seal, verify
    from securedoc.keys import Keyring, generate_signing_key

    signer = generate_signing_key("signer-2026")
    ring = Keyring([signer])
    data = seal(ARTICLE.format(title="a"), ring, place="content/a.md")
    secured = data.decode().split('secured: "')[1].split('"')[0]
    assert secured.count(".") == 2  # a JWS
    assert verify(data, ring, place="content/a.md").status is Status.OK
    report = verify(data, ring, place="content/c.md")
    assert report.status is Status.MISMATCH and report.fields[0].sealed == "content/a.md"


@pytest.mark.parametrize("bad", ["", "/etc/passwd", "../a.md", "content/../a.md", "content//a.md", "./a.md", 7])
def test_a_bound_path_is_strictly_decoded(bad: object) -> None:
    from securedoc.errors import PayloadError
    from securedoc.payload import decode

    good = decode(b'{"fields":{},"path":"content/a.md","v":2}')
    assert good.path == "content/a.md"
    with pytest.raises(PayloadError, match="path"):
        decode(json.dumps({"fields": {}, "path": bad, "v": 2}).encode())


@needs_git
def test_bind_path_may_be_spelled_as_the_option_is(bound: Path) -> None:
    (bound / "securedoc.yaml").write_text("bind-path: true\n")
    os.rename(bound / "content" / "a.md", bound / "content" / "a2.md")
    done = sd(bound, "verify", "content")
    assert done.returncode == 1 and "sealed as content/a.md, found at content/a2.md" in done.stdout
    (bound / "securedoc.yaml").write_text("bind-path: true\nbind_path: true\n")
    both = sd(bound, "verify", "content")
    assert both.returncode == 2 and "one setting" in both.stderr


@needs_git
def test_the_narrow_entry_point_catches_copies_and_moves_too(bound: Path) -> None:
    # `securedoc verify FILE...` with no options is answered without the full command line
    # (securedoc.entry): it must give the same verdicts.
    shutil.copyfile(bound / "content" / "a.md", bound / "content" / "copy.md")
    os.rename(bound / "content" / "posts" / "b.md", bound / "content" / "b.md")
    done = sd(bound, "verify", "content/a.md", "content/copy.md", "content/b.md")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "content/copy.md:4: error: carries the same seal as content/a.md" in done.stdout
    assert "content/a.md:4: error: carries the same seal as content/copy.md" in done.stdout
    assert "content/b.md:4: mismatch: sealed as content/posts/b.md, found at content/b.md" in done.stdout
    assert "3 files: 1 mismatch, 2 error" in done.stderr


@needs_git
def test_rotate_refuses_both_files_that_share_a_seal(site: Path) -> None:
    # A rotated copy would get a seal of its own and no longer look like a copy: never launder.
    other = json.dumps(key_to_jwk(Key("newsroom-2027", "A256GCM", bytes(range(7, 39)))))
    keys = json.dumps({"keys": [json.loads(KEY), json.loads(other)]})
    shutil.copyfile(site / "content" / "a.md", site / "content" / "z-copy.md")
    before = (site / "content" / "a.md").read_bytes()
    done = sd(site, "rotate", "--to", "newsroom-2027", "content", SECUREDOC_KEY=keys)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "content/a.md: error: carries the same seal as content/z-copy.md: one of them is a copy; not rotated" in (
        done.stdout
    )
    assert "content/z-copy.md: error: carries the same seal as content/a.md" in done.stdout
    assert (site / "content" / "a.md").read_bytes() == before == (site / "content" / "z-copy.md").read_bytes()
    assert "content/posts/b.md:4: rotated" in done.stdout

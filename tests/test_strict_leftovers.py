"""Issue 8 leftovers: the checkout's limits in strict mode, and hidden (dot) names in the walk.

Run as CI runs it: the installed ``securedoc`` command, ``CI=true``, the real key in
``SECUREDOC_KEY``, in a real git repository.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_copies import ARTICLE, KEY, git, sd

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

DEEP = "---\ntitle: deep\nnest: " + "[" * 120 + "1" + "]" * 120 + "\n---\nBody.\n"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    (root / "content" / "a.md").write_text(ARTICLE.format(title="a"))
    (root / "content" / "deep.md").write_text(DEEP)
    # The author sealed the deep article with a raised depth limit (their own local setting).
    (root / "securedoc.yaml").write_text("limits:\n  max_depth: 200\n")
    git(root, "init", "-q", "-b", "main")
    done = sd(root, "seal", "content", CI="")
    assert done.returncode == 0, done.stdout + done.stderr
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


def test_a_raised_limit_in_the_checkout_is_refused_in_strict_mode(site: Path) -> None:
    # Under the default limits the deep article is an error; a limit raised by the checkout would
    # turn that failure into a pass, so it is a loosening setting: refused, exit 2.
    done = sd(site, "verify", "content")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "`limits.max_depth: 200` would loosen the check" in done.stderr
    assert "--trust REV" in done.stderr
    # Without the raised limit, the article fails (not silently passes).
    (site / "securedoc.yaml").write_text("limits:\n  max_depth: 50\n")
    lowered = sd(site, "verify", "content")
    assert lowered.returncode == 1, lowered.stdout + lowered.stderr
    assert "content/deep.md" in lowered.stdout
    # From the trusted revision, whose configuration raises it, the raised limit holds; the
    # working tree's lower one is a tightening and wins.
    trusted = sd(site, "verify", "--trust", "HEAD", "content")
    assert trusted.returncode == 1, trusted.stdout + trusted.stderr
    (site / "securedoc.yaml").write_text("limits:\n  max_depth: 200\n")
    assert sd(site, "verify", "--trust", "HEAD", "content").returncode == 0
    # Outside strict mode (a local run with the checkout's keys), the checkout's limits count.
    (site / "keys").mkdir()
    (site / "keys" / "newsroom-2026.jwk").write_text(KEY)
    (site / "keys" / "newsroom-2026.jwk").chmod(0o600)
    local = sd(site, "verify", "content", CI="", SECUREDOC_KEY="")
    assert local.returncode == 0, local.stdout + local.stderr


def test_hidden_names_are_skipped_and_checked_when_named(site: Path) -> None:
    (site / "securedoc.yaml").unlink()
    (site / "content" / "deep.md").unlink()
    (site / ".github" / "ISSUE_TEMPLATE").mkdir(parents=True)
    (site / ".github" / "ISSUE_TEMPLATE" / "bug.md").write_text("---\nname: Bug report\n---\nWhat happened?\n")
    (site / "content" / ".draft.md").write_text("---\ntitle: draft\n---\nnot sealed\n")
    walked = sd(site, "verify", ".")
    assert walked.returncode == 0, walked.stdout + walked.stderr
    assert "ISSUE_TEMPLATE" not in walked.stdout and ".draft" not in walked.stdout
    named = sd(site, "verify", "content", "content/.draft.md")
    assert named.returncode == 1 and "content/.draft.md: unsealed" in named.stdout

"""Nothing under the given paths escapes the check (issue 8, points 6 and 9).

Every attack runs as CI runs it: the installed ``securedoc`` command, ``CI=true``, the real key in
``SECUREDOC_KEY``, in a real git repository. Each must fail the run (exit 1) while the honest run
passes.
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

from securedoc.batch import DEFAULT_EXTENSIONS
from securedoc.keys import Key, key_to_jwk

SECUREDOC = str(Path(sys.executable).with_name("securedoc"))
KEY = json.dumps(key_to_jwk(Key("newsroom-2026", "A256GCM", KEY_BYTES)))

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


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


def sd(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SECUREDOC, *args], cwd=cwd, env=env(), capture_output=True, text=True, timeout=120)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "protocol.file.allow=always", *args], cwd=cwd, env=env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


ARTICLE = "---\ntitle: {title}\nheat: 154\n---\nBody of {title}.\n"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A git repository with content/ holding two sealed articles, committed."""
    root = tmp_path / "site"
    (root / "content" / "posts").mkdir(parents=True)
    (root / "content" / "a.md").write_text(ARTICLE.format(title="a"))
    (root / "content" / "posts" / "b.md").write_text(ARTICLE.format(title="b"))
    (root / "content" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a page")
    (root / "content" / "notes.txt").write_text("plain text, no front matter\n")
    git(root, "init", "-q", "-b", "main")
    done = sd(root, "seal", "content")
    assert done.returncode == 0, done.stderr
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    honest = sd(root, "verify", "content")
    assert honest.returncode == 0, honest.stdout + honest.stderr
    return root


def verdict(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


# -- point 6: every extension the site generators render ---------------------------------------------


def test_default_set_is_what_hugo_and_jekyll_render() -> None:
    # Hugo's Markdown content format: md, markdown, mdown. Jekyll's markdown_ext default:
    # markdown, mkdown, mkdn, mkd, md.
    assert set(DEFAULT_EXTENSIONS) == {"md", "markdown", "mdown", "mkdown", "mkdn", "mkd"}


@pytest.mark.parametrize("name", ["new.mdown", "new.mkd", "new.mkdn", "new.mkdown", "NEW.MARKDOWN", "new.Md"])
def test_unsealed_article_with_any_markdown_extension_fails(site: Path, name: str) -> None:
    (site / "content" / "posts" / name).write_text("---\ntitle: sneaked in\n---\n")
    done = sd(site, "verify", "content")
    assert done.returncode == 1
    assert f"content/posts/{name}: unsealed" in done.stdout
    changed = sd(site, "verify", "--changed=HEAD", "content")
    assert changed.returncode == 1 and f"content/posts/{name}: unsealed" in changed.stdout


def test_page_outside_the_set_is_reported_not_skipped(site: Path) -> None:
    (site / "content" / "page.html").write_text("---\ntitle: a page Hugo renders\n---\n<p>hi</p>\n")
    (site / "content" / "toml.txt").write_text("+++\ntitle = 'x'\n+++\n")
    done = sd(site, "verify", "content")
    assert done.returncode == 1, verdict(done)
    assert "content/page.html: error: opens with front matter" in done.stdout
    assert "content/toml.txt: error: opens with front matter" in done.stdout
    assert "photo.jpg" not in done.stdout and "notes.txt" not in done.stdout  # not pages: fine
    changed = sd(site, "verify", "--changed=HEAD", "content")
    assert changed.returncode == 1 and "content/page.html: error: opens with front matter" in changed.stdout


def test_extension_set_is_configurable(site: Path) -> None:
    (site / "content" / "page.html").write_text("---\ntitle: x\n---\n")
    (site / "content" / "posts" / "c.mdown").write_text("---\ntitle: x\n---\n")
    # More extensions: the page is checked as an article (and is unsealed).
    wider = sd(site, "verify", "content", "--extensions", "md,mdown,html")
    assert "content/page.html: unsealed" in wider.stdout and "c.mdown: unsealed" in wider.stdout
    # Fewer: what opens with front matter is still reported, never silently skipped.
    narrower = sd(site, "verify", "content", "--extensions", "md")
    assert narrower.returncode == 1 and "c.mdown: error: opens with front matter" in narrower.stdout
    (site / "securedoc.yaml").write_text("extensions: [md, html]\n")
    configured = subprocess.run(
        [SECUREDOC, "verify", "content"], cwd=site, env=env(CI="false"), capture_output=True, text=True
    )
    assert "content/page.html: unsealed" in configured.stdout
    assert "c.mdown: error: opens with front matter" in configured.stdout


def test_sealing_covers_every_extension(site: Path) -> None:
    (site / "content" / "posts" / "c.mkd").write_text("---\ntitle: x\n---\n")
    done = sd(site, "seal", "content")
    assert done.returncode == 0 and "content/posts/c.mkd: sealed" in done.stdout
    assert sd(site, "verify", "content").returncode == 0


# -- point 9: links, linked folders, submodules -------------------------------------------------------


def test_markdown_named_link_to_a_text_file_is_verified_under_its_name(site: Path) -> None:
    (site / "content" / "evil.txt").write_text("---\ntitle: forged\n---\n")
    (site / "content" / "evil.md").symlink_to("evil.txt")
    done = sd(site, "verify", "content")
    assert done.returncode == 1 and "content/evil.md: unsealed" in done.stdout, verdict(done)
    assert "content/evil.txt: error: opens with front matter" in done.stdout


def test_link_to_a_file_outside_the_paths_is_verified_under_its_name(site: Path) -> None:
    (site / "stash").mkdir()
    (site / "stash" / "x.md").write_text("---\ntitle: unsealed, outside content/\n---\n")
    (site / "content" / "x.md").symlink_to("../stash/x.md")
    done = sd(site, "verify", "content")
    assert done.returncode == 1 and "content/x.md: unsealed" in done.stdout, verdict(done)


def test_link_to_a_sealed_article_is_its_own_page(site: Path) -> None:
    (site / "content" / "alias.md").symlink_to("a.md")
    done = sd(site, "verify", "content", "-v")
    assert done.returncode == 0, verdict(done)
    assert "content/alias.md:4: ok" in done.stdout and "content/a.md:4: ok" in done.stdout
    # ... and a link to an edited copy fails, under the link's name.
    (site / "content" / "a.md").write_text((site / "content" / "a.md").read_text().replace("heat: 154", "heat: 9"))
    failing = sd(site, "verify", "content")
    assert "content/alias.md:4: mismatch" in failing.stdout and "content/a.md:4: mismatch" in failing.stdout


def test_linked_folder_fails_unless_followed(site: Path) -> None:
    (site / "stash").mkdir()
    (site / "stash" / "y.md").write_text("---\ntitle: unsealed\n---\n")
    (site / "content" / "more").symlink_to("../stash")
    done = sd(site, "verify", "content")
    assert done.returncode == 1 and "content/more: error: is a symbolic link to the folder" in done.stdout
    followed = sd(site, "verify", "content", "--follow-symlinks")
    assert followed.returncode == 1 and "content/more/y.md: unsealed" in followed.stdout
    (site / "stash" / "y.md").unlink()
    assert sd(site, "verify", "content", "--follow-symlinks").returncode == 0


def _add_submodule(site: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "z.md").write_text("---\ntitle: from the submodule, unsealed\n---\n")
    git(other, "init", "-q", "-b", "main")
    git(other, "add", "-A")
    git(other, "commit", "-qm", "other")
    git(site, "submodule", "add", "-q", str(other), "content/vendored")


def test_submodule_fails_unless_followed(site: Path, tmp_path: Path) -> None:
    _add_submodule(site, tmp_path)
    done = sd(site, "verify", "content")
    assert done.returncode == 1 and "content/vendored: error: is a git submodule" in done.stdout, verdict(done)
    followed = sd(site, "verify", "content", "--follow-submodules")
    assert followed.returncode == 1 and "content/vendored/z.md: unsealed" in followed.stdout
    changed = sd(site, "verify", "--changed=HEAD", "content")
    assert changed.returncode == 1 and "content/vendored: error: is a git submodule that changed" in changed.stdout


def test_excluded_paths_are_not_failures(site: Path, tmp_path: Path) -> None:
    (site / "stash").mkdir()
    (site / "content" / "more").symlink_to("../stash")
    (site / "content" / "page.html").write_text("---\ntitle: x\n---\n")
    assert sd(site, "verify", "content").returncode == 1
    done = sd(site, "verify", "content", "--exclude", "content/more", "--exclude", "*.html")
    assert done.returncode == 0, verdict(done)
    (site / "securedoc.yaml").write_text("exclude: [content/more, '*.html']\n")
    # Locally (no CI, keys from ./keys) the project's own securedoc.yaml is trusted.
    (site / "keys").mkdir()
    (site / "keys" / "newsroom-2026.jwk").write_text(KEY)
    (site / "keys" / "newsroom-2026.jwk").chmod(0o600)
    local = subprocess.run(
        [SECUREDOC, "verify", "content"], cwd=site, env=env(CI="false", SECUREDOC_KEY=""), capture_output=True
    )
    assert local.returncode == 0, local


# -- point 9: --changed -------------------------------------------------------------------------------


def test_changed_sees_links_and_untracked_files_from_any_folder(site: Path) -> None:
    (site / "content" / "evil.txt").write_text("---\ntitle: forged\n---\n")
    (site / "content" / "evil.md").symlink_to("evil.txt")
    (site / "content" / "posts" / "new.md").write_text("---\ntitle: untracked\n---\n")
    git(site, "add", "content/evil.md", "content/evil.txt")
    for cwd, paths in ((site, ["content"]), (site / "content" / "posts", ["."]), (site / "content", [])):
        done = sd(cwd, "verify", "--changed=HEAD", *paths)
        out = done.stdout
        assert done.returncode == 1, verdict(done)
        assert "new.md: unsealed" in out, (cwd, out)
        if cwd != site / "content" / "posts":
            assert "evil.md: unsealed" in out and "evil.txt: error" in out, (cwd, out)


def test_changed_linked_folder_fails(site: Path) -> None:
    (site / "stash").mkdir()
    (site / "stash" / "y.md").write_text("---\ntitle: unsealed\n---\n")
    (site / "content" / "more").symlink_to("../stash")
    git(site, "add", "-A")
    git(site, "commit", "-qm", "link")
    done = sd(site, "verify", "--changed=HEAD~1", "content")
    assert done.returncode == 1 and "content/more: error: is a symbolic link to the folder" in done.stdout


def test_changed_with_nothing_changed_says_so(site: Path) -> None:
    done = sd(site, "verify", "--changed=HEAD", "content")
    assert done.returncode == 0, verdict(done)
    assert "nothing to check" in done.stderr
    assert "found in the paths given" not in done.stderr and "warning" not in done.stderr


# -- point 9: a file name is never an option ----------------------------------------------------------


def test_double_dash_makes_every_name_a_path(site: Path) -> None:
    (site / "relax.yaml").write_text("unsealed: ignore\nexclude: ['**']\n")
    (site / "--config=relax.yaml").write_text("")
    (site / "new.md").write_text("---\ntitle: unsealed\n---\n")
    done = sd(site, "verify", "--", "--config=relax.yaml", "new.md")
    assert done.returncode == 1
    assert "--config=relax.yaml: error" in done.stdout and "new.md: unsealed" in done.stdout

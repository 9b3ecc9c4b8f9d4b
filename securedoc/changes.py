"""``--changed REV``: what git says changed, as the items of a batch run.

The names come from git, from the top of the repository that holds the current folder (so the
answer does not depend on the folder securedoc runs in): every path that differs between REV and
the working tree (index included), and every untracked path that is not ignored. Each name under
the paths given is then judged by what it is, never by what it points to:

* a Markdown-named file (by the run's extensions), a link included, is checked under its own name;
* a submodule (git's mode 160000) that changed, an untracked nested repository, or a link to a
  folder is an error: its articles would not be checked (``--follow-symlinks`` walks a linked
  folder);
* any other file that opens with front matter is an error, as in a full walk;
* deleted paths and the trusted ``exclude`` patterns are left out.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from . import batch
from .errors import CoverageError, UsageError

__all__ = ["changed_items", "changed_paths"]

_GITLINK = "160000"


def _git(top: str | None, *args: str) -> bytes:
    command = ["git", *(("-C", top) if top else ()), *args]
    try:
        done = subprocess.run(command, capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError("--changed needs git, which is not installed") from None
    if done.returncode != 0:
        stderr = os.fsdecode(done.stderr).strip()
        message = stderr.splitlines()[-1] if stderr else "git failed"
        raise UsageError(f"--changed: {message}", hint="run it inside a git repository, with a valid revision")
    return done.stdout


def _changes(top: str, rev: str) -> Iterator[tuple[str, bool, bool]]:
    """(name relative to the top, is a submodule, deleted) for every path git reports."""
    raw = _git(top, "diff", "--raw", "-z", "--no-renames", "--no-ext-diff", "--no-relative", rev, "--").split(b"\0")
    i = 0
    while i + 1 < len(raw):
        meta, name = raw[i], raw[i + 1]
        i += 2
        if not meta.startswith(b":"):
            break
        fields = meta[1:].split()
        old_mode, new_mode, status = fields[0].decode(), fields[1].decode(), fields[-1].decode()
        yield os.fsdecode(name), _GITLINK in (old_mode, new_mode), status.startswith("D")
    for name in _git(top, "ls-files", "--others", "--exclude-standard", "-z").split(b"\0"):
        if name:
            text = os.fsdecode(name)
            yield text.rstrip("/"), text.endswith("/") and batch.is_repository(os.path.join(top, text)), False


def changed_items(
    rev: str,
    paths: Sequence[str],
    *,
    extensions: Iterable[str] | None = None,
    exclude: re.Pattern[str] | None = None,
    base: Path | None = None,
    follow_symlinks: bool = False,
    follow_submodules: bool = False,
) -> list[batch.Item]:
    """The items of ``verify --changed REV`` under ``paths`` (default: the current folder), sorted."""
    top = os.fsdecode(_git(None, "rev-parse", "--show-toplevel").rstrip(b"\n"))
    cwd = os.getcwd()
    roots = [os.path.realpath(p) for p in paths] or [os.path.realpath(cwd)]
    base_dir = os.path.realpath(base or cwd)
    ends = batch.suffixes(extensions)
    items: dict[str, batch.Item] = {}
    for name, submodule, deleted in _changes(top, rev):
        if deleted and not submodule:
            continue
        full = os.path.join(top, name)
        # The name as git reports it, made absolute through its folder: a link is not followed.
        ident = os.path.join(os.path.realpath(os.path.dirname(full)), os.path.basename(full))
        if not any(ident == root or ident.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
            continue
        rel = os.path.relpath(ident, base_dir)
        if exclude is not None and not rel.startswith("..") and exclude.match(rel.replace(os.sep, "/")):
            continue
        shown = os.path.relpath(full, cwd)
        if submodule:
            if not follow_submodules or deleted:
                items[shown] = batch.Item(
                    shown,
                    CoverageError(
                        "is a git submodule that changed; securedoc does not check the articles inside it",
                        path=shown,
                        hint="check the submodule's own repository, or exclude the path",
                    ),
                )
            else:
                items.update((i.path, i) for i in _walk(shown, extensions, exclude, base, follow_symlinks))
        elif batch._is_markdown(name, ends):
            if os.path.islink(full) or os.path.isfile(full):
                items[shown] = batch.Item(shown)  # a broken link or a folder fails when it is read
        elif os.path.isdir(full):
            if os.path.islink(full) and not follow_symlinks:
                items[shown] = batch.Item(shown, batch._folder_link(shown))
            elif os.path.islink(full):
                items.update((i.path, i) for i in _walk(shown, extensions, exclude, base, follow_symlinks))
        elif batch.opens_with_front_matter(full):
            items[shown] = batch.Item(shown, batch._outside_set(shown, os.path.basename(name)))
    return [items[key] for key in sorted(items)]


def _walk(
    folder: str,
    extensions: Iterable[str] | None,
    exclude: re.Pattern[str] | None,
    base: Path | None,
    follow_symlinks: bool,
) -> Iterator[batch.Item]:
    yield from batch.discover(
        [folder],
        exclude=exclude,
        base=base,
        follow_symlinks=follow_symlinks,
        extensions=extensions,
        links_by_name=True,
        follow_submodules=True,
    )


def changed_paths(rev: str, paths: Sequence[str], **options: object) -> list[str]:
    """The files ``--changed REV`` checks (paths only; problems left out)."""
    return [item.path for item in changed_items(rev, paths, **options) if item.error is None]  # type: ignore[arg-type]

"""Discovery and the ordered parallel map."""

from __future__ import annotations

import os
from pathlib import Path

from securedoc.batch import Item, compile_globs, discover, map_ordered
from securedoc.filestep import Task
from securedoc.keys import Keyring
from securedoc.models import Status


def make_tree(root: Path) -> None:
    for rel in [
        "b.md",
        "a.markdown",
        "A.MD",
        "notes.txt",
        "sub/z.md",
        "sub/deeper/y.md",
        ".hidden/h.md",
        ".git/x.md",
        "drafts/d.md",
        "sub/.secret.md",
    ]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\nt: 1\n---\n")


def rel(items: list[Item], root: Path) -> list[str]:
    return [os.path.relpath(i.path, root) for i in items]


def test_discovery_is_sorted_recursive_and_skips_hidden(tmp_path: Path) -> None:
    make_tree(tmp_path)
    items = list(discover([str(tmp_path)]))
    names = ["A.MD", "a.markdown", "b.md", "drafts/d.md", "notes.txt", "sub/deeper/y.md", "sub/z.md"]
    assert rel(items, tmp_path) == names
    # notes.txt opens with front matter but is not Markdown-named: reported, not skipped.
    assert [rel([i], tmp_path)[0] for i in items if i.error is not None] == ["notes.txt"]


def test_excludes_missing_paths_and_duplicates(tmp_path: Path) -> None:
    make_tree(tmp_path)
    exclude = compile_globs(["drafts", "sub/**/y.md"])
    items = list(
        discover([str(tmp_path), str(tmp_path / "b.md"), str(tmp_path / "nope")], exclude=exclude, base=tmp_path)
    )
    assert rel(items, tmp_path) == ["A.MD", "a.markdown", "b.md", "notes.txt", "sub/z.md", "nope"]
    assert items[-1].error is not None and "no such file" in items[-1].error.message
    explicit = list(discover([str(tmp_path / "notes.txt")]))
    assert len(explicit) == 1 and explicit[0].error is None  # an explicit file is taken as it is


def test_folder_links_not_followed_unless_asked(tmp_path: Path) -> None:
    make_tree(tmp_path / "site")
    (tmp_path / "site" / "loop").symlink_to(tmp_path / "site")
    (tmp_path / "site" / "link.md").symlink_to(tmp_path / "site" / "b.md")
    (tmp_path / "site" / "broken.md").symlink_to(tmp_path / "nowhere.md")
    items = list(discover([str(tmp_path / "site")]))
    names = rel(items, tmp_path / "site")
    assert "loop/b.md" not in names and "b.md" in names and "link.md" not in names  # same file, once
    assert [i for i in items if i.error and "broken" in i.error.message]
    followed = rel(list(discover([str(tmp_path / "site")], follow_symlinks=True)), tmp_path / "site")
    assert not any(n.startswith("loop/loop") for n in followed)


def test_parallel_results_equal_serial_and_keep_order(tmp_path: Path, ring: Keyring) -> None:
    for i in range(60):
        body = "---\nt: 1\n---\n" if i % 7 else "not an article"
        (tmp_path / f"{i:03d}.md").write_text(body)
    items = list(discover([str(tmp_path)])) + [Item(str(tmp_path / "gone.md"))]
    task = Task("verify", ring)
    serial = [r.report for r in map_ordered(task, items, jobs=1)]
    parallel = [r.report for r in map_ordered(task, items, jobs=2, chunk_size=4)]
    assert serial == parallel
    assert [r.path for r in parallel] == [i.path for i in items]
    statuses = [r.status for r in parallel]
    assert statuses.count(Status.ERROR) == 10 and statuses.count(Status.UNSEALED) == 51


def test_a_dying_worker_costs_its_chunk_not_the_run(tmp_path: Path, ring: Keyring, monkeypatch: object) -> None:
    for i in range(20):
        (tmp_path / f"{i:02d}.md").write_text("---\nt: 1\n---\n")
    (tmp_path / "05.md").write_text("---\nkill: me\n---\n")
    import securedoc.batch as batch

    original = batch.handle

    def handle(task: Task, path: str):  # type: ignore[no-untyped-def]
        if path.endswith("05.md"):
            os._exit(9)
        return original(task, path)

    batch.handle = handle  # type: ignore[assignment]  # inherited by forked workers
    try:
        results = [
            r.report for r in map_ordered(Task("verify", ring), list(discover([str(tmp_path)])), jobs=2, chunk_size=4)
        ]
    finally:
        batch.handle = original  # type: ignore[assignment]
    assert len(results) == 20
    died = [r for r in results if "worker process died" in r.message]
    assert 1 <= len(died) <= 4 and any(r.path.endswith("05.md") for r in died)
    assert all(r.status is Status.UNSEALED for r in results if r not in died)

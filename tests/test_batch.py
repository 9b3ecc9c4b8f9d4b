"""Discovery and the ordered parallel map."""

from __future__ import annotations

import os
import time
from pathlib import Path

from securedoc.batch import Item, compile_globs, discover, map_ordered
from securedoc.filestep import Task
from securedoc.keys import Keyring
from securedoc.models import Report, Status


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


def _run_with_a_dying_worker(tmp_path: Path, ring: Keyring, killer: str, waiter: str = "") -> list[Report]:
    """verify 20 files with 2 workers, 4 files a chunk; the worker handling ``killer`` dies. The one
    handling ``waiter`` is still busy when that happens (a loaded machine, made certain)."""
    content = tmp_path / "content"
    content.mkdir()
    for i in range(20):
        (content / f"{i:02d}.md").write_text("---\nt: 1\n---\n")
    import securedoc.batch as batch

    original = batch.handle

    def handle(task: Task, path: str):  # type: ignore[no-untyped-def]
        if path.endswith(killer):
            os._exit(9)
        if waiter and path.endswith(waiter):
            time.sleep(60)  # until the broken pool terminates this worker
        return original(task, path)

    batch.handle = handle  # type: ignore[assignment]  # inherited by forked workers
    try:
        return [
            r.report for r in map_ordered(Task("verify", ring), list(discover([str(content)])), jobs=2, chunk_size=4)
        ]
    finally:
        batch.handle = original  # type: ignore[assignment]


def test_a_dying_worker_costs_its_chunk_not_the_run(tmp_path: Path, ring: Keyring) -> None:
    """Deterministic under any load: the worker dies on the first file of the first chunk, so the
    first result the run waits for is that chunk's, and it is lost whatever the other workers did;
    every other chunk is handed to a new pool and answered."""
    results = _run_with_a_dying_worker(tmp_path, ring, "00.md")
    assert [Path(r.path).name for r in results] == [f"{i:02d}.md" for i in range(20)]
    died = [Path(r.path).name for r in results if "worker process died" in r.message]
    assert died == ["00.md", "01.md", "02.md", "03.md"]
    assert all(r.status is Status.ERROR and "--jobs 1" in (r.hint or "") for r in results[:4])
    assert all(r.status is Status.UNSEALED for r in results[4:])


def test_a_worker_dying_mid_run_costs_whole_chunks_only(tmp_path: Path, ring: Keyring) -> None:
    """A worker dying on a later file: its chunk is lost, and so is a chunk still in flight in the
    other worker (the pool breaks as a whole; here the first chunk is made to be in flight, as it
    may be on a loaded machine); never a partial chunk, never the run."""
    results = _run_with_a_dying_worker(tmp_path, ring, "05.md", waiter="00.md")
    assert [Path(r.path).name for r in results] == [f"{i:02d}.md" for i in range(20)]
    died = {int(Path(r.path).stem) for r in results if "worker process died" in r.message}
    assert set(range(8)) <= died  # the first chunk (in flight) and the second (the dying worker's)
    # The dying worker's chunk is tried again in a new pool and dies again; whether a chunk in flight
    # beside it finished first is up to the machine: either way only whole chunks are lost.
    assert all({4 * (i // 4) + j for j in range(4)} <= died for i in died)
    assert all(r.status is Status.UNSEALED for r in results if int(Path(r.path).stem) not in died)

"""Discovery and the ordered parallel map."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from securedoc.batch import LARGEST_CHUNK, Item, compile_globs, discover, map_ordered, next_chunk_size
from securedoc.filestep import Task, handle
from securedoc.keys import Key, Keyring
from securedoc.models import Action, Report, Status


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


def test_chunks_are_sized_to_take_a_worker_about_50_ms() -> None:
    assert next_chunk_size(16, 16, 0.004, 16) == 64  # 200 would fit: at most four times larger per step
    assert next_chunk_size(64, 64, 0.016, 16) == 200  # 0.25 ms a file: 200 files take 50 ms
    assert next_chunk_size(1000, 1000, 0.001, 16) == LARGEST_CHUNK == 1024
    assert next_chunk_size(200, 200, 2.0, 16) == 50  # 10 ms a file: 5 would fit, at most four times smaller
    assert next_chunk_size(50, 50, 2.0, 16) == 16  # never below the first chunks' size
    assert next_chunk_size(64, 0, 0.0, 16) == next_chunk_size(64, 10, 0.0, 16) == 64  # nothing measured


@given(
    size=st.integers(1, LARGEST_CHUNK),
    files=st.integers(0, LARGEST_CHUNK),
    seconds=st.floats(0, 1000, allow_nan=False),
    smallest=st.integers(1, 64),
)
def test_a_chunk_size_stays_in_its_bounds(size: int, files: int, seconds: float, smallest: int) -> None:
    new = next_chunk_size(size, files, seconds, smallest)
    assert new == size or smallest <= new <= LARGEST_CHUNK
    assert new == size or size // 4 <= new <= 4 * size or new == smallest


def test_chunks_that_change_size_keep_every_result_in_order(tmp_path: Path, ring: Keyring) -> None:
    """600 files from chunks of 4: later chunks grow (and may shrink again) as they are timed."""
    for i in range(600):
        (tmp_path / f"{i:03d}.md").write_text("---\nt: 1\n---\n" if i % 11 else "not an article")
    items = list(discover([str(tmp_path)]))
    task = Task("verify", ring)
    parallel = [r.report for r in map_ordered(task, items, jobs=2, chunk_size=4)]
    assert parallel == [r.report for r in map_ordered(task, items, jobs=1)]
    assert [r.path for r in parallel] == [i.path for i in items]


def _run_with_a_dying_worker(
    tmp_path: Path, task: Task, *killers: str, waiter: str = "", files: int = 20
) -> list[Report]:
    """Run ``task`` over ``files`` files with 2 workers, 4 files a chunk. A file named in ``killers``
    kills the worker handling it, every time; the first time the file named ``waiter`` is handled,
    its worker waits until the broken pool ends it, so that its chunk is certainly in flight when
    the other worker dies (as it may be on a loaded machine); and a killer waits for the waiter to
    be reached before it kills, so that the files before the waiter in its chunk are certainly
    handled. Nothing depends on timing."""
    content = tmp_path / "content"
    content.mkdir()
    for i in range(files):
        (content / f"{i:02d}.md").write_text("---\nt: 1\n---\n")
    waited = tmp_path / "waited"
    import securedoc.batch as batch

    original = batch.handle

    def handle(task: Task, path: str):  # type: ignore[no-untyped-def]
        if Path(path).name in killers:
            deadline = time.monotonic() + 30
            while waiter and not waited.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            os._exit(9)
        if Path(path).name == waiter and not waited.exists():
            waited.touch()
            time.sleep(60)  # until the broken pool terminates this worker
        return original(task, path)

    batch.handle = handle  # type: ignore[assignment]  # inherited by forked workers
    try:
        return [r.report for r in map_ordered(task, list(discover([str(content)])), jobs=2, chunk_size=4)]
    finally:
        batch.handle = original  # type: ignore[assignment]


def _died(results: list[Report]) -> list[str]:
    return [Path(r.path).name for r in results if "worker process died" in r.message]


def test_a_dying_worker_costs_its_chunk_not_the_run(tmp_path: Path, ring: Keyring) -> None:
    """The worker dies on the first file of the first chunk: that chunk is lost, every other
    chunk is answered."""
    results = _run_with_a_dying_worker(tmp_path, Task("verify", ring), "00.md")
    assert [Path(r.path).name for r in results] == [f"{i:02d}.md" for i in range(20)]
    assert _died(results) == ["00.md", "01.md", "02.md", "03.md"]
    assert all(r.status is Status.ERROR and "--jobs 1" in (r.hint or "") for r in results[:4])
    assert all(r.status is Status.UNSEALED for r in results[4:])


def test_only_the_chunk_that_killed_its_worker_is_blamed(tmp_path: Path, ring: Keyring) -> None:
    """A worker dies on 05.md (second chunk) while the first chunk is still in flight in the other
    worker: the pool breaks as a whole and every chunk in flight fails with it, the first one at the
    head of the queue. Only the second chunk is reported; the first and all later ones are answered."""
    results = _run_with_a_dying_worker(tmp_path, Task("verify", ring), "05.md", waiter="00.md")
    assert (tmp_path / "waited").exists()  # the first chunk was in flight when the pool broke
    assert [Path(r.path).name for r in results] == [f"{i:02d}.md" for i in range(20)]
    assert _died(results) == ["04.md", "05.md", "06.md", "07.md"]
    assert all(r.status is Status.UNSEALED for r in results if Path(r.path).name not in _died(results))


def test_two_chunks_that_kill_their_workers_are_both_blamed(tmp_path: Path, ring: Keyring) -> None:
    """Two culprits in flight at once (05.md and 13.md), the first chunk waiting beside them: each
    failed chunk runs again alone, and exactly the two that kill their workers alone are reported."""
    results = _run_with_a_dying_worker(tmp_path, Task("verify", ring), "05.md", "13.md", waiter="00.md", files=40)
    assert [Path(r.path).name for r in results] == [f"{i:02d}.md" for i in range(40)]
    assert _died(results) == [f"{i:02d}.md" for i in (4, 5, 6, 7, 12, 13, 14, 15)]
    assert sum(r.status is Status.UNSEALED for r in results) == 40 - 8


def test_a_seal_run_never_seals_a_file_twice_after_a_crash(
    tmp_path: Path, ring: Keyring, key: Key, monkeypatch: pytest.MonkeyPatch
) -> None:
    """seal --force: the first chunk has sealed 00.md and 01.md when the other worker dies on 06.md
    (after sealing 04.md and 05.md). Running the failed chunks again must not seal a file again:
    each file is written at most once, and every file but the culprit chunk's unsealed ones ends
    up sealed."""
    import securedoc.filestep as filestep

    log = tmp_path / "writes.log"
    write = filestep.atomic_replace

    def logged(path: str, data: bytes, snapshot: object) -> None:
        with open(log, "a") as out:
            out.write(Path(path).name + "\n")
        write(path, data, snapshot)  # type: ignore[arg-type]

    monkeypatch.setattr(filestep, "atomic_replace", logged)
    task = Task("seal", ring, key=key, force=True)
    results = _run_with_a_dying_worker(tmp_path, task, "06.md", waiter="02.md")
    assert [Path(r.path).name for r in results] == [f"{i:02d}.md" for i in range(20)]
    assert _died(results) == ["04.md", "05.md", "06.md", "07.md"]
    # 04.md and 05.md were sealed before the worker died on 06.md; 07.md was never reached.
    written = [Path(r.path).name for r in results[4:8] if "may have been written" in (r.hint or "")]
    assert written == ["04.md", "05.md", "06.md"]
    assert "the files were left as they were" in (results[7].hint or "")
    writes = log.read_text().split()
    assert sorted(writes) == sorted(set(writes)), writes  # no file written twice
    assert set(writes) == {f"{i:02d}.md" for i in range(20)} - {"06.md", "07.md"}
    answered = [r for r in results if Path(r.path).name not in _died(results)]
    assert all(r.action in (Action.SEALED, Action.UNCHANGED) and not r.failed for r in answered)
    # 00.md and 01.md were sealed before the crash: handled again, they are found current.
    assert [r.action for r in results[:4]] == [Action.UNCHANGED, Action.UNCHANGED, Action.SEALED, Action.SEALED]
    check = Task("verify", ring)
    for name in sorted(set(writes)):
        assert handle(check, str(tmp_path / "content" / name)).report.status is Status.OK

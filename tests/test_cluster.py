"""The Dask recipe (securedoc.cluster): per-file verify over a bag, reports streamed back in order,
the same as a local batch run gives, with Dask's local schedulers."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import article

from securedoc.api import RunOptions, run
from securedoc.articles import seal_document
from securedoc.document import parse
from securedoc.keys import Key, Keyring
from securedoc.models import Status

pytest.importorskip("dask.bag", reason="the dask extra is not installed (pip install -e '.[dask]')")

from securedoc.cluster import verify_bag, verify_stream  # noqa: E402

KEY = Key("cluster-2026", "A256GCM", bytes(range(32)))
RING = Keyring([KEY])


def _archive(root: Path, count: int) -> list[str]:
    paths = []
    for index in range(count):
        path = root / f"{index:03d}.md"
        data = article(f"title: Article {index}\nn: {index}\n")
        if index % 5 != 4:  # every fifth stays unsealed
            data = seal_document(parse(data), RING).data or data
        if index % 7 == 3:  # and some are changed after sealing
            data = data.replace(f"n: {index}\n".encode(), b"n: 999\n")
        if index % 11 == 6:
            data = b"not an article\n"
        path.write_bytes(data)
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("scheduler", ["synchronous", "threads", "processes"])
def test_reports_stream_back_in_order_like_a_batch_run(tmp_path: Path, scheduler: str) -> None:
    paths = _archive(tmp_path, 40)
    local = list(run(RunOptions("verify", paths, RING, jobs=1)))
    streamed = list(verify_stream(paths, RING, partition_size=3, window=4, scheduler=scheduler))
    assert [r.path for r in streamed] == paths
    assert streamed == local
    statuses = {r.status for r in streamed}
    assert statuses == {Status.OK, Status.MISMATCH, Status.UNSEALED, Status.ERROR}


def test_the_bag_and_the_full_path(tmp_path: Path) -> None:
    import dask.bag as db

    paths = _archive(tmp_path, 12)
    bag = verify_bag(db.from_sequence(paths, npartitions=3), RING, full=True)
    reports = bag.compute(scheduler="synchronous")
    assert [r.path for r in reports] == paths
    assert reports == list(verify_stream(paths, RING, scheduler="synchronous"))


def test_urls_are_read_with_fsspec(tmp_path: Path) -> None:
    paths = _archive(tmp_path, 6)
    urls = [f"file://{p}" for p in paths] + [f"file://{tmp_path}/missing.md"]
    reports = list(verify_stream(urls, RING, scheduler="synchronous"))
    local = list(run(RunOptions("verify", paths, RING, jobs=1)))
    assert [r.status for r in reports[:-1]] == [r.status for r in local]
    assert reports[-1].status is Status.ERROR and "cannot read" in reports[-1].message

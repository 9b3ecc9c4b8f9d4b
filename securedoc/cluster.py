"""Verify archives beyond one machine: securedoc's per-file verify mapped over a Dask bag.

    pip install 'securedoc[dask]'

    from securedoc.cluster import verify_bag, verify_stream
    bag = verify_bag(paths, keyring)                  # a dask.bag.Bag of Reports, one per path
    for report in verify_stream(paths, keyring):      # computed on the cluster, streamed back in order
        ...

Each element is one article: a local path, or a URL that fsspec can open (``s3://bucket/a.md``,
``gs://...``; install the matching fsspec backend). The work per article is the same as
``securedoc verify`` does in one worker: the byte fast path, else the full parse and comparison,
with the same policies; errors become ``error`` reports, never exceptions. The keyring travels to
the workers with the task (pickled once per partition): keep the cluster's network and workers as
trusted as the keys. Cross-file rules (duplicate seals across an archive) are the caller's
business on the reports, as they are for a batch run. docs/performance.md gives the arithmetic
for tens of millions of articles.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .document import DEFAULT_LIMITS, Limits, parse, too_large
from .errors import SecuredocError
from .fastpath import settings_for, verify_bytes
from .filestep import Task, handle
from .keys import Keyring
from .models import Report, RetiredPolicy, Status
from .verify import DEFAULT_POLICY, Policy, error_report, verify_document

__all__ = ["verify_task", "verify_one", "verify_bag", "verify_stream"]


def verify_task(
    keyring: Keyring,
    *,
    limits: Limits = DEFAULT_LIMITS,
    retired: RetiredPolicy = "warn",
    policy: Policy = DEFAULT_POLICY,
    full: bool = False,
) -> Task:
    """The verify task a worker runs for each article (as `securedoc verify` builds it)."""
    return Task(
        "verify", keyring, limits=limits, retired=retired, policy=policy, fast=None if full else settings_for(limits)
    )


def _read_url(url: str, limits: Limits) -> bytes:
    import fsspec  # comes with dask[bag]

    with fsspec.open(url, "rb") as handle:
        data: bytes = handle.read(limits.max_file_size + 1)
    if len(data) > limits.max_file_size:
        raise too_large(url, limits)
    return data


def verify_one(task: Task, path: str) -> Report:
    """One article's report: a local path through the batch worker's code, a URL through fsspec."""
    if "://" not in path:
        return handle(task, path).report
    try:
        data = _read_url(path, task.limits)
        report = None
        if task.fast is not None:
            report = verify_bytes(
                data, task.keyring, settings=task.fast, limits=task.limits, path=path, retired=task.retired,
                policy=task.policy,
            )  # fmt: skip
        if report is None:
            report = verify_document(
                parse(data, path=path, limits=task.limits), task.keyring, retired=task.retired, policy=task.policy
            )
        return report
    except SecuredocError as exc:
        return error_report(path, exc.located(path=path))
    except OSError as exc:
        return Report(path, Status.ERROR, message=f"cannot read the file: {exc.strerror or type(exc).__name__}")


def _verify_partition(paths: Iterable[str], task: Task) -> list[Report]:
    return [verify_one(task, path) for path in paths]


def verify_bag(paths: Sequence[str] | Any, keyring: Keyring, *, partition_size: int = 1000, **options: Any) -> Any:
    """A ``dask.bag.Bag`` of Reports, one per article, in the order of ``paths``.

    ``paths`` is a sequence of paths or URLs, or a bag of them. ``options`` are those of
    :func:`verify_task` (limits, retired, policy, full).
    """
    import dask.bag as db

    task = verify_task(keyring, **options)
    if isinstance(paths, db.Bag):
        bag = paths
    else:
        paths = list(paths)
        bag = db.from_sequence(paths, partition_size=max(1, partition_size)) if paths else db.from_sequence([])
    return bag.map_partitions(_verify_partition, task)


def verify_stream(
    paths: Sequence[str] | Any,
    keyring: Keyring,
    *,
    partition_size: int = 1000,
    window: int = 8,
    scheduler: str | None = None,
    **options: Any,
) -> Iterator[Report]:
    """Verify on the cluster (or Dask's local scheduler) and yield the Reports in order, partition
    by partition, as they are done: at most ``window`` partitions are in flight, so memory stays
    bounded however long the archive. With a ``dask.distributed`` client active, its workers run
    the partitions; otherwise ``scheduler`` ("threads", "processes", "synchronous") does.
    """
    import dask

    parts = verify_bag(paths, keyring, partition_size=partition_size, **options).to_delayed()
    client = _client()
    if client is not None:
        pending: deque[Any] = deque()
        for part in parts:
            pending.append(client.compute(part))
            if len(pending) >= window:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
        return
    for start in range(0, len(parts), max(1, window)):
        for done in dask.compute(*parts[start : start + window], scheduler=scheduler):
            yield from done


def _client() -> Any:
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:  # no client started
        return None

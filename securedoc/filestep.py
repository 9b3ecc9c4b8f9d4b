"""The per-file step: read one file, verify / seal / rotate / restore it, write it back.

A :class:`Task` says what to do and with what (keyring, settings); it is built once in the parent
process and sent to each worker once. :func:`step` turns one path into one :class:`Result` and
raises securedoc's errors (the API's ``seal_file``/``restore_file`` use it); :func:`handle` is the
same step for batch runs: every failure, expected or not, becomes an ``error`` report for that file
so that a batch goes on. Every command that writes goes through one read-lock-parse-edit-replace
function, :func:`rewrite` (``securedoc edit`` too, for its write after the editor session), and
seal's answer (sealing over a mismatch succeeds) is :func:`settle_seal`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from . import copies
from .document import DEFAULT_LIMITS, Document, Limits, parse
from .errors import SecuredocError, UsageError
from .fastpath import verify_bytes
from .fileio import STDIN, atomic_replace, locked_article, read_article, write_target
from .keys import Key, Keyring
from .models import Action, Report, RetiredPolicy, Status
from .payload import Binding
from .verify import DEFAULT_POLICY, Policy, error_report, verify_document

if TYPE_CHECKING:
    from .articles import Outcome
    from .cache import CacheView

__all__ = ["Task", "Result", "step", "handle", "rewrite", "settle_seal"]

Command = Literal["verify", "seal", "rotate"]  # what a batch run does
Step = Literal["verify", "seal", "rotate", "restore", "edit"]  # what the per-file step does (edit: only rewrite)
_VERIFY = b"verify"
_SEAL = b"seal"


@dataclass(frozen=True)
class Task:
    """Everything a worker needs to handle any file of a run."""

    command: Step
    keyring: Keyring
    limits: Limits = DEFAULT_LIMITS
    retired: RetiredPolicy = "warn"
    binding: Binding = field(default_factory=Binding)
    hide: tuple[str, ...] = ()
    key: Key | None = None  # seal: the key that seals; rotate: the target key
    force: bool = False
    dry_run: bool = False
    legacy: bool = False
    encrypt_key: str | None = None  # signed seals: the A256GCM key for hidden fields
    roots: tuple[str, ...] = ()
    follow_symlinks: bool = False
    cache: CacheView | None = None
    debug: bool = False
    # The settings fingerprint for the byte fast path (securedoc.fastpath): verify takes the fast
    # path with it, seal and rotate bind it into new seals. None: verify --full.
    fast: str | None = None
    policy: Policy = DEFAULT_POLICY  # verify and rotate: legacy, unbound and demo-key rules
    # bind_path on: the project root; each seal names its article's path relative to it
    # (securedoc.copies). None: off.
    bind_root: str | None = None

    def place(self, path: str) -> str | None:
        """The article's path relative to the project root when bind_path is on, else None."""
        if self.bind_root is None:
            return None
        if path == STDIN:
            raise UsageError(
                "standard input has no path for bind_path to check", hint="give the file's path, or --no-bind-path"
            )
        return copies.place_of(path, self.bind_root)


@dataclass(frozen=True)
class Result:
    """One file's report, and the cache entries it earned."""

    report: Report
    tags: tuple[bytes, ...] = ()  # verification-cache entries this file earned
    # verify: the fingerprint of the file's seal and its (st_dev, st_ino), for the checks across
    # files (securedoc.copies: one seal on two files)
    seal: str | None = None
    file: tuple[int, int] | None = None


def _verify(task: Task, path: str) -> Result:
    place = task.place(path)
    data, snapshot = read_article(path, task.limits)
    file = (snapshot.dev, snapshot.ino)
    tag = None
    if task.cache is not None:
        hit, tag = task.cache.hit(copies.cache_purpose(_VERIFY, place), data)
        if hit:
            return Result(
                Report(path, Status.OK, message="seal matches (unchanged since last verified)", extra={"cached": True}),
                seal=copies.seal_of_bytes(data),
                file=file,
            )
    report = None
    if task.fast is not None:
        report = verify_bytes(
            data,
            task.keyring,
            settings=copies.fast_settings(task.fast, place) or task.fast,
            limits=task.limits,
            path=path,
            retired=task.retired,
            policy=task.policy,
        )
    if report is None:
        document = parse(data, path=path, limits=task.limits)
        report = verify_document(document, task.keyring, retired=task.retired, policy=task.policy, place=place)
        seal = copies.seal_of_document(document)
    else:
        seal = copies.seal_of_bytes(data)  # the seal the fast path authenticated
    clean = report.status is Status.OK and not report.warnings and not report.notes
    return Result(report, (tag,) if clean and tag is not None else (), seal=seal, file=file)


def rewrite(
    task: Task,
    path: str,
    edit: Callable[[Document, str | None], Outcome],
    would: Action | None,
    *,
    check: Callable[[bytes], None] | None = None,
) -> tuple[bytes, Document, Outcome]:
    """The one per-file step of every command that writes: read the file (under a lock unless
    ``dry_run``), parse it, edit it (the edit checks itself: securedoc.articles), replace it atomically.
    ``edit`` gets the document and its place (bind_path: the path of the file written, a link's
    target). ``check``, if given, sees the bytes read under the lock first and may refuse them by
    raising (``securedoc edit``: the file must still be what the editor started from). Returns the
    bytes read, the document and the outcome; a dry run relabels a change as ``would``."""
    target = write_target(path, task.roots, task.follow_symlinks)
    place = task.place(target)
    if task.dry_run:
        data, _ = read_article(target, task.limits)
        if check is not None:
            check(data)
        document = parse(data, path=path, limits=task.limits)
        outcome = edit(document, place)
        if outcome.data is not None and would is not None:
            outcome = replace(outcome, report=outcome.report.with_(action=would))
        return data, document, outcome
    with locked_article(target, task.limits) as (data, snapshot):
        if check is not None:
            check(data)
        document = parse(data, path=path, limits=task.limits)
        outcome = edit(document, place)
        if outcome.data is not None:
            atomic_replace(target, outcome.data, snapshot)
        return data, document, outcome


def settle_seal(report: Report) -> Report:
    """Seal's answer: a file it sealed (or left current) succeeded, whatever its earlier seal said.

    The report's status is the earlier seal's (a mismatch, say); replacing it is what seal is for.
    Every way of sealing (seal_file, batch runs, ``seal -``) answers through this function."""
    if report.action in (Action.SEALED, Action.UNCHANGED, Action.WOULD_SEAL):
        return report.with_(failed=False)
    return report


def _seal(task: Task, path: str) -> Result:
    from .articles import seal_document  # not for verify: keeps `securedoc verify one.md` short

    cacheable = task.cache is not None and not task.force and not task.hide
    if task.cache is not None and cacheable:
        # Nothing will be written when the cache vouches for these bytes: no lock, no link checks.
        data, _ = read_article(path, task.limits)
        if task.cache.hit(copies.cache_purpose(_SEAL, task.place(path)), data)[0]:
            report = Report(
                path,
                Status.OK,
                message="already sealed (unchanged since last sealed)",
                action=Action.UNCHANGED,
                extra={"cached": True},
            )
            return Result(settle_seal(report), seal=copies.seal_of_bytes(data))
    places: list[str | None] = []

    def edit(document: Document, place: str | None) -> Outcome:
        places.append(place)
        return seal_document(
            document,
            task.keyring,
            task.binding,
            key=task.key,
            hide=task.hide,
            force=task.force,
            legacy=task.legacy,
            limits=task.limits,
            fast=copies.fast_settings(task.fast, place) or False,
            encrypt_key=task.encrypt_key,
            place=place,
        )

    data, document, outcome = rewrite(task, path, edit, Action.WOULD_SEAL)
    report = settle_seal(outcome.report)
    purpose = copies.cache_purpose(_SEAL, places[0])
    if outcome.data is None:
        seal = copies.seal_of_document(document) if outcome.report.action == Action.UNCHANGED else None
        clean = outcome.report.status is Status.OK and not outcome.report.warnings
        tags = (task.cache.tag(purpose, data),) if task.cache is not None and cacheable and clean else ()
        return Result(report, tags, seal=seal)  # already current: these bytes are sealed
    if task.dry_run:
        return Result(report)
    tags = (task.cache.tag(purpose, outcome.data),) if task.cache is not None and cacheable else ()
    return Result(report, tags, seal=copies.seal_of_bytes(outcome.data))


def _rotate(task: Task, path: str) -> Result:
    from .articles import rotate_document

    key = task.key
    if key is None:
        raise UsageError("rotate needs the key to re-seal with")
    _, _, outcome = rewrite(
        task,
        path,
        lambda document, place: rotate_document(
            document,
            task.keyring,
            key,
            limits=task.limits,
            fast=copies.fast_settings(task.fast, place) or False,
            policy=task.policy,
            encrypt_key=task.encrypt_key,
            place=place,
        ),
        Action.WOULD_ROTATE,
    )
    return Result(outcome.report)


def _restore(task: Task, path: str) -> Result:
    from .articles import restore_document

    _, _, outcome = rewrite(
        task, path, lambda document, _place: restore_document(document, task.keyring, limits=task.limits), None
    )
    return Result(outcome.report)


_STEPS: dict[str, Callable[[Task, str], Result]] = {
    "verify": _verify,
    "seal": _seal,
    "rotate": _rotate,
    "restore": _restore,
}


def step(task: Task, path: str) -> Result:
    """Handle one file; securedoc's errors (unreadable, malformed...) are raised (the API's way)."""
    return _STEPS[task.command](task, path)


def handle(task: Task, path: str) -> Result:
    """Handle one file. Errors become reports; nothing escapes but KeyboardInterrupt/SystemExit."""
    try:
        return step(task, path)
    except SecuredocError as exc:
        return Result(error_report(path, exc.located(path=path), action=_failed(task)))
    except RecursionError:
        return _error(task, path, "the file nests too deeply to read safely")
    except MemoryError:
        return _error(task, path, "out of memory while reading this file")
    except Exception as exc:  # a bug: report it for this file, go on with the others
        import traceback

        detail = "".join(traceback.format_exception(exc)) if task.debug else ""
        return _error(
            task,
            path,
            f"internal error ({type(exc).__name__}); the file was left unchanged",
            hint="please report this bug; run with SECUREDOC_DEBUG=1 for details" + (f"\n{detail}" if detail else ""),
        )


def _failed(task: Task) -> Action | None:
    return Action.FAILED if task.command != "verify" else None


def _error(task: Task, path: str, message: str, hint: str | None = None) -> Result:
    return Result(Report(path, Status.ERROR, message=message, hint=hint, action=_failed(task)))

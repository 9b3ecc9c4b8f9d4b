"""securedoc's Python API: seal, open and verify articles given as text, bytes or paths.

>>> import securedoc
>>> from securedoc import Keyring, Status, generate_key, seal, verify
>>> ring = Keyring([generate_key("newsroom-2026")])
>>> sealed = seal("---\\ntitle: Hello\\n---\\nBody\\n", ring)
>>> sealed.startswith(b"---\\ntitle: Hello\\nsecured: ")
True
>>> verify(sealed, ring).status is Status.OK
True
>>> securedoc.open(sealed, ring).key.kid
'newsroom-2026'
>>> report = verify(sealed.replace(b"Hello", b"Goodbye"), ring)
>>> report.status.value, [(f.name, f.sealed, f.visible) for f in report.fields]
('mismatch', [('title', 'Hello', 'Goodbye')])

Batch runs over folders (:func:`run`) are what the command line uses: they stream one
:class:`~securedoc.models.Report` per file, in order, and never stop at a bad file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import batch, copies
from .config import Config
from .document import DEFAULT_LIMITS, Limits, parse
from .errors import KeyringError, RefusedError, SecuredocWarning, UsageError
from .fastpath import settings_for, verify_bytes
from .fileio import STDIN, cleanup_temp_files, read_article, write_target
from .filestep import Command, Task, step
from .keycommand import key_command_from, run_key_command
from .keys import Key, Keyring, load_key_dir, load_key_env, load_key_file
from .models import Action, LegacyPolicy, Report, RetiredPolicy, UnboundPolicy, UnsealedPolicy, fails
from .payload import DEFAULT_BINDING, Binding
from .sealing import Opened, open_document
from .settings import Settings
from .settings import resolve as resolve_settings
from .verify import DEFAULT_POLICY, Policy, verify_document

if TYPE_CHECKING:
    from .cache import VerificationCache

__all__ = [
    "load_keyring",
    "seal",
    "verify",
    "open",
    "seal_file",
    "verify_file",
    "open_file",
    "restore_file",
    "RunOptions",
    "Run",
    "run",
    "changed_files",
]

Source = str | bytes


def _bytes(source: Source) -> bytes:
    return source.encode("utf-8") if isinstance(source, str) else source


def _issue_warnings(report: Report) -> Report:
    """seal() and seal_file() tell their warnings the same way: a SecuredocWarning each."""
    import warnings

    for message in report.warnings:
        warnings.warn(f"{report.path}: {message}", SecuredocWarning, stacklevel=3)
    return report


# -- keyring -------------------------------------------------------------------------------------


def load_keyring(
    config: Config | None = None,
    *,
    key_files: Sequence[Path] = (),
    keys_dir: Path | None = None,
    key_env: str | None = None,
    primary: str | None = None,
    environ: dict[str, str] | None = None,
    key_command: str | None = None,
    checkout_keys: bool = True,
    trusted_keys: Sequence[Key] = (),
    trusted_from: str | None = None,
    need_primary: bool = True,
    encrypt: str | None = None,
) -> tuple[Keyring, list[str]]:
    """Build the keyring the command line would use, and warnings (loose key file permissions).

    Sources: ``key_files`` if given, else ``keys_dir``, else the configured keys folder, else
    ``./keys`` when it exists; plus the environment variable (``key_env``, the configured one, or
    ``SECUREDOC_KEY``); plus what ``key_command`` (or ``$SECUREDOC_KEY_COMMAND``, never a setting
    of the configuration file) prints. The same key id from two sources must be the same key.

    ``checkout_keys=False`` (CI, or a key given from outside the checkout: see
    :mod:`securedoc.trust`) leaves out the key folder found by default (``./keys``, ``keys.dir``);
    ``trusted_keys`` (read from ``verify --trust REV``'s key folder) take its place.
    ``need_primary=False`` (verify, open): a configured primary key that is absent is no error.
    """
    config = config or Config()
    keys: list[Key] = list(trusted_keys)
    warnings: list[str] = []
    looked: list[str] = [f"{trusted_from}'s keys folder"] if trusted_from else []
    if key_files:
        for path in key_files:
            found, notes = load_key_file(path)
            keys.extend(found)
            warnings.extend(notes)
            looked.append(str(path))
    else:
        folder = keys_dir or config.keys_dir
        explicit = keys_dir is not None
        if folder is None:
            folder = Path("keys")
        if not explicit and (not checkout_keys or trusted_from):
            pass  # key files in the checkout are not trusted here
        elif explicit or folder.is_dir():
            shown = os.path.relpath(folder)
            found, notes = load_key_dir(Path(shown) if not shown.startswith("..") else folder)
            keys.extend(found)
            warnings.extend(notes)
        if explicit or (checkout_keys and not trusted_from):
            looked.append(f"{folder}/")
    variable = key_env or config.key_env
    keys.extend(load_key_env(variable, environ))
    looked.append(f"${variable}")
    command = key_command_from(key_command, environ)
    if command is not None:
        keys.extend(run_key_command(command))
        looked.append("--key-command")
    if not keys:
        untrusted = "" if checkout_keys else "; key files in the checkout are not used here"
        raise KeyringError(
            "no keys found (looked in " + ", ".join(looked) + ")" + untrusted,
            hint="create one with `securedoc keys new KID`, pass --key FILE or --keys DIR, "
            f"or set ${variable} to a JWK (in CI, from a secret)",
        )
    chosen = primary or config.primary
    if not need_primary and primary is None and chosen is not None and all(k.kid != chosen for k in keys):
        chosen = None  # only sealing needs the primary key
    ring = Keyring(keys, primary=chosen, retired=config.retired, encrypt=encrypt or config.encrypt)
    return ring, warnings


# -- one article, in memory ----------------------------------------------------------------------


def seal(
    source: Source,
    keyring: Keyring,
    *,
    binding: Binding = DEFAULT_BINDING,
    hide: Iterable[str] = (),
    key: Key | None = None,
    force: bool = False,
    legacy: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    encrypt_key: str | None = None,
    place: str | None = None,
) -> bytes:
    """The article with a new seal (or unchanged bytes when its seal is already current).

    Raises :class:`RefusedError` for a seal it cannot open (unless ``force``); warnings (a retired
    or demo key, a replaced seal that did not verify) are issued as :class:`SecuredocWarning`, as
    :func:`seal_file` does.

    With an Ed25519 private key (primary, or ``key``) the seal is signed; ``encrypt_key`` names the
    A256GCM key for its hidden fields (default: the keyring's, :meth:`Keyring.hidden_key`).
    ``place`` (bind_path): the article's path relative to the project root, bound into the seal."""
    from .articles import seal_document  # imported when sealing: verify starts faster without it

    data = _bytes(source)
    outcome = seal_document(
        parse(data, limits=limits),
        keyring,
        binding,
        key=key,
        hide=hide,
        force=force,
        legacy=legacy,
        limits=limits,
        encrypt_key=encrypt_key,
        fast=copies.fast_settings(settings_for(limits), place) or True,
        place=place,
    )
    if outcome.report.action == Action.REFUSED:
        raise RefusedError(outcome.report.message, line=outcome.report.line, hint=outcome.report.hint)
    _issue_warnings(outcome.report)
    return outcome.data if outcome.data is not None else data


def verify(
    source: Source,
    keyring: Keyring,
    *,
    retired: RetiredPolicy = "warn",
    path: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    full: bool = False,
    policy: Policy = DEFAULT_POLICY,
    place: str | None = None,
) -> Report:
    """Check an article against its seal. Bad input gives an ``error`` report (parse errors raise).

    Bytes exactly as sealed are ``ok`` without a parse (the byte fast path, securedoc.fastpath);
    ``full`` parses and compares anyway. Both give the same report. ``place`` (bind_path): the
    article's path relative to the project root, which the seal must name."""
    data = _bytes(source)
    if not full:
        settings = copies.fast_settings(settings_for(limits), place) or settings_for(limits)
        report = verify_bytes(
            data, keyring, settings=settings, limits=limits, path=path, retired=retired, policy=policy
        )
        if report is not None:
            return report
    document = parse(data, path=path, limits=limits)
    return verify_document(document, keyring, retired=retired, policy=policy, place=place)


def open(source: Source, keyring: Keyring, *, limits: Limits = DEFAULT_LIMITS, raw: bool = False) -> Opened:
    """Decrypt an article's seal: which key opened it and the payload it holds."""
    return open_document(parse(_bytes(source), limits=limits), keyring, raw=raw)


# -- one article, on disk ------------------------------------------------------------------------


def verify_file(
    path: str | Path,
    keyring: Keyring,
    *,
    retired: RetiredPolicy = "warn",
    limits: Limits = DEFAULT_LIMITS,
    full: bool = False,
    policy: Policy = DEFAULT_POLICY,
) -> Report:
    data, _ = read_article(str(path), limits)
    return verify(data, keyring, retired=retired, path=str(path), limits=limits, full=full, policy=policy)


def open_file(path: str | Path, keyring: Keyring, *, limits: Limits = DEFAULT_LIMITS, raw: bool = False) -> Opened:
    data, _ = read_article(str(path), limits)
    return open_document(parse(data, path=str(path), limits=limits), keyring, raw=raw)


def _one_file(path: str | Path, task: Task) -> Report:
    """The per-file step of batch runs (securedoc.filestep) on one file, raising on errors."""
    path = str(path)
    folder = os.path.dirname(os.path.abspath(path))
    cleanup_temp_files(os.path.dirname(write_target(path, (folder,), False)))
    return step(replace(task, roots=(folder,)), path).report


def seal_file(
    path: str | Path,
    keyring: Keyring,
    *,
    binding: Binding = DEFAULT_BINDING,
    hide: Iterable[str] = (),
    key: Key | None = None,
    force: bool = False,
    legacy: bool = False,
    dry_run: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    encrypt_key: str | None = None,
) -> Report:
    """Seal one file in place, atomically: the same step as ``securedoc seal`` and :func:`run`.

    Returns the report (action ``sealed``, ``unchanged``, ``would seal`` or ``refused``; ``failed``
    is False when the file is sealed, whatever its earlier seal said). Warnings (a retired or
    demo key, a seal replaced that did not verify) are in ``report.warnings`` and issued as
    :class:`SecuredocWarning`, as :func:`seal` does."""
    task = Task(
        command="seal",
        keyring=keyring,
        limits=limits,
        binding=binding,
        hide=tuple(hide),
        key=key,
        force=force,
        dry_run=dry_run,
        legacy=legacy,
        encrypt_key=encrypt_key,
        fast=settings_for(limits),
    )
    return _issue_warnings(_one_file(path, task))


def restore_file(
    path: str | Path, keyring: Keyring, *, dry_run: bool = False, limits: Limits = DEFAULT_LIMITS
) -> Report:
    """Put the hidden fields of a file's seal back into its front matter (``open --restore``)."""
    return _one_file(path, Task(command="restore", keyring=keyring, limits=limits, dry_run=dry_run))


# -- batch runs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOptions:
    """A batch run, as the command line (or a Python caller) describes it. Immutable: what a run
    produces (new cache entries, temporary files removed) is on the :class:`Run` it returns.

    Settings left None (or empty) come from ``config``, then the environment's defaults; see
    :func:`securedoc.settings.resolve` (``hide`` adds to the configuration's)."""

    command: Command
    paths: Sequence[str]
    keyring: Keyring
    config: Config = field(default_factory=Config)
    jobs: int | None = None
    key: Key | None = None
    hide: tuple[str, ...] = ()
    force: bool = False
    dry_run: bool = False
    legacy: bool = False  # seal: write the legacy AES-CBC form
    encrypt_key: str | None = None  # signed seals: the A256GCM key for hidden fields
    retired: RetiredPolicy | None = None
    unsealed: UnsealedPolicy | None = None
    legacy_policy: LegacyPolicy | None = None  # verify and rotate: legacy seals accepted, warned, refused
    unbound: UnboundPolicy | None = None
    cache: Path | None = None
    no_cache: bool = False  # no verification cache, even the configured one
    follow_symlinks: bool = False
    changed: str | None = None
    debug: bool = False
    full: bool = False  # verify: no byte fast path (parse and compare every article)
    policy: Policy | None = None  # taken whole when given (else made from the settings above)
    extensions: tuple[str, ...] | None = None  # None: securedoc.yaml's, else the Markdown set
    follow_submodules: bool = False
    bind_path: bool | None = None  # None: securedoc.yaml's `bind_path` (default off); see securedoc.copies

    def settings(self) -> Settings:
        """Every setting of this run decided: these options over the configuration over defaults."""
        return resolve_settings(
            self.config,
            unsealed=self.unsealed,
            retired=self.retired,
            legacy=self.legacy_policy,
            unbound=self.unbound,
            hide=self.hide,
            jobs=self.jobs,
            cache=self.cache,
            no_cache=self.no_cache or self.command == "rotate",  # rotate verifies every article in full
            policy=self.policy,
            bind_path=self.bind_path,
        )

    def binds_paths(self) -> bool:
        """Whether each seal names its article's path (``--bind-path``, else ``bind_path:``; see
        :func:`securedoc.settings.resolve`)."""
        return self.settings().bind_path

    def markdown_extensions(self) -> tuple[str, ...]:
        """The file extensions this run checks (lower case, no dot)."""
        chosen = self.extensions if self.extensions is not None else self.config.extensions
        return batch.normalize_extensions(chosen)

    def walk(self) -> Iterator[batch.Item]:
        """The files and problems under the paths given (see :func:`securedoc.batch.discover`)."""
        return batch.discover(
            self.paths,
            exclude=batch.compile_globs(self.config.exclude),
            base=self.config.root,
            follow_symlinks=self.follow_symlinks,
            extensions=self.markdown_extensions(),
            links_by_name=self.command == "verify",
            follow_submodules=self.follow_submodules,
        )

    def changed_items(self) -> list[batch.Item]:
        """``--changed``: what git reports as changed under the paths (see :mod:`securedoc.changes`)."""
        from . import changes  # only for --changed: keeps start-up short (subprocess)

        assert self.changed is not None
        return changes.changed_items(
            self.changed,
            self.paths,
            extensions=self.markdown_extensions(),
            exclude=batch.compile_globs(self.config.exclude),
            base=self.config.root,
            follow_symlinks=self.follow_symlinks,
            follow_submodules=self.follow_submodules,
        )


def _cache_settings(options: RunOptions, settings: Settings) -> dict[str, Any]:
    from . import __version__
    from .rules import RULES_VERSION

    result: dict[str, Any] = {"securedoc": __version__, "rules": RULES_VERSION, "purpose": options.command}
    if settings.bind_path:
        result["bind_path"] = True  # the place is in each tag's purpose too (securedoc.copies)
    if options.command == "verify":
        policy = settings.policy
        result.update(
            retired=sorted(options.keyring.retired),
            retired_policy=settings.retired,
            legacy=policy.legacy,
            unbound=policy.unbound,
            demo=policy.demo,
            bound_include=list(policy.binding.include),
            bound_exclude=list(policy.binding.exclude),
        )
    else:
        binding = options.config.binding
        result.update(
            include=list(binding.include),
            exclude=list(binding.exclude),
            body=binding.body,
            hide=sorted(settings.hide),
            key=options.key.kid if options.key else None,
            legacy=options.legacy,
            encrypt_key=options.encrypt_key or options.keyring.encrypt_kid,
        )
    return result


def changed_files(rev: str, paths: Sequence[str]) -> list[str]:
    """Markdown files git reports as changed since ``rev`` (working tree and index), plus untracked ones,
    restricted to ``paths``. Deleted files are left out. See :mod:`securedoc.changes`."""
    from . import changes  # only for --changed: keeps start-up short (subprocess)

    return changes.changed_paths(rev, paths)


class Run:
    """A batch run under way: iterate it for one :class:`Report` per file, in order (once).

    What the run produces is here, not on its options: ``new_tags`` (verification-cache entries
    earned, 16 bytes each; :meth:`save_cache` stores them), ``cleaned`` (temporary files left by
    killed runs, removed from the folders written). ``settings`` are the settings it runs with, and
    :meth:`fails` says whether a report fails the run under them (the ``unsealed`` policy)."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.settings = options.settings()
        self.new_tags = bytearray()
        self.cleaned: list[str] = []
        self._reports = self._generate()

    def __iter__(self) -> Iterator[Report]:
        return self._reports

    def __next__(self) -> Report:
        return next(self._reports)

    def fails(self, report: Report) -> bool:
        """Whether this report makes the run exit 1 (under the run's ``unsealed`` policy)."""
        return fails(report, self.settings.unsealed)

    def _cache(self) -> VerificationCache | None:
        folder = self.settings.cache
        if folder is None:
            return None
        from .cache import VerificationCache  # only with a cache (HKDF, hmac)

        return VerificationCache(folder, self.options.keyring, _cache_settings(self.options, self.settings))

    def save_cache(self) -> None:
        """Store the verification-cache entries this run earned (call it after the last report)."""
        cache = self._cache() if self.new_tags else None
        if cache is not None:
            cache.save(self.new_tags)

    def _generate(self) -> Iterator[Report]:
        options, settings = self.options, self.settings
        config = options.config
        if STDIN in options.paths and (len(options.paths) > 1 or options.command != "verify" or options.changed):
            raise UsageError(
                f"{options.command} does not read standard input ('-'); give files or folders"
                if options.command == "rotate"
                else "'-' (standard input) is one article on its own; it cannot be mixed with other paths or --changed",
                hint="securedoc verify - < a.md, securedoc open - < a.md, securedoc seal - < a.md > sealed.md",
            )
        cache = self._cache()
        roots = tuple(
            os.path.realpath(p if os.path.isdir(p) else os.path.dirname(os.path.abspath(p))) for p in options.paths
        )
        bind_root = str(copies.project_root(config.root)) if settings.bind_path else None
        task = Task(
            command=options.command,
            keyring=options.keyring,
            limits=config.limits,
            retired=settings.retired,
            binding=config.binding,
            hide=settings.hide,
            key=options.key,
            force=options.force,
            dry_run=options.dry_run,
            legacy=options.legacy,
            encrypt_key=options.encrypt_key,
            roots=roots,
            follow_symlinks=options.follow_symlinks,
            cache=cache.view if cache is not None else None,
            debug=options.debug,
            fast=None if options.full and options.command == "verify" else settings_for(config.limits),
            policy=settings.policy,
            bind_root=bind_root,
        )
        if tuple(options.paths) == (STDIN,):
            items: Iterable[batch.Item] = [batch.Item(STDIN)]  # read in this process, once
        elif options.changed is not None:
            items = options.changed_items()
        else:
            items = options.walk()
        if options.command != "verify" and not options.dry_run:
            items = _cleaning(items, self.cleaned)
        jobs = 1 if tuple(options.paths) == (STDIN,) else settings.jobs
        if not jobs:
            # A small run is done before worker processes would have started: peek before choosing.
            iterator = iter(items)
            head = list(islice(iterator, batch.SMALL_RUN))
            jobs = 1 if len(head) < batch.SMALL_RUN else batch.default_jobs()
            items = chain(head, iterator)
        if options.command == "rotate":
            items = list(items)
            shared = copies.shared_seals((i.path for i in items if i.error is None), config.limits)
            if shared:
                items = [
                    _not_rotated(item, shared[os.path.normpath(item.path)])
                    if item.error is None and os.path.normpath(item.path) in shared
                    else item
                    for item in items
                ]
        tracker = copies.Tracker() if options.command == "verify" and tuple(options.paths) != (STDIN,) else None
        if tracker is not None and options.changed is not None:
            items = list(items)
            if items:  # the unchanged files' seals: a new copy of one of them is caught too
                changed = {os.path.abspath(item.path) for item in items}
                copies.seed(tracker, (i.path for i in options.walk() if i.error is None), changed, config.limits)
        sealed: dict[str, str] = {}  # seal runs: each seal's fingerprint -> the first file that carries it
        for result in batch.map_ordered(task, items, jobs=jobs):
            for tag in result.tags:
                self.new_tags += tag
            if tracker is not None:
                yield from tracker.add(result.report, result.seal, result.file)
            elif options.command == "seal" and result.seal is not None:
                yield copies.fresh_copy(task, result, sealed)
            else:
                yield result.report


def run(options: RunOptions) -> Run:
    """Run verify / seal / rotate over files and folders: iterate the result for one Report per file,
    in order. Settings not given in ``options`` come from ``options.config`` (see
    :func:`securedoc.settings.resolve`), as on the command line.

    Temporary files left by killed runs are removed from every folder about to be written
    (``Run.cleaned``). New verification-cache entries are collected in ``Run.new_tags``; call
    :meth:`Run.save_cache` after the last report.
    """
    return Run(options)


def _not_rotated(item: batch.Item, others: list[str]) -> batch.Item:
    """rotate: a file whose seal another file carries too is refused, not given a seal of its own."""
    return batch.Item(
        item.path,
        RefusedError(
            f"carries the same seal as {', '.join(others)}: one of them is a copy; not rotated",
            path=item.path,
            hint="remove the copy, or seal it as an article of its own (`securedoc seal` gives it a fresh "
            "seal), then rotate",
        ),
    )


def _cleaning(items: Iterable[batch.Item], cleaned: list[str]) -> Iterator[batch.Item]:
    """Pass items through, removing stale temporary files from each folder before its first file."""
    folders: set[str] = set()
    for item in items:
        if item.error is None:
            folder = os.path.dirname(item.path)
            if folder not in folders:
                folders.add(folder)
                cleaned.extend(cleanup_temp_files(os.path.dirname(os.path.realpath(item.path))))
        yield item


def count_files(options: RunOptions) -> int:
    """How many files a run will visit (for a progress bar): a second, cheap walk."""
    if tuple(options.paths) == (STDIN,):
        return 1
    if options.changed is not None:
        return len(options.changed_items())
    return sum(1 for _ in options.walk())

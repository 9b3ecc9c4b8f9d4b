"""What the command line does around a run, without Click: ``verify``'s setup and the report loop.

Both front doors use it: :mod:`securedoc.cli` (every command, every option) and
:mod:`securedoc.entry` (the narrow path that answers a plain ``securedoc verify FILE...`` without
importing Click). So the two cannot drift apart: :func:`verify_setup` decides which configuration
and keys may be trusted (:func:`securedoc.trust.resolve`), loads the keyring and describes the run
(:class:`securedoc.api.RunOptions`; its settings are merged by :func:`securedoc.settings.resolve`
when it runs), and :func:`render_run` streams a run's reports through a renderer and a progress
line and returns the summary. Importing this module must stay cheap: no Click here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from . import api
from .config import env_flag
from .keys import Keyring
from .models import fails
from .progress import Progress, progress_wanted
from .render import Summary, make_renderer
from .trust import Resolved, resolve

__all__ = ["VerifySetup", "verify_setup", "trusted_keyring", "render_run"]

DEBUG_ENV = "SECUREDOC_DEBUG"


@dataclass(frozen=True)
class VerifySetup:
    """A verify run, ready: what may be trusted, the keyring's warnings (for the caller to print,
    in order, before the run), and the run's options."""

    trusted: Resolved
    warnings: tuple[str, ...]
    options: api.RunOptions

    @property
    def keyring(self) -> Keyring:
        return self.options.keyring


def trusted_keyring(
    trusted: Resolved,
    *,
    key_files: tuple[Path, ...] = (),
    keys_dir: Path | None = None,
    key_env: str | None = None,
    key_command: str | None = None,
    primary: str | None = None,
    need_primary: bool = True,
) -> tuple[Keyring, list[str]]:
    """The keyring a command may use, under what :func:`securedoc.trust.resolve` decided may be
    trusted (the checkout's keys or not, the keys of a trusted revision), and its warnings."""
    return api.load_keyring(
        trusted.config,
        key_files=key_files,
        keys_dir=keys_dir,
        key_env=key_env,
        primary=primary,
        checkout_keys=trusted.checkout_keys,
        trusted_keys=trusted.keys,
        trusted_from=trusted.rev,
        need_primary=need_primary,
        key_command=key_command,
    )


def verify_setup(
    paths: Sequence[str],
    *,
    key_files: tuple[Path, ...] = (),
    keys_dir: Path | None = None,
    key_env: str | None = None,
    key_command: str | None = None,
    config_file: Path | None = None,
    trust: str | None = None,
    unsealed: str | None = None,
    legacy: str | None = None,
    unbound: str | None = None,
    bind_path: bool | None = None,
    exclude: tuple[str, ...] = (),
    exclude_field: tuple[str, ...] = (),
    include_field: tuple[str, ...] = (),
    retired: str | None = None,
    changed: str | None = None,
    no_cache: bool = False,
    full: bool = False,
    jobs: int | None = None,
    cache: Path | None = None,
    follow_symlinks: bool = False,
) -> VerifySetup:
    """``securedoc verify``'s setup, option for option (None or empty: not given on the command line)."""
    given: dict[str, Any] = {
        "unsealed": unsealed,
        "legacy": legacy,
        "unbound": unbound,
        "bind_path": bind_path,
        "exclude": exclude or None,
        "exclude_field": exclude_field or None,
        "include_field": include_field or None,
    }
    trusted = resolve(
        config_file=config_file,
        key_files=key_files,
        key_env=key_env,
        trust=trust,
        given=given,
        check=True,
        key_command=key_command,
    )
    ring, warnings = trusted_keyring(
        trusted, key_files=key_files, keys_dir=keys_dir, key_env=key_env, key_command=key_command, need_primary=False
    )
    options = api.RunOptions(
        command="verify",
        paths=tuple(paths),
        keyring=ring,
        config=trusted.config,
        jobs=jobs,
        retired=retired,  # type: ignore[arg-type]
        unsealed=unsealed,  # type: ignore[arg-type]
        legacy_policy=legacy,  # type: ignore[arg-type]
        unbound=unbound,  # type: ignore[arg-type]
        cache=cache,
        no_cache=no_cache,
        follow_symlinks=follow_symlinks,
        changed=changed,
        debug=env_flag(DEBUG_ENV),
        full=full,
        bind_path=bind_path,
    )
    return VerifySetup(trusted, tuple(warnings), options)


_LABELS = {"verify": "verifying", "seal": "sealing", "rotate": "rotating"}


def render_run(
    options: api.RunOptions,
    batch_run: api.Run,
    fmt: str,
    out: IO[str],
    err: IO[str],
    *,
    quiet: bool = False,
    verbose: bool = False,
    progress_flag: bool | None = None,
    notices: Sequence[tuple[str, str]] = (),
) -> Summary:
    """Stream a run's reports through the ``fmt`` renderer (notices first: path, message) with a
    progress line on ``err`` when wanted, finish the renderer and return the summary. ``quiet``
    with text: only the reports that fail the run."""
    unsealed = batch_run.settings.unsealed
    renderer = make_renderer(fmt, out, unsealed=unsealed, verbose=verbose)
    for path, message in notices:
        renderer.notice(path, message)
    summary = Summary(options.command, unsealed=unsealed)
    show = progress_wanted(err, quiet, progress_flag)
    total = api.count_files(options) if show else None
    progress = Progress(err, _LABELS[options.command], total, show)
    try:
        for report in batch_run:
            progress.advance()
            summary.add(report)
            if show:
                progress.close()
            if quiet and fmt == "text" and not fails(report, unsealed):
                continue  # -q: only what fails the run
            renderer.report(report)
    finally:
        progress.close()
        summary.elapsed = progress.elapsed
    renderer.finish(summary)
    return summary

"""The `securedoc` command line: parse arguments, call the API, render reports. No logic.

Exit codes: 0 everything is fine; 1 some file is not (mismatch, unsealed under the ``error``
policy, error, refused); 2 the command itself cannot run (usage, configuration, keys).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml
from click.shell_completion import CompletionItem

from . import __version__, api, escape, streams
from .batch import DEFAULT_EXTENSIONS
from .canonical import to_python
from .config import Config, env_flag, find_config, load_config
from .document import parse_fragment
from .errors import KeyringError, SecuredocError, UsageError
from .fileio import STDIN
from .keycommand import KEY_COMMAND_ENV
from .keys import (
    DEFAULT_KEY_ENV,
    Keyring,
    generate_key,
    generate_signing_key,
    jwk_thumbprint,
    key_from_raw,
    load_key_dir,
    public_jwk,
    valid_kid_for_file,
    write_key_file,
    write_public_key_file,
)
from .models import fails
from .payload import LegacyPayload, Payload, encode_hidden
from .render import FORMATS, Summary, make_renderer
from .runner import render_run, trusted_keyring, verify_setup
from .sealing import require_hidden
from .trust import Resolved, resolve

F = TypeVar("F", bound=Callable[..., Any])

_DEBUG_ENV = "SECUREDOC_DEBUG"


def _echo(text: str, *, err: bool = False) -> None:
    """Print text that may quote file names, key ids or values: escaped, line by line (securedoc.escape)."""
    click.echo("\n".join(escape.terminal(line) for line in text.split("\n")), err=err)


def _stderr(message: str) -> None:
    _echo(message, err=True)


def _warn(message: str) -> None:
    _stderr(f"securedoc: warning: {message}")


_ARGV = "securedoc.argv"


def _given(ctx: click.Context, *names: str) -> list[str]:
    """Values of an option as written on the command line (before any ``--``), read before parsing."""
    args: list[str] = ctx.meta.get(_ARGV, [])
    found = []
    for i, arg in enumerate(args):
        if arg == "--":
            break
        for name in names:
            if arg == name and i + 1 < len(args):
                found.append(args[i + 1])
            elif name.startswith("--") and arg.startswith(name + "="):
                found.append(arg[len(name) + 1 :])
            elif not name.startswith("--") and arg.startswith(name) and len(arg) > len(name):
                found.append(arg[len(name) :])
    return found


def _flag_given(ctx: click.Context, *names: str) -> bool:
    args: list[str] = ctx.meta.get(_ARGV, [])
    return any(arg in names for arg in args[: args.index("--") if "--" in args else len(args)])


def _annotate(ctx: click.Context, message: str) -> None:
    """With --format github, an error that stops the run is an ::error annotation too (on stdout)."""
    if "github" not in _given(ctx, "--format"):
        return
    click.echo(f"::error title=securedoc::{escape.github_data(message)}")


class _Group(click.Group):
    """Turns securedoc errors into a clear message and an exit code: never a traceback."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta.setdefault(_ARGV, list(args))
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SecuredocError as exc:
            _stderr(f"securedoc: error: {exc.diagnostics()}")
            _annotate(ctx, exc.diagnostics())
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            _stderr("securedoc: interrupted; files already written are complete, the others untouched")
            ctx.exit(130)
        except click.ClickException as exc:
            _annotate(ctx, exc.format_message())
            raise
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(1)
        except Exception as exc:
            if env_flag(_DEBUG_ENV):
                import traceback

                _stderr("".join(traceback.format_exception(exc)))
            message = (
                f"securedoc: internal error ({type(exc).__name__}); nothing more was written. "
                f"Please report this bug; set {_DEBUG_ENV}=1 to see the details."
            )
            _stderr(message)
            _annotate(ctx, message)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="securedoc")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Seal, open and verify the `secured` field of Markdown articles.

    \b
    securedoc keys new newsroom-2026     make a key (keys/newsroom-2026.jwk, mode 0600)
    securedoc seal content/               seal every article (unchanged ones are left alone)
    securedoc open content/article.md     show what was sealed
    securedoc verify content/             check every article; exit 1 if any does not match
    securedoc rotate content/ --to KID    re-seal everything sealed with older keys

    Keys come from ./keys (or --keys DIR, --key FILE) and from $SECUREDOC_KEY.
    Exit codes: 0 all good, 1 some file not ok, 2 usage or configuration error.
    """
    if (
        ctx.invoked_subcommand in _PARSING_COMMANDS
        and not getattr(yaml, "__with_libyaml__", False)
        and not _flag_given(ctx, "-q", "--quiet")
    ):
        _warn(
            "PyYAML is running without its C extension (libyaml): reading articles is 3-4x slower. "
            "Install a PyYAML wheel built with libyaml (pip install --force-reinstall pyyaml) "
            "or build it against libyaml (apt install libyaml-dev first)."
        )


_PARSING_COMMANDS = ("seal", "verify", "rotate", "open", "edit")


# -- shared options ------------------------------------------------------------------------------


_KEY_COMMAND = "securedoc.key_command"


def _remember_key_command(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta[_KEY_COMMAND] = value


def _key_command() -> str | None:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(_KEY_COMMAND) if ctx is not None else None


def key_options(f: F) -> F:
    f = click.option(
        "--key-command",
        metavar="CMD",
        expose_value=False,
        callback=_remember_key_command,
        help=f"Run CMD and read the JWK or JWK Set it prints (a password manager, a KMS client); "
        f"or set ${KEY_COMMAND_ENV}. Never read from a configuration file.",
    )(f)
    f = click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Configuration file (default: securedoc.yaml or pyproject.toml, found upwards).",
    )(f)
    f = click.option(
        "--key-env", metavar="NAME", help=f"Environment variable holding a JWK or JWK Set (default {DEFAULT_KEY_ENV})."
    )(f)
    f = click.option(
        "--keys",
        "keys_dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Folder of *.jwk key files (default ./keys).",
    )(f)
    f = click.option(
        "--key",
        "key_files",
        multiple=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="A JWK or JWK Set file (repeatable); replaces the keys folder.",
    )(f)
    return f


def _to_meta(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Options every batch command shares, kept out of the commands' signatures (see _coverage)."""
    ctx.meta[f"securedoc.{param.name}"] = value
    return value


def _coverage(options: api.RunOptions) -> api.RunOptions:
    """The batch run with the walk options (--extensions, --follow-submodules) applied."""
    meta = click.get_current_context().meta
    extensions = meta.get("securedoc.extensions")
    if extensions:
        options = dataclasses.replace(
            options, extensions=tuple(ext for item in extensions for ext in item.split(",") if ext.strip())
        )
    return dataclasses.replace(options, follow_submodules=bool(meta.get("securedoc.follow_submodules")))


def batch_options(formats: tuple[str, ...] = FORMATS, *, cache: bool = True) -> Callable[[F], F]:
    def decorate(f: F) -> F:
        f = click.option(
            "--follow-submodules",
            is_flag=True,
            expose_value=False,
            callback=_to_meta,
            help="Check the articles inside git submodules and nested repositories (otherwise such a "
            "folder under the paths fails the run).",
        )(f)
        f = click.option(
            "--extensions",
            metavar="LIST",
            multiple=True,
            expose_value=False,
            callback=_to_meta,
            help="File extensions to check, comma-separated, replacing the default set "
            f"({','.join(DEFAULT_EXTENSIONS)}) and securedoc.yaml's `extensions`.",
        )(f)
        f = click.option(
            "--follow-symlinks",
            is_flag=True,
            help="Follow links to folders, and write through links that lead outside the paths given.",
        )(f)
        f = click.option(
            "--progress/--no-progress",
            default=None,
            help="Progress on stderr (default: only on a terminal, never in CI).",
        )(f)
        f = click.option("-v", "--verbose", is_flag=True, help="Also list files that are fine.")(f)
        f = click.option("-q", "--quiet", is_flag=True, help="No summary, no progress.")(f)
        if cache:
            f = click.option(
                "--cache",
                "cache_dir",
                type=click.Path(file_okay=False, path_type=Path),
                help="Verification cache folder: skip files whose exact bytes already passed.",
            )(f)
        f = click.option(
            "-j",
            "--jobs",
            type=click.IntRange(min=1),
            help="Worker processes (default: the idle cores, 1 for fewer than 64 files).",
        )(f)
        f = click.option(
            "--format", "fmt", type=click.Choice(formats), default="text", show_default=True, help="Output format."
        )(f)
        return f

    return decorate


def _config(config_file: Path | None) -> Config:
    return load_config(config_file) if config_file else find_config()


def _resolve(config_file: Path | None, key_files: tuple[Path, ...], key_env: str | None) -> Resolved:
    """Settings and key sources for commands that do not decide verdicts (seal, open, keys list)."""
    return resolve(config_file=config_file, key_files=key_files, key_env=key_env, key_command=_key_command())


def _keyring(
    trusted: Resolved,
    key_files: tuple[Path, ...],
    keys_dir: Path | None,
    key_env: str | None,
    primary: str | None = None,
    *,
    need_primary: bool = True,
) -> Keyring:
    ring, warnings = trusted_keyring(
        trusted,
        key_files=key_files,
        keys_dir=keys_dir,
        key_env=key_env,
        key_command=_key_command(),
        primary=primary,
        need_primary=need_primary,
    )
    for warning in warnings:
        _warn(warning)
    return ring


def complete_kid(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Shell completion for --primary / --to: the ids of the keys found (files only, no key command)."""
    try:
        config = _config(ctx.params.get("config_file"))
        keys_dir = ctx.params.get("keys_dir")
        key_files = ctx.params.get("key_files") or ()
        ring, _ = api.load_keyring(
            config, key_files=key_files, keys_dir=keys_dir, key_env=ctx.params.get("key_env"), key_command=""
        )
    except (SecuredocError, OSError):
        return []
    return [
        CompletionItem(info.kid, help=f"{info.alg}, {info.role}")
        for info in ring.describe()
        if info.kid.startswith(incomplete) and not info.scheme == "legacy"
    ]


def _ci() -> bool:
    return env_flag("CI")


def _demo_in_ci(ring: Keyring) -> None:
    demo = [k.kid for k in ring if k.demo]
    if demo and _ci():
        _warn(
            f"the keyring holds the public demo key '{demo[0]}': in CI, an article sealed with it is an error. "
            f"Give CI your real key through ${DEFAULT_KEY_ENV} (a secret)."
        )


def _execute(
    options: api.RunOptions,
    fmt: str,
    quiet: bool,
    verbose: bool,
    progress_flag: bool | None,
    trusted: Resolved | None = None,
) -> int:
    """Run a batch, stream the reports through a renderer, print the summary, return the exit code."""
    options = _coverage(options)
    batch_run = api.run(options)
    summary = render_run(
        options,
        batch_run,
        fmt,
        sys.stdout,
        sys.stderr,
        quiet=quiet,
        verbose=verbose,
        progress_flag=progress_flag,
        notices=[(d.path, d.message) for d in trusted.differences] if trusted is not None else (),
    )
    batch_run.save_cache()
    if batch_run.cleaned and not quiet:
        _stderr(f"securedoc: removed {len(batch_run.cleaned)} temporary file(s) left by an interrupted run")
    if not quiet and fmt != "github":
        _stderr(summary.line())
    if summary.files == 0 and not quiet:
        if options.changed is not None:
            _stderr(
                "securedoc: nothing to check: git reports no changed articles under the paths given "
                f"since {options.changed}"
            )
        else:
            kinds = ", ".join(f"*.{ext}" for ext in options.markdown_extensions())
            _warn(f"no Markdown files ({kinds}) found in the paths given")
    return 1 if summary.failed else 0


_unsealed_option = click.option(
    "--unsealed",
    type=click.Choice(["error", "warn", "ignore"]),
    help="Whether an article without a seal fails the run: error (default, or from securedoc.yaml), warn, or ignore.",
)


_output_option = click.option(
    "--output",
    "-o",
    metavar="FILE",
    help="Write the result to FILE ('-': standard output) and leave the article as it is (one article).",
)


def _one_report(report: Any, fmt: str, quiet: bool, verbose: bool, unsealed: str, *, to_stderr: bool) -> int:
    """Render the report of a piped or --output run (on stderr when stdout carries the article)."""
    failed = fails(report, unsealed)  # type: ignore[arg-type]
    stream = sys.stderr if to_stderr else sys.stdout
    if quiet and not failed:
        return 0
    renderer = make_renderer(fmt, stream, unsealed=unsealed, verbose=verbose)  # type: ignore[arg-type]
    summary = Summary("seal", unsealed=unsealed)  # type: ignore[arg-type]
    summary.add(report)
    renderer.report(report)
    renderer.finish(summary)
    return 1 if failed else 0


def _bind_path_option(f: F) -> F:
    return click.option(
        "--bind-path/--no-bind-path",
        "bind_path",
        default=None,
        help="Each seal names its article's path relative to the project root, so a moved or copied "
        "article fails until sealed again (like `bind_path:`; default off).",
    )(f)


def policy_options(f: F) -> F:
    """The options that say on the command line what a checkout setting may not say in CI."""
    f = click.option(
        "--include-field",
        "include_field",
        multiple=True,
        metavar="NAME",
        help="Only these visible fields need to be bound by a seal (repeatable; like fields.include).",
    )(f)
    f = click.option(
        "--exclude-field",
        "exclude_field",
        multiple=True,
        metavar="NAME",
        help="A visible field that need not be bound by a seal (repeatable; like fields.exclude).",
    )(f)
    f = click.option(
        "--exclude",
        "exclude",
        multiple=True,
        metavar="GLOB",
        help="Paths never visited (repeatable; relative to the project root; like `exclude:`).",
    )(f)
    f = click.option(
        "--unbound",
        type=click.Choice(["error", "warn", "ignore"]),
        help="A visible top-level field the seal does not bind: error (default), warn, or ignore.",
    )(f)
    f = _bind_path_option(f)
    f = click.option(
        "--legacy",
        "legacy_policy",
        type=click.Choice(["accept", "warn", "refuse"]),
        help="Legacy AES-CBC seals (unauthenticated): accept, warn (default), or refuse (the default under CI).",
    )(f)
    return f


def _overrides(**options: Any) -> dict[str, Any]:
    """Command-line values that override settings; an option not given is None."""
    return {name: (value if value not in ((), None) else None) for name, value in options.items()}


# -- seal / verify / rotate ----------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@key_options
@click.option(
    "--hide",
    multiple=True,
    metavar="FIELD",
    help="Move FIELD out of the visible front matter into the seal (repeatable).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Seal again even when the seal is already current, and replace a seal that cannot be opened "
    "(wrong key, unknown key, legacy without its key, tampered), losing whatever it holds.",
)
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
@click.option(
    "--legacy",
    is_flag=True,
    help="Write the unauthenticated legacy AES-CBC form (for readers that need it) with a legacy key.",
)
@click.option(
    "--primary",
    metavar="KID",
    shell_complete=complete_kid,
    help="The key to seal with (default: from securedoc.yaml, or the only one).",
)
@_output_option
@click.option(
    "--encrypt-key",
    metavar="KID",
    help="Signed seals: the A256GCM key that encrypts hidden fields (default: keys.encrypt, or the only one).",
)
@_bind_path_option
@batch_options()
@click.pass_context
def seal(
    ctx: click.Context,
    paths: tuple[str, ...],
    key_files: tuple[Path, ...],
    keys_dir: Path | None,
    key_env: str | None,
    config_file: Path | None,
    hide: tuple[str, ...],
    force: bool,
    dry_run: bool,
    legacy: bool,
    primary: str | None,
    output: str | None,
    encrypt_key: str | None,
    bind_path: bool | None,
    fmt: str,
    jobs: int | None,
    cache_dir: Path | None,
    quiet: bool,
    verbose: bool,
    progress: bool | None,
    follow_symlinks: bool,
) -> None:
    """Seal articles: encrypt (or, with a signing key, sign) a payload of their fields into
    `secured`, changing nothing else.

    PATHS are files and folders (searched recursively for Markdown files). An article whose
    seal is already current is left untouched (same bytes, same time stamp) unless --force. A seal
    that cannot be opened is never replaced without --force: it may hold hidden fields.
    `seal -` seals standard input to standard output; --output FILE writes a sealed copy.
    """
    if not paths:
        raise UsageError("give the articles or folders to seal, e.g. `securedoc seal content/`")
    trusted = _resolve(config_file, key_files, key_env)
    config = trusted.config
    ring = _keyring(trusted, key_files, keys_dir, key_env, primary)
    key = ring.primary(legacy=legacy)
    if key.demo and not quiet:
        _warn(
            f"sealing with the public demo key '{key.kid}': anyone can forge these seals. "
            "Make your own key with `securedoc keys new KID`."
        )
    if legacy and not quiet:
        _warn("--legacy writes unauthenticated AES-CBC seals: they cannot prove an article was not changed")
    options = api.RunOptions(
        command="seal",
        paths=paths,
        keyring=ring,
        config=config,
        jobs=jobs,
        key=key,
        hide=hide,
        force=force,
        dry_run=dry_run,
        legacy=legacy,
        encrypt_key=encrypt_key,
        cache=cache_dir,
        follow_symlinks=follow_symlinks,
        debug=env_flag(_DEBUG_ENV),
        bind_path=bind_path,
    )
    settings = options.settings()
    binds = settings.bind_path
    all_hidden = settings.hide
    if key.signing and (all_hidden or encrypt_key):
        ring.hidden_key(encrypt_key)  # a signed seal encrypts hidden fields: know with which key, or stop now
    if output is not None or paths == (STDIN,):
        if binds:
            raise UsageError(
                "bind_path is on: a seal names the path of the file it is in, so seal articles in place "
                "(not through '-' or --output)",
                hint="seal the file where it stands (`securedoc seal PATH`), or pass --no-bind-path",
            )
        path = streams.single_path(paths, "seal")
        report = streams.seal_copy(
            path,
            output if output is not None else STDIN,
            ring,
            binding=config.binding,
            key=key,
            hide=all_hidden,
            force=force,
            legacy=legacy,
            dry_run=dry_run,
            limits=config.limits,
            encrypt_key=encrypt_key,
        )
        ctx.exit(_one_report(report, fmt, quiet, verbose, settings.unsealed, to_stderr=output in (None, STDIN)))
    ctx.exit(_execute(options, fmt, quiet, verbose, progress))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@key_options
@click.option(
    "--trust",
    "trust_rev",
    metavar="REV",
    help="Read the configuration and the keys folder from git revision REV (e.g. the pull request's base), "
    "never from the working tree; differences are reported.",
)
@_unsealed_option
@policy_options
@click.option(
    "--retired",
    type=click.Choice(["warn", "error"]),
    help="A seal made with a retired key: a warning (default) or an error.",
)
@click.option(
    "--changed",
    metavar="REV",
    is_flag=False,
    flag_value="HEAD",
    default=None,
    help="Only what git reports as changed since REV (default HEAD), untracked files included, "
    "named from the repository's top: links are checked under their own names, a changed submodule fails. "
    "Write --changed=REV, or put --changed after the paths.",
)
@click.option("--no-cache", is_flag=True, help="Ignore the cache configured in securedoc.yaml.")
@click.option(
    "--full",
    is_flag=True,
    help="Parse and compare every article, also those whose bytes are exactly as sealed (no byte fast path).",
)
@batch_options()
@click.pass_context
def verify(
    ctx: click.Context,
    paths: tuple[str, ...],
    key_files: tuple[Path, ...],
    keys_dir: Path | None,
    key_env: str | None,
    config_file: Path | None,
    trust_rev: str | None,
    unsealed: str | None,
    legacy_policy: str | None,
    unbound: str | None,
    bind_path: bool | None,
    exclude: tuple[str, ...],
    exclude_field: tuple[str, ...],
    include_field: tuple[str, ...],
    retired: str | None,
    changed: str | None,
    no_cache: bool,
    full: bool,
    fmt: str,
    jobs: int | None,
    cache_dir: Path | None,
    quiet: bool,
    verbose: bool,
    progress: bool | None,
    follow_symlinks: bool,
) -> None:
    """Check that sealed articles still match their seals, naming every field that differs.

    PATHS are files and folders, searched recursively for the Markdown extensions Hugo and Jekyll
    render (.md .markdown .mdown .mkdown .mkdn .mkd; hidden names skipped). Anything else under them
    that a site generator could render (a link to a folder, a submodule, a page with another
    extension) fails the run unless excluded. Put `--` before PATHS in scripts and hooks.
    Exit 0 only when every article is ok.
    """
    if not paths:
        if changed is None:
            raise UsageError("give the articles or folders to verify, e.g. `securedoc verify content/`")
        paths = (".",)
    setup = verify_setup(
        paths,
        key_files=key_files,
        keys_dir=keys_dir,
        key_env=key_env,
        key_command=_key_command(),
        config_file=config_file,
        trust=trust_rev,
        unsealed=unsealed,
        legacy=legacy_policy,
        unbound=unbound,
        bind_path=bind_path,
        exclude=exclude,
        exclude_field=exclude_field,
        include_field=include_field,
        retired=retired,
        changed=changed,
        no_cache=no_cache,
        full=full,
        jobs=jobs,
        cache=cache_dir,
        follow_symlinks=follow_symlinks,
    )
    for warning in setup.warnings:
        _warn(warning)
    _demo_in_ci(setup.keyring)
    ctx.exit(_execute(setup.options, fmt, quiet, verbose, progress, setup.trusted))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@key_options
@click.option(
    "--to",
    "to_kid",
    metavar="KID",
    shell_complete=complete_kid,
    help="The key to re-seal with (default: the primary key).",
)
@click.option(
    "--encrypt-key",
    metavar="KID",
    help="Rotating to a signing key: the A256GCM key for hidden fields (default: keys.encrypt, or the only one).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be rotated; write nothing.")
@_unsealed_option
@policy_options
@batch_options(cache=False)  # rotate always verifies in full before re-sealing
@click.pass_context
def rotate(
    ctx: click.Context,
    paths: tuple[str, ...],
    key_files: tuple[Path, ...],
    keys_dir: Path | None,
    key_env: str | None,
    config_file: Path | None,
    to_kid: str | None,
    encrypt_key: str | None,
    dry_run: bool,
    unsealed: str | None,
    legacy_policy: str | None,
    unbound: str | None,
    bind_path: bool | None,
    exclude: tuple[str, ...],
    exclude_field: tuple[str, ...],
    include_field: tuple[str, ...],
    fmt: str,
    jobs: int | None,
    quiet: bool,
    verbose: bool,
    progress: bool | None,
    follow_symlinks: bool,
) -> None:
    """Re-seal with KID every article sealed with another key (legacy seals too).

    KID is an A256GCM key (encrypted seals) or an Ed25519 private key (signed seals); rotation
    works between any of them. Each article is verified first: one that does not verify is left
    untouched and reported, never re-sealed. Interrupted? Run it again: rotated articles are skipped.
    """
    if not paths:
        raise UsageError("give the articles or folders to rotate, e.g. `securedoc rotate content/ --to KID`")
    given = _overrides(
        unsealed=unsealed,
        legacy=legacy_policy,
        unbound=unbound,
        bind_path=bind_path,
        exclude=exclude,
        exclude_field=exclude_field,
        include_field=include_field,
    )
    trusted = resolve(
        config_file=config_file,
        key_files=key_files,
        key_env=key_env,
        given=given,
        check=True,
        key_command=_key_command(),
    )
    config = trusted.config
    ring = _keyring(trusted, key_files, keys_dir, key_env, need_primary=to_kid is None)
    target = ring.require(to_kid) if to_kid else ring.primary()
    if not target.private:
        raise KeyringError(
            f"the key '{target.kid}' is a public key: it verifies seals but cannot make them",
            hint=f"rotating to '{target.kid}' needs its private key (the JWK with \"d\")",
        )
    if target.legacy:
        raise UsageError(f"rotate re-seals with an A256GCM or Ed25519 signing key; '{target.kid}' is a legacy key")
    if encrypt_key:
        ring.hidden_key(encrypt_key)
    options = api.RunOptions(
        command="rotate",
        paths=paths,
        keyring=ring,
        config=config,
        jobs=jobs,
        key=target,
        encrypt_key=encrypt_key,
        dry_run=dry_run,
        follow_symlinks=follow_symlinks,
        debug=env_flag(_DEBUG_ENV),
        unsealed=unsealed,  # type: ignore[arg-type]
        legacy_policy=legacy_policy,  # type: ignore[arg-type]
        unbound=unbound,  # type: ignore[arg-type]
        bind_path=bind_path,
    )
    ctx.exit(_execute(options, fmt, quiet, verbose, progress, trusted))


# -- open ----------------------------------------------------------------------------------------


def _hidden_value(text: str, syntax: str = "yaml") -> Any:
    try:
        document = parse_fragment(text, syntax=syntax)
        return to_python(document.entries[0].value)
    except (SecuredocError, IndexError):
        return text


def _payload_view(opened: Any) -> dict[str, Any]:
    payload = opened.payload
    if isinstance(payload, Payload):
        view: dict[str, Any] = {"version": payload.version}
        if payload.syntax != "yaml":
            view["syntax"] = payload.syntax
        view["fields"] = {k: to_python(v) for k, v in ((key, value) for key, value in payload.fields.values())}
        if payload.hidden:
            view["hidden"] = {name: _hidden_value(h.yaml, payload.syntax) for name, h in payload.hidden.items()}
        if payload.body_sha256:
            view["body_sha256"] = payload.body_sha256
        if payload.path is not None:
            view["path"] = payload.path
        return view
    return {"fields": {k: to_python(v) for k, v in (payload.fields or {}).items()}}


@cli.command(name="open")
@click.argument("path", type=click.Path(path_type=str))
@key_options
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.option("--restore", is_flag=True, help="Put hidden fields back into the visible front matter.")
@_output_option
@click.option(
    "--raw",
    is_flag=True,
    help="Also show a legacy payload that is not a JSON object (as text or hex). Without it, such a "
    "payload gets the same error as a legacy seal that does not decrypt.",
)
def open_(
    path: str,
    key_files: tuple[Path, ...],
    keys_dir: Path | None,
    key_env: str | None,
    config_file: Path | None,
    fmt: str,
    restore: bool,
    output: str | None,
    raw: bool,
) -> None:
    """Show what an article's seal holds (or, with --restore, put its hidden fields back).

    PATH may be '-' (standard input). With --restore, '-' or --output FILE writes the restored
    article to standard output or FILE and leaves the original as it is.
    """
    if output is not None and not restore:
        raise UsageError("--output goes with --restore (it writes the restored article)")
    trusted = _resolve(config_file, key_files, key_env)
    config = trusted.config
    ring = _keyring(trusted, key_files, keys_dir, key_env, need_primary=False)
    if restore and (output is not None or path == STDIN):
        target = output if output is not None else STDIN
        report = streams.restore_copy(path, target, ring, limits=config.limits)
        if target != STDIN:
            _echo(f"{target}: {report.message}")
        else:
            _stderr(f"{path}: {report.message}")
        return
    if restore:
        report = api.restore_file(path, ring, limits=config.limits)
        _echo(f"{path}: {report.message}")
        for note in report.notes:
            _echo(f"  note: {note}")
        return
    opened = require_hidden(api.open_file(path, ring, limits=config.limits, raw=raw))
    payload = opened.payload
    form = {
        "jwe": "JWE (A256GCM)",
        "jws": "JWS (Ed25519), signed",
    }.get(opened.form, f"legacy AES-CBC ({opened.key.alg}), unauthenticated")
    if fmt == "json":
        obj: dict[str, Any] = {
            "path": escape.unicode_clean(path),
            "kid": opened.key.kid,
            "alg": opened.key.alg,
            "form": opened.form,
        }
        if isinstance(payload, Payload):
            obj["payload"] = json.loads(opened.plaintext)
            if payload.sealed_hidden is not None:  # signed seal: show the hidden fields decrypted
                obj["payload"]["hidden"] = json.loads(encode_hidden(payload.hidden))
        elif payload.fields is not None:
            obj["payload"] = json.loads(payload.plaintext)
        elif payload.text is not None:
            obj["text"] = payload.text
        else:
            obj["hex"] = payload.plaintext.hex()
        click.echo(json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=True))
        return
    _echo(f"# {path}: sealed with key '{opened.key.kid}', {form}")
    if isinstance(payload, LegacyPayload) and payload.fields is None:
        if payload.text is not None:
            click.echo("# the legacy payload is not JSON; as text:")
            _echo(payload.text)
        else:
            click.echo("# the legacy payload is not text; as hex:")
            click.echo(payload.plaintext.hex())
        return
    _echo(yaml.safe_dump(_payload_view(opened), sort_keys=False, allow_unicode=True, width=100).rstrip("\n"))


# -- keys ----------------------------------------------------------------------------------------


@cli.group(cls=_Group)
def keys() -> None:
    """Create, import and list keys (JSON Web Keys)."""


def _git_ignored_warning(path: Path) -> None:
    import subprocess

    try:
        inside = subprocess.run(
            ["git", "-C", str(path.parent), "rev-parse", "--is-inside-work-tree"],
            capture_output=True,
            text=True,
            check=False,
        )
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return
        ignored = subprocess.run(
            ["git", "-C", str(path.parent), "check-ignore", "-q", path.name], capture_output=True, check=False
        )
    except OSError:
        return
    if ignored.returncode == 1:
        _warn(
            f"{path} is inside a git repository and not ignored: add `{path.parent.name}/*.jwk` to "
            ".gitignore so that the key is never committed"
        )


def _created(path: Path, key: Any) -> None:
    click.echo(f"created {path} ({key.alg}, {key.bits}-bit, mode 0600)")
    _git_ignored_warning(path)
    if key.signing:
        _stderr(
            f"its public half verifies without the power to seal: `securedoc keys public {key.kid} "
            f"--out keys/public/{key.kid}.jwk` (safe to commit, or to store as a non-secret CI variable)"
        )
    if key.legacy:
        return
    try:
        others = [k for k in load_key_dir(path.parent)[0] if not k.legacy and k.private and k.kid != key.kid]
    except SecuredocError:
        others = []
    if others:
        _stderr(
            f"to seal with it: set `primary: {key.kid}` under `keys:` in securedoc.yaml, or pass --primary {key.kid} "
            f"(other keys that could seal: {', '.join(sorted(k.kid for k in others))})"
        )


_dir_option = click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write KID.jwk (default: keys.dir from securedoc.yaml, else ./keys).",
)


def _key_folder(folder: Path | None) -> Path:
    if folder is not None:
        return folder
    configured = find_config().keys_dir
    if configured is None:
        return Path("keys")
    shown = os.path.relpath(configured)
    return Path(shown) if not shown.startswith("..") else configured


def _check_kid(kid: str) -> None:
    if not valid_kid_for_file(kid):
        raise UsageError(
            f"'{kid}' cannot be a key id here",
            hint="use letters, digits, '.', '_' and '-' (up to 64), starting with a letter or digit",
        )


@keys.command(name="new")
@click.argument("kid")
@_dir_option
@click.option("--legacy-cbc", is_flag=True, help="A key for the legacy AES-CBC form (unauthenticated).")
@click.option(
    "--sign",
    is_flag=True,
    help="An Ed25519 signing key (signed seals, verified with its public half: see `keys public`).",
)
@click.option(
    "--bits",
    type=click.Choice(["128", "192", "256"]),
    default="256",
    show_default=True,
    help="Key size (only legacy keys may be smaller than 256).",
)
def keys_new(kid: str, folder: Path | None, legacy_cbc: bool, sign: bool, bits: str) -> None:
    """Make a new random key: DIR/KID.jwk, mode 0600. Never overwrites.

    By default an AES-256-GCM key (encrypted seals); --sign makes an Ed25519 private key (signed
    seals, RFC 8037 JWK), --legacy-cbc an AES-CBC key for the legacy form.
    """
    _check_kid(kid)
    if sign and (legacy_cbc or bits != "256"):
        raise UsageError("--sign makes an Ed25519 key: it takes neither --legacy-cbc nor --bits")
    key = generate_signing_key(kid) if sign else generate_key(kid, legacy=legacy_cbc, bits=int(bits))
    _created(write_key_file(key, _key_folder(folder)), key)


def _read_secret(encoding: str) -> bytes:
    stdin = sys.stdin
    if stdin.isatty():
        text = click.prompt(f"key ({encoding}, input hidden)", hide_input=True, err=True)
    else:
        text = stdin.read(1 << 16)
    text = "".join(text.split())
    if not text:
        raise UsageError("no key on standard input", hint="pipe the key in: securedoc keys import KID --hex < key.hex")
    try:
        if encoding == "hex":
            return bytes.fromhex(text)
        padded = text + "=" * (-len(text) % 4)
        altchars = b"-_" if ("-" in text or "_" in text) else None
        return base64.b64decode(padded, altchars=altchars, validate=True)
    except (ValueError, binascii.Error):
        # Never echo the input: it is key material.
        raise UsageError(f"standard input is not a {encoding} key") from None


@keys.command(name="import")
@click.argument("kid")
@_dir_option
@click.option("--legacy-cbc", is_flag=True, help="The key is for the legacy AES-CBC form (16, 24 or 32 bytes).")
@click.option("--hex", "encoding", flag_value="hex", help="Standard input holds the key in hex.")
@click.option(
    "--base64", "encoding", flag_value="base64", help="Standard input holds the key in base64 (or base64url)."
)
def keys_import(kid: str, folder: Path | None, legacy_cbc: bool, encoding: str | None) -> None:
    """Import a raw key from standard input (never an argument, so it stays out of shell history)."""
    _check_kid(kid)
    if encoding is None:
        raise UsageError("say how the key is written: --hex or --base64")
    material = _read_secret(encoding)
    key = key_from_raw(kid, material, legacy=legacy_cbc, source="stdin")
    _created(write_key_file(key, _key_folder(folder)), key)


@keys.command(name="list")
@key_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def keys_list(
    key_files: tuple[Path, ...], keys_dir: Path | None, key_env: str | None, config_file: Path | None, fmt: str
) -> None:
    """List the keyring: id, kind (encrypt, sign, verify only), algorithm, size, role, source and
    RFC 7638 thumbprint. Never key material."""
    trusted = _resolve(config_file, key_files, key_env)
    ring, warnings = api.load_keyring(
        trusted.config,
        key_files=key_files,
        keys_dir=keys_dir,
        key_env=key_env,
        checkout_keys=trusted.checkout_keys,
        key_command=_key_command(),
    )
    infos = ring.describe()
    if fmt == "json":
        for info in infos:
            obj = dict(info.__dict__)
            obj["form"] = obj.pop("scheme")  # the JSON name predates KeyInfo.scheme
            obj["warning"] = next((w for w in warnings if info.source and w.startswith(info.source + ":")), None)
            click.echo(json.dumps(obj, sort_keys=True))
        return
    rows = [("KID", "KIND", "ALG", "BITS", "FORM", "ROLE", "SOURCE", "THUMBPRINT")]
    for info in infos:
        role = info.role + (" (demo)" if info.demo else "")
        kind = "verify only" if info.kind == "verify" else info.kind
        rows.append((info.kid, kind, info.alg, str(info.bits), info.scheme, role, info.source, info.thumbprint))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        _echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    for warning in warnings:
        _warn(warning)
    try:
        ring.primary()
    except KeyringError as exc:
        _stderr(f"note: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""))


@keys.command(name="public")
@click.argument("kid")
@key_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the public key to FILE (never overwritten; e.g. keys/public/KID.jwk) instead of printing it.",
)
def keys_public(
    kid: str,
    key_files: tuple[Path, ...],
    keys_dir: Path | None,
    key_env: str | None,
    config_file: Path | None,
    out: Path | None,
) -> None:
    """Print (or write) the public half of the signing key KID: a JWK without "d", same kid.

    It verifies signed seals and cannot make them: safe to commit (keys/public/ is not ignored,
    unlike keys/*.jwk) or to store as a non-secret CI variable. KID is found as `keys list` finds it.
    """
    config = _config(config_file)
    ring, warnings = api.load_keyring(
        config, key_files=key_files, keys_dir=keys_dir, key_env=key_env, key_command=_key_command()
    )
    for warning in warnings:
        _warn(warning)
    key = ring.get(kid)
    if key is None:
        raise KeyringError(
            f"no key '{kid}' in the keyring", hint="keys present: " + ", ".join(sorted(k.kid for k in ring))
        )
    jwk = public_jwk(key)
    if out is None:
        click.echo(json.dumps(jwk, indent=2))
        return
    write_public_key_file(key, out)
    click.echo(f"wrote {out} (public key of '{kid}', thumbprint {jwk_thumbprint(key)})")


def main() -> None:
    """Console entry point."""
    cli(prog_name="securedoc")


from . import cli_extra  # noqa: E402, F401  (registers edit, git-setup, git-textconv)

if __name__ == "__main__":  # pragma: no cover
    main()

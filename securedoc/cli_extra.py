"""Everyday commands on top of the core ones: ``edit``, ``git-setup`` and the git diff driver.

Registered on the :data:`securedoc.cli.cli` group when :mod:`securedoc.cli` is imported. Like the
rest of the command line, they parse arguments, call the library and print; no logic here.
"""

from __future__ import annotations

from pathlib import Path

import click

from .cli import _echo, _keyring, _resolve, _warn, cli, complete_kid, key_options
from .settings import resolve as resolve_settings

__all__ = ["edit", "git_setup", "git_textconv"]


@cli.command()
@click.argument("path", type=click.Path(path_type=str))
@key_options
@click.option("--force", is_flag=True, help="Edit an article that does not verify (its seal is replaced on save).")
@click.option(
    "--primary",
    metavar="KID",
    shell_complete=complete_kid,
    help="The key to seal with (default: from securedoc.yaml, or the only one).",
)
def edit(
    path: str,
    key_files: tuple[Path, ...],
    keys_dir: Path | None,
    key_env: str | None,
    config_file: Path | None,
    force: bool,
    primary: str | None,
) -> None:
    """Edit an article in $VISUAL / $EDITOR with its hidden fields back, and seal it again on save.

    The article must verify (or pass --force). The editor works on a private copy (mode 0600, in
    a fresh folder of mode 0700) that is removed afterwards, also on errors. The fields that were
    hidden are hidden again; no change, no write.
    """
    trusted = _resolve(config_file, key_files, key_env)
    config = trusted.config
    ring = _keyring(trusted, key_files, keys_dir, key_env, primary)
    key = ring.primary()
    if key.demo:
        _warn(f"sealing with the public demo key '{key.kid}': anyone can forge these seals")
    from .edit import edit_file  # subprocess, tempfile: only for `securedoc edit`

    place = None
    if resolve_settings(config).bind_path:
        from . import copies

        place = copies.place_of(path, str(copies.project_root(config.root)))
    report = edit_file(
        path,
        ring,
        key=key,
        binding=config.binding,
        hide=config.hide,
        force=force,
        limits=config.limits,
        place=place,
    )
    _echo(f"{path}: {report.message}")
    for warning in report.warnings:
        _echo(f"  warning: {warning}")
    for note in report.notes:
        _echo(f"  note: {note}")


@cli.command(name="git-setup")
@click.option(
    "--command",
    "command",
    metavar="CMD",
    help="How git should run securedoc (default: this installation, by its full path).",
)
def git_setup(command: str | None) -> None:
    """Show seals as readable payload fields in `git diff` and `git log -p`.

    Writes `*.md diff=securedoc` (and the other Markdown extensions) to the repository's
    .gitattributes and sets `diff.securedoc.textconv` in its .git/config (never cached: hidden
    values would end up in git's notes). Hidden values show only where a key opens the seal.
    """
    from . import gitdiff  # subprocess: only for the git commands

    for line in gitdiff.setup(command):
        _echo(line)


@cli.command(name="git-textconv", hidden=True)
@click.argument("path", type=click.Path(path_type=str))
def git_textconv(path: str) -> None:
    """The text git diffs for an article: the file with its seal spelled out (see git-setup)."""
    from . import gitdiff

    gitdiff.textconv(path)

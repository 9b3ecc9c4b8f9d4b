"""The `securedoc` console script: a narrow front door that starts fast for the everyday check.

``securedoc verify a.md b.md`` (a few named files, no options) is what an editor hook, a
pre-commit hook or a person at the terminal runs; its time is mostly Python's start-up and imports.
Click and the full command line (:mod:`securedoc.cli`: every command, every option, shell
completion) cost about as much to import as the rest of securedoc together, so this module answers
that one form itself, with the very functions the ``verify`` command calls (:mod:`securedoc.runner`:
its setup -- trust, keyring, run options -- and the report loop with the text renderer and summary;
:func:`securedoc.api.run`) and without importing Click.

It answers only when the answer is certain to be what the full command line prints: it writes
nothing until the run is over, and hands over to :func:`securedoc.cli.main` (which starts again
from the beginning) when anything is out of the ordinary — an option, a folder, ``-``, more than a
few files, a setting that writes (a cache), a warning to print, an error that stops the run, no
libyaml. ``verify`` writes nothing, so starting again is safe. Every other command goes straight
to the full command line. ``tests/test_startup.py`` checks, byte for byte, that both give the same
output and exit code, and which modules the narrow path loads.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import TextIO

__all__ = ["main", "quick", "QUICK_FILES"]

QUICK_FILES = 32  # at most this many named files: fewer than batch.SMALL_RUN, so no worker processes


def main() -> None:
    """Console entry point: the narrow path when it can answer, else the full command line."""
    # Importing creates objects by the ten thousand, and the cyclic garbage collector would walk
    # them again and again while it happens: it waits until the imports are done, and then leaves
    # what they made alone for good (gc.freeze; forked workers then share those pages, too).
    gc.disable()
    try:
        code = quick(sys.argv[1:])
        if code is not None:
            # Everything is written and flushed, nothing is open: leave without tearing down the
            # hundreds of modules one by one (about a tenth of a one-file run).
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        from .cli import main as full
    finally:
        gc.freeze()
        gc.enable()
    full()


def quick(args: list[str]) -> int | None:
    """The exit code of ``securedoc ARGS`` when the narrow path answers it (its output written), else None."""
    if len(args) >= 2 and args[0] == "verify" and len(args) - 1 <= QUICK_FILES:
        paths = args[1:]
        if all(p[:1] not in ("-", "") and os.path.isfile(p) for p in paths):
            return _quick_verify(tuple(paths))
    return None


def _quick_verify(paths: tuple[str, ...]) -> int | None:
    """`securedoc verify PATHS` as the full command line runs it, or None to let it run instead."""
    import io

    import yaml

    if not getattr(yaml, "__with_libyaml__", False):
        return None  # the full command line warns about it
    from . import api
    from .config import env_flag
    from .runner import render_run, verify_setup

    try:
        setup = verify_setup(paths)  # exactly as the verify command sets itself up
        options = setup.options
        ci = env_flag("CI")
        if setup.trusted.differences or options.config.cache is not None:
            return None  # notices to print, a cache to write: not this path's business
        if setup.warnings or (ci and any(k.demo for k in setup.keyring)):
            return None
        batch_run = api.run(options)  # settings resolved as the verify command resolves them
        out = io.StringIO()
        summary = render_run(options, batch_run, "text", out, sys.stderr)
    except KeyboardInterrupt:
        _write(sys.stderr, "securedoc: interrupted; files already written are complete, the others untouched\n")
        return 130
    except Exception:  # an error that stops the run: the full command line reports it
        return None
    if summary.files == 0 or batch_run.new_tags or batch_run.cleaned:
        return None  # a warning to print, or something to save: not this path's business
    from .escape import terminal

    if not _write(sys.stdout, out.getvalue()) or not _write(sys.stderr, terminal(summary.line()) + "\n"):
        return 1
    return 1 if summary.failed else 0


def _write(stream: TextIO, text: str) -> bool:
    """Write and flush; a closed pipe ends quietly (exit 1), as on the full command line."""
    try:
        stream.write(text)
        stream.flush()
        return True
    except BrokenPipeError:
        try:  # nothing more reaches the pipe, not even Python's flush at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
        except (OSError, ValueError):
            pass
        return False

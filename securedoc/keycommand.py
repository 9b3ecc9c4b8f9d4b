"""Keys from a command: ``--key-command CMD`` or ``$SECUREDOC_KEY_COMMAND``.

The command (a password manager, a KMS client, a script) prints one JWK or a JWK Set on its
standard output, as Ansible's executable vault password files print a password. securedoc runs
it without a shell (the command line is split like a POSIX shell would split it; for a pipeline,
write ``sh -c '...'``), reads its output and never shows it: not on success, not on failure, not
in an error message. Its standard error is captured and dropped too, so that nothing it prints
reaches a CI log; run the command yourself to see why it failed.

The command is never read from a configuration file: the author of a pull request controls the
checkout, and a setting there would make CI run any program they like.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping

from .errors import KeyringError, SecuredocError
from .keys import Key, keys_from_jwk_text

__all__ = ["KEY_COMMAND_ENV", "KEY_COMMAND_TIMEOUT", "key_command_from", "run_key_command"]

KEY_COMMAND_ENV = "SECUREDOC_KEY_COMMAND"
KEY_COMMAND_TIMEOUT = 120.0  # seconds: long enough for a person to unlock a password manager
_MAX_OUTPUT = 1 << 20

_HINT = "run the command yourself to see what it says; securedoc never shows its output"


def key_command_from(option: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The command to run: the option if given, else ``$SECUREDOC_KEY_COMMAND`` (empty = unset).

    An empty option means "run none", even when the variable is set (shell completion uses it)."""
    if option is not None:
        return option or None
    env = os.environ if environ is None else environ
    value = env.get(KEY_COMMAND_ENV, "")
    return value if value.strip() else None


def run_key_command(command: str, *, timeout: float = KEY_COMMAND_TIMEOUT) -> list[Key]:
    """Run ``command`` and read the JWK or JWK Set it prints. Any failure is a KeyringError (exit 2)."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise KeyringError(
            f"--key-command: cannot split the command line ({exc})", hint="check the quotes in the command"
        ) from None
    if not argv:
        raise KeyringError("--key-command is empty", hint=f"give a command, or unset ${KEY_COMMAND_ENV}")
    import subprocess  # only with a key command: keeps start-up short

    name = os.path.basename(argv[0])
    source = f"the key command '{name}'"
    try:
        stdin_tty = sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        stdin_tty = False
    try:
        done = subprocess.run(
            argv,
            stdin=None if stdin_tty else subprocess.DEVNULL,  # a prompt may need the terminal; a pipe is ours
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise KeyringError(f"{source} was not found", hint="give the program's full path, or put it on PATH") from None
    except PermissionError:
        raise KeyringError(f"{source} cannot be run (permission denied)", hint="make it executable") from None
    except subprocess.TimeoutExpired:
        raise KeyringError(f"{source} did not finish within {timeout:.0f} s; no keys were read from it") from None
    except OSError as exc:
        raise KeyringError(f"{source} cannot be run: {exc.strerror or type(exc).__name__}") from None
    if done.returncode != 0:
        status = f"killed by signal {-done.returncode}" if done.returncode < 0 else f"exit status {done.returncode}"
        raise KeyringError(f"{source} failed ({status}); no keys were read from it", hint=_HINT)
    output = done.stdout
    if len(output) > _MAX_OUTPUT:
        raise KeyringError(f"{source} printed more than {_MAX_OUTPUT} bytes; a JWK Set is far smaller", hint=_HINT)
    try:
        text = output.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyringError(f"{source} printed something that is not UTF-8 text, not a JWK", hint=_HINT) from None
    if not text.strip():
        raise KeyringError(f"{source} printed nothing; it should print a JWK or a JWK Set", hint=_HINT)
    try:
        return keys_from_jwk_text(text, source)
    except KeyringError:
        raise
    except SecuredocError as exc:  # pragma: no cover - keys_from_jwk_text raises KeyringError
        raise KeyringError(exc.message, hint=exc.hint) from None

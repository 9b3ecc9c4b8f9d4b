"""One exception hierarchy for securedoc.

Every error carries what the person at the terminal needs: the file, the line or field, what is
wrong and what to do about it. ``str(error)`` is a one-line summary; :meth:`SecuredocError.diagnostics`
adds the hint. No message ever contains key material: errors are built from names, sizes and
positions, never from the bytes of a key or of a decrypted payload.
"""

from __future__ import annotations

__all__ = [
    "SecuredocError",
    "UsageError",
    "ConfigError",
    "KeyringError",
    "UnknownKeyError",
    "FileAccessError",
    "DocumentError",
    "MalformedSeal",
    "DecryptionFailed",
    "SignatureInvalid",
    "PayloadError",
    "WriteError",
    "RefusedError",
    "CoverageError",
    "SecuredocWarning",
]


class SecuredocError(Exception):
    """Base class of every error securedoc raises on purpose.

    ``path``, ``line`` (1-based, counted from the first line of the file) and ``field`` locate the
    problem; ``hint`` says what to do. ``exit_code`` is what the command line exits with when this
    error ends a command (batch runs report per-file errors and go on).
    """

    exit_code = 1
    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.field = field
        self.hint = hint

    def located(self, *, path: str | None = None, line: int | None = None) -> SecuredocError:
        """Fill in a location the raiser did not know (the caller knows the file)."""
        if path is not None and self.path is None:
            self.path = path
        if line is not None and self.line is None:
            self.line = line
        return self

    def where(self) -> str:
        parts = []
        if self.path:
            parts.append(self.path if self.line is None else f"{self.path}:{self.line}")
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ": ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def diagnostics(self) -> str:
        """The full text for a terminal: location, problem and what to do."""
        text = str(self)
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UsageError(SecuredocError):
    """The command was called in a way that cannot work (bad option combination, bad argument)."""

    exit_code = 2


class ConfigError(SecuredocError):
    """securedoc.yaml, [tool.securedoc] or the keyring setup is wrong."""

    exit_code = 2


class KeyringError(ConfigError):
    """A key file or key variable is unusable, or the keyring cannot do what was asked."""


class UnknownKeyError(SecuredocError):
    """A seal names a key id that is not in the keyring (or no key of its form is present)."""


class FileAccessError(SecuredocError):
    """A file or folder cannot be read or written (missing, unreadable, not a regular file...)."""


class DocumentError(SecuredocError):
    """The article itself is not something securedoc can read safely (encoding, front matter, YAML)."""


class MalformedSeal(SecuredocError):
    """The `secured` value is not a well-formed seal in either form."""


class DecryptionFailed(SecuredocError):
    """The seal does not decrypt: wrong key, or the seal was tampered with.

    Deliberately uniform: it never says which check failed (padding, tag, key), so that it cannot
    serve as an oracle.
    """


class SignatureInvalid(DecryptionFailed):
    """A signed seal's signature does not verify with the key it names: wrong key, or tampered.

    A kind of :class:`DecryptionFailed`, so that every "the seal does not check out" is one
    family, and just as uniform about why.
    """


class PayloadError(SecuredocError):
    """The seal decrypted, but what is inside is not a payload securedoc understands."""


class WriteError(FileAccessError):
    """A file could not be written; the original bytes are still in place."""


class RefusedError(SecuredocError):
    """securedoc would not do what was asked, to avoid losing or laundering data."""


class CoverageError(FileAccessError):
    """Something under the paths given that a site generator may render but securedoc would not
    check (a link to a folder, a submodule, a page outside the Markdown extensions): it fails the run."""


class SecuredocWarning(UserWarning):
    """Something the caller of :func:`securedoc.seal` or :func:`securedoc.seal_file` should know
    that did not stop the seal (a retired or demo key, a replaced seal that did not verify).

    Both functions issue one per warning of the file's report (``warnings.warn``); the message
    starts with the file's path (``-`` for text)."""

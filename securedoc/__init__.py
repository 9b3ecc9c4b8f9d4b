"""securedoc: seal, open and verify the `secured` field of Markdown articles.

The public API, and nothing else. See :mod:`securedoc.api` for the functions and ``docs/`` for the
format, the security model and the key lifecycle.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # what the names below are, for type checkers and editors
    from .api import (
        RunOptions,
        changed_files,
        load_keyring,
        open_file,
        restore_file,
        run,
        seal,
        seal_file,
        unseal,
        verify,
        verify_file,
    )
    from .config import Config, find_config, load_config
    from .document import Document, Limits, parse
    from .errors import (
        ConfigError,
        DecryptionFailed,
        DocumentError,
        FileAccessError,
        KeyringError,
        MalformedSeal,
        PayloadError,
        RefusedError,
        SecuredocError,
        UnknownKeyError,
        UsageError,
        WriteError,
    )
    from .keys import Key, Keyring, generate_key, key_from_raw, keys_from_jwk_text, load_key_file
    from .models import FieldDiff, Report, Status
    from .payload import Binding
    from .sealing import Opened

# Each name is imported from its module when first used (PEP 562), so that importing one module of
# the package (the command line's narrow entry point, securedoc.entry) does not import them all.
_EXPORTS = {
    "RunOptions": "api",
    "changed_files": "api",
    "load_keyring": "api",
    "open_file": "api",
    "restore_file": "api",
    "run": "api",
    "seal": "api",
    "seal_file": "api",
    "unseal": "api",
    "verify": "api",
    "verify_file": "api",
    "Config": "config",
    "find_config": "config",
    "load_config": "config",
    "Document": "document",
    "Limits": "document",
    "parse": "document",
    "ConfigError": "errors",
    "DecryptionFailed": "errors",
    "DocumentError": "errors",
    "FileAccessError": "errors",
    "KeyringError": "errors",
    "MalformedSeal": "errors",
    "PayloadError": "errors",
    "RefusedError": "errors",
    "SecuredocError": "errors",
    "UnknownKeyError": "errors",
    "UsageError": "errors",
    "WriteError": "errors",
    "Key": "keys",
    "Keyring": "keys",
    "generate_key": "keys",
    "key_from_raw": "keys",
    "keys_from_jwk_text": "keys",
    "load_key_file": "keys",
    "FieldDiff": "models",
    "Report": "models",
    "Status": "models",
    "Binding": "payload",
    "Opened": "sealing",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'securedoc' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """``securedoc.seal`` and ``securedoc.verify`` are the API's functions, not the modules of the
    same names: importing those modules (``from securedoc.seal import ...``) must not replace them."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("seal", "verify") and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "__version__",
    "Binding",
    "Config",
    "ConfigError",
    "DecryptionFailed",
    "Document",
    "DocumentError",
    "FieldDiff",
    "FileAccessError",
    "Key",
    "Keyring",
    "KeyringError",
    "Limits",
    "MalformedSeal",
    "Opened",
    "PayloadError",
    "RefusedError",
    "Report",
    "RunOptions",
    "SecuredocError",
    "Status",
    "UnknownKeyError",
    "UsageError",
    "WriteError",
    "changed_files",
    "find_config",
    "generate_key",
    "key_from_raw",
    "keys_from_jwk_text",
    "load_config",
    "load_key_file",
    "load_keyring",
    "open_file",
    "parse",
    "restore_file",
    "run",
    "seal",
    "seal_file",
    "unseal",
    "verify",
    "verify_file",
]

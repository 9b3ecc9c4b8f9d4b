"""securedoc: seal, open and verify the `secured` field of Markdown articles.

The public API, and nothing else: what a user of the library needs. See :mod:`securedoc.api` for
the functions and ``docs/`` for the format, the security model and the key lifecycle. Everything
else (documents, envelopes, payloads, the specific error classes in :mod:`securedoc.errors`) stays
importable from its own module, without the promise of a stable name.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # what the names below are, for type checkers and editors
    from .api import (
        Run,
        RunOptions,
        load_keyring,
        open,
        open_file,
        restore_file,
        run,
        seal,
        seal_file,
        verify,
        verify_file,
    )
    from .config import Config, find_config, load_config
    from .errors import RefusedError, SecuredocError, SecuredocWarning
    from .keys import Key, Keyring, generate_key
    from .models import Action, FieldDiff, Report, Status
    from .sealing import Opened

# Each name is imported from its module when first used (PEP 562), so that importing one module of
# the package (the command line's narrow entry point, securedoc.entry) does not import them all.
_EXPORTS = {
    "Run": "api",
    "RunOptions": "api",
    "load_keyring": "api",
    "open_file": "api",
    "restore_file": "api",
    "run": "api",
    "seal": "api",
    "seal_file": "api",
    "open": "api",
    "verify": "api",
    "verify_file": "api",
    "Config": "config",
    "find_config": "config",
    "load_config": "config",
    "RefusedError": "errors",
    "SecuredocError": "errors",
    "SecuredocWarning": "errors",
    "Key": "keys",
    "Keyring": "keys",
    "generate_key": "keys",
    "Action": "models",
    "FieldDiff": "models",
    "Report": "models",
    "Status": "models",
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
    """``securedoc.verify`` is the API's function, not the module of the same name: importing that
    module (``from securedoc.verify import ...``) must not replace it. (The module that seals
    documents is ``securedoc.articles``, so ``securedoc.seal`` has no such twin.)"""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("seal", "verify") and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "__version__",
    # one article, in memory and on disk
    "seal",
    "verify",
    "open",
    "seal_file",
    "verify_file",
    "open_file",
    "restore_file",
    # whole archives, as the command line does
    "run",
    "RunOptions",
    "Run",
    # keys and settings
    "Key",
    "Keyring",
    "generate_key",
    "load_keyring",
    "Config",
    "find_config",
    "load_config",
    # what comes back
    "Report",
    "Status",
    "Action",
    "FieldDiff",
    "Opened",
    "SecuredocError",
    "RefusedError",
    "SecuredocWarning",
]

"""securedoc: seal, open and verify the `secured` field of Markdown articles.

The public API, and nothing else. See :mod:`securedoc.api` for the functions and ``docs/`` for the
format, the security model and the key lifecycle.
"""

from __future__ import annotations

__version__ = "0.1.0"

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

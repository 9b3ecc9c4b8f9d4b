"""Project configuration: ``securedoc.yaml`` or ``[tool.securedoc]`` in ``pyproject.toml``.

Found by walking up from the current folder, like ruff and black: the first folder holding a
``securedoc.yaml``, or a ``pyproject.toml`` with a ``[tool.securedoc]`` table, is the project root
(``securedoc.yaml`` wins when a folder has both). Paths in the file are relative to that folder.
Unknown settings are errors, so a typo never silently does nothing.

.. code-block:: yaml

    keys:
      dir: keys                  # folder of *.jwk files
      primary: newsroom-2026     # the key that seals (default: the only A256GCM or Ed25519 private key)
      encrypt: newsroom-hidden   # signed seals: the A256GCM key for hidden fields (default: the only one)
      retired: [newsroom-2024]   # still open and verify, but are reported
      env: SECUREDOC_KEY         # variable holding a JWK or JWK Set (CI secrets)
    fields:
      include: []                # bind only these (default: every top-level field)
      exclude: [draft]           # never bind these
      hide: []                   # always hide these when sealing
    body: true                   # bind a digest of the body
    unsealed: error              # error | warn | ignore
    retired: warn                # warn | error: a seal made with a retired key
    legacy: warn                 # accept | warn | refuse: legacy AES-CBC seals (under CI: refuse)
    unbound: error               # error | warn | ignore: visible fields the seal does not bind
    cache: null                  # folder for the verification cache (off by default)
    exclude: ["drafts/**"]       # paths (globs, relative to the root) that are never visited
    extensions: [md, markdown, mdown, mkdown, mkdn, mkd]   # the files checked (this is the default)
    jobs: null                   # worker processes (default: the number of cores)
    bind_path: false             # true: each seal names its article's path relative to this folder
    limits:
      max_file_size: 33554432
      max_front_matter: 1048576
      max_expansion: 250000
      max_depth: 100
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .document import Limits
from .errors import ConfigError
from .keys import DEFAULT_KEY_ENV
from .models import LegacyPolicy, RetiredPolicy, UnboundPolicy, UnsealedPolicy
from .payload import Binding

__all__ = ["Config", "find_config", "load_config", "config_from_text", "CONFIG_NAME"]

CONFIG_NAME = "securedoc.yaml"

_SCHEMA: dict[str, Any] = {
    "keys": {"dir": str, "primary": str, "retired": list, "env": str, "encrypt": str},
    "fields": {"include": list, "exclude": list, "hide": list},
    "body": bool,
    "unsealed": ("error", "warn", "ignore"),
    "retired": ("warn", "error"),
    "legacy": ("accept", "warn", "refuse"),
    "unbound": ("error", "warn", "ignore"),
    "cache": str,
    "exclude": list,
    "extensions": list,
    "jobs": int,
    "bind_path": bool,
    "bind-path": bool,  # the same setting, spelled as the command-line option is
    "limits": {"max_file_size": int, "max_front_matter": int, "max_expansion": int, "max_depth": int},
}


@dataclass(frozen=True)
class Config:
    """Everything securedoc.yaml can say, with defaults. ``source`` is the file it came from."""

    source: Path | None = None
    root: Path | None = None
    # Where the settings came from when not from the working tree: "REV:path" (verify --trust REV).
    trusted_from: str | None = None
    keys_dir: Path | None = None
    primary: str | None = None
    encrypt: str | None = None
    retired: tuple[str, ...] = ()
    key_env: str = DEFAULT_KEY_ENV
    binding: Binding = field(default_factory=Binding)
    hide: tuple[str, ...] = ()
    unsealed: UnsealedPolicy = "error"
    retired_policy: RetiredPolicy = "warn"
    legacy: LegacyPolicy | None = None  # None: refuse under CI, warn elsewhere
    unbound: UnboundPolicy = "error"
    cache: Path | None = None
    exclude: tuple[str, ...] = ()
    extensions: tuple[str, ...] | None = None  # None: the Markdown extensions Hugo and Jekyll render
    jobs: int | None = None
    bind_path: bool | None = None  # None: not said (off); see securedoc.copies
    limits: Limits = field(default_factory=Limits)

    def describe(self) -> str:
        if self.trusted_from:
            return self.trusted_from
        return str(self.source) if self.source else "no configuration file (defaults)"


def _check_schema(section: dict[str, Any], schema: dict[str, Any], where: str, source: Path) -> None:
    for name, value in section.items():
        if name not in schema:
            known = ", ".join(sorted(schema))
            raise ConfigError(f"{source}: unknown setting '{where}{name}'", hint=f"known settings here: {known}")
        expected = schema[name]
        if value is None:
            continue
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: '{where}{name}' is a mapping of settings")
            _check_schema(value, expected, f"{where}{name}.", source)
        elif isinstance(expected, tuple):
            if value not in expected:
                raise ConfigError(f"{source}: '{where}{name}' is one of {', '.join(expected)}, not {value!r}")
        elif expected is int:
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{source}: '{where}{name}' is a whole number of at least 1, not {value!r}")
        elif not isinstance(value, expected):
            raise ConfigError(f"{source}: '{where}{name}' should be a {expected.__name__}, not {type(value).__name__}")
        elif expected is list and not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{source}: '{where}{name}' is a list of names (strings)")


def _from_mapping(data: dict[str, Any], source: Path) -> Config:
    _check_schema(data, _SCHEMA, "", source)
    if "bind-path" in data:
        if "bind_path" in data:
            raise ConfigError(f"{source}: 'bind_path' and 'bind-path' are one setting; give it once")
        data = {("bind_path" if name == "bind-path" else name): value for name, value in data.items()}
    root = source.parent
    keys = data.get("keys") or {}
    fields = data.get("fields") or {}
    limits = data.get("limits") or {}
    binding = Binding(
        include=tuple(fields.get("include") or ()),
        exclude=tuple(fields.get("exclude") or ()),
        body=data.get("body", True) is not False,
    )
    cache = data.get("cache")
    defaults = Limits()
    return Config(
        source=source,
        root=root,
        keys_dir=(root / keys["dir"]) if keys.get("dir") else root / "keys",
        primary=keys.get("primary"),
        encrypt=keys.get("encrypt"),
        retired=tuple(keys.get("retired") or ()),
        key_env=keys.get("env") or DEFAULT_KEY_ENV,
        binding=binding,
        hide=tuple(fields.get("hide") or ()),
        unsealed=data.get("unsealed") or "error",
        retired_policy=data.get("retired") or "warn",
        legacy=data.get("legacy"),
        unbound=data.get("unbound") or "error",
        cache=(root / cache) if cache else None,
        exclude=tuple(data.get("exclude") or ()),
        extensions=tuple(data["extensions"]) if data.get("extensions") is not None else None,
        jobs=data.get("jobs"),
        bind_path=data.get("bind_path"),
        limits=Limits(
            max_file_size=limits.get("max_file_size") or defaults.max_file_size,
            max_front_matter=limits.get("max_front_matter") or defaults.max_front_matter,
            max_expansion=limits.get("max_expansion") or defaults.max_expansion,
            max_depth=limits.get("max_depth") or defaults.max_depth,
        ),
    )


def load_config(path: Path) -> Config:
    """Read one configuration file (securedoc.yaml, or a pyproject.toml's [tool.securedoc])."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc}") from None
    return config_from_text(text, path.resolve(), shown=path)


def config_from_text(text: str, source: Path, *, shown: Path | str | None = None) -> Config:
    """A configuration from the text of a file; ``source`` is where it stands (its folder is the root)."""
    path = shown if shown is not None else source
    if source.name == "pyproject.toml":
        import tomllib

        try:
            data = tomllib.loads(text).get("tool", {}).get("securedoc", {})
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise ConfigError(f"{path}: invalid YAML{where}: {getattr(exc, 'problem', exc)}") from None
        data = data if data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration is a mapping of settings")
    return _from_mapping(data, source)


def _has_tool_table(pyproject: Path) -> bool:
    import tomllib

    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("tool", {}).get("securedoc"), dict)


def find_config(start: Path | None = None) -> Config:
    """The configuration that applies in ``start`` (default: the current folder), or defaults."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        yaml_file = candidate / CONFIG_NAME
        if yaml_file.is_file():
            return load_config(yaml_file)
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return load_config(pyproject)
    return Config()


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")

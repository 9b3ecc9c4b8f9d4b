"""Where trust comes from: which keys and which settings may decide a verdict.

The adversary is the author of the change under test: in a pull request they control every file
of the checkout — articles, ``keys/``, ``securedoc.yaml``, ``pyproject.toml``. So:

* **Strict mode.** Under CI (``CI`` set), or whenever a key is given from outside the checkout
  (a non-empty ``$SECUREDOC_KEY``, ``--key-env``, ``--key``), key files found in the checkout
  (``./keys``, ``keys.dir``) are not used, and a checkout setting that would loosen the check is
  refused (exit 2) with the command-line option that says the same thing from outside the change.
  Settings that tighten the check are always honoured.
* **``verify --trust REV``.** The configuration and the key folder are read from git revision REV
  (e.g. the pull request's base), never from the working tree; every difference between REV's and
  the working tree's is reported. REV's settings may loosen the check (they were reviewed); the
  working tree's may only tighten it further.

"The checkout" is what securedoc finds by default: ``./keys``, ``keys.dir``, a ``securedoc.yaml``
or ``[tool.securedoc]`` found upwards, whether or not inside a git work tree. A configuration
named with ``--config`` is read from REV under ``--trust``, and is treated like the checkout's
otherwise (its path usually points into the checkout).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .config import CONFIG_NAME, Config, config_from_text, env_flag, find_config, load_config
from .document import Limits
from .errors import ConfigError, KeyringError, SecuredocError, UsageError
from .keycommand import key_command_from
from .keys import DEFAULT_KEY_ENV, Key, keys_from_jwk_text
from .models import LegacyPolicy, UnboundPolicy, UnsealedPolicy

__all__ = [
    "Resolved",
    "Difference",
    "strict_reason",
    "resolve",
    "default_legacy",
    "weakenings",
]

# Looser policies come later in each list.
_UNSEALED: tuple[UnsealedPolicy, ...] = ("error", "warn", "ignore")
_LEGACY: tuple[LegacyPolicy, ...] = ("refuse", "warn", "accept")
_UNBOUND: tuple[UnboundPolicy, ...] = ("error", "warn", "ignore")


@dataclass(frozen=True)
class Difference:
    """A file that decides trust and differs between the trusted revision and the working tree."""

    path: str
    message: str


@dataclass(frozen=True)
class Resolved:
    """The settings and key sources a command may trust."""

    config: Config
    strict: str | None = None  # why the checkout is not trusted; None: it is (a local run)
    checkout_keys: bool = True  # whether key files found in the checkout may be used
    keys: tuple[Key, ...] = ()  # keys read from the trusted revision
    rev: str | None = None
    differences: tuple[Difference, ...] = ()
    # The policies (legacy, unbound, unsealed...) are merged from ``config`` and the command line by
    # securedoc.settings.resolve, for the command line and the Python API alike (bind_path too).


def _nonempty(name: str, environ: Mapping[str, str]) -> bool:
    return bool(environ.get(name, "").strip())


def ci() -> bool:
    return env_flag("CI")


def default_legacy() -> LegacyPolicy:
    """Legacy seals verify with a warning, except under CI, where accepting them must be said."""
    return "refuse" if ci() else "warn"


def strict_reason(
    key_files: Sequence[Path],
    key_env: str | None,
    environ: Mapping[str, str] | None = None,
    *,
    key_command: str | None = None,
) -> str | None:
    """Why the checkout's keys and loosening settings are not trusted for this run, or None."""
    env = os.environ if environ is None else environ
    if ci():
        return "CI is set"
    if key_files:
        return "a key is given with --key"
    if key_env:
        return "a key is given with --key-env"
    if _nonempty(DEFAULT_KEY_ENV, env):
        return f"a key is given in ${DEFAULT_KEY_ENV}"
    if key_command_from(key_command, env) is not None:
        return "a key is given by a key command"
    return None


# -- what loosens the check ----------------------------------------------------------------------


def weakenings(config: Config, given: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Settings of ``config`` that loosen the check and that the command line does not override:
    (setting, its value as written, the command-line option that says it instead)."""
    found: list[tuple[str, str, str]] = []

    def loose(name: str) -> bool:
        return given.get(name) is None

    if config.exclude and loose("exclude"):
        shown = ", ".join(config.exclude)
        found.append(("exclude", f"[{shown}]", " ".join(f"--exclude '{p}'" for p in config.exclude)))
    if config.binding.exclude and loose("exclude_field"):
        found.append(
            (
                "fields.exclude",
                "[" + ", ".join(config.binding.exclude) + "]",
                " ".join(f"--exclude-field {n}" for n in config.binding.exclude),
            )
        )
    if config.binding.include and loose("include_field"):
        found.append(
            (
                "fields.include",
                "[" + ", ".join(config.binding.include) + "]",
                " ".join(f"--include-field {n}" for n in config.binding.include),
            )
        )
    if _UNSEALED.index(config.unsealed) > 0 and loose("unsealed"):
        found.append(("unsealed", config.unsealed, f"--unsealed {config.unsealed}"))
    if config.legacy is not None and loose("legacy"):
        if _LEGACY.index(config.legacy) > _LEGACY.index(default_legacy()):
            found.append(("legacy", config.legacy, f"--legacy {config.legacy}"))
    if _UNBOUND.index(config.unbound) > 0 and loose("unbound"):
        found.append(("unbound", config.unbound, f"--unbound {config.unbound}"))
    if config.bind_path is False and loose("bind_path"):
        found.append(("bind_path", "false", "--no-bind-path"))
    # A limit above the default can turn a failure (a file too large or too deep to read) into a
    # pass; a lower one only fails more files. There is no option for it: only --trust REV.
    defaults = Limits()
    for name in _LIMITS:
        if getattr(config.limits, name) > getattr(defaults, name):
            found.append((f"limits.{name}", str(getattr(config.limits, name)), ""))
    if ci() and config.key_env != DEFAULT_KEY_ENV and loose("key_env"):
        found.append(("keys.env", config.key_env, f"--key-env {config.key_env}"))
    return found


def _refuse(config: Config, loosening: list[tuple[str, str, str]], reason: str) -> None:
    where = config.describe()
    settings = ", ".join(f"`{name}: {value}`" for name, value, _ in loosening)
    options = " ".join(option for _, _, option in loosening if option)
    trusted = (
        "read the settings from a trusted revision with `--trust REV` (e.g. the pull request's base, "
        "`--trust origin/main`)"
    )
    raise ConfigError(
        f"{where}: {settings} would loosen the check, and settings found in the checkout are not "
        f"trusted here ({reason}): whoever changes the checkout could use them to pass the check",
        hint=f"say it on the command line instead ({options}), or {trusted}"
        if options
        else trusted[0].upper() + trusted[1:] + " (raised limits have no command-line option)",
    )


_LIMITS = ("max_file_size", "max_front_matter", "max_expansion", "max_depth")


def _stricter(a: str, b: str, order: Sequence[str]) -> Any:
    return a if order.index(a) <= order.index(b) else b


def _apply_options(config: Config, given: Mapping[str, Any]) -> Config:
    changes: dict[str, Any] = {}
    if given.get("exclude") is not None:
        changes["exclude"] = tuple(given["exclude"])
    binding = config.binding
    if given.get("exclude_field") is not None:
        binding = dataclasses.replace(binding, exclude=tuple(given["exclude_field"]))
    if given.get("include_field") is not None:
        binding = dataclasses.replace(binding, include=tuple(given["include_field"]))
    changes["binding"] = binding
    if given.get("key_env") is not None:
        changes["key_env"] = given["key_env"]
    return dataclasses.replace(config, **changes)


def _tightened(base: Config, other: Config) -> Config:
    """``base`` with every setting of ``other`` that is stricter."""
    legacy = base.legacy
    if other.legacy is not None:
        legacy = other.legacy if legacy is None else _stricter(legacy, other.legacy, _LEGACY)
    limits = dataclasses.replace(
        base.limits,
        **{name: min(getattr(base.limits, name), getattr(other.limits, name)) for name in _LIMITS},
    )
    return dataclasses.replace(
        base,
        unsealed=_stricter(base.unsealed, other.unsealed, _UNSEALED),
        unbound=_stricter(base.unbound, other.unbound, _UNBOUND),
        retired_policy="error" if "error" in (base.retired_policy, other.retired_policy) else "warn",
        legacy=legacy,
        retired=tuple(dict.fromkeys(base.retired + other.retired)),
        limits=limits,
        bind_path=True if True in (base.bind_path, other.bind_path) else base.bind_path,
    )


def resolve(
    *,
    config_file: Path | None,
    key_files: Sequence[Path] = (),
    key_env: str | None = None,
    trust: str | None = None,
    given: Mapping[str, Any] | None = None,
    check: bool = False,
    key_command: str | None = None,
) -> Resolved:
    """The configuration a command may trust, and its key sources.

    ``given`` holds the command-line options that override settings (None: not given); the field
    and path options are applied to the configuration here, the policies are merged from it by
    :func:`securedoc.settings.resolve`.
    ``check`` is true for the commands that decide verdicts (verify, rotate): there a loosening
    setting found in the checkout is refused in strict mode.
    """
    given = dict(given or {})
    given.setdefault("key_env", key_env)
    reason = strict_reason(key_files, key_env, key_command=key_command)
    differences: tuple[Difference, ...] = ()
    keys: tuple[Key, ...] = ()
    if trust is not None:
        reason = reason or f"--trust {trust}"
        revision = _Revision(trust)
        config, keys, differences, worktree = revision.load(config_file)
        if worktree is not None:
            config = _tightened(config, worktree)
    else:
        config = load_config(config_file) if config_file else find_config()
        if check and reason is not None:
            loosening = weakenings(config, given)
            if loosening:
                _refuse(config, loosening, reason)
    config = _apply_options(config, given)
    return Resolved(
        config=config,
        strict=reason,
        checkout_keys=reason is None,
        keys=keys,
        rev=trust,
        differences=differences,
    )


# -- git revisions -------------------------------------------------------------------------------


class _Revision:
    """Files of one git commit, read with git's plumbing (never through the working tree)."""

    def __init__(self, rev: str) -> None:
        self.rev = rev
        if rev.startswith("-"):
            raise UsageError(f"--trust {rev}: not a revision", hint="name a commit, e.g. --trust origin/main")
        self.top = Path(self._git("rev-parse", "--show-toplevel").decode().strip())
        self.prefix = self._git("rev-parse", "--show-prefix").decode().strip().rstrip("/")
        self.commit = self._git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").decode()
        self.commit = self.commit.strip()

    def _git(self, *args: str) -> bytes:
        import subprocess  # only with --trust: keeps start-up short

        try:
            env = {**os.environ, "GIT_LITERAL_PATHSPECS": "1"}
            done = subprocess.run(["git", *args], capture_output=True, check=False, env=env)
        except FileNotFoundError:
            raise UsageError("--trust needs git, which is not installed") from None
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise UsageError(
                f"--trust {self.rev}: " + (detail[-1] if detail else "not a commit of this git repository"),
                hint="run inside the git checkout, with the trusted revision fetched "
                "(e.g. `git fetch origin main`, or actions/checkout with fetch-depth: 0), "
                "and name it like origin/main",
            )
        return done.stdout

    def _entries(self, paths: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        """path -> (mode, type, object) for the paths that exist in the commit."""
        if not paths:
            return {}
        out = self._git("ls-tree", "--full-tree", "-z", self.commit, "--", *paths)
        found: dict[str, tuple[str, str, str]] = {}
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            mode, kind, obj = meta.decode().split()
            found[name.decode("utf-8", "surrogateescape")] = (mode, kind, obj)
        return found

    def _blob(self, entry: tuple[str, str, str], path: str) -> bytes:
        mode, kind, obj = entry
        if kind != "blob" or mode not in ("100644", "100755"):
            raise ConfigError(
                f"{self.rev}:{path} is not a regular file in the trusted revision (a link or a folder)",
                hint="securedoc reads only regular files from the trusted revision",
            )
        return self._git("cat-file", "blob", obj)

    def _rel(self, path: Path) -> str | None:
        """``path`` (absolute or relative to the current folder) relative to the repository top."""
        absolute = os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(path))), os.path.basename(path))
        rel = os.path.relpath(absolute, os.path.realpath(self.top))
        if rel == os.curdir:
            return ""
        if rel == os.pardir or rel.startswith(os.pardir + os.sep):
            return None
        return Path(rel).as_posix()

    def shown(self, rel: str) -> str:
        """A repository path as the user sees it from the current folder."""
        return os.path.relpath(self.top / rel if rel else self.top, os.path.realpath(Path.cwd()))

    def _worktree(self, rel: str) -> Path:
        return self.top / rel

    def _find_config(self, config_file: Path | None) -> tuple[str | None, bytes | None]:
        if config_file is not None:
            rel = self._rel(config_file)
            if rel is None:
                raise UsageError(
                    f"--config {config_file} is outside the git repository, so it cannot be read from {self.rev}",
                    hint="with --trust, --config names a file of the trusted revision",
                )
            entry = self._entries([rel]).get(rel)
            if entry is None:
                raise ConfigError(f"{self.rev}:{rel}: no such configuration file in the trusted revision")
            return rel, self._blob(entry, rel)
        parts = self.prefix.split("/") if self.prefix else []
        folders = ["/".join(parts[:i]) for i in range(len(parts), -1, -1)]
        wanted = []
        for folder in folders:
            for name in (CONFIG_NAME, "pyproject.toml"):
                wanted.append(f"{folder}/{name}" if folder else name)
        entries = self._entries(wanted)
        for rel in wanted:
            entry = entries.get(rel)
            if entry is None:
                continue
            data = self._blob(entry, rel)
            if rel.endswith("pyproject.toml") and not _has_table(data):
                continue
            return rel, data
        return None, None

    def load(self, config_file: Path | None) -> tuple[Config, tuple[Key, ...], tuple[Difference, ...], Config | None]:
        """REV's configuration and key folder, the differences with the working tree, and the
        working tree's own configuration (for its tightening settings), when it has one."""
        rel, data = self._find_config(config_file)
        if rel is not None and data is not None:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise ConfigError(f"{self.rev}:{rel}: the configuration is not UTF-8 text") from None
            config = config_from_text(text, self._worktree(rel), shown=f"{self.rev}:{rel}")
            config = dataclasses.replace(config, trusted_from=f"{self.rev}:{rel}")
        else:
            config = dataclasses.replace(Config(), trusted_from=f"{self.rev} (no configuration file: defaults)")
        differences: list[Difference] = []
        worktree: Config | None = None
        try:
            worktree = load_config(config_file) if config_file else find_config()
        except SecuredocError as exc:
            differences.append(
                Difference(str(config_file or CONFIG_NAME), f"cannot be read ({exc.message}); ignored under --trust")
            )
        if worktree is not None:
            differences.extend(self._config_difference(rel, data, worktree))
        keys_dir = config.keys_dir if config.keys_dir is not None else Path("keys")
        keys, key_differences = self._keys(keys_dir)
        differences.extend(key_differences)
        return config, keys, tuple(differences), worktree

    def _config_difference(self, rel: str | None, data: bytes | None, worktree: Config) -> list[Difference]:
        wt_rel = self._rel(worktree.source) if worktree.source is not None else None
        shown_rel = wt_rel if wt_rel is not None else (str(worktree.source) if worktree.source else None)
        if rel is None:
            if worktree.source is None:
                return []
            return [
                Difference(
                    self.shown(shown_rel or ""),
                    f"this configuration is not in the trusted revision {self.rev}: it is ignored, except "
                    "for settings that tighten the check",
                )
            ]
        if worktree.source is None:
            return [
                Difference(
                    self.shown(rel),
                    f"the working tree has no configuration; the trusted revision's ({self.rev}:{rel}) is used",
                )
            ]
        try:
            current = worktree.source.read_bytes()
        except OSError:
            current = b""
        if wt_rel == rel and data is not None and _same_settings(rel, data, current):
            return []
        if wt_rel != rel:
            message = (
                f"the working tree's configuration is not the trusted revision's ({self.rev}:{rel}): it is "
                "ignored, except for settings that tighten the check"
            )
        else:
            message = (
                f"differs from the trusted revision {self.rev}: the working tree's settings are ignored, "
                "except for those that tighten the check"
            )
        return [Difference(self.shown(shown_rel or rel), message)]

    def _keys(self, keys_dir: Path) -> tuple[tuple[Key, ...], list[Difference]]:
        rel = self._rel(keys_dir)
        if rel is None:
            raise ConfigError(
                f"the trusted configuration's keys folder {keys_dir} is outside the git repository",
                hint="with --trust, key files are read from the trusted revision; give other keys "
                f"through ${DEFAULT_KEY_ENV}, --key-env or --key",
            )
        listing = self._git("ls-tree", "--full-tree", "-z", self.commit, "--", rel + "/" if rel else ".")
        trusted: dict[str, bytes] = {}
        for record in listing.split(b"\0"):
            if not record:
                continue
            meta, _, raw = record.partition(b"\t")
            mode, kind, obj = meta.decode().split()
            path = raw.decode("utf-8", "surrogateescape")
            name = path.rsplit("/", 1)[-1]
            if not name.endswith(".jwk"):
                continue
            trusted[name] = self._blob((mode, kind, obj), path)
        keys: list[Key] = []
        for name, data in sorted(trusted.items()):
            where = f"{self.rev}:{rel + '/' if rel else ''}{name}"
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise KeyringError(f"{where}: not a JSON Web Key (the file is not UTF-8 text)") from None
            keys.extend(keys_from_jwk_text(text, where))
        differences = []
        folder = self._worktree(rel)
        current: dict[str, bytes] = {}
        try:
            for entry in os.scandir(folder):
                if entry.name.endswith(".jwk"):
                    try:
                        with open(entry.path, "rb") as handle:
                            current[entry.name] = handle.read(1 << 20)
                    except OSError:
                        current[entry.name] = b""
        except OSError:
            pass
        shown = self.shown(rel)
        for name in sorted(set(trusted) | set(current)):
            path = os.path.join(shown, name)
            if name not in trusted:
                differences.append(Difference(path, f"key file not in the trusted revision {self.rev}: not used"))
            elif name not in current:
                differences.append(
                    Difference(
                        path,
                        f"key file of the trusted revision {self.rev} is missing from the working tree; "
                        f"{self.rev}'s is used",
                    )
                )
            elif trusted[name] != current[name]:
                differences.append(
                    Difference(path, f"key file differs from the trusted revision {self.rev}: {self.rev}'s is used")
                )
        return tuple(keys), differences


def _has_table(data: bytes) -> bool:
    import tomllib

    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(parsed.get("tool", {}).get("securedoc"), dict)


def _settings(rel: str, data: bytes) -> Any:
    import tomllib

    text = data.decode("utf-8")
    if rel.endswith("pyproject.toml"):
        return tomllib.loads(text).get("tool", {}).get("securedoc")
    return yaml.safe_load(text)


def _same_settings(rel: str, trusted: bytes, current: bytes) -> bool:
    import tomllib

    if trusted == current:
        return True
    try:
        return json.dumps(_settings(rel, trusted), sort_keys=True, default=str) == json.dumps(
            _settings(rel, current), sort_keys=True, default=str
        )
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, yaml.YAMLError, AttributeError):
        return False

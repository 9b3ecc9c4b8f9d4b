"""The settings a run uses, resolved in one place: defaults < configuration file < environment <
command line (or the arguments of a Python caller).

:func:`resolve` is the only function that merges them; the command line (through
:func:`securedoc.trust.resolve`, which first decides which configuration file may be trusted) and
:func:`securedoc.api.run` both call it. The environment is ``CI``: under CI a legacy seal is
refused and a demo-key seal is an error unless a setting or option says otherwise (a setting of the
checkout that loosens the check is refused there: see securedoc.trust).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .models import LegacyPolicy, RetiredPolicy, UnboundPolicy, UnsealedPolicy
from .verify import Policy

__all__ = ["Settings", "resolve"]


@dataclass(frozen=True)
class Settings:
    """What a run does, every setting decided (see :func:`resolve`)."""

    unsealed: UnsealedPolicy
    retired: RetiredPolicy
    policy: Policy  # verify and rotate: legacy, unbound, demo-key rules and the fields expected bound
    hide: tuple[str, ...]  # seal: fields moved into the seal (the configuration's, then the caller's)
    jobs: int | None  # None: chosen by the size of the run
    cache: Path | None  # the verification cache folder, None: no cache
    bind_path: bool  # each seal names its article's path relative to the project root (securedoc.copies)


def _ci(environ: Mapping[str, str]) -> bool:
    return environ.get("CI", "").strip().lower() in ("1", "true", "yes")  # as config.env_flag


def resolve(
    config: Config,
    *,
    unsealed: UnsealedPolicy | None = None,
    retired: RetiredPolicy | None = None,
    legacy: LegacyPolicy | None = None,
    unbound: UnboundPolicy | None = None,
    hide: Iterable[str] = (),
    jobs: int | None = None,
    cache: Path | None = None,
    no_cache: bool = False,
    policy: Policy | None = None,
    bind_path: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Merge the caller's values (None or empty: not given) over ``config`` over the defaults.

    ``hide`` adds to the configuration's ``hide`` (it never removes a field from it); ``bind_path``
    (True or False) wins over the configuration's, which is off when not said. ``policy``,
    when given, is taken whole (a Python caller that built its own); otherwise it is made from
    ``legacy``/``unbound`` over the configuration, the environment's defaults, and
    ``config.binding``."""
    env = os.environ if environ is None else environ
    ci = _ci(env)
    if policy is None:
        policy = Policy(
            legacy=legacy or config.legacy or ("refuse" if ci else "warn"),
            unbound=unbound or config.unbound,
            demo="error" if ci else "warn",
            binding=config.binding,
        )
    return Settings(
        unsealed=unsealed or config.unsealed,
        retired=retired or config.retired_policy,
        policy=policy,
        hide=tuple(dict.fromkeys((*config.hide, *hide))),
        jobs=jobs or config.jobs,
        cache=None if no_cache else cache if cache is not None else config.cache,
        bind_path=bind_path if bind_path is not None else bool(config.bind_path),
    )

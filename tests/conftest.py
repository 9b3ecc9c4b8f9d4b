"""Shared fixtures: fixed keys, the example article, temporary archives, the CLI runner."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from securedoc.keys import Key, Keyring, key_to_jwk

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "fuzz"))  # the fuzz harness's checks are shared with the tests
DATA = Path(__file__).resolve().parent / "data"
EXAMPLE = ROOT / "examples" / "2020-08-15-clearview-ai-ice.md"
CORPUS = ROOT.parent / "shared" / "corpora" / "hugo-docs" / "content"

# CI runs a fixed, reproducible sample; locally the default profile explores more freely.
settings.register_profile(
    "ci", max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
# Mutation runs (tests/mutate.py): reproducible, and short, since a surviving mutant runs every test.
settings.register_profile("mutation", max_examples=30, derandomize=True, deadline=None)
# The same with a third of the examples, for a module whose functions every property test calls
# (articles: a surviving mutant runs them all; HYPOTHESIS_PROFILE=mutation-quick, docs/testing.md).
settings.register_profile("mutation-quick", max_examples=10, derandomize=True, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Edits that securedoc proves safe without parsing again (the seal line) are also parsed again and
# compared in every test, here and in the commands the tests start (securedoc.articles._write_seal).
os.environ["SECUREDOC_CHECK_EDITS"] = "full"

# Tests marked `long` (a minute or more each: the SIGKILL crash tests) run in CI and on request; a
# developer's default run skips them. docs/testing.md says how to run them.
SLOW_TESTS_ENV = "SECUREDOC_SLOW_TESTS"


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def in_ci() -> bool:
    return _truthy("CI")


def unavailable(reason: str, ci_note: str = "") -> NoReturn:
    """Something a test needs is missing: skip on a developer's machine, fail under CI (where the
    test extra, the package registry and .ci/run provide it)."""
    if in_ci():
        pytest.fail(f"{reason} ({ci_note})" if ci_note else reason)
    pytest.skip(reason)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if in_ci() or _truthy(SLOW_TESTS_ENV) or "long" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(
        reason=f"takes a minute or more; runs in CI, or locally with {SLOW_TESTS_ENV}=1 or -m long (docs/testing.md)"
    )
    for item in items:
        if item.get_closest_marker("long") is not None:
            item.add_marker(skip)


KEY_BYTES = bytes(range(32))
OTHER_BYTES = bytes(range(100, 132))
LEGACY_BYTES = bytes(range(200, 216))


@pytest.fixture
def key() -> Key:
    return Key("test-2026", "A256GCM", KEY_BYTES, source="test")


@pytest.fixture
def other_key() -> Key:
    return Key("other-2027", "A256GCM", OTHER_BYTES, source="test")


@pytest.fixture
def legacy_key() -> Key:
    return Key("legacy-cbc", "A128CBC", LEGACY_BYTES, source="test")


@pytest.fixture
def ring(key: Key) -> Keyring:
    return Keyring([key])


@pytest.fixture
def example_bytes() -> bytes:
    return EXAMPLE.read_bytes()


def write_jwk(folder: Path, key: Key) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key.kid}.jwk"
    path.write_text(json.dumps(key_to_jwk(key)))
    path.chmod(0o600)
    return path


@pytest.fixture
def project(tmp_path: Path, key: Key, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with keys/test-2026.jwk and content/ holding a copy of the example; cwd is there."""
    write_jwk(tmp_path / "keys", key)
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(EXAMPLE, content / EXAMPLE.name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SECUREDOC_KEY", raising=False)
    monkeypatch.delenv("CI", raising=False)
    return tmp_path


@pytest.fixture
def cli() -> Callable[..., Result]:
    from securedoc.cli import cli as command

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(command, list(args), input=input, env=env, catch_exceptions=False)

    return invoke


def article(fields: str, body: str = "Body text.\n", newline: str = "\n") -> bytes:
    text = "---\n" + fields + "---\n" + body
    return text.replace("\n", newline).encode("utf-8")

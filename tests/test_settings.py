"""One settings resolver: defaults < configuration file < environment < command line, for the
command line and Python callers of run() alike; RunOptions is an immutable input."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from conftest import article

from securedoc import api
from securedoc.articles import seal_document
from securedoc.config import Config
from securedoc.document import parse
from securedoc.keys import Key, Keyring
from securedoc.models import Action, Status
from securedoc.payload import Binding
from securedoc.settings import resolve
from securedoc.verify import Policy

KEY = Key("test-2026", "A256GCM", bytes(range(32)), source="test")
RING = Keyring([KEY])


def test_precedence_defaults_config_environment_command_line() -> None:
    ci, local = {"CI": "true"}, {}
    assert resolve(Config(), environ=local).policy.legacy == "warn"  # default
    assert resolve(Config(), environ=ci).policy.legacy == "refuse"  # environment (CI) default
    assert resolve(Config(legacy="accept"), environ=ci).policy.legacy == "accept"  # the file says it
    assert resolve(Config(legacy="accept"), legacy="warn", environ=ci).policy.legacy == "warn"  # the option wins
    assert resolve(Config(), environ=ci).policy.demo == "error"
    assert resolve(Config(), environ=local).policy.demo == "warn"
    assert resolve(Config()).unsealed == "error"
    assert resolve(Config(unsealed="warn")).unsealed == "warn"
    assert resolve(Config(unsealed="warn"), unsealed="ignore").unsealed == "ignore"
    assert resolve(Config(retired_policy="error")).retired == "error"
    assert resolve(Config(retired_policy="error"), retired="warn").retired == "warn"
    assert resolve(Config(unbound="warn")).policy.unbound == "warn"
    assert resolve(Config(jobs=3)).jobs == 3 and resolve(Config(jobs=3), jobs=1).jobs == 1
    assert resolve(Config(cache=Path("c"))).cache == Path("c")
    assert resolve(Config(cache=Path("c")), cache=Path("d")).cache == Path("d")
    assert resolve(Config(cache=Path("c")), no_cache=True).cache is None
    # hide adds to the configuration's, in order, once each
    assert resolve(Config(hide=("a", "b")), hide=("b", "c")).hide == ("a", "b", "c")
    binding = Binding(exclude=("draft",))
    assert resolve(Config(binding=binding)).policy.binding == binding
    own = Policy(legacy="accept")
    assert resolve(Config(legacy="refuse"), policy=own).policy is own  # a caller's whole policy is kept
    # bind_path: off by default, the file's, the command line's (either way) over it
    assert resolve(Config()).bind_path is False
    assert resolve(Config(bind_path=True)).bind_path is True
    assert resolve(Config(bind_path=True), bind_path=False).bind_path is False
    assert resolve(Config(bind_path=False), bind_path=True).bind_path is True
    assert resolve(Config(), bind_path=True, environ={"CI": "true"}).bind_path is True


def test_a_python_run_binds_paths_as_the_command_line_does(tmp_path: Path) -> None:
    """bind_path is resolved once, in settings.resolve, for the command line and Python callers."""
    (tmp_path / "a.md").write_bytes(article("title: Hello\n"))
    bound = Config(bind_path=True, root=tmp_path)
    options = api.RunOptions("seal", [str(tmp_path)], RING, config=bound, key=KEY, jobs=1)
    assert options.settings().bind_path and options.binds_paths()
    (sealed,) = list(api.run(options))
    assert sealed.action is Action.SEALED
    assert api.open_file(tmp_path / "a.md", RING).payload.path == "a.md"  # type: ignore[union-attr]
    off = api.RunOptions("verify", [str(tmp_path)], RING, config=bound, bind_path=False, jobs=1)
    assert not off.settings().bind_path


def test_run_options_are_immutable_and_results_come_back_on_the_run(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_bytes(article("title: Hello\n"))
    options = api.RunOptions("seal", [str(tmp_path)], RING, key=KEY, jobs=1, cache=tmp_path / "cache")
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.hide = ("x",)  # type: ignore[misc]
    stale = tmp_path / ".a.md.securedoc-999999999-0123456789abcdef.tmp"
    stale.write_bytes(b"left by a killed run")
    os.utime(stale, (1, 1))
    batch_run = api.run(options)
    assert [r.action for r in batch_run] == [Action.SEALED]
    assert len(batch_run.new_tags) == 16 and batch_run.cleaned == [str(stale)] and not stale.exists()
    batch_run.save_cache()
    again = api.run(options)
    assert [r.extra.get("cached") for r in again] == [True]  # the configured-by-argument cache was saved


def test_a_python_run_keeps_the_configured_hidden_fields(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(article("title: Hello\nsecret: s3cret\n"))
    config = Config(hide=("secret",))
    reports = list(api.run(api.RunOptions("seal", [str(tmp_path)], RING, config=config, key=KEY, jobs=1)))
    assert [r.action for r in reports] == [Action.SEALED]
    assert b"s3cret" not in path.read_bytes()
    assert api.open_file(path, RING).payload.hidden["secret"] is not None  # type: ignore[union-attr]


def test_a_python_run_keeps_the_configured_unsealed_policy(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_bytes(article("title: Hello\n"))
    strict = api.run(api.RunOptions("verify", [str(tmp_path)], RING, jobs=1))
    assert [strict.fails(r) for r in strict] == [True]
    for policy in ("warn", "ignore"):
        lenient = api.run(api.RunOptions("verify", [str(tmp_path)], RING, config=Config(unsealed=policy), jobs=1))
        reports = list(lenient)
        assert [r.status for r in reports] == [Status.UNSEALED]
        assert lenient.settings.unsealed == policy and not lenient.fails(reports[0])
    # and an option given to run() wins over the file
    given = api.run(api.RunOptions("verify", [str(tmp_path)], RING, config=Config(unsealed="warn"), unsealed="error"))
    assert [given.fails(r) for r in given] == [True]


def test_a_python_run_keeps_the_configured_verdict_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    data = seal_document(parse(article("title: Hello\n")), RING).data
    assert data is not None
    (tmp_path / "a.md").write_bytes(data.replace(b"title: Hello\n", b"title: Hello\nextra: 1\n"))
    (default,) = list(api.run(api.RunOptions("verify", [str(tmp_path)], RING, jobs=1)))
    assert default.status is Status.MISMATCH  # an unbound field fails by default
    relaxed = Config(binding=Binding(exclude=("extra",)))
    (configured,) = list(api.run(api.RunOptions("verify", [str(tmp_path)], RING, config=relaxed, jobs=1)))
    assert configured.status is Status.OK


def test_rotate_never_uses_a_cache(tmp_path: Path) -> None:
    options = api.RunOptions("rotate", [str(tmp_path)], RING, key=KEY, config=Config(cache=tmp_path / "c"))
    assert options.settings().cache is None

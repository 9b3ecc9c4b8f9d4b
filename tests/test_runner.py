"""securedoc.runner: the verify setup and the report loop that the full command line and the narrow
front door (securedoc.entry) share, so that they cannot drift apart."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import securedoc.cli as cli
import securedoc.entry as entry
import securedoc.runner as runner
from securedoc import api
from securedoc.keys import Key


def test_verify_setup_is_the_verify_commands_setup(project: Path, key: Key, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("SECUREDOC_KEY", raising=False)
    (project / "securedoc.yaml").write_text("bind_path: true\nunsealed: warn\n")
    setup = runner.verify_setup(["content"], exclude=("drafts",), legacy="accept", full=True, jobs=3)
    options = setup.options
    assert options.command == "verify" and options.paths == ("content",)
    assert [k.kid for k in setup.keyring] == [key.kid]
    settings = options.settings()
    assert options.bind_path is None and settings.bind_path is True  # not given: securedoc.yaml's
    assert "drafts" in options.config.exclude  # the command line's --exclude applied to the configuration
    assert (options.legacy_policy, options.full, options.jobs) == ("accept", True, 3)
    assert settings.unsealed == "warn" and settings.policy.legacy == "accept"
    # the command line's --no-bind-path wins over the file
    assert runner.verify_setup(["content"], bind_path=False).options.settings().bind_path is False


def test_both_front_doors_use_it(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`securedoc verify` through Click and through the narrow path both set up with verify_setup."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("SECUREDOC_KEY", raising=False)
    calls: list[tuple[str, ...]] = []
    real = runner.verify_setup

    def spy(paths: tuple[str, ...], **kwargs: object) -> runner.VerifySetup:
        calls.append(tuple(paths))
        return real(paths, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "verify_setup", spy)
    monkeypatch.setattr(cli, "verify_setup", spy)
    article = str(Path("content") / next(p.name for p in (project / "content").iterdir()))
    entry.quick(["verify", article])
    with pytest.raises(SystemExit):
        cli.cli.main(["verify", article], standalone_mode=True)
    assert calls == [(article,), (article,)]


def test_render_run_quiet_shows_only_failures(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    (project / "content" / "unsealed.md").write_text("---\ntitle: t\n---\n")
    options = runner.verify_setup(["content"]).options
    out, err = io.StringIO(), io.StringIO()
    summary = runner.render_run(options, api.run(options), "text", out, err, quiet=True, progress_flag=False)
    assert summary.files == 2 and summary.failed
    assert "unsealed.md" in out.getvalue() and err.getvalue() == ""
    out = io.StringIO()
    runner.render_run(options, api.run(options), "text", out, err, progress_flag=False)
    assert out.getvalue().count("content") >= 2

"""Configuration: found upwards, strict, pyproject or securedoc.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from securedoc.config import find_config, load_config
from securedoc.errors import ConfigError


def test_found_by_walking_up(tmp_path: Path) -> None:
    (tmp_path / "securedoc.yaml").write_text(
        "keys:\n  dir: secrets\n  primary: k\n  retired: [old]\nfields:\n  exclude: [draft]\n  hide: [notes]\n"
        "body: false\nunsealed: warn\nretired: error\ncache: .cache\nexclude: [drafts]\njobs: 3\n"
        "limits:\n  max_front_matter: 2048\n"
    )
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    config = find_config(deep)
    assert config.source == (tmp_path / "securedoc.yaml").resolve()
    assert config.keys_dir == tmp_path.resolve() / "secrets" and config.primary == "k" and config.retired == ("old",)
    assert config.binding.exclude == ("draft",) and config.binding.body is False and config.hide == ("notes",)
    assert (config.unsealed, config.retired_policy, config.jobs) == ("warn", "error", 3)
    assert config.cache == tmp_path.resolve() / ".cache" and config.limits.max_front_matter == 2048


def test_pyproject_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.securedoc]\nunsealed = "ignore"\n[tool.securedoc.keys]\nprimary = "p"\n'
    )
    config = find_config(tmp_path)
    assert config.unsealed == "ignore" and config.primary == "p"


def test_pyproject_without_table_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_text("[tool.other]\n")
    assert find_config(sub).source is None or find_config(sub).source != sub / "pyproject.toml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("unseald: warn\n", "unknown setting 'unseald'"),
        ("keys:\n  primry: x\n", "unknown setting 'keys.primry'"),
        ("unsealed: maybe\n", "one of error, warn, ignore"),
        ("jobs: 0\n", "at least 1"),
        ("fields:\n  exclude: draft\n", "should be a list"),
        ("fields:\n  exclude: [1]\n", "list of names"),
        ("- a\n", "mapping of settings"),
        ("a: [\n", "invalid YAML"),
    ],
)
def test_mistakes_are_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "securedoc.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_config(path)

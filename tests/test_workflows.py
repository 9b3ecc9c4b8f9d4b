"""The GitHub Actions workflows the project documents (and any action it ships) pass zizmor.

zizmor (pinned in the test extra) audits workflow and action definitions for the classic holes:
unpinned actions, broad token permissions, credentials persisted by actions/checkout, template
injection (``${{ }}`` inside ``run:``). It runs offline here, in the pedantic persona.

To audit another file, add it to :data:`SHIPPED` (a path in the repository, audited where it is
found) or document a workflow in ``docs/*.md`` as a fenced ``yaml`` block whose first line is
``# .github/workflows/NAME.yml``: :func:`audited_inputs` picks both up.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

# Files of the repository itself that zizmor audits (when they exist): path -> where zizmor sees it.
SHIPPED: dict[str, str] = {
    "action.yml": "action.yml",
    ".pre-commit-hooks.yaml": ".pre-commit-hooks.yaml",
}

_FENCE = re.compile(r"^```ya?ml\n(# (\.github/workflows/[\w.-]+\.ya?ml)\n.*?)^```", re.M | re.S)


def documented_workflows() -> dict[str, str]:
    """Workflows shown in the docs and the README: their path (from the first line) -> YAML text."""
    found: dict[str, str] = {}
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for match in _FENCE.finditer(doc.read_text(encoding="utf-8")):
            text, name = match.group(1), match.group(2)
            assert name not in found, f"{doc.name}: two documented workflows named {name}"
            found[name] = text
    return found


def audited_inputs() -> dict[str, str]:
    """Everything zizmor audits: where it is written in the temporary tree -> text."""
    inputs = dict(documented_workflows())
    for source, target in SHIPPED.items():
        path = ROOT / source
        if path.is_file():
            inputs[target] = path.read_text(encoding="utf-8")
    return inputs


def _zizmor() -> list[str]:
    found = shutil.which("zizmor", path=os.path.dirname(sys.executable)) or shutil.which("zizmor")
    assert found, "zizmor is in the test extra: pip install -e '.[test]'"
    return [found]


def run_zizmor(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN")}
    return subprocess.run(
        [
            *_zizmor(),
            "--offline",
            "--no-config",
            "--collect=all",
            "--persona",
            "pedantic",
            "--no-progress",
            "--color",
            "never",
            ".",
        ],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _write_tree(tree: Path, inputs: dict[str, str]) -> None:
    for name, text in inputs.items():
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_docs_show_a_workflow() -> None:
    workflows = documented_workflows()
    assert ".github/workflows/securedoc.yml" in workflows, "docs/pipelines.md shows the GitHub Actions workflow"
    for name, text in workflows.items():
        assert isinstance(yaml.safe_load(text), dict), f"{name} is not valid YAML"


def test_zizmor_finds_nothing(tmp_path: Path) -> None:
    inputs = audited_inputs()
    _write_tree(tmp_path, inputs)
    done = run_zizmor(tmp_path)
    assert done.returncode == 0, f"zizmor on {sorted(inputs)}:\n{done.stdout}\n{done.stderr}"
    for name in inputs:
        assert f"completed ./{name}" in done.stderr, f"zizmor did not audit {name}:\n{done.stderr}"


def test_zizmor_catches_what_it_should(tmp_path: Path) -> None:
    """The check can fail: the workflow these docs used to show has each of the holes."""
    bad = """name: securedoc
on: [push, pull_request]
jobs:
  verify:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: securedoc verify content/ --changed "origin/${{ github.base_ref }}"
"""
    _write_tree(tmp_path, {".github/workflows/bad.yml": bad})
    done = run_zizmor(tmp_path)
    assert done.returncode != 0
    for audit in ("unpinned-uses", "artipacked", "excessive-permissions", "template-injection"):
        assert audit in done.stdout, f"zizmor no longer reports {audit}:\n{done.stdout}"


@pytest.mark.parametrize("name", sorted(documented_workflows()))
def test_documented_workflow_rules(name: str) -> None:
    """The rules, checked directly too (zizmor's personas change between releases)."""
    workflow = yaml.safe_load(documented_workflows()[name])
    assert "permissions" in workflow, "a top-level permissions: block"
    for job_name, job in workflow["jobs"].items():
        assert "permissions" in job or workflow["permissions"] in ({}, "read-all"), job_name
        for step in job.get("steps", []):
            uses = step.get("uses")
            if uses and not uses.startswith("./"):
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), f"{uses}: pin to a full commit SHA"
            if uses and uses.startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False
            assert "${{" not in str(step.get("run", "")), f"{job_name}: no ${{{{ }}}} inside run:"

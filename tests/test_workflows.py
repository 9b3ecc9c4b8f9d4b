"""The GitHub Actions workflows the project documents (and any action it ships) pass zizmor.

zizmor (pinned in the test extra) audits workflow and action definitions for the classic holes:
unpinned actions, broad token permissions, credentials persisted by actions/checkout, template
injection (``${{ }}`` inside ``run:``). It runs offline here, in the pedantic persona.

To audit another file, add it to :data:`SHIPPED` (a path in the repository, audited where it is
found) or document a workflow in ``docs/*.md`` as a fenced ``yaml`` block whose first line is
``# .github/workflows/NAME.yml``: :func:`audited_inputs` picks both up.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, ROOT

from securedoc.keys import Key, key_to_jwk

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


# -- the repository's own action (action.yml) ----------------------------------------------------


def _action() -> dict[str, object]:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert isinstance(action, dict)
    return action


def test_action_is_a_hardened_composite_action() -> None:
    action = _action()
    runs = action["runs"]
    assert isinstance(runs, dict) and runs["using"] == "composite"
    steps = runs["steps"]
    scripts = []
    for step in steps:
        uses = step.get("uses")
        if uses:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), f"{uses}: pin to a full commit SHA"
        if "run" in step:
            assert "${{" not in step["run"], "no ${{ }} inside run: (values come in through env:)"
            assert step.get("shell") == "bash"
            scripts.append(step["run"])
    install = next(step for step in steps if "pip install" in step.get("run", ""))
    # Installs itself, from the action's checkout (the pinned commit), passed in through env.
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert '"$ACTION_PATH"' in install["run"]
    verify = steps[-1]
    assert "verify --format github" in verify["run"] and "--trust" in verify["run"]
    assert verify["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"


def _verify_script() -> tuple[str, dict[str, str]]:
    step = _action()["runs"]["steps"][-1]  # type: ignore[index]
    return step["run"], step["env"]


@pytest.fixture
def runner(tmp_path: Path) -> Path:
    """A stand-in for the runner: $RUNNER_TEMP/securedoc-venv/bin/securedoc records its arguments."""
    if shutil.which("bash") is None or shutil.which("git") is None:
        pytest.skip("bash and git are needed")
    binary = tmp_path / "runner" / "securedoc-venv" / "bin" / "securedoc"
    binary.parent.mkdir(parents=True)
    binary.write_text(
        "#!/bin/sh\n"
        'printf "%s\\n" "$@" > "$RUNNER_TEMP/args"\n'
        'printf "%s" "${SECUREDOC_KEY-unset}" > "$RUNNER_TEMP/key"\n'
    )
    binary.chmod(0o755)
    return tmp_path / "runner"


def _run_verify_step(cwd: Path, runner: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    script, _ = _verify_script()
    env = {k: v for k, v in os.environ.items() if k not in ("SECUREDOC_KEY", "CI")}
    env.update(RUNNER_TEMP=str(runner), INPUT_PATHS=".", INPUT_KEY="", INPUT_TRUST="", EVENT_NAME="push", BASE_SHA="")
    env.update(inputs)
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_action_trusts_the_base_commit_on_pull_requests(tmp_path: Path, runner: Path) -> None:
    repo = tmp_path / "site"
    repo.mkdir()
    git_env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t"}
    git_env.update(GIT_COMMITTER_EMAIL="t@e", HOME=str(tmp_path))
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "base"]):
        subprocess.run(["git", *args], cwd=repo, env=git_env, check=True, capture_output=True)
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    done = _run_verify_step(repo, runner, EVENT_NAME="pull_request", BASE_SHA=base, INPUT_PATHS="content extra.md")
    assert done.returncode == 0, done.stderr
    args = (runner / "args").read_text().splitlines()
    assert args == ["verify", "--format", "github", "--trust", base, "--", "content", "extra.md"]
    assert (runner / "key").read_text() == "unset"  # an empty input never blanks a key the job set
    # A push: no --trust; the key input becomes SECUREDOC_KEY; an explicit trust input wins.
    done = _run_verify_step(repo, runner, INPUT_KEY='{"kty": "oct"}')
    assert (runner / "args").read_text().splitlines() == ["verify", "--format", "github", "--", "."]
    assert (runner / "key").read_text() == '{"kty": "oct"}'
    done = _run_verify_step(repo, runner, EVENT_NAME="pull_request", BASE_SHA=base, INPUT_TRUST="HEAD")
    assert "--trust\nHEAD\n" in (runner / "args").read_text()
    # A path input cannot smuggle shell syntax in: it is only ever words.
    marker = tmp_path / "pwned"
    done = _run_verify_step(repo, runner, INPUT_PATHS=f"$(touch {marker}) ;touch {marker}")
    assert done.returncode == 0 and not marker.exists()
    assert "$(touch" in (runner / "args").read_text()


def test_action_verifies_a_pull_request_against_its_base(tmp_path: Path, key: Key) -> None:
    """The action's verify step, run for real: an honest pull request passes, a changed field fails
    with an annotation, and the pull request cannot relax the check through its securedoc.yaml."""
    installed = shutil.which("securedoc", path=os.path.dirname(sys.executable))
    if installed is None or shutil.which("bash") is None or shutil.which("git") is None:
        pytest.skip("needs the installed securedoc, bash and git")
    runner = tmp_path / "runner"
    (runner / "securedoc-venv" / "bin").mkdir(parents=True)
    (runner / "securedoc-venv" / "bin" / "securedoc").symlink_to(installed)
    repo = tmp_path / "site"
    (repo / "content").mkdir(parents=True)
    shutil.copy(EXAMPLE, repo / "content" / "a.md")
    jwk = json.dumps(key_to_jwk(key))
    env = {k: v for k, v in os.environ.items() if k not in ("SECUREDOC_KEY", "SECUREDOC_KEY_COMMAND")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@e")
    env.update(HOME=str(tmp_path), SECUREDOC_KEY=jwk, CI="")

    def sh(*args: str) -> str:
        return subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, check=True).stdout

    sh("git", "init", "-q")
    sh(installed, "seal", "--force", "content")
    sh("git", "add", "-A")
    sh("git", "commit", "-qm", "base")
    base = sh("git", "rev-parse", "HEAD").strip()
    step = {"RUNNER_TEMP": str(runner), "INPUT_KEY": jwk, "EVENT_NAME": "pull_request", "BASE_SHA": base}
    script, _ = _verify_script()

    def action() -> subprocess.CompletedProcess[str]:
        step_env = {**env, "CI": "true", "GITHUB_ACTIONS": "true", "INPUT_PATHS": "content", "INPUT_TRUST": ""}
        step_env.update(step)
        step_env.pop("SECUREDOC_KEY")
        return subprocess.run(["bash", "-c", script], cwd=repo, env=step_env, capture_output=True, text=True)

    done = action()
    assert done.returncode == 0, done.stdout + done.stderr
    article = repo / "content" / "a.md"
    article.write_text(article.read_text().replace("quality: 104", "quality: 999"))
    (repo / "securedoc.yaml").write_text("fields:\n  exclude: [quality]\n")  # the author tries to relax it
    sh("git", "add", "-A")
    sh("git", "commit", "-qm", "pull request")
    done = action()
    assert done.returncode != 0
    assert "::error file=content/a.md,line=" in done.stdout and "quality" in done.stdout


def test_documented_verify_step_trusts_the_base_and_ends_options() -> None:
    workflow = yaml.safe_load(documented_workflows()[".github/workflows/securedoc.yml"])
    steps = [s for job in workflow["jobs"].values() for s in job["steps"] if "securedoc verify" in str(s.get("run"))]
    assert steps, "the workflow runs securedoc verify"
    for step in steps:
        assert '--trust "$TRUST"' in step["run"] and " -- " in step["run"]
        assert "pull_request.base.sha" in step["env"]["TRUST"]

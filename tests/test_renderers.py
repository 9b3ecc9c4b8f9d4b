"""Every output format, exactly, for verify, seal --dry-run and rotate over one fixed archive.

The archive holds an article that verifies, one sealed with a retired key (ok, with a warning), two
changed since sealing (XML's and GitHub's special characters in the values and the file name), one
with a field removed, one added and its body changed, one never sealed, one that cannot be read (a
duplicate key), and one whose file name holds an escape sequence and a line break. Only the run's
duration is masked; everything else, counts included, must stay as it is: the output is what CI
systems and people read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import KEY_BYTES, OTHER_BYTES, write_jwk

from securedoc.cli import cli as command
from securedoc.keys import Key

ODD_NAME = "f\x1b[31m\nname.md"


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(command, list(args), catch_exceptions=False)
    return result.exit_code, _masked(result.stdout), _masked(result.stderr)


def _masked(text: str) -> str:
    """The run's duration and rate, which differ from run to run."""
    text = re.sub(r"\((\d[\d,]*\.\d) s(, [\d,]+ files/s)?\)", "(T)", text)
    return re.sub(r'time="[\d.]+"', 'time="T"', text)


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("SECUREDOC_KEY", raising=False)
    monkeypatch.delenv("SECUREDOC_KEY_COMMAND", raising=False)
    write_jwk(tmp_path / "keys", Key("test-2026", "A256GCM", KEY_BYTES))
    write_jwk(tmp_path / "keys", Key("old-2024", "A256GCM", OTHER_BYTES))
    content = tmp_path / "content"
    content.mkdir()
    _write(content / "a-ok.md", "---\ntitle: Fine\n---\nBody\n")
    _write(content / "b-changed.md", "---\ntitle: Tom & Jerry <b>\ntags: [one, two]\n---\nBody\n")
    _write(content / "c 100%, a:b.md", '---\ntitle: "Line one\\nline two"\n---\nBody\n')
    _write(content / "b2-edited.md", "---\ntitle: Edited\nauthor: Ann\n---\nBody\n")
    _write(content / "d-retired.md", "---\ntitle: Old key\n---\nBody\n")
    assert _run("seal", "-q", "--primary", "test-2026", "content")[0] == 0
    assert _run("seal", "-q", "--force", "--primary", "old-2024", "content/d-retired.md")[0] == 0
    _write(tmp_path / "securedoc.yaml", "keys:\n  primary: test-2026\n  retired: [old-2024]\n")
    for name, old, new in (
        ("b-changed.md", "Tom & Jerry <b>\ntags: [one, two]", 'Tom & Jerry <i>\ntags: [one, "2"]'),
        ("c 100%, a:b.md", "line two", "line 2\\u001b[31m"),
        ("b2-edited.md", "author: Ann\n", "extra: 1\n"),
        ("b2-edited.md", "---\nBody\n", "---\nBody, edited\n"),
    ):
        path = content / name
        _write(path, path.read_text("utf-8").replace(old, new))
    _write(content / "e-unsealed.md", "---\ntitle: Never sealed\n---\nBody\n")
    _write(content / "f-duplicate.md", "---\ntitle: x\ntitle: y\n---\nBody\n")
    _write(content / ODD_NAME, "---\ntitle: Odd name\n---\nBody\n")
    yield tmp_path


GOLDEN = Path(__file__).resolve().parent / "data" / "renderers"
REGENERATE = "SECUREDOC_REGENERATE_GOLDEN"  # =1 rewrites the files (review the diff before committing)
RUNS = {
    "verify": ["verify"],
    "verify-unsealed-warn": ["verify", "--unsealed", "warn"],
    "seal-dry-run": ["seal", "--dry-run"],
    "rotate": ["rotate", "--to", "test-2026"],
}


@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit"])
@pytest.mark.parametrize("run", list(RUNS))
def test_exact_output(archive: Path, run: str, fmt: str) -> None:
    code, out, err = _run(*RUNS[run], "--format", fmt, "content")
    got = f"exit {code}\n----- stdout -----\n{out}----- stderr -----\n{err}"
    golden = GOLDEN / f"{run}.{fmt}.txt"
    if os.environ.get(REGENERATE) == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8")


def test_github_says_what_seal_replaced_as_text_and_json_do(archive: Path) -> None:
    """A seal (or seal --dry-run) over a seal that did not verify: text and JSON name the file and
    what changed; GitHub annotates it too (it used to say nothing: the report has no field list)."""
    path = Path("content/b-changed.md")
    changed = path.read_bytes()
    for dry in (["--dry-run"], []):
        outputs = {}
        for fmt in ("text", "json", "github"):
            path.write_bytes(changed)  # a real seal replaced it: the mismatch again
            outputs[fmt] = _run("seal", *dry, "--format", fmt, str(path))[1]
        assert "replaced a seal that did not verify (changed since sealing: title, tags)" in outputs["text"]
        assert "replaced a seal that did not verify (changed since sealing: title, tags)" in outputs["json"]
        (annotation,) = [line for line in outputs["github"].splitlines() if "b-changed.md" in line]
        assert annotation.startswith("::warning file=content/b-changed.md,line=4,title=securedoc%3A ")
        assert annotation.endswith("::replaced a seal that did not verify (changed since sealing: title, tags)")

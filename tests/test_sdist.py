"""The source distribution carries what its own test suite needs.

Built with `python -m build --sdist` (the `build` package is in the test extra), unpacked, and
compared with what git tracks; then the unpacked suite is collected from the unpacked folder, so a
data file or helper module missing from the sdist fails here rather than for a packager. (The full
run from an unpacked sdist, `pip install -e '.[test]' && pytest` there, is part of the release
steps in README.md ("Installing"); it passed when this test was written.)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow

# Everything tracked under these is needed by the tests, the docs they check, or the package.
NEEDED = ("securedoc/", "tests/", "docs/", "fuzz/", "benchmarks/", "examples/", ".ci/")
NEEDED_FILES = ("action.yml", ".pre-commit-hooks.yaml", "README.md", "LICENSE", "pyproject.toml", "keys/demo.jwk")


def test_sdist_holds_what_its_tests_need(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout (to know what is tracked)")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0 and "No module named build" in done.stderr:
        pytest.skip("the build package is in the test extra: pip install -e '.[test]'")
    assert done.returncode == 0, done.stdout + done.stderr
    (archive,) = (tmp_path / "dist").glob("securedoc-*.tar.gz")
    with tarfile.open(archive) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
        tar.extractall(tmp_path / "unpacked", filter="data")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    wanted = {
        name
        for name in tracked.splitlines()
        if (name.startswith(NEEDED) or name in NEEDED_FILES) and (ROOT / name).is_file()
    }
    missing = sorted(wanted - names)
    assert not missing, f"the sdist lacks: {missing}"
    assert not any(name.endswith(".jwk") and name != "keys/demo.jwk" for name in names), "a real key in the sdist"
    (top,) = (tmp_path / "unpacked").iterdir()
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=top,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-3000:]

"""Fuzzing: the harness checks of fuzz/harness.py, three ways.

* every finding so far (tests/data/fuzz/) is a regression test;
* hypothesis throws random and mutated-seed bytes at each check (always runs);
* atheris (libFuzzer, coverage-guided) runs each target for a bounded time from the committed seed
  corpus (fuzz/corpus/), when atheris is installed (it is, with the test extra, on Linux).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "fuzz"))

import harness  # noqa: E402

FINDINGS = sorted((ROOT / "tests" / "data" / "fuzz").iterdir())
SEEDS = {target: sorted((ROOT / "fuzz" / "corpus" / target).iterdir()) for target in harness.TARGETS}
FUZZ_SECONDS = int(os.environ.get("SECUREDOC_FUZZ_SECONDS", "20"))


@pytest.mark.parametrize("path", FINDINGS, ids=[p.name for p in FINDINGS])
def test_every_finding_stays_fixed(path: Path) -> None:
    target = path.name.split("-", 1)[0]
    harness.TARGETS[target](path.read_bytes())


@pytest.mark.parametrize("target", sorted(harness.TARGETS))
def test_seed_corpus_passes(target: str) -> None:
    assert SEEDS[target]
    for path in SEEDS[target]:
        harness.TARGETS[target](path.read_bytes())


@st.composite
def mutated(draw: st.DrawFn, target: str) -> bytes:
    seed = bytearray(draw(st.sampled_from(SEEDS[target])).read_bytes())
    for _ in range(draw(st.integers(0, 6))):
        if not seed:
            break
        at = draw(st.integers(0, len(seed) - 1))
        op = draw(st.sampled_from(["flip", "insert", "delete", "dup"]))
        if op == "flip":
            seed[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            seed[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del seed[at : at + draw(st.integers(1, 16))]
        else:
            seed[at:at] = seed[at : at + draw(st.integers(1, 64))]
    return bytes(seed)


@pytest.mark.parametrize("target", sorted(harness.TARGETS))
@given(data=st.data())
def test_hypothesis_fuzz(target: str, data: st.DataObject) -> None:
    blob = data.draw(st.one_of(st.binary(max_size=512), mutated(target)))
    harness.TARGETS[target](blob)


atheris_missing = False
try:
    import atheris  # noqa: F401
except ImportError:  # pragma: no cover - atheris has no wheel for this platform or Python
    atheris_missing = True


@pytest.mark.slow
@pytest.mark.skipif(atheris_missing, reason="atheris is not installed (it ships wheels for Linux, CPython < 3.13)")
@pytest.mark.parametrize("target", sorted(harness.TARGETS))
def test_atheris_bounded_run(target: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "fuzz" / "corpus" / target, corpus)
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "fuzz" / "fuzz.py"),
            target,
            f"-max_total_time={FUZZ_SECONDS}",
            "-rss_limit_mb=2048",
            "-timeout=10",
            "-seed=20261126",
            "-print_final_stats=1",
            str(corpus),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=FUZZ_SECONDS + 120,
    )
    findings = [p for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-", "leak-"))]
    detail = "\n".join(f"{p.name}: {p.read_bytes()[:300]!r}" for p in findings)
    assert done.returncode == 0 and not findings, f"{target}: {detail}\n{done.stderr[-3000:]}"
    runs = [line for line in done.stderr.splitlines() if line.startswith("stat::number_of_executed_units")]
    print(f"{target}: {runs[0] if runs else 'no stats'} in {FUZZ_SECONDS} s")

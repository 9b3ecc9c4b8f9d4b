"""Coverage-guided fuzzing with atheris (libFuzzer) of one target from fuzz/harness.py.

    python fuzz/fuzz.py envelope|document|payload [libFuzzer options] [CORPUS_DIR ...]

For example, ten minutes on the document parser, growing a scratch corpus seeded from ours:

    mkdir -p /tmp/doc && cp fuzz/corpus/document/* /tmp/doc/
    python fuzz/fuzz.py document -max_total_time=600 -rss_limit_mb=2048 -timeout=10 /tmp/doc

A finding is written as crash-* / timeout-* in the current folder; add it to tests/data/fuzz/ and
to the regression test in tests/test_fuzz.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))

with atheris.instrument_imports(include=["securedoc", "harness"]):
    import harness


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in harness.TARGETS:
        raise SystemExit(f"usage: fuzz.py {{{'|'.join(harness.TARGETS)}}} [libFuzzer options] [corpus ...]")
    check = harness.TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

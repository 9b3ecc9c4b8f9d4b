"""Run mutmut over one module with the tests that exercise it (docs/testing.md, "Mutation testing").

    pip install -e '.[test,mutation]'
    nice -n 19 python tests/mutate.py crypto             # all of securedoc/crypto.py's mutants
    nice -n 19 python tests/mutate.py articles '_self_check*'  # only some functions' mutants
    nice -n 19 python tests/mutate.py crypto securedoc.crypto.x_gcm_decrypt__mutmut_3  # again, one
    mutmut results                                       # what survived
    python tests/mutate.py --summary                     # the numbers, per module

`[tool.mutmut]` in pyproject.toml holds what is shared (the modules, the files copied, the pytest
options) and the union of the selections below, which plain `mutmut run` uses. A per-module
selection keeps a mutant's run short: mutmut runs each mutant against the selected tests that call
the mutated function, and a survivor runs all of them. One worker (`--max-children 1`), and the
reproducible hypothesis profile with fewer examples (`mutation`, tests/conftest.py).
"""

from __future__ import annotations

import dataclasses
import os
import sys


def _deselect(*tests: str) -> list[str]:
    return [arg for test in tests for arg in ("--deselect", test)]


# Slow in a mutation run (a survivor runs every selected test that calls the mutated function, each of
# these 10-50 s on the shared machine), and about sealing, opening or comparing the two paths over
# many generated articles rather than about one module's answers. Left out of the verify, payload
# and fastpath runs, whose functions nearly every test calls; docs/testing.md says so.
_SLOW = _deselect(
    "tests/test_seal_verify.py::test_open_after_seal_returns_the_payload",
    "tests/test_seal_verify.py::test_seal_twice_equals_seal_once",
    "tests/test_seal_verify.py::test_hide_then_restore_gives_back_the_same_bytes",
    "tests/test_fastpath.py::test_benchmark_articles_fast_equals_full",
    "tests/test_fastpath.py::test_every_policy_fast_equals_full",
    "tests/test_toml.py::test_hide_then_restore_gives_back_the_same_bytes",
    "tests/test_toml.py::test_seal_changes_nothing_but_one_line_and_verifies",
    "tests/test_mutation_kills.py::test_the_production_proof_writes_what_the_full_check_writes",
)

# The tests of each module that run in this process (a child process never sees a mutant).
SELECTION: dict[str, list[str]] = {
    "crypto": [
        "tests/test_crypto_wycheproof.py",
        "tests/test_envelope.py",
        "tests/test_vectors.py",
        "tests/test_vectors_signed.py",
        "tests/test_seal_verify.py",
        "tests/test_signed.py",
        "tests/test_mutation_kills.py",
    ],
    "envelope": [
        "tests/test_envelope.py",
        "tests/test_vectors.py",
        "tests/test_vectors_signed.py",
        "tests/test_seal_verify.py",
        "tests/test_jose_interop.py",
        "tests/test_signed.py",
        "tests/test_mutation_kills.py",
        "tests/test_mutants_mA.py",
    ],
    "payload": [
        "tests/test_payload.py",
        "tests/test_vectors.py",
        "tests/test_vectors_signed.py",
        "tests/test_seal_verify.py",
        "tests/test_toml.py",
        "tests/test_jose_interop.py",
        "tests/test_mutation_kills.py",
        "tests/test_mutants_mB.py",
        *_SLOW,
    ],
    "verify": [
        "tests/test_mutants_mB.py",
        "tests/test_seal_verify.py",
        "tests/test_vectors.py",
        "tests/test_vectors_signed.py",
        "tests/test_fastpath.py",
        "tests/test_signed.py",
        "tests/test_toml.py",
        "tests/test_mutation_kills.py",
        *_SLOW,
        *_deselect("tests/test_fastpath.py::test_toml_articles_fast_equals_full"),
    ],
    "cache": ["tests/test_cache.py", "tests/test_signed.py", "tests/test_mutation_kills.py"],
    "fileio": [
        "tests/test_fileio.py",
        "tests/test_crash.py",
        "tests/test_batch.py",
        "tests/test_mutation_kills.py",
        "tests/test_mutants_mA.py",
    ],
    "atomicfile": [
        "tests/test_fileio.py",
        "tests/test_crash.py",
        "tests/test_cache.py",
        "tests/test_keys.py",
        "tests/test_mutation_kills.py",
        "tests/test_mutants_mA.py",
    ],
    # articles.py is called by nearly every test that seals, and a survivor runs all of them: the
    # corpus-wide tests (minutes under mutation, each) stay out; the rest exercise the same code.
    "articles": [
        "tests/test_mutants_mC.py",
        "tests/test_mutants_mE.py",
        "tests/test_vectors_signed.py",  # a signed seal's nested JWE, byte for byte (seal_document's _nonce)
        "tests/test_api.py::test_seal_and_seal_file_tell_warnings_the_same_way",  # "-" for an article in memory
        "tests/test_mutants_mD.py",
        "tests/test_seal_verify.py",
        "tests/test_document.py",
        "tests/test_hostile.py",
        "tests/test_fastpath.py",
        "tests/test_signed.py",
        "tests/test_toml.py",
        "tests/test_vectors.py",
        "tests/test_mutation_kills.py",
        "--deselect=tests/test_fastpath.py::test_hugo_docs_corpus_fast_equals_full",
        "--deselect=tests/test_fastpath.py::test_benchmark_articles_fast_equals_full",
        "--deselect=tests/test_fastpath.py::test_every_policy_fast_equals_full",
        "--deselect=tests/test_document.py::test_hugo_corpus_byte_preservation",
    ],
    "sealing": [
        "tests/test_signed.py",
        "tests/test_seal_verify.py",
        "tests/test_vectors_signed.py",
        "tests/test_jose_interop.py",
        "tests/test_mutation_kills.py",
        "tests/test_mutants_mA.py",
    ],
    "fastpath": [
        "tests/test_fastpath.py",
        "tests/test_vectors.py",
        "tests/test_vectors_signed.py",
        "tests/test_signed.py",
        "tests/test_mutation_kills.py",
        "tests/test_mutants_mB.py",
        *_SLOW,
    ],
}


RESULTS = "mutants/results-{module}.json"  # kept across runs: mutmut forgets when the selection changes


def _record(module: str) -> None:
    """Merge what this run decided about the module's mutants into its results file."""
    import json
    from pathlib import Path

    from mutmut.stats import status_by_exit_code

    meta = Path("mutants") / "securedoc" / f"{module}.py.meta"
    results_path = Path(RESULTS.format(module=module))
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    results = {name: status for name, status in results.items() if name in codes}  # mutants of old code
    for name, code in codes.items():
        if code is not None:
            results[name] = status_by_exit_code[code]
        results.setdefault(name, "not checked")
    results_path.write_text(json.dumps(results, indent=0, sort_keys=True))


def summary() -> None:
    """Per module: mutants, killed, survived, timeouts (detected), no tests, not run yet, and the
    score (killed or timed out, out of those run and reached by a test)."""
    import json
    from collections import Counter
    from pathlib import Path

    print("module     mutants killed timeout survived no tests not run score")
    for module in SELECTION:
        path = Path(RESULTS.format(module=module))
        if not path.exists():
            continue
        results = json.loads(path.read_text())
        count = Counter(results.values())
        detected, survived = count["killed"] + count["timeout"], count["survived"]
        score = f"{100 * detected / (detected + survived):.1f}%" if detected + survived else "-"
        print(
            f"{module:10} {len(results):7} {count['killed']:6} {count['timeout']:7} {survived:8} "
            f"{count['no tests']:8} {count['not checked']:7} {score}"
        )
    for module in SELECTION:
        path = Path(RESULTS.format(module=module))
        if path.exists():
            for name, status in sorted(json.loads(path.read_text()).items()):
                if status == "survived":
                    print("survived:", name)


def main(argv: list[str]) -> None:
    if argv == ["--summary"]:
        return summary()
    if not argv or argv[0] not in SELECTION:
        sys.exit(f"usage: python tests/mutate.py {{{','.join(SELECTION)}}} [FUNCTION-GLOB...]")
    module, functions = argv[0], argv[1:]
    os.environ.setdefault("HYPOTHESIS_PROFILE", "mutation")
    import mutmut.__main__ as mutmut_main  # the `mutmut` command, with this module's selection
    from mutmut import configuration

    base = configuration.config()
    configuration._config = dataclasses.replace(base, pytest_add_cli_args_test_selection=SELECTION[module])
    # Mutant names: securedoc.MODULE.x_FUNCTION__mutmut_N, or xǁCLASSǁMETHOD__mutmut_N for methods.
    names = [f if f.startswith("securedoc.") else f"securedoc.{module}.x_{f}" for f in functions]
    names = names or [f"securedoc.{module}.x*"]
    try:
        mutmut_main.cli(["run", "--max-children", "1", *names])
    except SystemExit as exit:
        if exit.code:
            raise
    finally:
        _record(module)


if __name__ == "__main__":
    main(sys.argv[1:])

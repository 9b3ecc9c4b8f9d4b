"""The public API: its names, its doctest, and seal()/seal_file() telling warnings the same way."""

from __future__ import annotations

import doctest
import warnings
from pathlib import Path

import pytest
from conftest import LEGACY_BYTES, article

import securedoc
from securedoc import api
from securedoc.keys import Key, Keyring

KEY = Key("test-2026", "A256GCM", bytes(range(32)), source="test")
LEGACY = Key("legacy-cbc", "A128CBC", LEGACY_BYTES, source="test")
RING = Keyring([KEY, LEGACY], primary="test-2026")


def test_the_api_doctest_runs() -> None:
    result = doctest.testmod(api, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 4 and result.failed == 0


def test_the_public_names_are_few_and_all_there() -> None:
    assert len(securedoc.__all__) <= 30
    for name in securedoc.__all__:
        assert hasattr(securedoc, name), name
    # what the README's example imports
    from securedoc import Keyring, generate_key, open, seal, verify  # noqa: F401


def _seal_warnings(call: object) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()  # type: ignore[operator]
    return [str(w.message) for w in caught if issubclass(w.category, securedoc.SecuredocWarning)]


def test_seal_and_seal_file_tell_warnings_the_same_way(tmp_path: Path) -> None:
    text = article("title: Hello\n")
    path = tmp_path / "a.md"
    path.write_bytes(text)
    in_memory = _seal_warnings(lambda: api.seal(text, RING, legacy=True))
    on_disk = _seal_warnings(lambda: api.seal_file(path, RING, legacy=True))
    assert len(in_memory) == 1 and "legacy AES-CBC seal" in in_memory[0] and in_memory[0].startswith("-: ")
    assert on_disk == [in_memory[0].replace("-: ", f"{path}: ", 1)]
    # and the report of seal_file still carries it
    path.write_bytes(text)
    with pytest.warns(securedoc.SecuredocWarning):
        report = api.seal_file(path, RING, legacy=True)
    assert len(report.warnings) == 1


def test_no_warning_when_there_is_nothing_to_say(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(article("title: Hello\n"))
    assert _seal_warnings(lambda: api.seal(article("title: Hello\n"), RING)) == []
    assert _seal_warnings(lambda: api.seal_file(path, RING)) == []


def test_importing_any_module_leaves_the_public_names_alone() -> None:
    """A submodule named like a public function replaces it on the package when it is imported
    late (securedoc.seal, the module, was imported only when sealing: `securedoc.seal(...)` then
    raised 'module object is not callable'). A fresh interpreter imports every module."""
    import subprocess
    import sys

    program = (
        "import importlib, pkgutil, types, securedoc\n"
        "before = {n: getattr(securedoc, n) for n in securedoc.__all__}\n"
        "for m in pkgutil.iter_modules(securedoc.__path__):\n"
        "    if m.name != '__main__':\n"
        "        importlib.import_module('securedoc.' + m.name)\n"
        "changed = [n for n in securedoc.__all__ if getattr(securedoc, n) is not before[n]]\n"
        "assert not changed, changed\n"
        "assert not any(isinstance(getattr(securedoc, n), types.ModuleType) for n in securedoc.__all__)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

"""Start-up: `securedoc verify one.md` loads only what verifying one file needs.

docs/performance.md measures start-up against the bare import line of its dependencies; this test
keeps the modules that made it slow (a process pool for one file, JUnit's XML helpers, subprocess
for git and key commands, the cache's HKDF) out of a one-file run, so a new import at the top of
a module cannot quietly undo it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLE, write_jwk

from securedoc.keys import Key

NOT_NEEDED = (
    "multiprocessing",
    "concurrent.futures",
    "xml.sax",
    "subprocess",
    "tempfile",
    "shutil",
    "urllib.request",
    "email",
    "cryptography.hazmat.primitives.kdf.hkdf",
    "tomllib",
)

PROGRAM = """
import json, sys
from securedoc.cli import main
try:
    main()
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def test_verify_one_file_loads_only_what_it_needs(tmp_path: Path) -> None:
    key = Key("start-2026", "A256GCM", bytes(range(32)))
    write_jwk(tmp_path / "keys", key)
    (tmp_path / "one.md").write_bytes(EXAMPLE.read_bytes())
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "SECUREDOC_KEY")}
    sealed = subprocess.run(
        [sys.executable, "-m", "securedoc", "seal", "one.md", "--force", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
    )
    assert sealed.returncode == 0, sealed.stderr
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, "verify", "one.md"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    result = json.loads(done.stderr.strip().splitlines()[-1])
    assert result["code"] == 0, done.stdout + done.stderr
    loaded = [m for m in result["modules"] if any(m == n or m.startswith(n + ".") for n in NOT_NEEDED)]
    assert loaded == [], f"a one-file verify loaded {loaded}: import them where they are used"


# -- the narrow front door (securedoc.entry) -------------------------------------------------------

ENTRY = """
import json, sys
from securedoc.entry import main
try:
    main()
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""

# entry.main leaves with os._exit once the narrow path has answered: ask entry.quick instead.
QUICK = """
import json, sys
from securedoc import entry
code = entry.quick(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""

# What `securedoc verify one.md` never needs on the narrow path: Click and the full command line
# (about as costly to import as the rest of securedoc), and what only sealing or a cache needs.
NOT_NEEDED_NARROW = NOT_NEEDED + (
    "click",
    "securedoc.cli",
    "securedoc.cli_extra",
    "securedoc.streams",
    "securedoc.articles",
    "securedoc.cache",
    "cryptography.hazmat.primitives.padding",
    "cryptography.hazmat.primitives.asymmetric.ed25519",
    "signal",
)


def _sealed_project(tmp_path: Path) -> dict[str, str]:
    key = Key("start-2026", "A256GCM", bytes(range(32)))
    write_jwk(tmp_path / "keys", key)
    (tmp_path / "one.md").write_bytes(EXAMPLE.read_bytes())
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "SECUREDOC_KEY", "SECUREDOC_KEY_COMMAND")}
    sealed = subprocess.run(
        [sys.executable, "-m", "securedoc", "seal", "one.md", "--force", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
    )
    assert sealed.returncode == 0, sealed.stderr
    return env


def test_console_script_is_the_narrow_entry_point() -> None:
    import tomllib

    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["securedoc"] == "securedoc.entry:main"


def test_narrow_verify_loads_neither_click_nor_sealing(tmp_path: Path) -> None:
    env = _sealed_project(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", QUICK, "verify", "one.md"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    result = json.loads(done.stderr.strip().splitlines()[-1])
    assert result["code"] == 0, done.stdout + done.stderr
    assert "securedoc verify: 1 file: 1 ok" in done.stderr
    for script in (
        [sys.executable, "-m", "securedoc"],
        [sys.executable, "-c", "from securedoc.entry import main; main()"],
    ):
        through_main = subprocess.run(
            [*script, "verify", "one.md"], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert (through_main.returncode, through_main.stdout) == (0, ""), through_main.stderr
        assert through_main.stderr.startswith("securedoc verify: 1 file: 1 ok ("), through_main.stderr
    loaded = [m for m in result["modules"] if any(m == n or m.startswith(n + ".") for n in NOT_NEEDED_NARROW)]
    assert loaded == [], f"the narrow `verify one.md` loaded {loaded}: import them where they are used"


def test_other_commands_go_to_the_full_command_line(tmp_path: Path) -> None:
    env = _sealed_project(tmp_path)
    for args in (["verify", "one.md", "--full"], ["verify", "."], ["open", "one.md"]):
        done = subprocess.run(
            [sys.executable, "-c", ENTRY, *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        result = json.loads(done.stderr.strip().splitlines()[-1])
        assert result["code"] == 0, done.stdout + done.stderr
        assert "securedoc.cli" in result["modules"], args


def test_the_package_imports_its_api_when_used() -> None:
    """`import securedoc` is cheap (PEP 562), and `securedoc.seal` / `securedoc.verify` stay the API's
    functions even after their modules of the same names are imported."""
    program = """
import json, sys
import securedoc
light = "securedoc.api" not in sys.modules
from securedoc.keys import Key, Keyring
ring = Keyring([Key("k-2026", "A256GCM", bytes(range(32)))])
sealed = securedoc.seal("---\\ntitle: Hello\\n---\\nBody\\n", ring)
import securedoc.articles, securedoc.verify
from securedoc import seal, verify
again = securedoc.seal(sealed, ring)
print(json.dumps({
    "light": light,
    "functions": [callable(securedoc.seal), callable(securedoc.verify), callable(seal), callable(verify)],
    "ok": securedoc.verify(again, ring).status.value,
    "exports": sorted(n for n in securedoc.__all__ if not hasattr(securedoc, n)),
}))
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result == {"light": True, "functions": [True, True, True, True], "ok": "ok", "exports": []}

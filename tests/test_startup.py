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

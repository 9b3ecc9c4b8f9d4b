"""The narrow front door (securedoc.entry) prints exactly what the full command line prints.

`securedoc verify FILE...` is answered without Click when the narrow path can (see
securedoc/entry.py); everything else goes to securedoc.cli. Here both run on the same projects
(good, changed, unsealed and broken articles; warnings; settings; CI; no keys) and must give the
same exit code, standard output and standard error, byte for byte but for the elapsed time. Where
the narrow path is meant to answer on its own, the test checks that it did.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import EXAMPLE, write_jwk

from securedoc.entry import QUICK_FILES
from securedoc.keys import Key, key_to_jwk

FULL = "import sys\nfrom securedoc.cli import main\nmain()\n"
NARROW = "import sys\nfrom securedoc.entry import main\nmain()\n"
# Whether the narrow path answers by itself (a code) or hands over (None).
ANSWERS = (
    "import json, os, sys\n"
    "from securedoc.entry import _quick_verify\n"
    "code = _quick_verify(tuple(sys.argv[1:]))\n"
    "open(os.environ['ANSWER_FILE'], 'w').write(json.dumps(code))\n"
)

KEY = Key("entry-2026", "A256GCM", bytes(range(32)))
RETIRED = Key("entry-2024", "A256GCM", bytes(range(50, 82)))


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "SECUREDOC_KEY", "SECUREDOC_KEY_COMMAND", "SECUREDOC_DEBUG", "GITHUB_ACTIONS")
    }
    env.update(extra)
    return env


def _seal(folder: Path, *names: str, key: str = KEY.kid) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FULL, "seal", *names, "--force", "-q", "--primary", key],
        cwd=folder,
        env=_env(),
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr


def _project(tmp: Path, count: int = 1) -> list[str]:
    write_jwk(tmp / "keys", KEY)
    names = [f"a{i}.md" for i in range(count)]
    for name in names:
        (tmp / name).write_bytes(EXAMPLE.read_bytes())
    _seal(tmp, *names)
    return names


# A scenario gives the arguments, the environment, and whether the narrow path answers by itself
# (True), hands over (False), or is never asked because main() sends the arguments elsewhere (None).
Scenario = Callable[[Path], tuple[list[str], dict[str, str], bool | None]]


def ok_one(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    return ["verify", *_project(tmp)], _env(), True


def ok_many(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    return ["verify", *_project(tmp, 3)], _env(), True


def changed_value(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    names = _project(tmp, 2)
    data = (tmp / names[1]).read_bytes()
    (tmp / names[1]).write_bytes(data.replace(b"category: news", b"category: opinion", 1))
    return ["verify", *names], _env(), True


def reformatted(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    names = _project(tmp)
    data = (tmp / names[0]).read_bytes()
    (tmp / names[0]).write_bytes(data.replace(b"category: news", b"category: 'news'", 1))
    return ["verify", *names], _env(), True


def unsealed(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    names = _project(tmp)
    (tmp / "plain.md").write_bytes(EXAMPLE.read_bytes())
    return ["verify", *names, "plain.md"], _env(), True


def broken_seal(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    names = _project(tmp)
    data = (tmp / names[0]).read_bytes()
    (tmp / names[0]).write_bytes(re.sub(rb'secured: "([A-Za-z0-9_-]+)', rb'secured: "\1!', data, count=1))
    return ["verify", *names], _env(), True


def not_markdown(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    _project(tmp)
    (tmp / "notes.txt").write_text("hello\n")
    return ["verify", "notes.txt"], _env(), True


def retired_key(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    write_jwk(tmp / "keys", RETIRED)
    names = _project(tmp)
    _seal(tmp, *names, key=RETIRED.kid)
    (tmp / "securedoc.yaml").write_text(f"keys:\n  primary: {KEY.kid}\n  retired: [{RETIRED.kid}]\n")
    return ["verify", *names], _env(), True


def unsealed_warn_setting(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    names = _project(tmp)
    (tmp / "plain.md").write_bytes(EXAMPLE.read_bytes())
    (tmp / "securedoc.yaml").write_text("unsealed: warn\n")
    return ["verify", *names, "plain.md"], _env(), True


def loosening_in_ci(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    names = _project(tmp)
    (tmp / "securedoc.yaml").write_text("unsealed: warn\n")
    return ["verify", *names], _env(CI="true", SECUREDOC_KEY=json.dumps(key_to_jwk(KEY))), False


def ci_with_secret(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    names = _project(tmp)
    shutil.rmtree(tmp / "keys")
    return ["verify", *names], _env(CI="true", SECUREDOC_KEY=json.dumps(key_to_jwk(KEY))), True


def ci_checkout_keys_only(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    return ["verify", *_project(tmp)], _env(CI="true"), False


def demo_key_in_ci(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    names = _project(tmp)
    demo = json.loads((Path(__file__).resolve().parent.parent / "keys" / "demo.jwk").read_text())
    both = {"keys": [key_to_jwk(KEY), demo]}
    return ["verify", *names], _env(CI="true", SECUREDOC_KEY=json.dumps(both)), False


def loose_key_file(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    names = _project(tmp)
    (tmp / "keys" / f"{KEY.kid}.jwk").chmod(0o644)
    return ["verify", *names], _env(), False


def no_keys(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    names = _project(tmp)
    shutil.rmtree(tmp / "keys")
    return ["verify", *names], _env(), False


def bad_config(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    names = _project(tmp)
    (tmp / "securedoc.yaml").write_text("unsealed: [\n")
    return ["verify", *names], _env(), False


def configured_cache(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    names = _project(tmp)
    (tmp / "securedoc.yaml").write_text("cache: .cache\n")
    return ["verify", *names], _env(), False


def too_many_files(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    names = _project(tmp, 1)
    for i in range(QUICK_FILES):
        shutil.copy(tmp / names[0], tmp / f"copy{i}.md")
    return ["verify", *names, *(f"copy{i}.md" for i in range(QUICK_FILES))], _env(), None


def folder(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    _project(tmp)
    return ["verify", "."], _env(), None


def an_option(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    return ["verify", *_project(tmp), "--format", "json"], _env(), None


def missing_file(tmp: Path) -> tuple[list[str], dict[str, str], bool | None]:
    return ["verify", *_project(tmp), "gone.md"], _env(), None


SCENARIOS: list[Scenario] = [
    ok_one,
    ok_many,
    changed_value,
    reformatted,
    unsealed,
    broken_seal,
    not_markdown,
    retired_key,
    unsealed_warn_setting,
    loosening_in_ci,
    ci_with_secret,
    ci_checkout_keys_only,
    demo_key_in_ci,
    loose_key_file,
    no_keys,
    bad_config,
    configured_cache,
    too_many_files,
    folder,
    an_option,
    missing_file,
]

_ELAPSED = re.compile(r"\(\d+\.\d s(, [\d,]+ files/s)?\)")


def _run(program: str, args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-c", program, *args], cwd=cwd, env=env, capture_output=True, text=True)
    return done.returncode, done.stdout, _ELAPSED.sub("(TIME)", done.stderr)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_narrow_path_prints_what_the_command_line_prints(scenario: Scenario, tmp_path: Path) -> None:
    args, env, answers = scenario(tmp_path)
    twin = tmp_path.parent / f"{tmp_path.name}-twin"  # the same project, for runs that leave traces (a cache)
    shutil.copytree(tmp_path, twin, symlinks=True)
    full = _run(FULL, args, tmp_path, env)
    code, out, err = _run(NARROW, args, twin, env)
    narrow = (code, out.replace(str(twin), str(tmp_path)), err.replace(str(twin), str(tmp_path)))
    assert narrow == full
    assert "Traceback" not in full[2]
    answer_file = tmp_path.parent / f"{tmp_path.name}.answer"
    done = subprocess.run(
        [sys.executable, "-c", ANSWERS, *args[1:]],
        cwd=tmp_path,
        env={**env, "ANSWER_FILE": str(answer_file)},
        capture_output=True,
        text=True,
    )
    code = json.loads(answer_file.read_text()) if answer_file.exists() else None
    if answers is None:
        return
    if answers:
        assert code == full[0], done.stderr  # answered by itself, with the command line's exit code
        assert (done.returncode, done.stdout, _ELAPSED.sub("(TIME)", done.stderr)) == (0, full[1], full[2])
    else:
        assert code is None, "the narrow path answered where it must hand over"
        assert (done.stdout, done.stderr) == ("", "")  # and printed nothing before handing over

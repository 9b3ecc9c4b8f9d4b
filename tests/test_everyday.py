"""Everyday use (issue 13), through the installed `securedoc` command: keys from a command, quiet
runs, no escape codes, errors as GitHub annotations, the PyYAML warning, `keys new` and keys.dir.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLE, write_jwk

from securedoc.keys import Key, key_to_jwk

SECUREDOC = shutil.which("securedoc", path=str(Path(sys.executable).parent)) or "securedoc"
_CLEARED = ("SECUREDOC_KEY", "SECUREDOC_KEY_COMMAND", "CI", "GITHUB_ACTIONS", "NO_COLOR", "VISUAL", "EDITOR")


def env_with(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(extra)
    return env


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, input: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [SECUREDOC, *args],
        cwd=cwd,
        env=env if env is not None else env_with(),
        input=input,
        capture_output=True,
        timeout=120,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
    )


def secret_of(key: Key) -> str:
    return str(key_to_jwk(key)["k"])


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """content/ with a copy of the example article; no keys anywhere."""
    (tmp_path / "content").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "content" / "a.md")
    return tmp_path


def key_script(folder: Path, body: str) -> Path:
    script = folder / "key-helper"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return script


# -- 4: keys from a command ----------------------------------------------------------------------


def test_key_command_seals_and_verifies(site: Path, key: Key, tmp_path_factory: pytest.TempPathFactory) -> None:
    vault = write_jwk(tmp_path_factory.mktemp("vault"), key)
    script = key_script(site, f"echo 'unlocking vault' >&2\ncat '{vault}'\n")
    done = run("seal", "--force", "content", "--key-command", str(script), cwd=site)
    assert done.returncode == 0, done.stderr
    assert "1 sealed" in done.stderr
    done = run("verify", "content", cwd=site, env=env_with(SECUREDOC_KEY_COMMAND=str(script)))
    assert done.returncode == 0 and "1 ok" in done.stderr
    for output in (done.stdout, done.stderr):
        assert secret_of(key) not in output and "unlocking vault" not in output
    listed = run("keys", "list", "--format", "json", "--key-command", f"sh -c 'cat \"{vault}\"'", cwd=site)
    assert json.loads(listed.stdout)["kid"] == key.kid
    assert secret_of(key) not in listed.stdout + listed.stderr
    # The option wins over the variable.
    done = run("verify", "content", "--key-command", str(script), cwd=site, env=env_with(SECUREDOC_KEY_COMMAND="false"))
    assert done.returncode == 0


@pytest.mark.parametrize(
    "body, says",
    [
        ("cat \"$VAULT\"\necho 'the vault said no' >&2\nexit 3\n", "failed (exit status 3)"),
        ('printf \'{"kty": "oct", "k": "%s"\' "$SECRET"\n', "not a JSON Web Key"),
        ('printf \'{"kty": "oct", "alg": "A256GCM", "kid": "x", "k": "%s!"}\' "$SECRET"\n', "the key command"),
        ("exit 0\n", "printed nothing"),
        ("kill -9 $$\n", "killed by signal 9"),
    ],
)
def test_failing_key_command_is_a_clear_exit_2_that_shows_none_of_its_output(
    site: Path, key: Key, tmp_path_factory: pytest.TempPathFactory, body: str, says: str
) -> None:
    vault = write_jwk(tmp_path_factory.mktemp("vault"), key)
    script = key_script(site, body)
    env = env_with(VAULT=str(vault), SECRET=secret_of(key), SECUREDOC_KEY_COMMAND=str(script))
    for args in (("verify", "content"), ("seal", "content"), ("open", "content/a.md"), ("keys", "list")):
        done = run(*args, cwd=site, env=env)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert says in done.stderr and "key-helper" in done.stderr
        assert "Traceback" not in done.stderr
        for output in (done.stdout, done.stderr):
            assert secret_of(key) not in output and "the vault said no" not in output


def test_key_command_not_found_or_unsplittable(site: Path) -> None:
    done = run("verify", "content", "--key-command", "/nonexistent/pass show x", cwd=site)
    assert done.returncode == 2 and "the key command 'pass' was not found" in done.stderr
    done = run("verify", "content", "--key-command", "pass 'show", cwd=site)
    assert done.returncode == 2 and "cannot split" in done.stderr
    assert "Traceback" not in done.stderr


def test_key_command_is_never_read_from_the_configuration(site: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    script = key_script(site, f"touch '{marker}'\n")
    for text in (f"key_command: {script}\n", f"keys:\n  command: {script}\n"):
        (site / "securedoc.yaml").write_text(text)
        done = run("verify", "content", cwd=site)
        assert done.returncode == 2 and "unknown setting" in done.stderr
        assert not marker.exists()


# -- 7: the small things -------------------------------------------------------------------------


def test_keys_new_honours_keys_dir_from_the_configuration(site: Path) -> None:
    (site / "securedoc.yaml").write_text("keys:\n  dir: secrets/keys\n  primary: k1\n")
    sub = site / "content"
    done = run("keys", "new", "k1", cwd=sub)
    assert done.returncode == 0, done.stderr
    made = site / "secrets" / "keys" / "k1.jwk"
    assert made.is_file() and (made.stat().st_mode & 0o777) == 0o600
    assert not (sub / "keys").exists() and not (site / "keys").exists()
    # ... and the key it made is the one the project then uses.
    assert run("seal", "--force", "a.md", cwd=sub).returncode == 0
    assert "sealed with key 'k1'" in run("open", "a.md", cwd=sub).stdout
    # --dir still wins.
    assert run("keys", "new", "k2", "--dir", "elsewhere", cwd=site).returncode == 0
    assert (site / "elsewhere" / "k2.jwk").is_file()


def test_seal_quiet_prints_nothing_when_all_is_well(site: Path, key: Key) -> None:
    write_jwk(site / "keys", key)
    shutil.copy(EXAMPLE, site / "content" / "b.md")
    done = run("seal", "--force", "-q", "content", cwd=site)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    (site / "content" / "c.md").write_text("no front matter\n")
    done = run("seal", "-q", "content", cwd=site)
    assert done.returncode == 1
    assert "c.md" in done.stdout and "a.md" not in done.stdout and "b.md" not in done.stdout


@pytest.mark.parametrize("variable", [{"TERM": "dumb"}, {"NO_COLOR": "1", "TERM": "xterm"}])
def test_no_escape_codes_for_dumb_terminals(site: Path, key: Key, variable: dict[str, str]) -> None:
    write_jwk(site / "keys", key)
    for i in range(40):
        shutil.copy(EXAMPLE, site / "content" / f"copy-{i}.md")
    env = env_with(**variable)
    done = run("seal", "--force", "--progress", "content", cwd=site, env=env)
    assert done.returncode == 0
    done = run("verify", "--progress", "-v", "content", cwd=site, env=env)
    assert done.returncode == 0
    assert "\x1b" not in done.stdout + done.stderr


def test_verify_in_ci_without_a_key_is_an_error_annotation(site: Path) -> None:
    done = run("verify", "content", "--format", "github", cwd=site, env=env_with(CI="true", GITHUB_ACTIONS="true"))
    assert done.returncode == 2
    assert done.stdout.startswith("::error title=securedoc::no keys found")
    assert "no keys found" in done.stderr
    done = run("verify", "--format=github", "content", cwd=site, env=env_with(CI="true"))
    assert done.stdout.startswith("::error ")
    # Without --format github, no annotation.
    done = run("verify", "content", cwd=site, env=env_with(CI="true"))
    assert done.returncode == 2 and "::error" not in done.stdout + done.stderr


def test_errors_that_stop_the_run_are_annotations_under_format_github(site: Path, key: Key) -> None:
    write_jwk(site / "keys", key)
    (site / "securedoc.yaml").write_text("colour: blue\n")
    done = run("verify", "content", "--format", "github", cwd=site)
    assert done.returncode == 2 and done.stdout.startswith("::error title=securedoc::")
    assert "unknown setting" in done.stdout
    (site / "securedoc.yaml").unlink()
    done = run("verify", "content", "--format", "github", "--jobs", "0", cwd=site)
    assert done.returncode == 2 and done.stdout.startswith("::error title=securedoc::")
    # One line per annotation: a newline in the message is encoded, never a new command.
    assert all(line.startswith("::") for line in done.stdout.splitlines())


def test_pyyaml_without_its_c_extension_warns_once(site: Path, key: Key) -> None:
    write_jwk(site / "keys", key)
    for i in range(20):
        shutil.copy(EXAMPLE, site / "content" / f"copy-{i}.md")
    program = (
        "import sys; sys.modules['yaml._yaml'] = None; "
        "import yaml; assert not yaml.__with_libyaml__; "
        "from securedoc.cli import main; sys.argv[0] = 'securedoc'; main()"
    )

    def securedoc_without_libyaml(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", program, *args], cwd=site, env=env_with(), capture_output=True, text=True
        )

    done = securedoc_without_libyaml("seal", "--force", "--jobs", "2", "content")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("without its C extension") == 1
    done = securedoc_without_libyaml("verify", "--jobs", "2", "content")
    assert done.returncode == 0 and done.stderr.count("without its C extension") == 1
    assert securedoc_without_libyaml("seal", "-q", "content").stderr == ""
    # With libyaml, not a word.
    assert "C extension" not in run("verify", "content", cwd=site).stderr

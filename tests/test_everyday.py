"""Everyday use (issue 13), through the installed `securedoc` command: keys from a command, quiet
runs, no escape codes, errors as GitHub annotations, the PyYAML warning, `keys new` and keys.dir.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
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
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    input: bytes | None = None,
    preexec_fn: Callable[[], object] | None = None,
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [SECUREDOC, *args],
        cwd=cwd,
        env=env if env is not None else env_with(),
        input=input,
        capture_output=True,
        timeout=120,
        preexec_fn=preexec_fn,
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


# -- 1: securedoc edit ---------------------------------------------------------------------------

EDITOR_SCRIPT = r"""
import json, os, re, stat, sys
path = sys.argv[-1]
log = os.environ["EDIT_LOG"]
text = open(path, "rb").read()
st, folder = os.stat(path), os.stat(os.path.dirname(path))
entry = {"path": path, "mode": stat.S_IMODE(st.st_mode), "dir_mode": stat.S_IMODE(folder.st_mode),
         "text": text.decode("utf-8"), "argv0": sys.argv[1:-1]}
with open(log, "a") as handle:
    handle.write(json.dumps(entry) + "\n")
action = os.environ.get("EDIT_ACTION", "")
if action == "fail":
    sys.exit(4)
if action == "swap":  # an editor leaves a swap file next to the copy
    open(os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".swp"), "w").write("x")
for old, new in json.loads(os.environ.get("EDIT_SUBST", "[]")):
    text = re.sub(old.encode(), new.encode(), text, flags=re.M)
open(path, "wb").write(text)
"""


@pytest.fixture
def editing(site: Path, key: Key, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A project whose article is sealed with `heat` and `excerpt` hidden, and an $EDITOR stand-in."""
    write_jwk(site / "keys", key)
    done = run("seal", "--force", "content/a.md", "--hide", "heat", "--hide", "excerpt", cwd=site)
    assert done.returncode == 0, done.stderr
    tools = tmp_path_factory.mktemp("tools")
    script = tools / "editor.py"
    script.write_text(EDITOR_SCRIPT)
    return {"site": site, "log": tools / "log.jsonl", "editor": f"{sys.executable} {script}"}


def edit(editing: dict[str, object], *args: str, subst: list[tuple[str, str]] = (), **env: str) -> tuple:  # type: ignore[assignment]
    site = editing["site"]
    assert isinstance(site, Path)
    variables = {"EDITOR": str(editing["editor"]), "EDIT_LOG": str(editing["log"]), "EDIT_SUBST": json.dumps(subst)}
    variables.update(env)
    done = run("edit", *args, cwd=site, env=env_with(**variables))
    log = Path(str(editing["log"]))
    sessions = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    log.unlink(missing_ok=True)
    return done, sessions


def test_edit_restores_hidden_fields_in_a_private_copy_and_reseals(editing: dict[str, object], key: Key) -> None:
    site = Path(str(editing["site"]))
    article = site / "content" / "a.md"
    before = article.read_bytes()
    assert b"\nheat:" not in before and b"\nexcerpt:" not in before
    done, sessions = edit(editing, "content/a.md", subst=[("^quality: 104", "quality: 105"), ("^heat: 154", "heat: 7")])
    assert done.returncode == 0, done.stderr
    assert "edited and sealed" in done.stdout
    (session,) = sessions
    assert session["mode"] == 0o600 and session["dir_mode"] == 0o700
    assert "\nheat: 154\n" in session["text"] and "\nexcerpt: " in session["text"]  # hidden fields restored
    assert session["path"].endswith("a.md") and not os.path.exists(session["path"])
    assert not os.path.exists(os.path.dirname(session["path"]))
    after = article.read_bytes()
    # Still hidden, nothing else moved: only the edited line and the seal changed.
    assert b"\nheat:" not in after and b"\nexcerpt:" not in after
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert [a.split(b":")[0] for a, _ in changed] == [b"quality", b"secured"]
    assert run("verify", "content/a.md", cwd=site).returncode == 0
    opened = json.loads(run("open", "content/a.md", "--format", "json", cwd=site).stdout)
    assert opened["payload"]["fields"]["quality"] == 105
    hidden = opened["payload"]["hidden"]
    assert sorted(hidden) == ["excerpt", "heat"] and "heat: 7" in json.dumps(hidden)
    assert "heat: 7" not in done.stdout + done.stderr and secret_of(key) not in done.stdout + done.stderr


def test_edit_without_change_writes_nothing(editing: dict[str, object]) -> None:
    article = Path(str(editing["site"])) / "content" / "a.md"
    before = article.read_bytes(), article.stat().st_mtime_ns
    done, sessions = edit(editing, "content/a.md")
    assert done.returncode == 0 and "no change" in done.stdout and len(sessions) == 1
    assert (article.read_bytes(), article.stat().st_mtime_ns) == before
    assert not os.path.exists(sessions[0]["path"])


def test_edit_prefers_visual_and_splits_the_command(editing: dict[str, object]) -> None:
    _, sessions = edit(editing, "content/a.md", VISUAL=f"{editing['editor']} --wait", EDITOR="false")
    assert len(sessions) == 1 and sessions[0]["argv0"] == ["--wait"]


def test_edit_refuses_an_article_that_does_not_verify_unless_forced(editing: dict[str, object]) -> None:
    site = Path(str(editing["site"]))
    article = site / "content" / "a.md"
    article.write_bytes(article.read_bytes().replace(b"quality: 104", b"quality: 999"))
    before = article.read_bytes()
    done, sessions = edit(editing, "content/a.md", subst=[("^type: article", "type: note")])
    assert done.returncode == 1 and "does not verify" in done.stderr and "--force" in done.stderr
    assert sessions == [] and article.read_bytes() == before
    done, sessions = edit(editing, "--force", "content/a.md", subst=[("^type: article", "type: note")])
    assert done.returncode == 0, done.stderr
    assert len(sessions) == 1 and "\nheat: 154\n" in sessions[0]["text"]
    assert run("verify", "content/a.md", cwd=site).returncode == 0
    assert b"quality: 999" in article.read_bytes() and b"type: note" in article.read_bytes()


@pytest.mark.parametrize(
    "action, subst, says",
    [
        ("fail", [], "failed (exit status 4)"),
        ("swap", [("^quality: 104", "quality: [unclosed")], "cannot be sealed"),
        ("", [('^(secured: ")', r"\1x")], "'secured' field was edited"),
    ],
)
def test_edit_failures_write_nothing_and_leave_no_copy(
    editing: dict[str, object], action: str, subst: list[tuple[str, str]], says: str
) -> None:
    article = Path(str(editing["site"])) / "content" / "a.md"
    before = article.read_bytes(), article.stat().st_mtime_ns
    done, sessions = edit(editing, "content/a.md", subst=subst, EDIT_ACTION=action)
    assert done.returncode != 0 and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "heat: 154" not in done.stdout + done.stderr
    assert (article.read_bytes(), article.stat().st_mtime_ns) == before
    assert len(sessions) == 1 and not os.path.exists(os.path.dirname(sessions[0]["path"]))


def test_edit_drops_a_hidden_field_deleted_in_the_editor(editing: dict[str, object]) -> None:
    site = Path(str(editing["site"]))
    done, _ = edit(editing, "content/a.md", subst=[("^heat: 154\n", "")])
    assert done.returncode == 0, done.stderr
    assert "no longer in the seal: heat" in done.stdout
    opened = json.loads(run("open", "content/a.md", "--format", "json", cwd=site).stdout)
    assert list(opened["payload"]["hidden"]) == ["excerpt"]


def test_edit_an_unsealed_article_seals_it(site: Path, key: Key, tmp_path: Path) -> None:
    write_jwk(site / "keys", key)
    article = site / "content" / "new.md"
    article.write_text("---\ntitle: Draft\n---\nBody\n")
    editor = key_script(tmp_path, "sed -i 's/Draft/Final/' \"$1\"\n")
    done = run("edit", "content/new.md", cwd=site, env=env_with(EDITOR=str(editor)))
    assert done.returncode == 0, done.stderr
    assert article.read_text().startswith("---\ntitle: Final\nsecured: ")
    assert run("verify", "content/new.md", cwd=site).returncode == 0


# -- 3: pipes ------------------------------------------------------------------------------------


@pytest.fixture
def keyed(site: Path, key: Key) -> Path:
    write_jwk(site / "keys", key)
    return site


def test_seal_dash_is_a_filter(keyed: Path) -> None:
    raw = EXAMPLE.read_bytes()
    done = subprocess.run(
        [SECUREDOC, "seal", "--force", "-"], cwd=keyed, env=env_with(), input=raw, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    sealed = done.stdout
    assert sealed.count(b"\nsecured: ") == 1 and b"sealed" in done.stderr
    # Only the seal differs; the article on disk was not touched.
    assert [a for a, b in zip(raw.splitlines(), sealed.splitlines(), strict=True) if a != b][0].startswith(b"secured")
    assert (keyed / "content" / "a.md").read_bytes() == raw
    verified = run("verify", "-", cwd=keyed, input=sealed)
    assert verified.returncode == 0 and "1 ok" in verified.stderr
    # Already current: the same bytes come out (a filter always writes the article).
    again = subprocess.run([SECUREDOC, "seal", "-q", "-"], cwd=keyed, env=env_with(), input=sealed, capture_output=True)
    assert again.returncode == 0 and again.stdout == sealed and again.stderr == b""
    # Bad input: an error report, nothing on stdout, exit 1.
    bad = subprocess.run(
        [SECUREDOC, "seal", "-"], cwd=keyed, env=env_with(), input=b"no front matter\n", capture_output=True
    )
    assert bad.returncode == 1 and bad.stdout == b"" and b"-:" in bad.stderr


def test_verify_and_open_read_standard_input(keyed: Path) -> None:
    assert run("seal", "--force", "content", cwd=keyed).returncode == 0
    sealed = (keyed / "content" / "a.md").read_bytes()
    done = run("verify", "-", "--format", "json", cwd=keyed, input=sealed.replace(b"quality: 104", b"quality: 5"))
    assert done.returncode == 1
    obj = json.loads(done.stdout)
    assert obj["path"] == "-" and obj["status"] == "mismatch" and obj["fields"][0]["name"] == "quality"
    done = run("open", "-", "--format", "json", cwd=keyed, input=sealed)
    assert done.returncode == 0 and json.loads(done.stdout)["payload"]["fields"]["quality"] == 104
    done = run("verify", "content", "-", cwd=keyed, input=sealed)
    assert done.returncode == 2 and "standard input" in done.stderr
    assert run("rotate", "-", cwd=keyed, input=sealed).returncode == 2


def test_output_file_for_seal_and_open_restore(keyed: Path) -> None:
    article = keyed / "content" / "a.md"
    raw = article.read_bytes()
    done = run("seal", "--force", "content/a.md", "--hide", "heat", "--output", "sealed.md", cwd=keyed)
    assert done.returncode == 0, done.stderr
    assert article.read_bytes() == raw  # the input is left as it is
    sealed = (keyed / "sealed.md").read_bytes()
    assert b"\nheat:" not in sealed and run("verify", "sealed.md", cwd=keyed).returncode == 0
    umask = os.umask(0)
    os.umask(umask)
    assert (keyed / "sealed.md").stat().st_mode & 0o777 == 0o666 & ~umask  # a new file: as the umask says
    assert not [p.name for p in keyed.iterdir() if p.name.endswith(".tmp")]  # written atomically, no leftover
    done = run("open", "--restore", "sealed.md", "--output", "restored.md", cwd=keyed)
    assert done.returncode == 0, done.stderr
    assert b"\nheat: 154\n" in (keyed / "restored.md").read_bytes()
    assert (keyed / "sealed.md").read_bytes() == sealed
    done = subprocess.run(
        [SECUREDOC, "open", "--restore", "-"], cwd=keyed, env=env_with(), input=sealed, capture_output=True
    )
    assert done.returncode == 0 and done.stdout == (keyed / "restored.md").read_bytes()
    # --output over an existing file keeps its mode; one article only; not the article itself.
    (keyed / "sealed.md").chmod(0o640)
    assert run("seal", "--force", "content/a.md", "-o", "sealed.md", cwd=keyed).returncode == 0
    assert (keyed / "sealed.md").stat().st_mode & 0o777 == 0o640
    assert run("seal", "content", "--output", "x.md", cwd=keyed).returncode == 2
    assert run("seal", "content/a.md", "content/a.md", "--output", "x.md", cwd=keyed).returncode == 2
    assert run("seal", "content/a.md", "--output", "content/a.md", cwd=keyed).returncode == 2
    assert run("open", "content/a.md", "--output", "x.md", cwd=keyed).returncode == 2
    assert not (keyed / "x.md").exists()


# -- 2: the git diff driver ----------------------------------------------------------------------


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    base = env_with(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t")
    base.update(GIT_COMMITTER_EMAIL="t@example.org", GIT_CONFIG_NOSYSTEM="1", HOME=str(cwd))
    base.update(env or {})
    done = subprocess.run(["git", *args], cwd=cwd, env=base, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def repo(keyed: Path, key: Key) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git(keyed, "init", "-q")
    (keyed / ".gitignore").write_text("keys/\n")
    (keyed / "content" / "plain.md").write_text("---\ntitle: Plain\n---\nNo seal here.\n")
    (keyed / "content" / "notes.txt").write_text("not markdown\n")
    assert run("seal", "--force", "content/a.md", "--hide", "heat", cwd=keyed).returncode == 0
    git(keyed, "add", "-A")
    git(keyed, "commit", "-qm", "first")
    return keyed


def test_git_setup_writes_attributes_and_config(repo: Path) -> None:
    (repo / ".gitattributes").write_text("*.png binary")  # no final newline: kept, extended
    done = run("git-setup", cwd=repo / "content")
    assert done.returncode == 0, done.stderr
    lines = (repo / ".gitattributes").read_text().splitlines()
    assert lines[0] == "*.png binary" and "*.md diff=securedoc" in lines
    assert git(repo, "config", "diff.securedoc.cachetextconv").strip() == "false"
    assert "git-textconv" in git(repo, "config", "diff.securedoc.textconv")
    assert git(repo, "check-attr", "diff", "content/a.md").strip().endswith("diff: securedoc")
    # Twice is once.
    assert run("git-setup", cwd=repo).returncode == 0
    assert (repo / ".gitattributes").read_text().count("*.md diff=securedoc") == 1
    outside = repo / "content"
    assert run("git-setup", cwd=outside, env=env_with(GIT_DIR=str(repo / "nope"))).returncode == 2


def test_git_diff_shows_the_payload_fields_that_changed(repo: Path, key: Key) -> None:
    assert run("git-setup", cwd=repo).returncode == 0
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "diff driver")
    article = repo / "content" / "a.md"
    done = run("open", "--restore", "content/a.md", cwd=repo)
    assert done.returncode == 0
    text = article.read_text().replace("quality: 104", "quality: 105").replace("heat: 154", "heat: 160")
    article.write_text(text)
    assert run("seal", "content/a.md", "--hide", "heat", cwd=repo).returncode == 0
    (repo / "content" / "plain.md").write_text("---\ntitle: Plainer\n---\nNo seal here.\n")
    diff = git(repo, "diff")
    assert "-#   securedoc: bound quality: 104" in diff and "+#   securedoc: bound quality: 105" in diff
    assert "-#   securedoc: hidden heat | heat: 154" in diff and "+#   securedoc: hidden heat | heat: 160" in diff
    assert "-title: Plain\n+title: Plainer" in diff  # unsealed content passes through untouched
    assert "bound title" not in diff  # unchanged fields are context at most, never -/+
    git(repo, "commit", "-qam", "second")
    log = git(repo, "log", "-p", "-1")
    assert "+#   securedoc: bound quality: 105" in log
    # Without the key: no payload, no hidden value; the seal line itself still shows the change.
    (repo / "keys" / f"{key.kid}.jwk").rename(repo / "stash.jwk")
    nokey = git(repo, "log", "-p", "-1", "--", "content/a.md")
    assert "heat: 160" not in nokey and "heat: 154" not in nokey and "bound quality" not in nokey
    assert "+secured: " in nokey and "not spelled out" in nokey
    # With the key from the environment instead, the fields show again.
    withenv = git(repo, "show", "HEAD", "--", "content/a.md", env={"SECUREDOC_KEY": json.dumps(key_to_jwk(key))})
    assert "+#   securedoc: hidden heat | heat: 160" in withenv


def test_textconv_passes_anything_else_through_byte_for_byte(repo: Path) -> None:
    for data in (b"\xff\xfe binary \x00", b"---\ntitle: [unclosed\n---\n", b"no front matter\r\n", b""):
        target = repo / "blob.md"
        target.write_bytes(data)
        done = subprocess.run([SECUREDOC, "git-textconv", str(target)], cwd=repo, env=env_with(), capture_output=True)
        assert done.returncode == 0 and done.stdout == data


# -- 7: the default job count --------------------------------------------------------------------


def test_default_jobs_counts_idle_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    from securedoc import batch

    monkeypatch.setattr(batch, "cores", lambda: 2)
    assert batch.default_jobs(load=0.3) == 2  # an idle CI runner
    assert batch.default_jobs(load=1.6) == 1
    assert batch.default_jobs(load=7.0) == 1  # a busy shared machine: workers would only compete
    monkeypatch.setattr(batch, "cores", lambda: 8)
    assert batch.default_jobs(load=2.2) == 6 and batch.default_jobs(load=0.0) == 8


def test_small_runs_start_no_worker_processes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, key: Key) -> None:
    from securedoc import api, batch
    from securedoc.keys import Keyring

    for i in range(batch.SMALL_RUN + 1):
        (tmp_path / f"a{i}.md").write_text(f"---\ntitle: {i}\n---\n")
    chosen: list[int] = []
    real_map = batch.map_ordered
    monkeypatch.setattr(batch, "default_jobs", lambda: 2)
    monkeypatch.setattr(
        batch, "map_ordered", lambda task, items, jobs: (chosen.append(jobs), real_map(task, items, jobs=1))[1]
    )
    few = api.RunOptions(
        command="verify", paths=[str(tmp_path / "a1.md"), str(tmp_path / "a2.md")], keyring=Keyring([key])
    )
    assert [r.status.value for r in api.run(few)] == ["unsealed", "unsealed"] and chosen == [1]
    many = api.RunOptions(command="verify", paths=[str(tmp_path)], keyring=Keyring([key]))
    assert len(list(api.run(many))) == batch.SMALL_RUN + 1 and chosen == [1, 2]


# -- 6: shell completion offers key ids ----------------------------------------------------------


def test_shell_completion_offers_key_ids_for_primary_and_to(keyed: Path, other_key: Key, tmp_path: Path) -> None:
    write_jwk(keyed / "keys", other_key)
    marker = tmp_path / "ran"
    env = env_with(_SECUREDOC_COMPLETE="bash_complete", SECUREDOC_KEY_COMMAND=f"touch {marker}")
    for words, cword in (("securedoc seal --primary ", 3), ("securedoc rotate content --to ", 4)):
        done = run(cwd=keyed, env={**env, "COMP_WORDS": words, "COMP_CWORD": str(cword)})
        assert done.returncode == 0
        assert sorted(line.split(",")[1] for line in done.stdout.splitlines()) == ["other-2027", "test-2026"]
    done = run(cwd=keyed, env={**env, "COMP_WORDS": "securedoc edit --primary oth", "COMP_CWORD": "3"})
    assert done.stdout.splitlines() == ["plain,other-2027"]
    assert not marker.exists()  # completing never runs the key command
    script = run(cwd=keyed, env=env_with(_SECUREDOC_COMPLETE="bash_source"))
    assert "_securedoc_completion" in script.stdout


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_edit_stopped_by_a_signal_removes_the_copy(editing: dict[str, object], tmp_path: Path, signame: str) -> None:
    site = Path(str(editing["site"]))
    article = site / "content" / "a.md"
    before = article.read_bytes()
    seen = tmp_path / "copy"
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import os, signal, sys, time\n"
        f"open({str(seen)!r}, 'w').write(sys.argv[-1])\n"
        f"os.kill(os.getppid(), signal.{signame})\n"
        "time.sleep(30)\n"
    )
    # A test run started in the background by a shell without job control inherits SIGINT ignored,
    # and an ignored signal stays ignored in securedoc (as under nohup): start it as a terminal would.
    done = run(
        "edit",
        "content/a.md",
        cwd=site,
        env=env_with(EDITOR=f"{sys.executable} {editor}"),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    copy = Path(seen.read_text())
    assert not copy.exists() and not copy.parent.exists()
    assert article.read_bytes() == before


def test_edit_offers_to_reopen_the_editor_on_a_bad_edit(tmp_path: Path, key: Key) -> None:
    """At a terminal, a text that cannot be sealed goes back to the editor instead of being lost."""
    from securedoc.edit import edit_file
    from securedoc.errors import SecuredocError
    from securedoc.keys import Keyring

    ring = Keyring([key])
    article = tmp_path / "a.md"
    article.write_text("---\ntitle: One\n---\nBody\n")
    counter = tmp_path / "count"
    editor = key_script(
        tmp_path,
        f'n=$(cat "{counter}" 2>/dev/null || echo 0); echo $((n+1)) > "{counter}"\n'
        'if [ "$n" = 0 ]; then sed -i "s/title: One/title: [broken/" "$1"; '
        'else sed -i "s/title: \\[broken/title: Two/" "$1"; fi\n',
    )
    asked: list[str] = []

    def ask(problem: SecuredocError) -> bool:
        asked.append(problem.message)
        return True

    report = edit_file(str(article), ring, editor=[str(editor)], ask_again=ask)
    assert report.action == "edited" and len(asked) == 1 and counter.read_text().strip() == "2"
    assert article.read_text().startswith("---\ntitle: Two\nsecured: ")

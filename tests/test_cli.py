"""The command line: every command, exit codes, formats, errors without tracebacks."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from conftest import EXAMPLE, ROOT, write_jwk

from securedoc.keys import Key

ARTICLE = f"content/{EXAMPLE.name}"
Cli = Callable[..., Result]


def test_seal_open_verify(project: Path, cli: Cli) -> None:
    refused = cli("seal", "content")  # the example's legacy seal cannot be opened: never replaced silently
    assert refused.exit_code == 1 and "refused" in refused.stdout and "--force" in refused.stdout
    assert (project / ARTICLE).read_bytes() == EXAMPLE.read_bytes()
    result = cli("seal", "--force", "content")
    assert result.exit_code == 0, result.output
    assert "sealed" in result.stdout and "could not be opened" in result.stdout
    assert "1 sealed" in result.stderr
    result = cli("open", ARTICLE)
    assert result.exit_code == 0
    assert "sealed with key 'test-2026'" in result.stdout and "title: Controversial Face" in result.stdout
    result = cli("open", ARTICLE, "--format", "json")
    obj = json.loads(result.stdout)
    assert obj["kid"] == "test-2026" and obj["payload"]["fields"]["quality"] == 104
    result = cli("verify", "content")
    assert result.exit_code == 0 and "1 ok" in result.stderr


def test_seal_is_idempotent_same_bytes_same_mtime(project: Path, cli: Cli) -> None:
    cli("seal", "--force", "content")
    path = project / ARTICLE
    before = path.read_bytes(), path.stat().st_mtime_ns
    result = cli("seal", "content")
    assert result.exit_code == 0 and "1 unchanged" in result.stderr
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    result = cli("seal", "--force", "content")
    assert "1 sealed" in result.stderr and path.read_bytes() != before[0]


def test_dry_run_writes_nothing(project: Path, cli: Cli) -> None:
    path = project / ARTICLE
    before = path.read_bytes()
    result = cli("seal", "--dry-run", "--force", ARTICLE)
    assert result.exit_code == 0 and "would seal" in result.stdout
    assert path.read_bytes() == before


def test_verify_mismatch_exit_1_names_fields_in_every_format(project: Path, cli: Cli) -> None:
    cli("seal", "--force", "content")
    path = project / ARTICLE
    path.write_bytes(path.read_bytes().replace(b"heat: 154", b"heat: 999").replace(b"width: 800", b"width: 801"))
    text = cli("verify", "content")
    assert text.exit_code == 1
    assert f"{ARTICLE}:12: heat: sealed 154, visible 999" in text.stdout
    assert f"{ARTICLE}:27: images[0].width: sealed 800, visible 801" in text.stdout
    lines = cli("verify", "content", "--format", "json").stdout.splitlines()
    obj = json.loads(lines[0])
    assert obj["status"] == "mismatch" and obj["path"] == ARTICLE
    assert [(f["name"], f["line"], f["sealed"], f["visible"]) for f in obj["fields"]][0] == ("heat", 12, 154, 999)
    github = cli("verify", "content", "--format", "github")
    assert github.exit_code == 1
    assert (
        f"::error file={ARTICLE},line=12,title=securedoc%3A heat changed::heat: sealed 154, visible 999"
        in github.stdout
    )
    assert github.stdout.count("::error ") == 2
    junit = cli("verify", "content", "--format", "junit")
    suite = ET.fromstring(junit.stdout)
    assert suite.get("failures") == "1" and suite.find(".//failure") is not None


def test_unsealed_policy(project: Path, cli: Cli) -> None:
    assert cli("verify", "content").exit_code == 1  # the example's legacy seal cannot be checked: error
    (project / "content" / EXAMPLE.name).write_text("---\ntitle: T\n---\n")
    assert cli("verify", "content").exit_code == 1
    assert cli("verify", "content", "--unsealed", "warn").exit_code == 0
    result = cli("verify", "content", "--unsealed", "ignore")
    assert result.exit_code == 0 and result.stdout == ""
    (project / "securedoc.yaml").write_text("unsealed: warn\n")
    assert cli("verify", "content").exit_code == 0


def test_batch_goes_on_past_bad_files(project: Path, cli: Cli) -> None:
    content = project / "content"
    (content / "bad.md").write_bytes(b"---\ntitle: [oops\n---\n")
    (content / "latin1.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    (content / "empty.md").write_bytes(b"")
    (content / "sub").mkdir()
    (content / "sub" / "ok.md").write_text("---\ntitle: fine\n---\n")
    result = cli("seal", "--force", "content", "missing-folder")
    assert result.exit_code == 1
    out = result.stdout
    assert "content/bad.md" in out and "invalid YAML" in out
    assert "content/latin1.md:2" in out and "not UTF-8" in out
    assert "content/empty.md" in out and "empty" in out
    assert "missing-folder: failed: no such file or folder" in out or "missing-folder: error: no such file" in out
    assert "Traceback" not in result.output
    assert (content / "sub" / "ok.md").read_text().count("secured:") == 1
    assert "2 sealed" in result.stderr


def test_errors_are_clear_and_exit_2_for_configuration(project: Path, cli: Cli) -> None:
    result = cli("seal", "content", "--keys", "nowhere")
    assert result.exit_code == 2 and "nowhere: no such keys folder" in result.stderr
    write_jwk(project / "keys", Key("second", "A256GCM", bytes(32)))
    result = cli("seal", "content")
    assert result.exit_code == 2 and "which one is primary?" in result.stderr and "--primary" in result.stderr
    assert cli("seal", "content", "--primary", "second", "--force").exit_code == 0
    result = cli("seal")
    assert result.exit_code == 2 and "give the articles" in result.stderr
    result = cli("verify", "content", "--format", "xml")
    assert result.exit_code == 2
    (project / "securedoc.yaml").write_text("unseald: warn\n")
    result = cli("verify", "content")
    assert result.exit_code == 2 and "unknown setting 'unseald'" in result.stderr


def test_no_keys_at_all(tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SECUREDOC_KEY", raising=False)
    (tmp_path / "a.md").write_text("---\nt: 1\n---\n")
    result = cli("verify", "a.md")
    assert result.exit_code == 2 and "no keys found" in result.stderr and "keys new" in result.stderr


def test_key_from_environment(tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(EXAMPLE, tmp_path / "a.md")
    jwk = json.dumps({"keys": [{"kty": "oct", "kid": "ci", "alg": "A256GCM", "k": "A" * 43}]})
    assert cli("seal", "a.md", "--force", env={"SECUREDOC_KEY": jwk}).exit_code == 0
    assert cli("verify", "a.md", env={"SECUREDOC_KEY": jwk}).exit_code == 0
    assert cli("verify", "a.md", "--key-env", "OTHER", env={"OTHER": jwk, "SECUREDOC_KEY": ""}).exit_code == 0


def test_open_restore_and_hide(project: Path, cli: Cli) -> None:
    assert cli("seal", ARTICLE, "--force", "--hide", "excerpt", "--hide", "related").exit_code == 0
    path = project / ARTICLE
    assert b"excerpt:" not in path.read_bytes() and b"related:" not in path.read_bytes()
    shown = cli("open", ARTICLE).stdout
    assert "hidden:" in shown and "the dystopian facial recognition" in shown
    result = cli("open", ARTICLE, "--restore")
    assert result.exit_code == 0 and "restored: excerpt, related" in result.stdout
    original = EXAMPLE.read_bytes().split(b"\nsecured:")[0]
    assert path.read_bytes().split(b"\nsecured:")[0] == original


def test_open_errors(project: Path, cli: Cli) -> None:
    (project / "plain.md").write_text("---\ntitle: T\n---\n")
    result = cli("open", "plain.md")
    assert result.exit_code == 1 and "not sealed" in result.stderr
    result = cli("open", ARTICLE)
    assert result.exit_code == 1 and "no legacy key" in result.stderr and "Traceback" not in result.output


def test_keys_new_list_import(project: Path, cli: Cli) -> None:
    result = cli("keys", "new", "newsroom-2026")
    assert result.exit_code == 0 and "keys/newsroom-2026.jwk" in result.stdout
    assert stat.S_IMODE((project / "keys" / "newsroom-2026.jwk").stat().st_mode) == 0o600
    again = cli("keys", "new", "newsroom-2026")
    assert again.exit_code == 2 and "never overwrites" in again.stderr
    assert cli("keys", "new", "../evil").exit_code == 2
    result = cli("keys", "import", "old-cbc", "--legacy-cbc", "--hex", input="00112233445566778899aabbccddeeff\n")
    assert result.exit_code == 0, result.output
    bad = cli("keys", "import", "x", "--hex", input="zz-not-hex-secret")
    assert bad.exit_code == 2 and "zz-not-hex-secret" not in bad.output
    listing = cli("keys", "list")
    assert listing.exit_code == 0
    assert "newsroom-2026" in listing.stdout and "old-cbc" in listing.stdout and "A128CBC" in listing.stdout
    assert "00112233" not in listing.output
    rows = [json.loads(line) for line in cli("keys", "list", "--format", "json").stdout.splitlines()]
    assert {r["kid"]: r["role"] for r in rows} == {
        "newsroom-2026": "active",
        "old-cbc": "active",
        "test-2026": "active",
    }


def test_legacy_seal_warns(project: Path, cli: Cli) -> None:
    cli("keys", "import", "old-cbc", "--legacy-cbc", "--hex", input="00" * 16)
    result = cli("seal", ARTICLE, "--legacy", "--force")
    assert result.exit_code == 0 and "unauthenticated" in result.stderr
    assert cli("verify", ARTICLE).exit_code == 0


def test_rotate(project: Path, cli: Cli) -> None:
    cli("seal", "--force", "content")
    cli("keys", "new", "newsroom-2027")
    (project / "securedoc.yaml").write_text("keys:\n  primary: newsroom-2027\n  retired: [test-2026]\n")
    result = cli("verify", "content")
    assert result.exit_code == 0 and "retired" in result.stdout
    assert cli("verify", "content", "--retired", "error").exit_code == 1
    result = cli("rotate", "content", "--to", "newsroom-2027")
    assert result.exit_code == 0 and "1 rotated" in result.stderr
    assert "1 current" in cli("rotate", "content").stderr
    path = project / ARTICLE
    path.write_bytes(path.read_bytes().replace(b"heat: 154", b"heat: 1"))
    before = path.read_bytes()
    (project / "securedoc.yaml").write_text("keys:\n  primary: test-2026\n")
    result = cli("rotate", "content", "--to", "test-2026")
    assert result.exit_code == 1 and "refused" in result.stdout and "heat" in result.stdout
    assert path.read_bytes() == before


def test_verify_changed_only(project: Path, cli: Cli) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    (project / "content" / "two.md").write_text("---\ntitle: two\n---\n")
    cli("seal", "content")
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "x"]):
        subprocess.run([git, *args], cwd=project, check=True, env=env)
    result = cli("verify", "--changed", "-v")
    assert result.exit_code == 0 and "0 files" in result.stderr
    (project / "content" / "two.md").write_text("---\ntitle: changed\n---\n")
    (project / "content" / "new.md").write_text("---\ntitle: new\n---\n")
    result = cli("verify", "--changed", "--format", "json")
    paths = sorted(json.loads(line)["path"] for line in result.stdout.splitlines())
    assert paths == ["content/new.md", "content/two.md"] and result.exit_code == 1
    result = cli("verify", "content", "--changed", "HEAD")
    assert "2 files" in result.stderr
    bad = cli("verify", "--changed", "no-such-rev")
    assert bad.exit_code == 2


def test_internal_errors_do_not_show_tracebacks(project: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import securedoc.api

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(securedoc.api, "open_file", boom)
    result = cli("open", ARTICLE)
    assert result.exit_code == 1 and "internal error (RuntimeError)" in result.stderr
    assert "Traceback" not in result.output


def _installed(name: str) -> str:
    path = Path(sys.executable).parent / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def test_installed_executable_and_python_m(project: Path) -> None:
    """The real console script in a subprocess, as a user or CI runs it."""
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("SECUREDOC_KEY", None)
    exe = _installed("securedoc")
    done = subprocess.run([exe, "seal", "--force", "content"], cwd=project, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [exe, "verify", "content", "--format", "json"], cwd=project, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0 and json.loads(done.stdout)["status"] == "ok"
    done = subprocess.run(
        [sys.executable, "-m", "securedoc", "verify", "nope.md"], cwd=project, capture_output=True, text=True, env=env
    )
    assert done.returncode == 1 and "no such file or folder" in done.stdout and "Traceback" not in done.stderr
    done = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and "securedoc" in done.stdout


def test_demo_flow_from_the_readme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    """The README's first command, as a new user runs it in a clone."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SECUREDOC_KEY", raising=False)
    monkeypatch.delenv("CI", raising=False)
    shutil.copytree(ROOT / "keys", tmp_path / "keys")
    (tmp_path / "demo").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "demo")
    result = cli("seal", "--force", "demo/")
    assert result.exit_code == 0 and "public demo key" in result.stderr
    assert cli("open", f"demo/{EXAMPLE.name}").exit_code == 0
    assert cli("verify", "demo/").exit_code == 0
    # In CI the keys folder of the checkout is not used, and a demo seal is an error.
    ci = cli("verify", "demo/", env={"CI": "true"})
    assert ci.exit_code == 2 and "no keys found" in ci.stderr
    demo = (ROOT / "keys" / "demo.jwk").read_text()
    ci = cli("verify", "demo/", env={"CI": "true", "SECUREDOC_KEY": demo})
    assert ci.exit_code == 1 and "proves nothing" in ci.stdout


def test_open_legacy_payloads_as_json_text_and_hex(project: Path, cli: Cli) -> None:
    from securedoc import crypto, envelope
    from securedoc.verify import LEGACY_UNCHECKABLE

    cli("keys", "import", "old", "--legacy-cbc", "--hex", input="11" * 16)
    for name, plaintext, expected in (
        ("json.md", b'{"title": "T"}', "title: T"),
        ("text.md", b"plain words", "as text:\nplain words"),
        ("binary.md", b"\xff\xfe\x00", "as hex:\nfffe00"),
    ):
        value = envelope.format_seal(
            envelope.LegacySeal(crypto.cbc_encrypt(bytes([0x11] * 16), bytes(16), plaintext), bytes(16))
        )
        (project / name).write_text(f'---\ntitle: T\nsecured: "{value}"\n---\n')
        result = cli("open", name, "--raw")
        assert result.exit_code == 0 and expected in result.stdout, result.output
        assert "legacy AES-CBC (A128CBC), unauthenticated" in result.stdout
        if name != "json.md":
            # Without --raw, a payload that is not JSON gets the answer a bad padding gets.
            plain = cli("open", name)
            assert plain.exit_code == 1 and LEGACY_UNCHECKABLE in plain.stderr and plain.stdout == ""
    obj = json.loads(cli("open", "binary.md", "--format", "json", "--raw").stdout)
    assert obj["hex"] == "fffe00" and obj["form"] == "legacy"
    assert json.loads(cli("open", "text.md", "--format", "json", "--raw").stdout)["text"] == "plain words"


def test_progress_only_for_people(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from securedoc.progress import Progress, progress_wanted

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert progress_wanted(Terminal(), quiet=False) is True
    assert progress_wanted(io.StringIO(), quiet=False) is False  # piped
    assert progress_wanted(Terminal(), quiet=True) is False
    assert progress_wanted(io.StringIO(), quiet=True, forced=True) is True
    monkeypatch.setenv("CI", "true")
    assert progress_wanted(Terminal(), quiet=False) is False
    stream = Terminal()
    progress = Progress(stream, "verifying", 3, enabled=True, delay=0.0)
    for _ in range(3):
        progress._shown_at = 0  # redraw every time in this test
        progress.advance()
    progress.close()
    text = stream.getvalue()
    assert "\rverifying 3/3 files" in text and text.endswith("\r")
    assert "\x1b" not in text  # no escape sequences, ever (TERM=dumb, NO_COLOR, logs)
    monkeypatch.delenv("CI")
    monkeypatch.setenv("TERM", "dumb")
    assert progress_wanted(Terminal(), quiet=False) is False

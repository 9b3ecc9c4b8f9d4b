"""Output cannot be forged (issue 8, point 8): whatever a file name, key id, field name or value
holds, text output shows no control character, GitHub output stays one workflow command per line,
and JSON and JUnit stay well-formed. Run through the installed command, on real files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import KEY_BYTES, write_jwk

from securedoc import escape
from securedoc.keys import Key

SECUREDOC = str(Path(sys.executable).with_name("securedoc"))
EVIL_NAME = "evil\r\n::error::forged\x1b[32m ok\x1b[0m\u202egnp.md"
EVIL_BYTES_NAME = b"bad-\xff\xfe-name.md"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("SECUREDOC_KEY", "CI")}
    return subprocess.run([SECUREDOC, *args], cwd=cwd, env=env, capture_output=True, timeout=120)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """Articles whose names and fields carry escape sequences, line breaks and bidi controls."""
    write_jwk(tmp_path / "keys", Key("test-2026", "A256GCM", KEY_BYTES))
    content = tmp_path / "content"
    content.mkdir()
    fields = 'title: "x"\n"evil\\e[31mfield\\u202e": "v\\nnext\\r::error::x"\n'
    (content / EVIL_NAME).write_text("---\n" + fields + "---\nBody\n")
    os.mkdir(os.fsencode(content) + b"/sub\x1b[2J")
    (Path(os.fsdecode(os.fsencode(content) + b"/sub\x1b[2J")) / "a.md").write_text("---\ntitle: a\n---\n")
    with open(os.fsencode(content) + b"/" + EVIL_BYTES_NAME, "wb") as handle:
        handle.write(b"---\ntitle: y\n---\n")
    assert run(tmp_path, "seal", "content").returncode == 0
    # Change the values after sealing: mismatch reports quote the hostile field name and values.
    evil = content / EVIL_NAME
    evil.write_text(evil.read_text().replace('"v\\nnext', '"\\e]0;pwned\\a\\u2028v\\nnext'))
    return tmp_path


def test_text_output_escapes_every_control_character(site: Path) -> None:
    done = run(site, "verify", "content", "-v")
    assert done.returncode == 1
    out = done.stdout.decode("utf-8")
    assert not CONTROL.search(out), repr(out)
    assert not CONTROL.search(done.stderr.decode("utf-8"))
    lines = out.splitlines()
    # One report line per file plus its detail lines, never a line that starts a workflow command.
    assert not any(line.startswith("::") for line in lines)
    assert "evil\\r\\n::error::forged\\x1b[32m ok\\x1b[0m\\u202egnp.md" in out
    assert "bad-\\xff\\xfe-name.md" in out and "sub\\x1b[2J/a.md" in out
    assert "mismatch" in out


def test_github_output_is_one_command_per_line(site: Path) -> None:
    done = run(site, "verify", "content", "--format", "github")
    assert done.returncode == 1
    out = done.stdout.decode("utf-8")
    lines = out.splitlines()
    assert lines and all(re.match(r"::(error|warning|notice) [^\n]*::", line) for line in lines), out
    assert not CONTROL.search(out)
    assert "%0D%0A%3A%3Aerror%3A%3Aforged" in out  # the file name, percent-encoded as a property
    assert not re.search(r"^::error::", out, re.M)  # quoted text stays inside its own command
    assert not CONTROL.search(done.stderr.decode("utf-8"))


def test_json_lines_are_well_formed(site: Path) -> None:
    done = run(site, "verify", "content", "--format", "json")
    assert done.returncode == 1
    objects = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    paths = {o["path"] for o in objects}
    assert "content/" + EVIL_NAME in paths  # JSON carries the name exactly (escaped by JSON itself)
    assert "content/bad-\\xff\\xfe-name.md" in paths
    evil = next(o for o in objects if o["path"] == "content/" + EVIL_NAME)
    assert evil["status"] == "mismatch"


def test_junit_is_well_formed_xml(site: Path) -> None:
    done = run(site, "verify", "content", "--format", "junit")
    assert done.returncode == 1
    suite = ET.fromstring(done.stdout)
    names = [case.get("name") for case in suite.iter("testcase")]
    assert len(names) == 3
    assert any(name and "::error::forged\\x1b[32m" in name for name in names)
    assert any(name and "\\xff\\xfe" in name for name in names)


def test_key_ids_and_errors_are_escaped(tmp_path: Path) -> None:
    # A key id cannot hold control characters in a file name, but one from a JWK Set can.
    jwk = {"kty": "oct", "kid": "k\x1b[32mOK\n::error::x", "alg": "A256GCM", "k": "A" * 43}
    (tmp_path / "set.jwk").write_text(json.dumps({"keys": [jwk]}))
    (tmp_path / "a\x1b[1m.md").write_text("---\ntitle: a\n---\n")
    for args in (("keys", "list", "--key", "set.jwk"), ("verify", "--key", "set.jwk", "a\x1b[1m.md", "nope\x1b.md")):
        done = run(tmp_path, *args)
        assert not CONTROL.search(done.stdout.decode()) and not CONTROL.search(done.stderr.decode()), done


@pytest.mark.parametrize(
    "text",
    ["plain", "a\x1bb", "\r\n", "\u202e\u2066x\u2069", "\x7f\x85\x9b", "\udcff", "tab\there", "%:,"],
)
def test_escape_functions(text: str) -> None:
    assert not CONTROL.search(escape.terminal(text))
    data = escape.github_data(text)
    assert "\n" not in data and "\r" not in data
    prop = escape.github_property(text)
    assert ":" not in prop and "," not in prop
    escape.xml_text(text).encode("utf-8")
    escape.unicode_clean(text).encode("utf-8")
    ET.fromstring(f"<a b='{escape.xml_text(text).replace('&', '&amp;')}'>{escape.xml_text(text)}</a>".replace("%", "%"))

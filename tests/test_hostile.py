"""Hostile input: a clear error or correct handling, in bounded time and memory, bytes unchanged,
and the batch goes on. Run through the real command line, as CI would meet these files."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import EXAMPLE, KEY_BYTES, article, write_jwk

from securedoc import api
from securedoc.articles import seal_document
from securedoc.document import parse
from securedoc.keys import Key, Keyring
from securedoc.models import Status

KEY = Key("test-2026", "A256GCM", KEY_BYTES)
RING = Keyring([KEY])
MB = 1024 * 1024


def _bomb() -> bytes:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return ("---\ntitle: bomb\n" + "\n".join(lines) + "\n---\n").encode()


def _sealed(fields: str) -> bytes:
    data = seal_document(parse(article(fields)), RING).data
    assert data is not None
    return data


def _seal_value() -> str:
    doc = parse(_sealed("title: T\n"))
    return doc.seal_entry.value  # type: ignore[union-attr, no-any-return]


# name -> (bytes, status after verify, what seal does: "error" leaves the file, "sealed" fixes it)
CASES: dict[str, tuple[Callable[[], bytes], str, str, str]] = {
    "alias-bomb.md": (_bomb, "error", "error", "alias"),
    "flow-nesting.md": (
        lambda: b"---\na: " + b"[" * 5000 + b"]" * 5000 + b"\n---\n",
        "error",
        "error",
        "nesting depth",
    ),
    "block-nesting.md": (
        lambda: b"---\n" + b"".join(b" " * i + b"k:\n" for i in range(1200)) + b"---\n",
        "error",
        "error",
        "nesting depth",
    ),
    "nested-900.md": (lambda: b"---\na: " + b"[" * 900 + b"]" * 900 + b"\n---\n", "error", "error", "100 levels deep"),
    "nested-99.md": (lambda: b"---\na: " + b"[" * 99 + b"]" * 99 + b"\n---\n", "unsealed", "sealed", ""),
    "front-matter-100mb.md": (lambda: b"---\ntitle: " + b"x" * (100 * MB) + b"\n---\n", "error", "error", "limit"),
    "latin1.md": (lambda: b"---\ntitle: caf\xe9\n---\n", "error", "error", "not UTF-8"),
    "nul-front-matter.md": (lambda: b"---\ntitle: a\x00b\n---\n", "error", "error", "NUL"),
    "nul-body.md": (lambda: b"---\ntitle: t\n---\nbody \x00 with nul\n", "unsealed", "sealed", ""),
    "binary.md": (lambda: bytes(random.Random(1).getrandbits(8) for _ in range(4096)), "error", "error", ""),
    "empty.md": (lambda: b"", "error", "error", "empty"),
    "never-closes.md": (lambda: b"---\ntitle: t\nbody never ends\n", "error", "error", "never closes"),
    "toml.md": (lambda: b"+++\ntitle = 't'\n+++\n", "unsealed", "sealed", ""),
    "toml-invalid.md": (lambda: b"+++\ntitle = \n+++\n", "error", "error", "invalid TOML"),
    "toml-nested-900.md": (lambda: b"+++\na = " + b"[" * 900 + b"]" * 900 + b"\n+++\n", "error", "error", "deep"),
    "toml-nested-99.md": (lambda: b"+++\na = " + b"[" * 99 + b"]" * 99 + b"\n+++\n", "unsealed", "sealed", ""),
    "dup-top.md": (lambda: b"---\ntitle: a\ntitle: b\n---\n", "error", "error", "duplicate key title"),
    "dup-deep.md": (lambda: b"---\na:\n  b:\n    - c: 1\n      c: 2\n---\n", "error", "error", "duplicate key c"),
    "dup-typed.md": (lambda: b"---\nm: {1: a, !!int 0x1: b}\n---\n", "error", "error", "duplicate key 1"),
    "folded-keys.md": (lambda: b"---\nm: {1: a, 0x1: b}\n---\n", "error", "error", "one key for some reader"),
    "secured-twice.md": (
        lambda: b'---\ntitle: t\nsecured: "a;b"\nsecured: "c;d"\n---\n',
        "error",
        "error",
        "duplicate key secured",
    ),
    "secured-list.md": (lambda: b"---\ntitle: t\nsecured: [1, 2]\n---\n", "error", "sealed", "holds a list"),
    "secured-map.md": (lambda: b"---\ntitle: t\nsecured:\n  a: 1\n---\n", "error", "sealed", "holds a mapping"),
    "secured-number.md": (lambda: b"---\ntitle: t\nsecured: 42\n---\n", "error", "sealed", "holds a number"),
    "secured-null.md": (lambda: b"---\ntitle: t\nsecured:\n---\n", "error", "sealed", "nothing (null)"),
    "secured-folded.md": (
        lambda: (
            "---\ntitle: T\nsecured: >-\n  " + _seal_value()[:60] + "\n  " + _seal_value()[60:] + "\n---\n"
        ).encode(),
        "error",
        "sealed",
        "whitespace",
    ),
    "secured-escaped-lines.md": (
        lambda: (
            '---\ntitle: T\nsecured: "' + _seal_value()[:60] + "\\\n  " + _seal_value()[60:] + '"\n---\nBody text.\n'
        ).encode(),
        "ok",
        "unchanged",
        "",
    ),
    "nan-inf.md": (lambda: _sealed("title: t\nscore: .nan\nlimit: -.inf\nvals: [.nan, .inf]\n"), "ok", "unchanged", ""),
    "control-chars.md": (lambda: b"---\ntitle: \x1b[31mred\n---\n", "error", "error", "invalid YAML"),
    "top-level-list.md": (lambda: b"---\n- a\n- b\n---\n", "error", "error", "not a list"),
    "nested-secured.md": (lambda: b"---\ntitle: t\nmeta:\n  secured: x\n---\n", "unsealed", "sealed", ""),
    "recursive-alias.md": (lambda: b"---\na: &a [*a]\n---\n", "error", "error", "recursive"),
    "bad-tag.md": (lambda: b"---\nx: !!python/object:os.system ls\n---\n", "unsealed", "sealed", ""),
    "huge-int.md": (lambda: b"---\nn: " + b"9" * 4000 + b"\n---\n", "unsealed", "sealed", ""),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    content = root / "content"
    content.mkdir()
    for name, (make, *_rest) in CASES.items():
        (content / name).write_bytes(make())
    # The example without its legacy seal (which seal would refuse to replace without --force).
    good = b"".join(line for line in EXAMPLE.read_bytes().splitlines(True) if not line.startswith(b"secured:"))
    (content / "zz-good.md").write_bytes(good)
    write_jwk(root / "keys", KEY)
    return root


_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter(); r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr)\n"
    "print(f'@@rss {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} @@time {time.perf_counter() - t}',"
    " file=sys.stderr)\n"
    "sys.exit(r.returncode)\n"
)


def _run(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float, float]:
    exe = Path(sys.executable).parent / "securedoc"
    command = [str(exe) if exe.exists() else "securedoc", *args]
    env = {**os.environ}
    env.pop("SECUREDOC_KEY", None)
    env.pop("CI", None)  # a local run: the keys folder is used
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *command], cwd=root, capture_output=True, text=True, env=env, timeout=120
    )
    tail = done.stderr.rsplit("@@rss ", 1)[1]
    rss_kb, seconds = tail.split(" @@time ")
    return done, int(rss_kb) / 1024, float(seconds)


def test_verify_and_seal_hold(hostile: Path) -> None:
    before = {p.name: p.read_bytes() for p in (hostile / "content").iterdir()}

    verify, rss, seconds = _run(hostile, "verify", "content", "--format", "json", "--jobs", "1")
    assert verify.returncode == 1 and "Traceback" not in verify.stderr
    assert rss < 200, f"verify peaked at {rss:.0f} MB"
    assert seconds < 60
    reports = {Path(json.loads(line)["path"]).name: json.loads(line) for line in verify.stdout.splitlines()}
    assert set(reports) == set(before)
    for name, (_, status, _, message) in CASES.items():
        report = reports[name]
        expected = {"unsealed": "unsealed", "ok": "ok", "error": "error"}[status]
        assert report["status"] == expected, (name, report)
        assert message in report["message"], (name, report["message"])
        if status == "error" and name not in ("binary.md", "empty.md"):
            assert report["line"] is not None or "limit" in report["message"] or "TOML" in report["message"], name
    assert {p.name: p.read_bytes() for p in (hostile / "content").iterdir()} == before

    seal, rss, seconds = _run(hostile, "seal", "content", "--format", "json", "--jobs", "1")
    assert seal.returncode == 1 and "Traceback" not in seal.stderr
    assert rss < 200, f"seal peaked at {rss:.0f} MB"
    results = {Path(json.loads(line)["path"]).name: json.loads(line) for line in seal.stdout.splitlines()}
    for name, (_, _, action, _) in CASES.items():
        path = hostile / "content" / name
        if action == "error":
            assert results[name]["status"] == "error", (name, results[name])
            assert path.read_bytes() == before[name], name
        else:
            assert results[name]["action"] == action, (name, results[name])
            assert api.verify_file(path, RING).status is Status.OK, name
    assert results["zz-good.md"]["action"] == "sealed"
    assert not [p for p in (hostile / "content").iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_case_is_quick(hostile: Path, name: str) -> None:
    """A few seconds per file at most: the whole read + parse + verify path, in-process."""
    start = time.perf_counter()
    try:
        api.verify_file(hostile / "content" / name, RING)
    except Exception as exc:  # noqa: BLE001 - only the time matters here; errors are checked above
        assert "Traceback" not in str(exc)
    assert time.perf_counter() - start < 3.0


def test_symlinks_read_only_and_vanishing_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., object]
) -> None:
    site, outside = tmp_path / "site", tmp_path / "outside"
    site.mkdir()
    outside.mkdir()
    (outside / "theirs.md").write_bytes(article("title: outside\n"))
    (site / "link.md").symlink_to(outside / "theirs.md")
    (site / "mine.md").write_bytes(article("title: mine\n"))
    (site / "alias.md").symlink_to(site / "mine.md")
    (site / "readonly.md").write_bytes(article("title: ro\n"))
    (site / "readonly.md").chmod(0o444)
    (site / "ro-folder").mkdir()
    (site / "ro-folder" / "a.md").write_bytes(article("title: a\n"))
    (site / "ro-folder").chmod(0o555)
    write_jwk(tmp_path / "keys", KEY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SECUREDOC_KEY", raising=False)
    monkeypatch.delenv("CI", raising=False)
    snapshot = {p: p.read_bytes() for p in [outside / "theirs.md", site / "readonly.md", site / "ro-folder" / "a.md"]}
    try:
        result = cli("seal", "site", "--format", "json")
    finally:
        (site / "ro-folder").chmod(0o755)
    rows = {json.loads(line)["path"]: json.loads(line) for line in result.stdout.splitlines()}  # type: ignore[attr-defined]
    assert "outside the folders given" in rows["site/link.md"]["message"]
    assert "read-only" in rows["site/readonly.md"]["message"]
    assert "folder is read-only" in rows["site/ro-folder/a.md"]["message"]
    assert rows["site/mine.md"]["action"] == "sealed" and "site/alias.md" not in rows  # one file, once
    assert all(p.read_bytes() == data for p, data in snapshot.items())
    assert (site / "alias.md").is_symlink() and b"secured:" in (site / "mine.md").read_bytes()
    # Asked explicitly, securedoc writes through the link, and the link stays a link.
    result = cli("seal", "site/link.md", "--follow-symlinks")
    assert (site / "link.md").is_symlink() and b"secured:" in (outside / "theirs.md").read_bytes()


def test_files_vanishing_during_a_run(tmp_path: Path) -> None:
    for i in range(20):
        (tmp_path / f"{i:02d}.md").write_bytes(article(f"title: t{i}\n"))
    options = api.RunOptions("seal", [str(tmp_path)], RING, jobs=1, key=KEY)
    reports = []
    for report in api.run(options):
        reports.append(report)
        if len(reports) == 5:
            (tmp_path / "10.md").unlink()
    gone = next(r for r in reports if r.path.endswith("10.md"))
    assert gone.status is Status.ERROR and "no such file" in gone.message
    assert sum(r.action == "sealed" for r in reports) == 19

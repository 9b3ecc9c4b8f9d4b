"""Tests that kill mutants the rest of the suite let live (issue 12, docs/testing.md "Mutation testing").

Each test names the mutation it guards against. They go through the command line where they can,
so that they hold whatever shape the code behind it takes.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from click.testing import Result
from conftest import OTHER_BYTES, article, write_jwk
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import Generated, articles

from securedoc.keys import Key

Cli = Callable[..., Result]
EXAMPLE_NAME = "2020-08-15-clearview-ai-ice.md"
FOREIGN = Key("foreign-2026", "A256GCM", OTHER_BYTES, source="test")
seal_module = importlib.import_module("securedoc.articles")


def _json_reports(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


@pytest.fixture
def content(project: Path) -> Path:
    """The project's content folder, holding one unsealed article a.md (the example, which carries
    a legacy seal this keyring cannot open, is taken away)."""
    folder = project / "content"
    (folder / EXAMPLE_NAME).unlink()
    (folder / "a.md").write_bytes(article("title: a\nheat: 154\ntags: [x, y]\n"))
    return folder


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# -- the verification cache: only clean results are remembered --------------------------------------
# Mutant: `clean = True` in the verify job (every result cached). A tampered article verified once
# would then be `ok (cached)` on the next run.


def test_a_mismatch_is_never_cached(content: Path, cli: Cli) -> None:
    assert cli("seal", "content", "--force", "-q").exit_code == 0
    path = content / "a.md"
    path.write_bytes(path.read_bytes().replace(b"heat: 154", b"heat: 999"))
    for _ in range(3):  # the second and third runs see the same bytes as the first
        result = cli("verify", "content", "--cache", "cache", "--format", "json", "--jobs", "1")
        assert result.exit_code == 1, result.output
        (report,) = _json_reports(result)
        assert report["status"] == "mismatch" and report["fields"][0]["name"] == "heat"
        assert "unchanged since last verified" not in report["message"]


def test_errors_and_unsealed_articles_are_never_cached(content: Path, cli: Cli) -> None:
    (content / "plain.md").write_bytes(article("title: not sealed\n"))
    (content / "broken.md").write_bytes(article("title: x\nsecured: not-a-seal\n"))
    for _ in range(2):
        result = cli("verify", "content", "--cache", "cache", "--format", "json", "--jobs", "1")
        assert result.exit_code == 1
        statuses = {Path(r["path"]).name: r["status"] for r in _json_reports(result)}
        assert statuses == {"plain.md": "unsealed", "broken.md": "error", "a.md": "unsealed"}


def test_a_result_with_warnings_or_notes_is_never_cached(content: Path, cli: Cli) -> None:
    """Mutant: `clean = status is OK` (warnings and notes forgotten): the warning would be said once,
    then the next run would say `ok (cached)` without it."""
    assert cli("seal", "content", "--force", "-q").exit_code == 0
    path = content / "a.md"
    path.write_bytes(path.read_bytes().replace(b"---\nBody", b"extra: unbound\n---\nBody"))
    for _ in range(2):
        result = cli("verify", "content", "--cache", "c1", "--unbound", "warn", "--format", "json", "--jobs", "1")
        assert result.exit_code == 0, result.output
        (report,) = _json_reports(result)
        assert report["status"] == "ok" and "'extra' is not bound" in report["warnings"][0]
    for _ in range(2):
        result = cli("verify", "content", "--cache", "c2", "--unbound", "ignore", "--format", "json", "--jobs", "1")
        (report,) = _json_reports(result)
        assert report["status"] == "ok" and report["notes"] and "extra" in report["notes"][0]
    # A clean result is cached (so the tests above are not passing only because nothing ever is).
    path.write_bytes(path.read_bytes().replace(b"extra: unbound\n", b""))
    messages = []
    for _ in range(2):
        result = cli("verify", "content", "--cache", "c3", "--format", "json", "--jobs", "1")
        messages.append(_json_reports(result)[0]["message"])
    assert messages == ["seal matches", "seal matches (unchanged since last verified)"]


def test_a_refused_seal_is_never_cached(content: Path, cli: Cli) -> None:
    """Mutant: `clean = True` in the seal job: a refusal would become `already sealed` next time."""
    write_jwk(content.parent / "other", FOREIGN)
    assert cli("seal", "content", "--keys", "other", "--force", "-q").exit_code == 0
    for _ in range(2):  # sealed with a key this keyring lacks: seal refuses without --force
        result = cli("seal", "content", "--cache", "cache", "--format", "json", "--jobs", "1")
        assert result.exit_code != 0, result.output
        (report,) = _json_reports(result)
        assert report["status"] == "error" and "already sealed" not in report["message"]


# -- the self-check before writing -----------------------------------------------------------------
# Mutant: the check that the new seal opens (production path, seal line only) or the re-parse check
# (every other edit) disabled. A broken seal would then be written over the article.


def _foreign_seal(monkeypatch: pytest.MonkeyPatch) -> None:
    real = seal_module.seal_payload

    def seal_with_wrong_key(plaintext: bytes, key: Key, **kwargs: Any) -> str:
        return real(plaintext, FOREIGN, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(seal_module, "seal_payload", seal_with_wrong_key)


@pytest.mark.parametrize("check", ["production", "full"])
@pytest.mark.parametrize("hide", [False, True])
def test_a_seal_that_does_not_open_is_never_written(
    content: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, check: str, hide: bool
) -> None:
    """Without SECUREDOC_CHECK_EDITS (what users run) a seal-line edit is proven, not parsed again:
    the proof must still open the new seal. Hiding a field takes the re-parse path."""
    if check == "production":
        monkeypatch.delenv(seal_module.CHECK_EDITS_ENV, raising=False)
    else:
        monkeypatch.setenv(seal_module.CHECK_EDITS_ENV, "full")
    path = content / "a.md"
    before = path.read_bytes()
    _foreign_seal(monkeypatch)
    result = cli("seal", "content", *(["--hide", "heat"] if hide else []), "--format", "json", "--jobs", "1")
    assert result.exit_code != 0, result.output
    (report,) = _json_reports(result)
    said = report["message"]  # the proof's own words, or the re-parse check's failure to open it
    assert report["status"] == "error" and ("nothing was written" in said or "foreign-2026" in said), report
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.md"]


@pytest.mark.parametrize("check", ["production", "full"])
@pytest.mark.parametrize("slipped", ["extra: 1\n", "heat: 1\n"])
def test_an_edit_that_changes_another_field_is_never_written(
    content: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, check: str, slipped: str
) -> None:
    """The re-parse check compares every other field: an edit that slips in a new field is refused,
    and so is one that would not parse (a second `heat`)."""
    if check == "production":
        monkeypatch.delenv(seal_module.CHECK_EDITS_ENV, raising=False)
    path = content / "a.md"
    before = path.read_bytes()
    real = seal_module._seal_edit

    def also_changes_a_field(document: Any, value: str) -> tuple[int, int, str]:
        start, end, text = real(document, value)
        return start, end, text + slipped if text.endswith("\n") else text

    monkeypatch.setattr(seal_module, "_seal_edit", also_changes_a_field)
    result = cli("seal", "content", "--format", "json", "--jobs", "1")
    assert result.exit_code != 0, result.output
    (report,) = _json_reports(result)
    assert report["status"] == "error" and "nothing was written" in report["message"], report
    assert path.read_bytes() == before


# -- output formats --------------------------------------------------------------------------------
# Mutants: the JUnit `skipped` count wrong; a GitHub annotation's title wrong.


def test_junit_counts_add_up(content: Path, cli: Cli) -> None:
    (content / "plain.md").write_bytes(article("title: not sealed\n"))
    (content / "ok.md").write_bytes(article("title: fine\n"))
    (content / "changed.md").write_bytes(article("title: changed\n"))
    (content / "broken.md").write_bytes(article("title: x\nsecured: not-a-seal\n"))
    assert cli("seal", "content/ok.md", "content/changed.md", "-q").exit_code == 0
    changed = content / "changed.md"
    changed.write_bytes(changed.read_bytes().replace(b"title: changed", b"title: edited"))
    expected = {"tests": "5", "failures": "1", "errors": "1", "skipped": "2"}
    for policy, skipped in (("warn", "2"), ("ignore", "2")):
        result = cli("verify", "content", "--format", "junit", "--unsealed", policy, "--jobs", "1")
        root = ET.fromstring(result.stdout)
        suite = root.find("testsuite")
        assert suite is not None
        for element in (root, suite):
            assert {k: element.get(k) for k in expected} == {**expected, "skipped": skipped}, policy
        cases = suite.findall("testcase")
        assert len(cases) == 5
        assert sum(1 for c in cases if c.find("skipped") is not None) == 2
        assert sum(1 for c in cases if c.find("failure") is not None) == 1
        assert sum(1 for c in cases if c.find("error") is not None) == 1
    # Under --unsealed error an unsealed article fails: it is a failure, not skipped.
    result = cli("verify", "content", "--format", "junit", "--jobs", "1")
    root = ET.fromstring(result.stdout)
    assert {k: root.get(k) for k in expected} == {"tests": "5", "failures": "3", "errors": "1", "skipped": "0"}


def test_github_annotation_titles(content: Path, cli: Cli) -> None:
    (content / "a.md").write_bytes(article("title: a\nheat: 1\ngone: x\n", body="Body.\n"))
    (content / "plain.md").write_bytes(article("title: not sealed\n"))
    (content / "broken.md").write_bytes(article("title: x\nsecured: not-a-seal\n"))
    assert cli("seal", "content/a.md", "-q").exit_code == 0
    path = content / "a.md"
    data = path.read_bytes().replace(b"heat: 1\n", b"heat: 2\n").replace(b"gone: x\n", b"new: y\n")
    path.write_bytes(data.replace(b"Body.", b"Other body."))
    result = cli("verify", "content", "--format", "github", "--jobs", "1")
    assert result.exit_code == 1
    titles = {
        line.split("title=", 1)[1].split("::", 1)[0]
        for line in result.output.splitlines()
        if line.startswith("::") and "title=" in line and "file=" in line
    }
    named = {
        "securedoc%3A heat changed",
        "securedoc%3A gone removed",
        "securedoc%3A new not bound",
        "securedoc%3A body changed",
        "securedoc%3A not sealed",
    }
    assert named <= titles, titles
    (broken,) = titles - named  # the malformed seal: an error titled by what failed
    assert broken.startswith("securedoc%3A ") and broken not in named
    result = cli("verify", "content", "--format", "github", "--unsealed", "warn", "--jobs", "1")
    assert "::warning file=content/plain.md,title=securedoc%3A not sealed::" in result.stdout
    # seal's errors are titled by what seal did: a seal it cannot open is refused.
    write_jwk(content.parent / "other", FOREIGN)
    assert cli("seal", "content/plain.md", "--keys", "other", "-q").exit_code == 0
    result = cli("seal", "content/plain.md", "--format", "github")
    assert result.exit_code == 1
    assert "::error file=content/plain.md,line=3,title=securedoc%3A refused::" in result.stdout, result.stdout


# -- temporary files a killed run left behind --------------------------------------------------------
# Mutant: the clean-up before a folder's first write never runs.


@pytest.mark.parametrize("command", ["seal", "rotate"])
def test_a_run_removes_what_a_killed_run_left(content: Path, cli: Cli, command: str) -> None:
    sub = content / "sub"
    sub.mkdir()
    (sub / "b.md").write_bytes(article("title: b\n"))
    if command == "rotate":
        assert cli("seal", "content", "--force", "-q").exit_code == 0
    dead = _dead_pid()
    stale = [content / f".a.md.securedoc-{dead}-{'0' * 16}.tmp", sub / f".b.md.securedoc-{dead}-{'1' * 16}.tmp"]
    for path in stale:
        path.write_bytes(b"half-written secret")
    keep = content / ".notes.tmp"
    keep.write_bytes(b"not ours")
    args = ["rotate", "content", "--to", "test-2026"] if command == "rotate" else ["seal", "content"]
    result = cli(*args, "-q")
    assert result.exit_code == 0, result.output
    assert [p for p in stale if p.exists()] == []
    assert keep.exists()


def test_seal_of_one_file_through_the_api_removes_stale_files(tmp_path: Path, key: Key) -> None:
    from securedoc.api import seal_file
    from securedoc.keys import Keyring

    path = tmp_path / "a.md"
    path.write_bytes(article("title: a\n"))
    stale = tmp_path / f".a.md.securedoc-{_dead_pid()}-{'a' * 16}.tmp"
    stale.write_bytes(b"x")
    seal_file(path, Keyring([key]))
    assert not stale.exists()
    assert os.path.exists(path)


# -- the production self-check, on every shape of article ---------------------------------------------
# conftest sets SECUREDOC_CHECK_EDITS=full for the whole suite, so the proof users run (a seal-line
# edit proven, not parsed again) is otherwise exercised by a handful of tests only.


# The byte search finds a seal line inside a quoted value first: the claim must be left out.
DECOY = article("title: 'line one\nsecured: \"\" tail'\n")


@given(articles(), st.booleans())
@example(Generated(DECOY, ("title",), "\n", False), False)
def test_the_production_proof_writes_what_the_full_check_writes(gen: Generated, force: bool) -> None:
    from securedoc.document import parse
    from securedoc.keys import Keyring
    from securedoc.models import Status
    from securedoc.verify import verify_document

    key = Key("k1", "A256GCM", bytes(range(32)))
    ring = Keyring([key])
    outcomes = {}
    for mode in ("production", "full"):
        with patch.dict(os.environ):
            os.environ.pop(seal_module.CHECK_EDITS_ENV, None)
            if mode == "full":
                os.environ[seal_module.CHECK_EDITS_ENV] = "full"
            outcomes[mode] = seal_module.seal_document(parse(gen.data), ring, force=force, _nonce=bytes(12))
    production, full = outcomes["production"], outcomes["full"]
    assert production.data == full.data
    assert production.report.status is full.report.status
    if production.data is not None:
        assert verify_document(parse(production.data), ring).status is Status.OK
        # Nothing but the seal moved: the bytes before and after the front matter are the same.
        before, after = parse(gen.data), parse(production.data)
        assert after.data[: after.fm_start] == before.data[: before.fm_start]
        assert after.data[after.fm_end :] == before.data[before.fm_end :]


# -- securedoc.crypto: one answer for every failure ---------------------------------------------------


def test_every_decryption_failure_gives_the_same_error() -> None:
    """The module's promise: wrong key, changed tag, bad padding, bad lengths all raise
    DecryptionFailed with one message (so no caller can tell them apart)."""
    from securedoc import crypto
    from securedoc.errors import DecryptionFailed, SignatureInvalid

    key, nonce, iv = bytes(range(32)), bytes(12), bytes(16)
    ciphertext, tag = crypto.gcm_encrypt(key, nonce, b"plaintext", b"aad")
    assert crypto.gcm_decrypt(key, nonce, ciphertext, tag, b"aad") == b"plaintext"
    block = crypto.cbc_encrypt(key, iv, b"plaintext")
    assert crypto.cbc_decrypt(key, iv, block) == b"plaintext"
    failures = [
        lambda: crypto.gcm_decrypt(key, nonce, ciphertext, tag[:15], b"aad"),  # short tag
        lambda: crypto.gcm_decrypt(key, nonce, ciphertext, bytes(16), b"aad"),  # wrong tag
        lambda: crypto.gcm_decrypt(key, nonce, ciphertext, tag, b"other"),  # other header
        lambda: crypto.gcm_decrypt(key, b"", ciphertext, tag, b"aad"),  # a nonce the library refuses
        lambda: crypto.cbc_decrypt(key, iv[:12], block),  # short IV, whole blocks
        lambda: crypto.cbc_decrypt(key, iv, b""),  # nothing to decrypt
        lambda: crypto.cbc_decrypt(key, iv, block[:-1]),  # not whole blocks
        lambda: crypto.cbc_decrypt(bytes(32), iv, block),  # wrong key: bad padding
    ]
    messages = set()
    for failure in failures:
        with pytest.raises(DecryptionFailed) as caught:
            failure()
        messages.add(str(caught.value))
    assert messages == {crypto._FAILED}

    seed = bytes(range(32))
    public = crypto.ed25519_public(seed)
    signature = crypto.ed25519_sign(seed, b"message")
    crypto.ed25519_verify(public, signature, b"message")
    bad = [
        (public, signature[:63], b"message"),
        (public[:31], signature, b"message"),
        (public, signature, b"other"),
        (public, bytes(64), b"message"),
    ]
    messages = set()
    for args in bad:
        with pytest.raises(SignatureInvalid) as caught_signature:
            crypto.ed25519_verify(*args)
        messages.add(str(caught_signature.value))
    assert messages == {crypto._BAD_SIGNATURE}
    for make in (crypto.ed25519_public, lambda s: crypto.ed25519_sign(s, b"m")):
        with pytest.raises(ValueError, match="an Ed25519 private key has 32 bytes, not 31"):
            make(seed[:31])


# -- securedoc.cache ----------------------------------------------------------------------------------


def test_a_cache_tag_is_the_documented_hmac() -> None:
    """HMAC-SHA256(K, purpose || 0x00 || file bytes), truncated to 16 bytes (securedoc.cache)."""
    import hashlib
    import hmac

    from securedoc.cache import CacheView, TagSet

    view = CacheView(bytes(range(32)), TagSet())
    expected = hmac.new(bytes(range(32)), b"verify\x00article bytes", hashlib.sha256).digest()[:16]
    assert view.tag(b"verify", b"article bytes") == expected
    assert view.hit(b"verify", b"article bytes") == (False, expected)
    assert CacheView(bytes(range(32)), TagSet([expected])).hit(b"verify", b"article bytes") == (True, expected)


def test_a_tag_set_holds_only_16_byte_tags() -> None:
    from securedoc.cache import TagSet

    tags = TagSet([bytes([i]) * 16 for i in range(5)])
    assert bytes([3]) * 16 in tags
    for other in ("a" * 16, bytes(15), bytes([3]) * 17, bytearray(bytes([3]) * 16), None):
        assert other not in tags


def test_the_cache_folder_is_made_with_its_parents(tmp_path: Path, key: Key) -> None:
    from securedoc.cache import FILE_NAME, MAGIC, VerificationCache
    from securedoc.keys import Keyring

    folder = tmp_path / "a" / "b" / "cache"
    cache = VerificationCache(folder, Keyring([key]), {"purpose": "verify"})
    cache.save(bytes(range(16)))
    assert (folder / f"{FILE_NAME}-verify").read_bytes() == MAGIC + bytes(range(16))
    assert [p.name for p in folder.iterdir()] == [f"{FILE_NAME}-verify"]  # no temporary file left
    assert (folder / f"{FILE_NAME}-verify").stat().st_mode & 0o777 == 0o600  # its tags are nobody else's


def test_a_cache_that_cannot_be_written_says_where_and_why(
    tmp_path: Path, key: Key, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from securedoc import cache as cache_module
    from securedoc.errors import ConfigError
    from securedoc.keys import Keyring

    cache = cache_module.VerificationCache(tmp_path / "c", Keyring([key]), {"purpose": "verify"})

    def full_disk(*args: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache_module.os, "replace", full_disk)
    with pytest.raises(ConfigError) as caught:
        cache.save(bytes(16))
    assert str(cache.path) in caught.value.message and "No space left on device" in caught.value.message
    assert "cannot write the cache" in caught.value.message


def test_the_cache_file_name_and_damaged_or_foreign_files(tmp_path: Path, key: Key) -> None:
    from securedoc.cache import FILE_NAME, MAGIC, VerificationCache
    from securedoc.errors import ConfigError
    from securedoc.keys import Keyring

    ring = Keyring([key])
    assert VerificationCache(tmp_path, ring, {}).path == tmp_path / f"{FILE_NAME}-verify"  # the default purpose
    assert VerificationCache(tmp_path, ring, {"purpose": "seal"}).path == tmp_path / f"{FILE_NAME}-seal"
    path = tmp_path / f"{FILE_NAME}-verify"
    for foreign in (b"NOTMAGIC" + bytes(range(16)), MAGIC + bytes(range(15)), b""):
        path.write_bytes(foreign)
        cache = VerificationCache(tmp_path, ring, {"purpose": "verify"})
        assert len(cache.view.tags) == 0  # not ours, or damaged: start afresh
        cache.save(bytes([7]) * 16)
        assert path.read_bytes() == MAGIC + bytes([7]) * 16
    path.unlink()
    path.mkdir()  # cannot be read: a clear error, with what to do
    with pytest.raises(ConfigError) as caught:
        VerificationCache(tmp_path, ring, {"purpose": "verify"})
    assert caught.value.message.startswith(f"{path}: cannot read the cache: ")
    assert caught.value.hint == "remove the cache folder or choose another with --cache"


def test_the_cache_key_is_derived_as_documented(key: Key, other_key: Key) -> None:
    """K = HKDF-SHA256(salt "securedoc cache v1", info = the settings as sorted compact JSON) over
    each key's length-prefixed id, algorithm, secret material and public key, in id order, then the
    separate secret. Written out here from the module's description; above all, K depends on every
    key's secret material (without it, anyone could compute an entry for a changed article)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    from securedoc.cache import derive_cache_key
    from securedoc.keys import Keyring

    def expected(keys: list[Key], settings: dict[str, Any], separate: str = "") -> bytes:
        material = b""
        for k in sorted(keys, key=lambda k: k.kid):
            secret = k.secret_bytes() if k.private else b""
            for part in (k.kid.encode(), k.alg.encode(), secret, k.public_bytes()):
                material += len(part).to_bytes(4, "big") + part
        if separate:
            material += b"cache-secret" + len(separate.encode()).to_bytes(4, "big") + separate.encode()
        info = json.dumps(settings, sort_keys=True, separators=(",", ":")).encode()
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"securedoc cache v1", info=info).derive(material)

    settings = {"purpose": "verify", "retired": ["a"], "rules": 4}
    reordered = {"rules": 4, "retired": ["a"], "purpose": "verify"}
    ring = Keyring([other_key, key])
    assert derive_cache_key(ring, settings, environ={}) == expected([key, other_key], settings)
    assert derive_cache_key(ring, reordered, environ={}) == derive_cache_key(ring, settings, environ={})
    secret = "s" * 40
    assert derive_cache_key(ring, settings, environ={"SECUREDOC_CACHE_SECRET": secret}) == expected(
        [key, other_key], settings, secret
    )
    twin = Key(key.kid, key.alg, bytes(32), source="test")  # same id and algorithm, other secret
    assert derive_cache_key(Keyring([twin]), settings, environ={}) != derive_cache_key(
        Keyring([key]), settings, environ={}
    )


def test_the_cache_secret_errors_say_what_to_do(key: Key) -> None:
    from securedoc.cache import derive_cache_key
    from securedoc.errors import ConfigError
    from securedoc.keys import Keyring

    demo = Keyring([Key("demo", "A256GCM", bytes(32), demo=True)])
    with pytest.raises(ConfigError) as caught:
        derive_cache_key(demo, {}, environ={})
    assert caught.value.message == (
        "the verification cache needs a secret, and this keyring holds only public keys (or the public "
        "demo key): anyone could compute its entries and make a changed article pass"
    )
    assert caught.value.hint and "$SECUREDOC_CACHE_SECRET" in caught.value.hint and "32 characters" in caught.value.hint
    with pytest.raises(ConfigError) as caught:
        derive_cache_key(Keyring([key]), {}, environ={"SECUREDOC_CACHE_SECRET": "x" * 31})
    assert "(31 characters; at least 32)" in caught.value.message
    assert caught.value.hint == "use random text, e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`"


# -- securedoc.fileio ---------------------------------------------------------------------------------


def _said(error: Any) -> tuple[str, str | None, str | None]:
    return error.message, error.path, error.hint


def test_every_read_error_names_the_file_and_says_what_is_wrong(tmp_path: Path) -> None:
    import errno

    from securedoc import fileio
    from securedoc.errors import FileAccessError

    cases = {
        FileNotFoundError(errno.ENOENT, "No such file"): (
            "no such file (it may have been moved or deleted during the run)",
            None,
        ),
        PermissionError(errno.EACCES, "Permission denied"): (
            "permission denied: securedoc cannot read this file",
            "check the file's permissions",
        ),
        IsADirectoryError(errno.EISDIR, "Is a directory"): ("is a folder, not a file", None),
        OSError(errno.ELOOP, "Too many levels"): ("too many levels of symbolic links", None),
        OSError(errno.EIO, "Input/output error"): ("cannot read the file: Input/output error", None),
    }
    for exc, (message, hint) in cases.items():
        error = fileio._access_error("content/a.md", exc)
        assert isinstance(error, FileAccessError)
        assert _said(error) == (message, "content/a.md", hint)
    # The same words from the real thing.
    loop = tmp_path / "loop.md"
    loop.symlink_to(loop)
    for path, message in ((tmp_path / "gone.md", "no such file"), (loop, "too many levels of symbolic links")):
        with pytest.raises(FileAccessError) as caught:
            fileio.read_article(str(path))
        assert caught.value.message.startswith(message) and caught.value.path == str(path)
    with pytest.raises(FileAccessError) as caught:
        fileio.read_article(str(tmp_path))
    assert _said(caught.value) == ("is a folder, not a file", str(tmp_path), None)


def test_standard_input_is_read_whole_up_to_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from securedoc import fileio
    from securedoc.document import Limits
    from securedoc.errors import DocumentError

    for size in (0, 9, 10):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x" * size)))
        assert fileio.read_stdin(Limits(max_file_size=10)) == b"x" * size
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x" * 11)))
    with pytest.raises(DocumentError) as caught:
        fileio.read_stdin(Limits(max_file_size=10))
    assert _said(caught.value) == (
        "standard input is larger than the limit of 10 bytes",
        "-",
        "raise limits.max_file_size in securedoc.yaml if this article is genuine",
    )
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"---\nt: 1\n---\n")))
    data, _ = fileio.read_article("-")
    assert data == b"---\nt: 1\n---\n"


def test_within_a_root(tmp_path: Path) -> None:
    from securedoc.fileio import within

    root = "/srv/site/content"
    assert within("/srv/site/content", (root,)) and within("/srv/site/content/a.md", (root,))
    assert within("/srv/site/content/a.md", (root + "/",))  # a root given with its slash
    assert not within("/srv/site/content-other/a.md", (root,)) and not within("/srv/site/a.md", (root,))
    assert not within("/srv/site/content/a.md", ())


@pytest.mark.parametrize("mode", [0o444, 0o555, 0o400, 0o511])
def test_a_read_only_file_is_left_alone_even_by_root(tmp_path: Path, mode: int) -> None:
    from securedoc import fileio
    from securedoc.errors import WriteError

    path = tmp_path / "a.md"
    path.write_bytes(b"---\nt: 1\n---\n")
    path.chmod(mode)
    data, snapshot = fileio.read_article(str(path))
    with pytest.raises(WriteError) as caught:
        fileio.atomic_replace(str(path), b"new", snapshot)
    assert _said(caught.value) == (
        "the file is read-only; securedoc leaves read-only files alone",
        str(path),
        f"make it writable (chmod u+w {path}) to seal it",
    )
    assert path.read_bytes() == data and sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]


def test_a_read_only_folder_and_a_vanished_folder(tmp_path: Path) -> None:
    from securedoc import fileio
    from securedoc.errors import FileAccessError, WriteError

    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "a.md"
    path.write_bytes(b"x")
    _, snapshot = fileio.read_article(str(path))
    folder.chmod(0o555)
    try:
        with pytest.raises(WriteError) as caught:
            fileio.atomic_replace(str(path), b"new", snapshot)
        assert _said(caught.value) == (
            "its folder is read-only, so the file cannot be replaced safely",
            str(path),
            f"make the folder writable (chmod u+w {folder})",
        )
    finally:
        folder.chmod(0o755)
    gone = tmp_path / "gone"
    with pytest.raises(FileAccessError) as caught_access:
        fileio.check_writable(str(gone / "a.md"), snapshot)
    assert _said(caught_access.value)[:2] == (
        "no such file (it may have been moved or deleted during the run)",
        str(gone),
    )


def test_which_processes_count_as_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    """A temporary file is only ever taken for stale when its writer is gone: a running process
    (whatever its name) is alive, a dead or zombie one is not."""
    import time

    from securedoc import atomicfile

    assert atomicfile.pid_alive(os.getpid())
    assert not atomicfile.pid_alive(_dead_pid())
    # A running process whose name holds ") Z": the state is read after the last parenthesis.
    code = "open('/proc/self/comm', 'w').write('t) Z X'); import time; time.sleep(30)"
    odd = subprocess.Popen([sys.executable, "-c", code])
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            comm = Path(f"/proc/{odd.pid}/comm").read_text().strip()
            with open(f"/proc/{zombie.pid}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
            if comm == "t) Z X" and state == b"Z":
                break
            time.sleep(0.05)
        assert atomicfile.pid_alive(odd.pid)
        assert not atomicfile.pid_alive(zombie.pid)  # exited, not yet reaped
    finally:
        odd.kill()
        odd.wait()
        zombie.wait()

    def not_ours(pid: int, signal: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(atomicfile.os, "kill", not_ours)  # another user's process: alive
    assert atomicfile.pid_alive(12345)


def test_the_temporary_copy_is_private_named_for_clean_up_and_written_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the new bytes (which may hold hidden values) are written, the copy is 0600, next to
    the article, named so the next run can clean it up; short writes are continued."""
    import stat as stat_module

    from securedoc import fileio

    path = tmp_path / "a.md"
    path.write_bytes(b"old")
    path.chmod(0o644)
    _, snapshot = fileio.read_article(str(path))
    seen: dict[str, Any] = {}
    real_write, real_replace = os.write, os.replace

    def short_write(fd: int, data: Any) -> int:
        seen.setdefault("mode", stat_module.S_IMODE(os.fstat(fd).st_mode))
        return real_write(fd, bytes(data[:3]))

    def replace(source: str, target: str) -> None:
        seen["temp"] = source
        real_replace(source, target)

    monkeypatch.setattr(fileio.os, "write", short_write)
    monkeypatch.setattr(fileio.os, "replace", replace)
    fileio.atomic_replace(str(path), b"0123456789 new bytes", snapshot)
    monkeypatch.undo()
    assert path.read_bytes() == b"0123456789 new bytes"
    assert seen["mode"] == 0o600 and stat_module.S_IMODE(path.stat().st_mode) == 0o644
    temp = Path(seen["temp"])
    assert temp.parent == tmp_path and fileio.TEMP_PATTERN.match(temp.name)
    assert temp.name.startswith(f".a.md.securedoc-{os.getpid()}-")


def test_a_temporary_copy_that_cannot_be_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from securedoc import fileio
    from securedoc.errors import WriteError

    path = tmp_path / "a.md"
    path.write_bytes(b"old")
    _, snapshot = fileio.read_article(str(path))
    real_open = os.open

    def no_space(name: str, flags: int, *args: Any) -> int:
        if ".securedoc-" in str(name):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(name, flags, *args)

    monkeypatch.setattr(fileio.os, "open", no_space)
    with pytest.raises(WriteError) as caught:
        fileio.atomic_replace(str(path), b"new", snapshot)
    monkeypatch.undo()
    assert _said(caught.value) == (
        "cannot create a temporary file next to it: No space left on device",
        str(path),
        "check that the folder is writable and the disk is not full",
    )
    assert path.read_bytes() == b"old"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another owner")
def test_root_keeps_the_articles_owner(tmp_path: Path) -> None:
    from securedoc import fileio

    path = tmp_path / "a.md"
    path.write_bytes(b"old")
    os.chown(path, 1234, 5678)
    _, snapshot = fileio.read_article(str(path))
    fileio.atomic_replace(str(path), b"new", snapshot)
    assert (path.stat().st_uid, path.stat().st_gid) == (1234, 5678) and path.read_bytes() == b"new"
    os.chown(path, 0, 0)
    _, snapshot = fileio.read_article(str(path))
    fileio.atomic_replace(str(path), b"newer", snapshot)
    assert (path.stat().st_uid, path.stat().st_gid) == (0, 0)


def test_a_file_deleted_or_changed_meanwhile_or_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from securedoc import fileio
    from securedoc.errors import WriteError

    path = tmp_path / "a.md"
    path.write_bytes(b"old")
    _, snapshot = fileio.read_article(str(path))
    path.unlink()
    with pytest.raises(WriteError) as caught:
        fileio.atomic_replace(str(path), b"new", snapshot)
    assert _said(caught.value) == (
        "the file was deleted while securedoc was sealing it; nothing was written",
        str(path),
        None,
    )
    path.write_bytes(b"other bytes")
    with pytest.raises(WriteError) as caught:
        fileio.atomic_replace(str(path), b"new", snapshot)
    assert _said(caught.value) == (
        "the file changed while securedoc was sealing it; nothing was written",
        str(path),
        "run the command again",
    )
    _, snapshot = fileio.read_article(str(path))

    def full(fd: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fileio.os, "write", full)
    with pytest.raises(WriteError) as caught:
        fileio.atomic_replace(str(path), b"new", snapshot)
    monkeypatch.undo()
    assert _said(caught.value) == (
        "cannot write the file: No space left on device; the original is unchanged",
        str(path),
        "the disk may be full",
    )
    assert path.read_bytes() == b"other bytes" and [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_a_read_that_fails_midway_and_a_link_that_leads_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from securedoc import fileio
    from securedoc.errors import FileAccessError, WriteError

    path = tmp_path / "a.md"
    path.write_bytes(b"---\nt: 1\n---\n")

    def broken(fd: int, size: int) -> bytes:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(fileio.os, "read", broken)
    with pytest.raises(FileAccessError) as caught:
        fileio.read_article(str(path))
    monkeypatch.undo()
    assert _said(caught.value) == ("cannot read the file: Input/output error", str(path), None)

    site = tmp_path / "site"
    site.mkdir()
    link = site / "b.md"
    link.symlink_to(path)
    with pytest.raises(WriteError) as caught_write:
        fileio.write_target(str(link), (str(site),), False)
    assert _said(caught_write.value) == (
        f"is a symbolic link to {path}, outside the folders given; securedoc does not write there",
        str(link),
        "pass --follow-symlinks to write through links that lead elsewhere",
    )
    assert fileio.write_target(str(link), (str(site),), True) == str(path)
    assert fileio.write_target(str(link), (str(tmp_path),), False) == str(path)


def test_reading_a_file_whole_and_within_the_limit(tmp_path: Path) -> None:
    from securedoc import fileio
    from securedoc.document import Limits
    from securedoc.errors import DocumentError, FileAccessError

    hint = "raise limits.max_file_size in securedoc.yaml if this article is genuine"
    path = tmp_path / "a.md"
    path.write_bytes(b"x" * 10)
    assert fileio.read_article(str(path), Limits(max_file_size=10))[0] == b"x" * 10
    with pytest.raises(DocumentError) as caught:
        fileio.read_article(str(path), Limits(max_file_size=9))
    assert _said(caught.value) == ("the file is 10 bytes; the limit is 9", str(path), hint)
    big = tmp_path / "big.md"
    big.write_bytes(bytes(range(256)) * 9000)  # more than one read's worth (1 MiB)
    assert fileio.read_article(str(big))[0] == bytes(range(256)) * 9000
    # A file whose size says nothing (as /proc's) is read up to the limit and refused past it.
    status = "/proc/self/status"
    with pytest.raises(DocumentError) as caught:
        fileio.read_article(status, Limits(max_file_size=100))
    assert _said(caught.value) == (
        "the file (it grew while being read) is larger than the limit of 100 bytes",
        status,
        hint,
    )
    assert fileio.read_article(status)[0].startswith(b"Name:")
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    with pytest.raises(FileAccessError) as caught_access:
        fileio.read_article(str(fifo))
    assert _said(caught_access.value) == ("not a regular file (a device, pipe or socket?)", str(fifo), None)


def test_the_clean_up_leaves_links_alone(tmp_path: Path) -> None:
    """A symbolic link named like a temporary file is not a temporary file: neither it nor what it
    points to is removed; a stale temporary file beside it is."""
    from securedoc import atomicfile

    target = tmp_path / "precious.md"
    target.write_bytes(b"keep")
    dead = _dead_pid()
    link = tmp_path / f".a.md.securedoc-{dead}-{'3' * 16}.tmp"
    link.symlink_to(target)
    stale = tmp_path / f".b.md.securedoc-{dead}-{'4' * 16}.tmp"
    stale.write_bytes(b"half")
    assert atomicfile.cleanup_temp_files(str(tmp_path)) == [str(stale)]
    assert link.is_symlink() and target.read_bytes() == b"keep"

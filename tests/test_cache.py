"""The verification cache speeds up unchanged files and can never vouch for a changed one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import OTHER_BYTES, article

from securedoc.api import RunOptions, run
from securedoc.articles import seal_document
from securedoc.cache import FILE_NAME, MAGIC, CacheView, VerificationCache, derive_cache_key
from securedoc.document import parse
from securedoc.errors import ConfigError
from securedoc.keys import Key, Keyring
from securedoc.models import Status


def sealed_tree(root: Path, ring: Keyring, n: int = 5) -> None:
    root.mkdir(exist_ok=True)
    for i in range(n):
        data = seal_document(parse(article(f"title: T{i}\n")), ring).data
        assert data is not None
        (root / f"{i}.md").write_bytes(data)


def verify_run(root: Path, ring: Keyring, cache: Path) -> list:
    batch_run = run(RunOptions("verify", [str(root)], ring, cache=cache, jobs=1))
    reports = list(batch_run)
    batch_run.save_cache()
    return reports


def test_warm_run_hits_and_a_changed_file_misses(tmp_path: Path, ring: Keyring) -> None:
    sealed_tree(tmp_path / "c", ring)
    cache = tmp_path / "cache"
    cold = verify_run(tmp_path / "c", ring, cache)
    assert all(r.status is Status.OK and not r.extra.get("cached") for r in cold)
    warm = verify_run(tmp_path / "c", ring, cache)
    assert all(r.status is Status.OK and r.extra.get("cached") for r in warm)
    path = tmp_path / "c" / "2.md"
    path.write_bytes(path.read_bytes().replace(b"title: T2", b"title: X"))
    again = verify_run(tmp_path / "c", ring, cache)
    assert again[2].status is Status.MISMATCH and not again[2].extra.get("cached")


def test_planted_or_edited_entries_cannot_pass_a_tampered_article(tmp_path: Path, ring: Keyring) -> None:
    sealed_tree(tmp_path / "c", ring, 1)
    cache = tmp_path / "cache"
    path = tmp_path / "c" / "0.md"
    path.write_bytes(path.read_bytes().replace(b"title: T0", b"title: EVIL"))
    tampered = path.read_bytes()
    # An attacker without the keys can write anything into the cache folder:
    # tags made with a guessed key, with a different keyring, random bytes, plain hashes.
    import hashlib

    attacker_ring = Keyring([Key("test-2026", "A256GCM", OTHER_BYTES)])
    settings = {"securedoc": "0.1.0", "purpose": "verify", "retired": [], "retired_policy": "warn"}
    forged = [
        CacheView(derive_cache_key(attacker_ring, settings), frozenset()).tag(b"verify", tampered),
        hashlib.sha256(tampered).digest()[:16],
        os.urandom(16),
    ]
    cache.mkdir()
    (cache / f"{FILE_NAME}-verify").write_bytes(MAGIC + b"".join(forged))
    report = verify_run(tmp_path / "c", ring, cache)[0]
    assert report.status is Status.MISMATCH and not report.extra.get("cached")
    # Editing the cache file after a good run does not help either.
    assert b"EVIL" not in (cache / f"{FILE_NAME}-verify").read_bytes()


def test_cache_is_keyed_to_the_keyring_and_settings(tmp_path: Path, ring: Keyring, other_key: Key) -> None:
    sealed_tree(tmp_path / "c", ring, 2)
    cache = tmp_path / "cache"
    verify_run(tmp_path / "c", ring, cache)
    bigger = Keyring([*ring, other_key])
    assert not any(r.extra.get("cached") for r in verify_run(tmp_path / "c", bigger, cache))
    options = RunOptions("verify", [str(tmp_path / "c")], ring, cache=cache, jobs=1, retired="error")
    assert not any(r.extra.get("cached") for r in run(options))


def test_cache_file_holds_no_key_material(tmp_path: Path, ring: Keyring, key: Key) -> None:
    sealed_tree(tmp_path / "c", ring, 3)
    verify_run(tmp_path / "c", ring, tmp_path / "cache")
    blob = (tmp_path / "cache" / f"{FILE_NAME}-verify").read_bytes()
    assert key.secret_bytes() not in blob and len(blob) == len(MAGIC) + 3 * 16
    assert "3 tags" in repr(VerificationCache(tmp_path / "cache", ring, {"purpose": "verify"}).view)


def test_seal_with_cache_skips_unchanged_files(tmp_path: Path, ring: Keyring, key: Key) -> None:
    sealed_tree(tmp_path / "c", ring, 3)
    cache = tmp_path / "cache"
    for expected_cached in (False, True):
        batch_run = run(RunOptions("seal", [str(tmp_path / "c")], ring, cache=cache, jobs=1, key=key))
        reports = list(batch_run)
        batch_run.save_cache()
        assert all(r.action == "unchanged" for r in reports)
        assert all(bool(r.extra.get("cached")) is expected_cached for r in reports)
    json.dumps([r.path for r in reports])


def test_tag_set_bisection() -> None:
    import os as _os

    from securedoc.cache import TagSet

    tags = [_os.urandom(16) for _ in range(1000)]
    tag_set = TagSet(tags + tags[:10])
    assert len(tag_set) == 1000
    assert all(t in tag_set for t in tags)
    assert not any(_os.urandom(16) in tag_set for _ in range(1000))
    assert b"short" not in tag_set and "text" not in tag_set and bytes(16) not in TagSet()


def test_saving_is_the_atomic_write_of_articles(tmp_path: Path, ring: Keyring, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache file is written like an article: a temporary file that the next save removes if a
    killed run left it, the folder flushed after the rename, and on failure the old file intact."""
    import subprocess
    import sys

    from securedoc import atomicfile

    settings = {"purpose": "verify"}
    folder = tmp_path / "cache"
    VerificationCache(folder, ring, settings).save(b"\x01" * 16)
    saved = (folder / f"{FILE_NAME}-verify").read_bytes()
    assert saved == MAGIC + b"\x01" * 16
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True).stdout)
    left = folder / f".{FILE_NAME}-verify.securedoc-{dead}-{'0' * 16}.tmp"
    left.write_bytes(b"partial")
    flushed: list[str] = []
    monkeypatch.setattr(atomicfile, "fsync_folder", lambda f: flushed.append(os.path.abspath(f)))
    VerificationCache(folder, ring, settings).save(b"\x02" * 16)
    assert sorted(p.name for p in folder.iterdir()) == [f"{FILE_NAME}-verify"]  # the leftover is gone
    assert flushed == [str(folder)]

    def no_rename(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomicfile.os, "replace", no_rename)
    with pytest.raises(ConfigError, match="cannot write the cache"):
        VerificationCache(folder, ring, settings).save(b"\x03" * 16)
    assert sorted(p.name for p in folder.iterdir()) == [f"{FILE_NAME}-verify"]  # no temporary file left
    assert (folder / f"{FILE_NAME}-verify").read_bytes() == MAGIC + b"\x01" * 16 + b"\x02" * 16

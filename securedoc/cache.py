"""The verification cache: skip articles whose exact bytes already verified, without trusting the disk.

An entry is a 128-bit tag, ``HMAC-SHA256(K, purpose || 0x00 || file bytes)`` truncated, where ``K``
is derived with HKDF-SHA256 from every key in the keyring (ids, algorithms, secret material, and
the public key of Ed25519 keys) and from the settings that decide the outcome (retired keys and
policy for ``verify``; bound fields, body, hidden fields, primary key and form for ``seal``). The
cache stores only tags: nothing in it reveals a key, and without the keys nobody can compute a tag
for other bytes, so a planted or edited entry can never make a changed article pass. That needs a
secret: public keys (and the demo key) are known to everyone, so a keyring without any other key
gets no cache (:class:`~securedoc.errors.ConfigError`) unless a secret for it is given separately,
in ``$SECUREDOC_CACHE_SECRET`` (random text of at least 32 characters, e.g. a CI secret; it only
keys the cache). Changing a key, a setting, or securedoc's cache format makes every old entry
useless (they are simply never hit again).

Only clean results are cached: ``ok`` with no warnings for ``verify``, "nothing to do" for
``seal``. Each purpose has one file, ``DIR/securedoc-cache-v1-verify`` and ``-seal``: an 8-byte
magic, then 16-byte tags, newest last; it is rewritten atomically at the end of a run
(:mod:`securedoc.atomicfile`, like an article) and keeps at most :data:`MAX_ENTRIES` tags. In
memory the tags are one sorted bytes object (16 bytes a tag), shared by forked workers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import atomicfile
from .errors import ConfigError
from .keys import Keyring

__all__ = ["CacheView", "TagSet", "VerificationCache", "MAX_ENTRIES", "derive_cache_key", "TAG_SIZE"]

MAGIC = b"SDCACHE1"
TAG_SIZE = 16
MAX_ENTRIES = 1_000_000
FILE_NAME = "securedoc-cache-v1"


CACHE_SECRET_ENV = "SECUREDOC_CACHE_SECRET"
_MIN_SECRET = 32


def derive_cache_key(keyring: Keyring, settings: dict[str, Any], environ: Mapping[str, str] | None = None) -> bytes:
    """K: HKDF-SHA256 over the keyring's keys, with the settings as context. One-way.

    Only secret material makes K unguessable: a keyring without any (public keys only) needs
    ``$SECUREDOC_CACHE_SECRET``, or there is no cache. Public keys still take part, so that a
    different public key gives a different K."""
    env = os.environ if environ is None else environ
    separate = env.get(CACHE_SECRET_ENV, "")
    secret = any(key.private and not key.demo for key in keyring)  # the demo key's material is public
    if separate and len(separate) < _MIN_SECRET:
        raise ConfigError(
            f"${CACHE_SECRET_ENV} is too short to key the cache ({len(separate)} characters; at least {_MIN_SECRET})",
            hint="use random text, e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`",
        )
    if not secret and not separate:
        raise ConfigError(
            "the verification cache needs a secret, and this keyring holds only public keys (or the public "
            "demo key): anyone could compute its entries and make a changed article pass",
            hint=f"verify without --cache (signed seals verify fast), or give the cache its own secret in "
            f"${CACHE_SECRET_ENV} (random text of at least {_MIN_SECRET} characters, e.g. a CI secret)",
        )
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    material = bytearray()
    for key in sorted(keyring, key=lambda k: k.kid):
        parts = [key.kid.encode("utf-8"), key.alg.encode("ascii")]
        parts.append(key.secret_bytes() if key.private else b"")
        parts.append(key.public_bytes())
        for part in parts:
            material += len(part).to_bytes(4, "big") + part
    if separate:
        part = separate.encode("utf-8")
        material += b"cache-secret" + len(part).to_bytes(4, "big") + part
    info = json.dumps(settings, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"securedoc cache v1", info=info).derive(bytes(material))


class TagSet:
    """Tags in one sorted bytes object, searched by bisection: 16 bytes a tag and one Python
    object (a set of bytes objects costs about 80 bytes a tag)."""

    __slots__ = ("_blob", "_count")

    def __init__(self, tags: Iterable[bytes] = ()) -> None:
        unique = sorted(set(tags))
        self._blob = b"".join(unique)
        self._count = len(unique)

    def __len__(self) -> int:
        return self._count

    def __contains__(self, tag: object) -> bool:
        if not isinstance(tag, bytes) or len(tag) != TAG_SIZE:
            return False
        blob, low, high = self._blob, 0, self._count
        while low < high:
            mid = (low + high) // 2
            probe = blob[mid * TAG_SIZE : (mid + 1) * TAG_SIZE]
            if probe < tag:
                low = mid + 1
            elif probe > tag:
                high = mid
            else:
                return True
        return False


def _split(blob: bytes) -> Iterable[bytes]:
    return (blob[i : i + TAG_SIZE] for i in range(0, len(blob), TAG_SIZE))


@dataclass(frozen=True)
class CacheView:
    """What a worker needs: the derived key and the known tags. Picklable."""

    key: bytes
    tags: TagSet

    def __repr__(self) -> str:  # never show the derived key
        return f"CacheView({len(self.tags)} tags)"

    def tag(self, purpose: bytes, data: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes, hmac

        mac = hmac.HMAC(self.key, hashes.SHA256())
        mac.update(purpose + b"\x00")
        mac.update(data)
        return mac.finalize()[:TAG_SIZE]

    def hit(self, purpose: bytes, data: bytes) -> tuple[bool, bytes]:
        tag = self.tag(purpose, data)
        return tag in self.tags, tag


class VerificationCache:
    """One purpose's cache file: load its tags, hand a view to workers, save new tags atomically."""

    def __init__(self, folder: Path, keyring: Keyring, settings: dict[str, Any]) -> None:
        self.folder = folder
        self.path = folder / f"{FILE_NAME}-{settings.get('purpose', 'verify')}"
        self._stored = self._load()
        self.view = CacheView(derive_cache_key(keyring, settings), TagSet(_split(self._stored)))

    def _load(self) -> bytes:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return b""
        except OSError as exc:
            raise ConfigError(
                f"{self.path}: cannot read the cache: {exc.strerror}",
                hint="remove the cache folder or choose another with --cache",
            ) from None
        if not data.startswith(MAGIC) or (len(data) - len(MAGIC)) % TAG_SIZE:
            return b""  # not ours or damaged: start afresh (it only costs time)
        return data[len(MAGIC) :]

    def save(self, new_tags: bytes | bytearray) -> None:
        """Add tags (16 bytes each, concatenated), keeping the newest :data:`MAX_ENTRIES`."""
        added = bytearray()
        for tag in _split(bytes(new_tags)):
            if tag not in self.view.tags:
                added += tag
        if not added:
            return
        tags = (self._stored + bytes(added))[-MAX_ENTRIES * TAG_SIZE :]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomicfile.cleanup_temp_files(str(self.folder))  # left by a run killed while saving
            atomicfile.replace_file(str(self.path), MAGIC + tags)
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot write the cache: {exc.strerror}") from None

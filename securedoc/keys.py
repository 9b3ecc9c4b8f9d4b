"""Keys and keyrings.

A :class:`Key` has an id (``kid``), exactly one algorithm and its material:

===========  ==================  ===========================================================
``alg``      material            used for
===========  ==================  ===========================================================
``A256GCM``  32 bytes            encrypted seals (JWE ``dir`` + ``A256GCM``); hidden fields
``A128CBC``  16 bytes            legacy seals (AES-CBC + PKCS#7), read; written on request
``A192CBC``  24 bytes            legacy seals
``A256CBC``  32 bytes            legacy seals
``Ed25519``  32-byte seed + x    signed seals (JWS), made with the private key ("sign")
``Ed25519``  x (32 bytes) only   signed seals, checked with the public key ("verify only")
===========  ==================  ===========================================================

Keys are JSON Web Keys (RFC 7517): ``kty: oct`` for the symmetric keys, ``kty: OKP`` with
``crv: Ed25519`` for signing keys (RFC 8037; ``alg: Ed25519`` as RFC 9864 names it, ``EdDSA`` is
read too). One per ``*.jwk`` file or several in a JWK Set (``{"keys": [...]}``), from files, a
folder, or an environment variable (CI secrets, or public keys). The names ``A128CBC``... follow
the JWK ``alg`` values WebCrypto uses for AES-CBC keys.

A :class:`Keyring` holds the keys with their roles: one *primary* key seals; *active* keys open
and verify; *retired* keys open and verify but are reported, so that rotation can be finished.
A public key verifies and does nothing else. Key material never appears in ``repr``, ``str``,
errors or logs.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from . import b64url, crypto
from .atomicfile import fsync_folder, pid_alive
from .crypto import random_bytes
from .errors import KeyringError, UnknownKeyError

__all__ = [
    "ALGORITHMS",
    "CURRENT_ALG",
    "DEMO_MEMBER",
    "DEFAULT_KEY_ENV",
    "Key",
    "KeyKind",
    "Keyring",
    "Role",
    "generate_key",
    "generate_signing_key",
    "public_key",
    "public_jwk",
    "key_from_raw",
    "keys_from_jwk_text",
    "load_key_file",
    "load_key_dir",
    "load_key_env",
    "key_to_jwk",
    "jwk_thumbprint",
    "write_key_file",
    "permission_warning",
    "valid_kid_for_file",
]

CURRENT_ALG = "A256GCM"
SIGN_ALG = "Ed25519"
ALGORITHMS: Mapping[str, int] = {"A256GCM": 32, "A128CBC": 16, "A192CBC": 24, "A256CBC": 32, SIGN_ALG: 32}
LEGACY_ALGS = frozenset({"A128CBC", "A192CBC", "A256CBC"})
DEMO_MEMBER = "x-securedoc-demo"
DEFAULT_KEY_ENV = "SECUREDOC_KEY"
_FILE_KID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_MAX_KID = 128
# SHA-256 of the material of the public demo key shipped in keys/demo.jwk: a copy of it is a demo
# key whatever its id and members say (a demo key with its mark removed still proves nothing).
_DEMO_MATERIAL_SHA256 = frozenset({"cba45f0e9720f8bb1cb5d2394ab329150044330a022ea348c56b9b7f07433e6d"})


def is_demo_material(material: bytes) -> bool:
    return hashlib.sha256(material).hexdigest() in _DEMO_MATERIAL_SHA256


Role = Literal["primary", "active", "retired"]
KeyKind = Literal["encrypt", "sign", "verify"]


class Key:
    """One key, bound to one algorithm. Its secret material is never shown.

    A symmetric key (AES) has only ``material``. An Ed25519 key has its 32-byte ``public`` key and,
    when it is a private key, the 32-byte seed as ``material``; a public key has ``material=b""``.
    """

    __slots__ = ("kid", "alg", "_material", "source", "demo", "_public")

    kid: str
    alg: str
    source: str
    demo: bool
    _material: bytes
    _public: bytes

    def __init__(
        self,
        kid: str,
        alg: str,
        material: bytes,
        *,
        source: str = "",
        demo: bool = False,
        public: bytes | None = None,
    ) -> None:
        if alg not in ALGORITHMS:
            raise KeyringError(f"key '{kid}': unknown algorithm {alg!r}", hint=_ALG_HINT)
        if alg == SIGN_ALG:
            if material and len(material) != ALGORITHMS[alg]:
                raise KeyringError(f"key '{kid}' has {len(material)} bytes of private key; Ed25519 needs 32")
            derived = crypto.ed25519_public(material) if material else None
            if public is None:
                if derived is None:
                    raise KeyringError(f"key '{kid}': an Ed25519 key needs its private or its public key")
                public = derived
            elif len(public) != crypto.ED25519_KEY_SIZE:
                raise KeyringError(f"key '{kid}' has a {len(public)}-byte public key; Ed25519 needs 32")
            elif derived is not None and not hmac.compare_digest(derived, public):
                raise KeyringError(
                    f"key '{kid}': the public key (x) is not the one of the private key (d)",
                    hint="the key file was edited or assembled from two keys; export the public half again "
                    "with `securedoc keys public KID`",
                )
        else:
            if public is not None:
                raise KeyringError(f"key '{kid}': a symmetric key has no public key")
            if len(material) != ALGORITHMS[alg]:
                raise KeyringError(f"key '{kid}' has {len(material)} bytes of material; {alg} needs {ALGORITHMS[alg]}")
            public = b""
        object.__setattr__(self, "kid", kid)
        object.__setattr__(self, "alg", alg)
        object.__setattr__(self, "_material", bytes(material))
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "demo", demo or is_demo_material(material))
        object.__setattr__(self, "_public", bytes(public))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Key is immutable")

    def __getstate__(self) -> tuple[str, str, bytes, str, bool, bytes]:
        return (self.kid, self.alg, self._material, self.source, self.demo, self._public)

    def __setstate__(self, state: tuple[str, str, bytes, str, bool, bytes]) -> None:
        for name, value in zip(self.__slots__, state, strict=True):
            object.__setattr__(self, name, value)

    @property
    def legacy(self) -> bool:
        """True for an AES-CBC key (the unauthenticated legacy form)."""
        return self.alg in LEGACY_ALGS

    @property
    def signing(self) -> bool:
        """True for an Ed25519 key (private or public): it makes or checks signed seals."""
        return self.alg == SIGN_ALG

    @property
    def private(self) -> bool:
        """Whether the key holds secret material (every symmetric key; an Ed25519 private key)."""
        return bool(self._material)

    @property
    def kind(self) -> KeyKind:
        """``encrypt`` (a symmetric key), ``sign`` (Ed25519 private) or ``verify`` (Ed25519 public)."""
        if not self.signing:
            return "encrypt"
        return "sign" if self.private else "verify"

    @property
    def bits(self) -> int:
        return ALGORITHMS[self.alg] * 8

    def secret_bytes(self) -> bytes:
        """The secret material. Only :mod:`securedoc.crypto` callers and key writers need this."""
        if not self._material:
            raise KeyringError(
                f"the key '{self.kid}' is a public key: it can verify, but {self.needs_private()}",
                hint=_private_hint(self.kid),
            )
        return self._material

    def public_bytes(self) -> bytes:
        """The Ed25519 public key (32 bytes); empty for a symmetric key."""
        return self._public

    def needs_private(self) -> str:
        return f"this needs the private key '{self.kid}'"

    def same_secret(self, other: Key) -> bool:
        """Whether two keys are the same key (for Ed25519: the same public key, either half)."""
        if self.alg != other.alg:
            return False
        if self.signing:
            return hmac.compare_digest(self._public, other._public)
        return hmac.compare_digest(self._material, other._material)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Key)
            and self.kid == other.kid
            and self.same_secret(other)
            and self.private == other.private
        )

    def __hash__(self) -> int:
        return hash((self.kid, self.alg))

    def __repr__(self) -> str:
        demo = ", demo=True" if self.demo else ""
        public = ", public" if self.kind == "verify" else ""
        return f"Key(kid={self.kid!r}, alg={self.alg!r}{public}, source={self.source!r}{demo})"

    __str__ = __repr__


_ALG_HINT = (
    'set "alg" to "A256GCM" for a current key (32 bytes), or to "A128CBC", "A192CBC" or "A256CBC" '
    'for a legacy AES-CBC key; a signing key is {"kty": "OKP", "crv": "Ed25519", "alg": "Ed25519", ...}'
)


def _private_hint(kid: str) -> str:
    return (
        f"a public key only verifies; give the private key '{kid}' (the JWK with \"d\", made by "
        f"`securedoc keys new {kid} --sign`) through --key, --keys or $SECUREDOC_KEY"
    )


def jwk_thumbprint(key: Key) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256, base64url): identifies a key without revealing it.

    For an Ed25519 key it is computed from the public members (``crv``, ``kty``, ``x``), so the
    private key and its public half have the same thumbprint."""
    if key.signing:
        members = {"crv": "Ed25519", "kty": "OKP", "x": b64url.encode(key.public_bytes())}
    else:
        members = {"k": b64url.encode(key.secret_bytes()), "kty": "oct"}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return b64url.encode(digest)


def valid_kid_for_file(kid: str) -> bool:
    """Key ids that `keys new` accepts: they become file names."""
    return bool(_FILE_KID.fullmatch(kid))


def generate_key(kid: str, *, legacy: bool = False, bits: int = 256, source: str = "") -> Key:
    """A new random key: A256GCM, or AES-CBC of ``bits`` bits when ``legacy``."""
    if legacy:
        alg = {128: "A128CBC", 192: "A192CBC", 256: "A256CBC"}.get(bits)
        if alg is None:
            raise KeyringError(f"a legacy AES-CBC key has 128, 192 or 256 bits, not {bits}")
    else:
        if bits != 256:
            raise KeyringError("current keys are AES-256-GCM: 256 bits")
        alg = CURRENT_ALG
    return Key(kid, alg, random_bytes(ALGORITHMS[alg]), source=source)


def generate_signing_key(kid: str, *, source: str = "") -> Key:
    """A new random Ed25519 private key (for signed seals)."""
    return Key(kid, SIGN_ALG, crypto.ed25519_generate(), source=source)


def public_key(key: Key) -> Key:
    """The public half of an Ed25519 key (the key itself when it is already public)."""
    if not key.signing:
        raise KeyringError(
            f"the key '{key.kid}' is a symmetric {key.alg} key: it has no public half",
            hint="only signing keys (`securedoc keys new KID --sign`) have a public key that verifies",
        )
    return Key(key.kid, SIGN_ALG, b"", source=key.source, demo=key.demo, public=key.public_bytes())


def key_from_raw(kid: str, material: bytes, *, legacy: bool, source: str = "") -> Key:
    """A key from raw bytes (``keys import``): the algorithm follows from the size."""
    if legacy:
        alg = {16: "A128CBC", 24: "A192CBC", 32: "A256CBC"}.get(len(material))
        if alg is None:
            raise KeyringError(f"a legacy AES-CBC key has 16, 24 or 32 bytes; this one has {len(material)}")
    else:
        if len(material) != 32:
            raise KeyringError(
                f"a current key has 32 bytes; this one has {len(material)}",
                hint="pass --legacy-cbc for a 16-, 24- or 32-byte AES-CBC key of the legacy form",
            )
        alg = CURRENT_ALG
    return Key(kid, alg, material, source=source)


def public_jwk(key: Key) -> dict[str, Any]:
    """The public JWK of an Ed25519 key (RFC 8037): no ``d``, same ``kid``. Safe to publish."""
    jwk: dict[str, Any] = {
        "kty": "OKP",
        "crv": "Ed25519",
        "kid": key.kid,
        "alg": SIGN_ALG,
        "x": b64url.encode(public_key(key).public_bytes()),
    }
    if key.demo:
        jwk[DEMO_MEMBER] = True
    return jwk


def key_to_jwk(key: Key) -> dict[str, Any]:
    """The JWK object for a key, private material included: only for writing key files."""
    if key.signing:
        signing = public_jwk(key)
        if key.private:
            signing["d"] = b64url.encode(key.secret_bytes())
        return signing
    jwk: dict[str, Any] = {
        "kty": "oct",
        "kid": key.kid,
        "alg": key.alg,
        "use": "enc",
        "k": b64url.encode(key.secret_bytes()),
    }
    if key.demo:
        jwk[DEMO_MEMBER] = True
    return jwk


def _key_from_jwk(obj: Any, source: str, index: int | None) -> Key:
    where = source if index is None else f"{source} (key #{index + 1})"
    if not isinstance(obj, dict):
        raise KeyringError(f"{where}: a JWK is a JSON object")
    kid = obj.get("kid")
    if not isinstance(kid, str) or not kid:
        raise KeyringError(
            f'{where}: the key has no "kid"', hint="give every key an id: seals name the key that made them"
        )
    if len(kid) > _MAX_KID or not kid.isprintable():
        raise KeyringError(f"{where}: the key id is not printable text of at most {_MAX_KID} characters")
    where = f"{where}: key '{kid}'"
    if obj.get("kty") == "OKP":
        return _okp_from_jwk(obj, kid, where, source)
    if obj.get("kty") != "oct":
        raise KeyringError(
            f"{where}: kty is {json.dumps(obj.get('kty'))}; securedoc keys are symmetric "
            '("kty": "oct") or Ed25519 signing keys ("kty": "OKP")'
        )
    material = _b64url_member(obj, "k", where)
    alg = obj.get("alg")
    if alg == "dir" and len(material) == 32:
        alg = CURRENT_ALG  # a JOSE "direct encryption" key: with securedoc that means A256GCM
    if alg is None:
        raise KeyringError(f'{where}: the key has no "alg"; securedoc binds every key to one algorithm', hint=_ALG_HINT)
    if alg not in ALGORITHMS:
        raise KeyringError(f"{where}: unsupported alg {json.dumps(alg)}", hint=_ALG_HINT)
    if len(material) != ALGORITHMS[alg]:
        raise KeyringError(f"{where}: {alg} needs {ALGORITHMS[alg]} bytes of key material, not {len(material)}")
    use = obj.get("use")
    if use is not None and use != "enc":
        raise KeyringError(f'{where}: "use" is {json.dumps(use)}; a sealing key has "use": "enc"')
    demo = obj.get(DEMO_MEMBER) is True
    return Key(kid, alg, material, source=source, demo=demo)


def _b64url_member(obj: dict[str, Any], name: str, where: str) -> bytes:
    text = obj.get(name)
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise KeyringError(f'{where}: "{name}" is missing or is not base64url text')
    try:
        return b64url.decode(text)
    except b64url.NotBase64url:
        raise KeyringError(f'{where}: "{name}" is not canonical base64url') from None


def _okp_from_jwk(obj: dict[str, Any], kid: str, where: str, source: str) -> Key:
    """An Ed25519 JWK (RFC 8037): ``x`` always, ``d`` for a private key."""
    if obj.get("crv") != "Ed25519":
        raise KeyringError(
            f"{where}: crv is {json.dumps(obj.get('crv'))}; securedoc signs with Ed25519 only",
            hint='a signing key is {"kty": "OKP", "crv": "Ed25519", ...}',
        )
    alg = obj.get("alg")
    if alg is not None and alg not in (SIGN_ALG, "EdDSA"):
        raise KeyringError(f'{where}: alg is {json.dumps(alg)}; an Ed25519 key has "alg": "Ed25519" (or "EdDSA")')
    use = obj.get("use")
    if use is not None and use != "sig":
        raise KeyringError(f'{where}: "use" is {json.dumps(use)}; a signing key has "use": "sig"')
    public = _b64url_member(obj, "x", where)
    if len(public) != crypto.ED25519_KEY_SIZE:
        raise KeyringError(f'{where}: "x" is {len(public)} bytes; an Ed25519 public key has 32')
    seed = b""
    if "d" in obj:
        seed = _b64url_member(obj, "d", where)
        if len(seed) != crypto.ED25519_KEY_SIZE:
            raise KeyringError(f'{where}: "d" is {len(seed)} bytes; an Ed25519 private key has 32')
    demo = obj.get(DEMO_MEMBER) is True
    try:
        return Key(kid, SIGN_ALG, seed, source=source, demo=demo, public=public)
    except KeyringError as exc:
        raise KeyringError(f"{where}: {exc.message.split(': ', 1)[-1]}", hint=exc.hint) from None


def keys_from_jwk_text(text: str, source: str) -> list[Key]:
    """Keys from JSON text holding one JWK or a JWK Set. ``source`` names where the text came from."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        # exc.msg and the position only: never the text, which holds key material.
        raise KeyringError(
            f"{source}: not a JSON Web Key: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            hint='a key is a JWK object such as {"kty": "oct", "kid": ..., "alg": ..., "k": ...} '
            'or a JWK Set {"keys": [...]}',
        ) from None
    if isinstance(obj, dict) and "keys" in obj and "kty" not in obj:
        items = obj["keys"]
        if not isinstance(items, list):
            raise KeyringError(f'{source}: "keys" in a JWK Set is a list of keys')
        keys = [_key_from_jwk(item, source, i) for i, item in enumerate(items)]
    else:
        keys = [_key_from_jwk(obj, source, None)]
    seen: dict[str, Key] = {}
    for key in keys:
        if key.kid in seen:
            raise KeyringError(f"{source}: the key id '{key.kid}' appears twice")
        seen[key.kid] = key
    return keys


def permission_warning(path: Path, st: os.stat_result) -> str | None:
    """Like ssh: a private key readable by group or others deserves a warning."""
    if st.st_mode & 0o077:
        return (
            f"{path}: key file is readable by group or others (mode {stat.S_IMODE(st.st_mode):04o}); "
            f"run: chmod 600 {path}"
        )
    return None


def load_key_file(path: Path) -> tuple[list[Key], list[str]]:
    """Keys from one JWK or JWK Set file, and warnings (such as loose permissions)."""
    try:
        with open(path, "rb") as handle:
            st = os.fstat(handle.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise KeyringError(f"{path}: not a regular file")
            data = handle.read(1 << 20)
    except FileNotFoundError:
        raise KeyringError(f"{path}: no such key file") from None
    except IsADirectoryError:
        raise KeyringError(f"{path}: is a folder; use --keys for a folder of keys") from None
    except OSError as exc:
        raise KeyringError(f"{path}: cannot read key file: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyringError(f"{path}: not a JSON Web Key (the file is not UTF-8 text)") from None
    keys = keys_from_jwk_text(text, str(path))
    warnings = []
    if not all(key.demo or not key.private for key in keys):  # public keys may be world-readable
        warning = permission_warning(path, st)
        if warning:
            warnings.append(warning)
    return keys, warnings


def load_key_dir(folder: Path) -> tuple[list[Key], list[str]]:
    """Every ``*.jwk`` file in a folder (not recursive), in name order."""
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(".jwk"))
    except FileNotFoundError:
        raise KeyringError(f"{folder}: no such keys folder") from None
    except NotADirectoryError:
        raise KeyringError(f"{folder}: not a folder; use --key for a single key file") from None
    except OSError as exc:
        raise KeyringError(f"{folder}: cannot list keys folder: {exc.strerror}") from None
    keys: list[Key] = []
    warnings: list[str] = []
    for name in names:
        found, notes = load_key_file(folder / name)
        keys.extend(found)
        warnings.extend(notes)
    return keys, warnings


def load_key_env(name: str, environ: Mapping[str, str] | None = None) -> list[Key]:
    """Keys from an environment variable holding a JWK or JWK Set as JSON text (CI secrets)."""
    env = os.environ if environ is None else environ
    text = env.get(name)
    if text is None or not text.strip():
        return []
    return keys_from_jwk_text(text, f"${name}")


_KEY_TEMP = re.compile(r"^\.[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.jwk\.(?P<pid>\d+)\.[0-9a-f]{12}\.tmp$")


def remove_stale_key_temps(folder: Path) -> list[Path]:
    """Remove temporary key files (``.KID.jwk.PID.RANDOM.tmp``) left by a ``keys new`` or ``keys
    import`` that was killed: they hold key material. Returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _KEY_TEMP.match(entry.name)
        if match is None or (int(match.group("pid")) != os.getpid() and pid_alive(int(match.group("pid")))):
            continue
        try:
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            pass
    return removed


def _link_anonymous(folder: Path, data: bytes, target: Path) -> bool:
    """Write ``data`` to an unnamed file in ``folder`` (Linux O_TMPFILE) and give it the name
    ``target``: until then no name exists, so a process killed at any moment leaves nothing that
    can be read or staged. False when the system cannot (the caller falls back to a named file)."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir("/proc/self/fd"):
        return False
    try:
        fd = os.open(folder, flag | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    except OSError:
        return False  # the file system has no unnamed files (EOPNOTSUPP, EISDIR on old kernels)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        error = _linkat_fd(fd, target)  # atomic, and fails if the target exists
        if error == errno.EEXIST:
            raise KeyringError(f"{target} already exists; securedoc never overwrites a key file")
        if error:
            return False
    finally:
        os.close(fd)
    return True


def _linkat_fd(fd: int, target: Path) -> int:
    """linkat(2) an open unnamed file to ``target`` through /proc (no privilege needed); 0 or errno.
    (os.link cannot: it does not pass AT_SYMLINK_FOLLOW for the /proc link.)"""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        linkat = libc.linkat
    except (OSError, AttributeError):
        return errno.ENOSYS
    at_fdcwd, at_symlink_follow = -100, 0x400
    source = f"/proc/self/fd/{fd}".encode()
    if linkat(at_fdcwd, source, at_fdcwd, os.fsencode(target), at_symlink_follow) == 0:
        return 0
    return ctypes.get_errno() or errno.EIO


def write_key_file(key: Key, folder: Path) -> Path:
    """Write ``folder/KID.jwk`` with mode 0600, atomically, never overwriting an existing file.

    The key is written to an unnamed file that gets its name only when complete (O_TMPFILE), so a
    run killed at any point leaves no copy of the key behind; where the system cannot do that, a
    named temporary file is used and removed, and one left by a killed run is removed by the next.
    """
    if not valid_kid_for_file(key.kid):
        raise KeyringError(
            f"'{key.kid}' cannot be a key file name",
            hint="use letters, digits, '.', '_' and '-' (up to 64), starting with a letter or digit",
        )
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_key_temps(folder)
    target = folder / f"{key.kid}.jwk"
    if target.exists() or target.is_symlink():
        raise KeyringError(f"{target} already exists; securedoc never overwrites a key file")
    text = json.dumps(key_to_jwk(key), indent=2) + "\n"
    if _link_anonymous(folder, text.encode("ascii"), target):
        fsync_folder(folder)
        return target
    temp = folder / f".{key.kid}.jwk.{os.getpid()}.{random_bytes(6).hex()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        try:
            os.write(fd, text.encode("ascii"))
            os.fchmod(fd, 0o600)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temp, target)  # atomic, and fails if the target appeared meanwhile
        except FileExistsError:
            raise KeyringError(f"{target} already exists; securedoc never overwrites a key file") from None
    finally:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
    fsync_folder(folder)
    return target


def write_public_key_file(key: Key, target: Path) -> Path:
    """Write the public JWK of an Ed25519 key to ``target`` (mode 0644: it is not a secret),
    atomically, never overwriting an existing file."""
    text = json.dumps(public_jwk(key), indent=2) + "\n"
    exists = KeyringError(f"{target} already exists; securedoc does not overwrite key files")
    if target.exists() or target.is_symlink():
        raise exists
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".{target.name}.{os.getpid()}.{random_bytes(6).hex()}.tmp"
    try:
        with open(temp, "x", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fchmod(handle.fileno(), 0o644)
            os.fsync(handle.fileno())
        try:
            os.link(temp, target)  # atomic, and fails if the target appeared meanwhile
        except FileExistsError:
            raise exists from None
    finally:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
    fsync_folder(target.parent)
    return target


@dataclass(frozen=True)
class KeyInfo:
    """What `keys list` shows about a key: everything but the material."""

    kid: str
    alg: str
    bits: int
    scheme: str  # legacy, current (A256GCM) or signed (Ed25519); `keys list` calls it FORM
    source: str
    role: Role
    demo: bool
    thumbprint: str
    kind: KeyKind


class Keyring:
    """Keys by id, with roles. The first rule of a keyring: one key id, one key.

    ``primary`` names the key that seals; when it is not given, the only key that can seal (an
    A256GCM key or an Ed25519 private key) that is not retired is primary, and asking for a primary
    key when there are several is an error that asks which. ``retired`` keys still open and verify.
    ``encrypt`` names the A256GCM key that encrypts hidden fields inside signed seals
    (:meth:`hidden_key`); it is checked only when a signed seal needs it, so a verifier holding
    public keys alone is never asked for it. An Ed25519 key given both as a private key and as its
    public half is one key (the private one).
    """

    def __init__(
        self,
        keys: Iterable[Key] = (),
        *,
        primary: str | None = None,
        retired: Iterable[str] = (),
        encrypt: str | None = None,
    ) -> None:
        by_kid: dict[str, Key] = {}
        for key in keys:
            known = by_kid.get(key.kid)
            if known is None:
                by_kid[key.kid] = key
            elif not known.same_secret(key):
                raise KeyringError(
                    f"two different keys have the id '{key.kid}' ({known.source} and {key.source})",
                    hint="a key id must name exactly one key: rename one of them",
                )
            elif key.private and not known.private:
                by_kid[key.kid] = key  # the private key and its public half: keep the private one
        self._keys = by_kid
        self.retired = frozenset(retired)
        self.encrypt_kid = encrypt
        if primary is not None:
            chosen = by_kid.get(primary)
            if chosen is None:
                raise KeyringError(
                    f"the primary key '{primary}' is not in the keyring",
                    hint=self._where_hint(),
                )
            if primary in self.retired:
                raise KeyringError(f"the key '{primary}' is both primary and retired; choose one")
        self.primary_kid = primary

    def _where_hint(self) -> str:
        if not self._keys:
            return "no keys were found"
        return "keys present: " + ", ".join(sorted(self._keys))

    def __iter__(self) -> Iterator[Key]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __repr__(self) -> str:
        return f"Keyring(kids={sorted(self._keys)!r}, primary={self.primary_kid!r}, retired={sorted(self.retired)!r})"

    def get(self, kid: str) -> Key | None:
        return self._keys.get(kid)

    def require(self, kid: str) -> Key:
        key = self._keys.get(kid)
        if key is None:
            raise UnknownKeyError(
                f"the seal was made with key '{kid}', which is not in the keyring",
                hint=f"add the key '{kid}' (a JWK file in the keys folder, --key FILE or $SECUREDOC_KEY); "
                + self._where_hint(),
            )
        return key

    def legacy_keys(self) -> list[Key]:
        return [key for key in self._keys.values() if key.legacy]

    def role(self, kid: str) -> Role:
        if kid in self.retired:
            return "retired"
        if kid == self.primary_kid or (self.primary_kid is None and self._default_primary() == kid):
            return "primary"
        return "active"

    def _candidates(self, legacy: bool) -> list[Key]:
        return [k for k in self._keys.values() if k.legacy == legacy and k.private and k.kid not in self.retired]

    def _default_primary(self) -> str | None:
        candidates = self._candidates(False)
        return candidates[0].kid if len(candidates) == 1 else None

    def primary(self, *, legacy: bool = False) -> Key:
        """The key that seals (``legacy``: the AES-CBC key that writes legacy seals)."""
        if self.primary_kid is not None:
            key = self._keys[self.primary_kid]
            if not key.private:
                raise KeyringError(
                    f"the primary key '{key.kid}' is a public key: it verifies seals but cannot make them",
                    hint=_private_hint(key.kid),
                )
            if key.legacy == legacy:
                return key
            if not legacy:
                raise KeyringError(
                    f"the primary key '{key.kid}' is a legacy AES-CBC key, which makes unauthenticated seals",
                    hint="seal with --legacy to write legacy seals on purpose, or make an A256GCM key primary",
                )
        candidates = self._candidates(legacy)
        if len(candidates) == 1:
            return candidates[0]
        public = [k.kid for k in self._keys.values() if not k.private and k.kid not in self.retired]
        if not candidates and public and not legacy:
            raise KeyringError(
                f"no key to seal with: the keyring holds only public keys ({', '.join(sorted(public))}), "
                "which verify but cannot seal",
                hint=_private_hint(sorted(public)[0]),
            )
        kind = "legacy AES-CBC" if legacy else "A256GCM or Ed25519"
        if not candidates:
            make = "securedoc keys new KID --legacy-cbc" if legacy else "securedoc keys new KID [--sign]"
            raise KeyringError(
                f"no {kind} key to seal with ({self._where_hint()})",
                hint=f"create one with `{make}`, or point --key/--keys/$SECUREDOC_KEY at yours",
            )
        kids = ", ".join(sorted(k.kid for k in candidates))
        kind = " and ".join(sorted({k.alg for k in candidates}))
        raise KeyringError(
            f"{len(candidates)} {kind} keys could seal ({kids}); which one is primary?",
            hint="name it with `primary: KID` under `keys:` in securedoc.yaml, or pass --primary KID",
        )

    def hidden_key(self, explicit: str | None = None) -> Key:
        """The A256GCM key that encrypts hidden fields in a signed seal: ``explicit`` (--encrypt-key),
        else the configured ``encrypt`` key, else the only A256GCM key of the keyring."""
        kid = explicit or self.encrypt_kid
        if kid is not None:
            key = self._keys.get(kid)
            if key is None:
                raise KeyringError(
                    f"the key '{kid}' that encrypts hidden fields is not in the keyring", hint=self._where_hint()
                )
            if key.alg != CURRENT_ALG:
                raise KeyringError(
                    f"the key '{kid}' is a {key.alg} key; hidden fields are encrypted with an A256GCM key",
                    hint="name an A256GCM key with `encrypt:` under `keys:` in securedoc.yaml or --encrypt-key KID",
                )
            return key
        candidates = [k for k in self._keys.values() if k.alg == CURRENT_ALG]
        if len(candidates) == 1:
            return candidates[0]
        found = ", ".join(sorted(k.kid for k in candidates)) or "none"
        raise KeyringError(
            "a signed seal is public, so hidden fields must be encrypted with an A256GCM key, and which one "
            f"is not clear (A256GCM keys in the keyring: {found})",
            hint="name it with `encrypt: KID` under `keys:` in securedoc.yaml or pass --encrypt-key KID; "
            "make one with `securedoc keys new KID`",
        )

    def describe(self) -> list[KeyInfo]:
        """Every key's public facts, sorted by id."""
        return [
            KeyInfo(
                kid=key.kid,
                alg=key.alg,
                bits=key.bits,
                scheme="legacy" if key.legacy else "signed" if key.signing else "current",
                source=key.source,
                role=self.role(key.kid),
                demo=key.demo,
                thumbprint=jwk_thumbprint(key),
                kind=key.kind,
            )
            for key in sorted(self._keys.values(), key=lambda k: k.kid)
        ]

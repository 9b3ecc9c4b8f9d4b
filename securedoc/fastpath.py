"""The byte fast path: an article whose bytes are exactly those that were sealed verifies without a
YAML parse.

When ``seal`` writes a current-form or signed seal, after every full check has passed, it binds
into the seal's authenticated header (the JWE or JWS protected header) a claim
``"securedoc": {"h": H, "r": R, "s": S}``:

* ``H``: SHA-256 (base64url) of the file's bytes with the seal's own characters taken out, and of
  the offset they were taken from (:func:`digest`);
* ``R``: :data:`~securedoc.rules.RULES_VERSION`, the version of the verification rules;
* ``S``: the fingerprint of the settings that decide a verdict (:func:`settings_for`).

``verify`` finds the seal by a byte search (:func:`locate`), and when the claim's ``H``, ``R`` and
``S`` all equal what it computes and the seal decrypts with its key (a JWE) or its signature
verifies with its public key (a JWS), which authenticates the claim,
the article is ``ok`` without a parse: the bytes are those that passed the full check, except for
the seal string, which holds only base64url characters and dots between double quotes, so the YAML
(or TOML) token stream is the same. Anything else takes the full path, which gives the answer.
The rules that span keys or files (key roles, demo and retired keys, ...) are applied on both paths
alike. docs/format.md ("The fast path") and docs/security.md give the argument and its assumptions.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from . import b64url, envelope
from .document import SEAL_FIELD, Limits
from .errors import MalformedSeal
from .keys import Keyring
from .models import Report, RetiredPolicy
from .rules import RULES_VERSION, settings_fingerprint
from .sealing import authenticates
from .verify import DEFAULT_POLICY, Policy, conclude

__all__ = ["CLAIM", "locate", "digest", "claim", "settings_for", "verify_bytes"]

CLAIM = "securedoc"  # the protected header member
# The seal line as securedoc writes it: the key at the start of a line, then the value in double
# quotes (YAML), or `secured = "..."` (TOML front matter). The first such line in the file counts.
_MARKERS = (b"\n" + SEAL_FIELD.encode("ascii") + b': "', b"\n" + SEAL_FIELD.encode("ascii") + b' = "')
_DOMAIN = b"securedoc fast path 1\x00"


def locate(data: bytes) -> tuple[int, int] | None:
    """Where the seal string is: the bytes between the quotes of the first seal line, or None."""
    found = -1
    marker = b""
    for candidate in _MARKERS:
        at = data.find(candidate, 0, found if found >= 0 else len(data))
        if at >= 0:
            found, marker = at, candidate
    if found < 0:
        return None
    start = found + len(marker)
    end = data.find(b'"', start)
    if end < 0:
        return None
    return start, end


def digest(data: bytes, start: int, end: int) -> str:
    """SHA-256 of the file without its seal string ``data[start:end]``, bound to the offset."""
    view = memoryview(data)
    h = hashlib.sha256(_DOMAIN + start.to_bytes(8, "big"))
    h.update(view[:start])
    h.update(view[end:])
    return b64url.encode(h.digest())


def settings_for(limits: Limits, **more: Any) -> str:
    """The fingerprint of the settings that decide a file's verdict, as :func:`verify_bytes` and
    ``seal`` compute it. Every verify setting that can change one file's verdict belongs here."""
    return settings_fingerprint(
        limits=[limits.max_file_size, limits.max_front_matter, limits.max_expansion, limits.max_depth], **more
    )


def claim(blank: bytes, at: int, settings: str) -> dict[str, Any]:
    """The header claim for a file whose seal string (empty in ``blank``) starts at ``at``."""
    return {"h": digest(blank, at, at), "r": RULES_VERSION, "s": settings}


def _peek_claim(data: bytes, start: int, end: int) -> object:
    """The claim in the seal's header segment, read loosely (the strict parse comes after)."""
    dot = data.find(b".", start, end)
    if dot < 0 or dot - start > 4096:
        return None
    try:
        header = json.loads(b64url.decode(data[start:dot].decode("ascii")))
    except (ValueError, RecursionError):  # not ASCII, not base64url, not JSON: the strict parse says which
        return None
    return header.get(CLAIM) if isinstance(header, dict) else None


def _bound_digest(bound: object, settings: str) -> object:
    """The digest a claim names, if it names this rules version and these settings, else None."""
    if (
        isinstance(bound, dict)
        and type(bound.get("r")) is int
        and bound.get("r") == RULES_VERSION
        and bound.get("s") == settings
    ):
        return bound.get("h")
    return None


def verify_bytes(
    data: bytes,
    keyring: Keyring,
    *,
    settings: str,
    limits: Limits,
    path: str | None = None,
    retired: RetiredPolicy = "warn",
    policy: Policy = DEFAULT_POLICY,
) -> Report | None:
    """The report for an article whose bytes are those its seal vouches for, else None (full path).

    Never raises for bad input: whatever does not fit the fast path exactly is left to the full path.
    """
    if len(data) > limits.max_front_matter or len(data) > limits.max_file_size:
        return None  # the front matter's size is then bounded without finding it
    span = locate(data)
    if span is None:
        return None
    start, end = span
    # A changed file fails here, cheaply: only the header segment is decoded before the digest,
    # and the file is hashed (once) only for a claim of these rules and settings.
    bound = _bound_digest(_peek_claim(data, start, end), settings)
    if bound is None:
        return None
    hashed = digest(data, start, end)
    if bound != hashed:
        return None
    try:
        seal = envelope.parse(data[start:end].decode("ascii"))
    except (UnicodeDecodeError, MalformedSeal):
        return None
    if not isinstance(seal, envelope.JweSeal | envelope.JwsSeal):
        return None
    if _bound_digest(seal.header.get(CLAIM), settings) != hashed:
        return None
    # Decrypting (a JWE) or checking the signature (a JWS) authenticates the header, and with it the
    # claim: only a key holder's seal (for a JWS, the private key's) can say that these bytes passed.
    key = authenticates(seal, keyring)
    if key is None:
        return None
    line = data.count(b"\n", 0, start) + 1
    # The claim is only written when the seal binds every visible field, so no field is unbound
    # whatever the verifier's binding; the key rules (demo, retired) apply as on the full path.
    return conclude(path or "-", line, key, seal.form, keyring, retired=retired, policy=policy)

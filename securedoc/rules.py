"""The version of securedoc's verification rules, and a fingerprint of the settings behind a verdict.

:data:`RULES_VERSION` names the rules by which ``verify`` decides, from a file's bytes, whether an
article matches its seal: how the file is split, which YAML (and TOML) constructs are refused, how
values are read and made canonical, the payload format, what is compared, and every per-file check
that can turn ``ok`` into anything else.

**Every change to those rules must bump RULES_VERSION**, in the same commit: a rule that refuses
something that passed before, a canonical form that changes, a new payload version, a new check.
Seals record the version in their authenticated header (docs/format.md, "The fast path"); ``verify``
skips parsing an unchanged article only when its seal was made under the same rules and settings,
so a stale version would let an article pass that today's rules refuse. When in doubt, bump: it
only costs the next verification of each article a full parse.

The settings fingerprint covers the settings that can change a single file's verdict (today the
reading limits). A setting added to verify that can change a verdict for some bytes must be added
to :func:`settings_fingerprint`, in the same commit. The trust policies (``--legacy``,
``--unbound``, the demo-key rule) are not in it, and need not be: a claim is written only into a
current-form seal that binds every visible field, so neither a legacy nor an unbound rule can apply
to bytes the claim vouches for, and the key rules are applied on both paths (verify.conclude).
With ``bind_path`` on, the article's path is folded into each file's fingerprint
(:func:`securedoc.copies.fast_settings`): a claim never matches at another path. The payload member
``path`` that carries the binding needed no new version: a seal without it verifies as before, and
no seal with a claim of an earlier version holds it. The duplicate-seal rule (two files, one seal:
securedoc.copies) spans files and is applied after both paths alike, like the key rules.
Version 2: TOML keys fold as Hugo folds them, overflowing floats refused. Version 3: unbound fields
fail, legacy payloads must bind every visible field, demo seals fail in CI (issue 8).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from . import b64url

__all__ = ["RULES_VERSION", "settings_fingerprint"]

# 1: the first fast path. 2: TOML keys fold as Hugo's do, overflowing floats refused. 3: issue 8's
# verdicts (trust, legacy/unbound/demo policies). 4: the YAML reader-agreement rule
# (securedoc.readers): disputed plain scalars bound by their text, folded keys and disagreeing
# merges refused, lines starting with --- refused, payload format 2 (closing delimiter and lone
# CRs bound in the body digest).
RULES_VERSION = 4


def settings_fingerprint(**settings: Any) -> str:
    """A short, stable text naming the verdict-relevant settings (and the rules version).

    Values must be JSON-serialisable (tuples become lists); names are sorted, so the order of the
    arguments does not matter. 128 bits of SHA-256, base64url.
    """
    text = json.dumps({"rules": RULES_VERSION, **settings}, sort_keys=True, separators=(",", ":"), default=list)
    digest = hashlib.sha256(b"securedoc settings\x00" + text.encode("utf-8")).digest()[:16]
    return b64url.encode(digest)

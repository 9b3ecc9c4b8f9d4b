"""Regenerate securedoc-signed-v1.json: the signed form (JWS, Ed25519) with fixed keys.

Run only when the format or securedoc.rules.RULES_VERSION changes (the fast-path claim in each
header records it): `python generate_signed.py`. Ed25519 is deterministic, so the
fixed private key alone fixes the signature; the nonce is the one of the nested JWE that carries
hidden fields. The vectors are what other implementations check themselves against (docs/format.md).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from securedoc import envelope, fastpath
from securedoc.document import parse
from securedoc.keys import Key, Keyring, key_to_jwk, public_jwk
from securedoc.payload import Binding
from securedoc.seal import seal_document

HERE = Path(__file__).parent

SIGN = Key("vector-sign-2026", "Ed25519", bytes(range(32)))
ENCRYPT = Key("vector-2026", "A256GCM", bytes(range(32)))

CASES = [
    {
        "name": "signed form, simple article",
        "article": '---\ntitle: "Hello, world"\npublishedDateTime: 2020-08-15T08:19:00Z\n'
        "tags: [news, ai]\nratio: 0.5\ndraft: false\n---\nBody text.\n",
    },
    {
        "name": "signed form, one hidden field (nested JWE)",
        "nonce": bytes(range(24, 36)),
        "hide": ["embargo"],
        "article": "---\ntitle: Embargoed\n# release time, not public yet\nembargo: 2026-12-01T09:00:00+01:00\n"
        "author: A. Writer\n---\nText.\n",
    },
]


def main() -> None:
    vectors = []
    for case in CASES:
        ring = Keyring([SIGN, ENCRYPT], primary=SIGN.kid)
        data = case["article"].encode("utf-8")  # type: ignore[union-attr]
        nonce = case.get("nonce")
        out = seal_document(parse(data), ring, Binding(), hide=case.get("hide", ()), _nonce=nonce)  # type: ignore[arg-type]
        assert out.data is not None
        secured = parse(out.data).seal_entry.value  # type: ignore[union-attr]
        payload = base64.urlsafe_b64decode(secured.split(".")[1] + "==").decode("utf-8")
        claim = envelope.parse(secured).header.get(fastpath.CLAIM)  # type: ignore[union-attr]
        fast = None
        if claim is not None:
            fast = {
                "rules_version": claim["r"],
                "settings": claim["s"],
                "seal_offset": out.data.index(secured.encode()),
                "sha256_b64url": claim["h"],
            }
        vectors.append(
            {
                "name": case["name"],
                "jwk": key_to_jwk(SIGN),
                "public_jwk": public_jwk(SIGN),
                "encrypt_jwk": key_to_jwk(ENCRYPT) if case.get("hide") else None,
                "nonce_hex": nonce.hex() if nonce else None,  # type: ignore[union-attr]
                "hide": case.get("hide", []),
                "article_b64": base64.b64encode(data).decode(),
                "payload": payload,
                "secured": secured,
                "fast_path": fast,
                "sealed_article_b64": base64.b64encode(out.data).decode(),
            }
        )
    (HERE / "securedoc-signed-v1.json").write_text(
        json.dumps({"format": 1, "vectors": vectors}, indent=2, ensure_ascii=False) + "\n"
    )


if __name__ == "__main__":
    main()

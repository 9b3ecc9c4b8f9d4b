"""Regenerate securedoc-signed-v1.json: the signed form (JWS, Ed25519) with fixed keys.

Run only when the format or securedoc.rules.RULES_VERSION changes (the fast-path claim in each
header records it): `python generate_signed.py`. It also rewrites the signed vector shown in
docs/format.md (between its "### Signed-form vectors" and "## 8." headings). Ed25519 is deterministic, so the
fixed private key alone fixes the signature; the nonce is the one of the nested JWE that carries
hidden fields. The vectors are what other implementations check themselves against (docs/format.md).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from securedoc import envelope, fastpath
from securedoc.articles import seal_document
from securedoc.document import parse
from securedoc.keys import Key, Keyring, key_to_jwk, public_jwk
from securedoc.payload import Binding

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


SPEC = HERE.parent.parent.parent / "docs" / "format.md"


def update_spec() -> None:
    """Show the first signed vector in docs/format.md as it is now."""
    v0, v1 = json.loads((HERE / "securedoc-signed-v1.json").read_text())["vectors"]
    fast = v0["fast_path"]
    section = f"""### Signed-form vectors

`tests/data/vectors/securedoc-signed-v1.json` holds two signed vectors: the Ed25519 private key
(JWK, and its public JWK), the article, the signed payload, the fast-path claim's inputs and the
exact `secured` value. The test suite reproduces each byte for byte, rebuilds each `secured`
string with an implementation written from this document alone (raw Ed25519, AES-GCM and SHA-256
from `cryptography` and `hashlib`, headers built by hand), and verifies each with joserfc given
only the public key.

The first signed vector in full — the same article as the first vector above:

* private key: `{json.dumps(v0["jwk"])}` (the private key is bytes 0x00…0x1f)
* public key: `{json.dumps(v0["public_jwk"])}`
* payload: exactly the payload of the first vector above (the same article binds the same fields)
* protected header:
  `{{"alg":"Ed25519","kid":"vector-sign-2026","securedoc":{{"h":H,"r":{fast["rules_version"]},"s":"{fast["settings"]}"}}}}`
  with `H` = `{fast["sha256_b64url"]}` (section 6.1; the seal string starts at
  offset {fast["seal_offset"]} of the sealed article)
* `secured`:

  ```
  {v0["secured"]}
  ```

The second signed vector seals the article of the third vector above with `embargo` hidden. Its
nested JWE uses the first vector's A256GCM key (`vector-2026`) and the nonce
`{v1["nonce_hex"]}`; its plaintext is
`{{"embargo":{{"after":"title","yaml":"# release time, not public yet\\nembargo: 2026-12-01T09:00:00+01:00\\n"}}}}`,
and the signed payload is

```
{v1["payload"]}
```

"""
    text = SPEC.read_text(encoding="utf-8")
    start = text.index("### Signed-form vectors")
    end = text.index("## 8.", start)
    SPEC.write_text(text[:start] + section + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
    update_spec()

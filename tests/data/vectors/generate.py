"""Regenerate securedoc-v2.json: fixed keys, nonces and articles -> exact `secured` values.

Run when the format changes (and then bump the format version) or the rules version
(securedoc.rules.RULES_VERSION, which the fast-path claim in each current-form seal records):
`python generate.py`.
securedoc-v1.json holds the vectors of payload format 1, frozen: their seals must keep verifying
(or be reported clearly where format 1 cannot bind a spelling, see docs/format.md).
The vectors are what other implementations check themselves against (docs/format.md).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from securedoc import copies, fastpath
from securedoc.articles import seal_document
from securedoc.document import DEFAULT_LIMITS, parse
from securedoc.envelope import parse as parse_seal
from securedoc.keys import Key, Keyring, key_to_jwk
from securedoc.payload import Binding

HERE = Path(__file__).parent

CURRENT = Key("vector-2026", "A256GCM", bytes(range(32)))
LEGACY = Key("vector-legacy", "A128CBC", bytes(range(16, 32)))

CASES = [
    {
        "name": "current form, simple article",
        "key": CURRENT,
        "nonce": bytes(range(12)),
        "article": '---\ntitle: "Hello, world"\npublishedDateTime: 2020-08-15T08:19:00Z\n'
        "tags: [news, ai]\nratio: 0.5\ndraft: false\n---\nBody text.\n",
    },
    {
        "name": "current form, CRLF, BOM, an existing seal replaced, typed keys, special floats",
        "key": CURRENT,
        "nonce": bytes(range(12, 24)),
        "article": "\ufeff---\r\ntitle: Caf\u00e9 \u2713\r\n1: one\r\n'2': string two\r\ntrue: yes\r\n"
        'score: .nan\r\nlimit: -.inf\r\nday: 2020-08-15\r\nsecured: "old;value"\r\n---\r\n# Body\r\n',
    },
    {
        "name": "current form, one hidden field",
        "key": CURRENT,
        "nonce": bytes(range(24, 36)),
        "hide": ["embargo"],
        "article": "---\ntitle: Embargoed\n# release time, not public yet\nembargo: 2026-12-01T09:00:00+01:00\n"
        "author: A. Writer\n---\nText.\n",
    },
    {
        "name": "current form, body not bound, fields excluded",
        "key": CURRENT,
        "nonce": bytes(range(36, 48)),
        "binding": {"exclude": ["draft"], "body": False},
        "article": "---\ntitle: T\ndraft: true\nweight: 10\n---\nBody.\n",
    },
    {
        "name": "current form, TOML front matter (+++), a hidden table",
        "key": CURRENT,
        "nonce": bytes(range(64, 76)),
        "hide": ["params"],
        "article": '+++\ntitle = "Hello, TOML"\ndate = 2020-08-15T08:19:00Z\nedition = 07:30:00\n'
        "ratio = 0.5\ntags = ['news', 'ai']\n\n[params]\nsource = 'wire'\n\n[[links]]\n"
        'url = "https://example.org/"\n+++\nBody text.\n',
    },
    {
        "name": "legacy form (AES-128-CBC, written with --legacy)",
        "key": LEGACY,
        "nonce": bytes(range(48, 64)),
        "legacy": True,
        "article": "---\ntitle: Legacy\nquality: 104\npublishedDateTime: 2020-08-15T08:19:00Z\n---\n",
    },
    {
        "name": "current form, spellings readers disagree on, '...' closing line, lone CR in the body",
        "key": CURRENT,
        "nonce": bytes(range(64, 76)),
        "article": "---\ntitle: Spellings\npublished: yes\ncount: 0x10\nduration: 1:20:00\n"
        "when: 2020-08-15 08:19:00 +00:00\nsize: 1_000\n...\nline one\rline two\n",
    },
    {
        "name": "current form, bound to its path (bind_path)",
        "key": CURRENT,
        "nonce": bytes(range(76, 88)),
        "path": "content/posts/bound.md",
        "article": "---\ntitle: Bound to its place\nslug: bound\n---\nMoved or copied, it fails.\n",
    },
]


def main() -> None:
    vectors = []
    for case in CASES:
        key: Key = case["key"]  # type: ignore[assignment]
        ring = Keyring([key])
        binding = Binding(**case.get("binding", {}))  # type: ignore[arg-type]
        data = case["article"].encode("utf-8")  # type: ignore[union-attr]
        place = case.get("path")
        out = seal_document(
            parse(data),
            ring,
            binding,
            hide=case.get("hide", ()),  # type: ignore[arg-type]
            legacy=bool(case.get("legacy")),
            _nonce=case["nonce"],  # type: ignore[arg-type]
            place=place,  # type: ignore[arg-type]
            fast=copies.fast_settings(fastpath.settings_for(DEFAULT_LIMITS), place) or True,  # type: ignore[arg-type]
        )
        assert out.data is not None
        sealed = parse(out.data)
        value: str = sealed.seal_entry.value  # type: ignore[union-attr]
        fast = None
        if not case.get("legacy"):
            claim = parse_seal(value).header.get(fastpath.CLAIM)  # type: ignore[union-attr]
            if claim is not None:
                offset = out.data.index(value.encode())
                fast = {
                    "rules_version": claim["r"],
                    "settings": claim["s"],
                    "seal_offset": offset,
                    "sha256_b64url": claim["h"],
                }
        vectors.append(
            {
                "name": case["name"],
                "jwk": key_to_jwk(key),
                "nonce_hex": case["nonce"].hex(),  # type: ignore[union-attr]
                "binding": case.get("binding", {}),
                "hide": case.get("hide", []),
                "legacy": bool(case.get("legacy")),
                **({"path": place} if place is not None else {}),
                "article_b64": base64.b64encode(data).decode(),
                "secured": sealed.seal_entry.value,  # type: ignore[union-attr]
                "sealed_article_b64": base64.b64encode(out.data).decode(),
                "fast_path": fast,
            }
        )
    (HERE / "securedoc-v2.json").write_text(
        json.dumps({"format": 2, "vectors": vectors}, indent=2, ensure_ascii=False) + "\n"
    )


if __name__ == "__main__":
    main()

"""Generate a sealed archive of articles shaped like examples/2020-08-15-clearview-ai-ice.md.

    python benchmarks/generate.py OUT --count 20000 [--seed 1] [--body]

Writes OUT/keys/bench.jwk and OUT/content/YYYY/MM/NNNNNN-slug.md: about 5 KB of front matter each
(title, excerpt, URLs, timestamps, provider, images, topics, five related articles), an optional
Markdown body, sealed with the bench key. Everything, nonces included, follows from the seed, so
the same command gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
from multiprocessing import Pool
from pathlib import Path

from securedoc.articles import seal_document
from securedoc.document import parse
from securedoc.keys import Key, Keyring, key_to_jwk, public_jwk

WORDS = (
    "facial recognition privacy contract immigration enforcement software company technology government "
    "police database images ai model data rights civil liberties surveillance report business market "
    "growing accuracy concerns moratorium vendor camera public agency federal state city council vote "
    "researchers study bias error rate identity match search engine photos scraped social media platform"
).split()
PROVIDERS = [
    ("Gizmodo", "gizmodo.com"),
    ("ZDNet", "zdnet.com"),
    ("TVNZ 1", "tvnz.co.nz"),
    ("Geeky Gadgets", "geeky-gadgets.com"),
    ("The New Zealand Herald", "nzherald.co.nz"),
    ("WPXI", "wpxi.com"),
]
TOPICS = ["Computer Vision", "AI", "Privacy", "Policy", "Machine Learning", "Ethics"]


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize()


def _stamp(rng: random.Random) -> str:
    return (
        f"20{rng.randint(15, 26):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
    )


def _url(rng: random.Random, domain: str, slug: str) -> str:
    return f"https://{domain}/{slug}-{rng.randint(10**9, 10**10)}"


def article(index: int, seed: int, body: bool) -> tuple[str, str]:
    rng = random.Random(f"{seed}:{index}")
    title = _sentence(rng, rng.randint(6, 12))
    slug = "-".join(title.lower().split()[:8])
    name, domain = rng.choice(PROVIDERS)
    url = _url(rng, domain, slug)
    stamp = _stamp(rng)
    lines = [
        "---",
        "category: news",
        f'title: "{title}"',
        f'excerpt: "{_sentence(rng, rng.randint(35, 50))}."',
        f"publishedDateTime: {stamp}",
        f'originalUrl: "{url}"',
        f'webUrl: "{url}"',
        f'ampWebUrl: "{url}/amp"',
        f'cdnAmpWebUrl: "https://{domain.replace(".", "-")}.cdn.ampproject.org/c/s/{url[8:]}/amp"',
        "type: article",
        f"quality: {rng.randint(10, 150)}",
        f"heat: {rng.randint(10, 200)}",
        "published: true",
        "",
        "provider:",
        f"  name: {name}",
        f"  domain: {domain}",
        "  images:",
        f'    - url: "https://example.org/assets/images/organizations/{domain}-50x50.jpg"',
        "      width: 50",
        "      height: 50",
        "",
        "topics:",
        *[f"  - {t}" for t in rng.sample(TOPICS, 2)],
        "",
        "images:",
        f'  - url: "https://i.example-img.com/image/upload/c_scale,f_auto,q_80,w_800/{rng.getrandbits(64):x}.jpg"',
        "    width: 800",
        "    height: 450",
        "    isCached: true",
        "",
        "related:",
    ]
    for _ in range(5):
        rname, rdomain = rng.choice(PROVIDERS)
        rtitle = _sentence(rng, rng.randint(6, 12))
        rurl = _url(rng, rdomain, "-".join(rtitle.lower().split()[:6]))
        lines += [
            f'  - title: "{rtitle}"',
            f'    excerpt: "{_sentence(rng, rng.randint(25, 40))} ..."',
            f"    publishedDateTime: {_stamp(rng)}",
            f'    webUrl: "{rurl}"',
            f'    ampWebUrl: "{rurl}/amp"',
            "    type: article",
            "    provider:",
            f"      name: {rname}",
            f"      domain: {rdomain}",
            f"    quality: {rng.randint(10, 100)}",
            "    images:",
            f'      - url: "https://{rdomain}/images/{rng.getrandbits(48):x}.jpg"',
            f"        width: {rng.choice([700, 1200])}",
            f"        height: {rng.choice([394, 628, 750])}",
            "        isCached: true",
        ]
    lines += ["", "---", ""]
    text = "\n".join(lines)
    if body:
        text += "\n".join(_sentence(rng, rng.randint(40, 90)) + "." for _ in range(rng.randint(3, 8))) + "\n"
    folder = f"{stamp[:4]}/{stamp[5:7]}"
    return f"{folder}/{index:06d}-{'-'.join(slug.split('-')[:5])}.md", text


BENCH_KEY = Key("bench", "A256GCM", hashlib.sha256(b"securedoc benchmark key").digest())


def _make(job: tuple[int, int, bool, str]) -> None:
    index, seed, body, out = job
    rel, text = article(index, seed, body)
    nonce = hashlib.sha256(f"nonce:{seed}:{index}".encode()).digest()[:12]
    sealed = seal_document(parse(text.encode()), Keyring([BENCH_KEY]), _nonce=nonce).data
    path = Path(out) / "content" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(sealed if sealed is not None else text.encode())


BENCH_SIGN_KEY = Key("bench-sign", "Ed25519", hashlib.sha256(b"securedoc benchmark signing key").digest())


def _make_signed(job: tuple[int, int, bool, str]) -> None:
    index, seed, body, out = job
    rel, text = article(index, seed, body)
    sealed = seal_document(parse(text.encode()), Keyring([BENCH_SIGN_KEY])).data  # Ed25519: deterministic
    path = Path(out) / "content" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(sealed if sealed is not None else text.encode())


def generate_signed(out: Path, count: int, seed: int = 1, body: bool = False) -> None:
    """The same articles as :func:`generate`, signed with the bench signing key (JWS), and only its
    public key in OUT/keys/public/bench-sign.jwk: what a verifier without secrets holds."""
    (out / "keys" / "public").mkdir(parents=True, exist_ok=True)
    (out / "keys" / "public" / "bench-sign.jwk").write_text(json.dumps(public_jwk(BENCH_SIGN_KEY)))
    with Pool(os.cpu_count()) as pool:
        for _ in pool.imap_unordered(_make_signed, ((i, seed, body, str(out)) for i in range(count)), chunksize=64):
            pass


def generate(out: Path, count: int, seed: int = 1, body: bool = False) -> None:
    (out / "keys").mkdir(parents=True, exist_ok=True)
    key_file = out / "keys" / "bench.jwk"
    key_file.write_text(json.dumps(key_to_jwk(BENCH_KEY)))
    key_file.chmod(0o600)
    with Pool(os.cpu_count()) as pool:
        for _ in pool.imap_unordered(_make, ((i, seed, body, str(out)) for i in range(count)), chunksize=64):
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--body", action="store_true", help="add a Markdown body of a few paragraphs")
    args = parser.parse_args()
    generate(args.out, args.count, args.seed, args.body)
    print(f"wrote {args.count} sealed articles under {args.out / 'content'}")


if __name__ == "__main__":
    main()

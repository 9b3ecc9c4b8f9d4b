"""Our seals are standard JWE: an independent JOSE library (joserfc) opens them, and we open its."""

from __future__ import annotations

import json

from conftest import article
from joserfc import jwe
from joserfc.jwk import OctKey
from joserfc.registry import HeaderParameter

from securedoc.articles import seal_document
from securedoc.document import parse
from securedoc.keys import Keyring, generate_key, key_to_jwk
from securedoc.models import Status
from securedoc.payload import Binding, build, encode
from securedoc.verify import verify_document


def _is_claim(value: object) -> None:
    if not isinstance(value, dict):
        raise ValueError("the securedoc claim is an object")


# securedoc's seals carry one private header parameter, "securedoc" (the fast-path claim, RFC 7516
# section 4.3). RFC 7516 says a recipient ignores parameters it does not understand; joserfc is
# stricter by default and must be told about it.
REGISTRY = jwe.JWERegistry(header_registry={"securedoc": HeaderParameter("securedoc fast-path claim", _is_claim)})


def test_joserfc_opens_our_seal() -> None:
    key = generate_key("newsroom-2026")
    ring = Keyring([key])
    sealed = seal_document(parse(article("title: Hello\nn: 1\n")), ring).data
    assert sealed is not None
    doc = parse(sealed)
    token = doc.seal_entry.value  # type: ignore[union-attr]
    their_key = OctKey.import_key(key_to_jwk(key))  # our key file, read by another library
    result = jwe.decrypt_compact(token, their_key, registry=REGISTRY)
    claim = result.protected.pop("securedoc")
    assert result.protected == {"alg": "dir", "enc": "A256GCM", "kid": "newsroom-2026"}
    assert set(claim) == {"h", "r", "s"}
    assert json.loads(result.plaintext)["fields"] == {"n": 1, "title": "Hello"}
    assert result.plaintext == encode(build(doc, Binding()))


def test_we_open_a_seal_made_by_joserfc() -> None:
    key = generate_key("newsroom-2026")
    ring = Keyring([key])
    unsealed = parse(article("title: Hello\nn: 1\n"))
    plaintext = encode(build(unsealed, Binding()))
    their_key = OctKey.import_key(key_to_jwk(key))
    token = jwe.encrypt_compact({"alg": "dir", "enc": "A256GCM", "kid": "newsroom-2026"}, plaintext, their_key)
    data = article(f'title: Hello\nn: 1\nsecured: "{token}"\n')
    report = verify_document(parse(data), ring)
    assert report.status is Status.OK, report
    tampered = verify_document(parse(data.replace(b"n: 1", b"n: 2")), ring)
    assert tampered.status is Status.MISMATCH and tampered.fields[0].name == "n"


def test_key_files_load_in_joserfc(tmp_path: object) -> None:
    from pathlib import Path

    from securedoc.keys import write_key_file

    path = write_key_file(generate_key("k"), Path(str(tmp_path)))
    key = OctKey.import_key(json.loads(path.read_text()))
    assert key.kid == "k" and len(key.raw_value) == 32
    demo = Path(__file__).resolve().parent.parent / "keys" / "demo.jwk"
    demo_obj = {k: v for k, v in json.loads(demo.read_text()).items() if not k.startswith("_")}
    assert OctKey.import_key(demo_obj).kid == "demo"

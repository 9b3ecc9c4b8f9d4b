"""Payload format 1: canonical bytes, strict decoding."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from strategies import Generated, articles

from securedoc.canonical import dumps
from securedoc.document import parse
from securedoc.errors import DocumentError, PayloadError
from securedoc.payload import (
    Binding,
    Hidden,
    Payload,
    build,
    decode,
    decode_legacy,
    encode,
    legacy_plaintext,
)


@given(articles())
def test_encode_decode_round_trip(gen: Generated) -> None:
    doc = parse(gen.data)
    payload = build(doc, Binding(), {"gone": Hidden("gone: 1\n", None)})
    data = encode(payload)
    again = decode(data)
    assert encode(again) == data
    assert {dumps(k) for k, _ in again.fields.values()} == {dumps(e.key) for e in doc.entries if e.name != "secured"}
    # Canonical: sorted keys, no whitespace, UTF-8.
    obj = json.loads(data)
    assert data == json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_binding_include_exclude_and_body() -> None:
    doc = parse(b"---\na: 1\nb: 2\nc: 3\nsecured: x\n---\nbody\n")
    assert sorted(build(doc, Binding()).field_names()) == ["a", "b", "c"]
    assert build(doc, Binding(include=("a", "b"), exclude=("b",))).field_names() == ["a"]
    assert build(doc, Binding(body=False)).body_sha256 is None
    # Format 2: the closing delimiter, LF, the body (CRLF as LF; a lone CR stays).
    assert build(doc, Binding()).body_sha256 == hashlib.sha256(b"---\nbody\n").hexdigest()


def test_non_string_top_level_keys_are_bound_as_a_tagged_map() -> None:
    doc = parse(b"---\n1: one\ntrue: yes\n'2': str\n---\n")
    data = encode(build(doc, Binding(body=False)))
    assert data == b'{"fields":{"$":"map","v":[["2","str"],[1,"one"],[true,{"$":"plain","v":"yes"}]]},"v":2}'
    assert len(decode(data).fields) == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff", "not UTF-8"),
        (b"{", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"v":3,"fields":{}}', "version 3"),
        (b'{"v":1,"fields":{"a":{"$":"plain","v":"yes"}}}', "format 1 but holds a format-2 value"),
        (b'{"fields":{}}', "no valid format version"),
        (b'{"v":true,"fields":{}}', "no valid format version"),
        (b'{"v":1,"fields":{},"extra":1}', "unknown members: extra"),
        (b'{"v":1,"fields":[]}', "not a canonical mapping"),
        (b'{"v":1,"fields":{"a":1,"a":2}}', "names 'a' twice"),
        (b'{"v":1,"fields":{"a":{"$":"nope","v":1}}}', "malformed tagged value"),
        (b'{"v":1,"fields":{"a":{"$":"float","v":1.5}}}', "bare number"),
        (b'{"v":1,"fields":{"a":1.5}}', "bare number"),
        (b'{"v":1,"fields":{"a":NaN}}', "bare number"),
        (b'{"v":1,"fields":{"a":{"$":"map","v":[[1]]}}}', "malformed tagged value"),
        (b'{"v":1,"fields":{"$":"map","v":[[1,"a"],[1,"b"]]}}', "binds the field 1 twice"),
        (b'{"v":1,"fields":{},"hidden":{"x":"text"}}', "hidden field 'x'"),
        (b'{"v":1,"fields":{},"body_sha256":"ABC"}', "64 lowercase hex"),
        (b"[" * 100000 + b"]" * 100000, "nests too deeply"),
    ],
)
def test_strict_decoding(data: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        decode(data)


def test_legacy_payloads() -> None:
    assert decode_legacy(b'{"title": "T", "n": 1.0}').fields == {"title": "T", "n": {"$": "float", "v": "1.0"}}
    assert decode_legacy(b"plain text").fields is None
    assert decode_legacy(b"\xff\xfe").text is None
    doc = parse(b"---\ntitle: T\nwhen: 2020-08-15T08:19:00Z\nratio: 2.0\n---\n")
    assert legacy_plaintext(build(doc, Binding())) == b'{"ratio":2,"title":"T","when":"2020-08-15T08:19:00Z"}'


def test_lone_surrogate_is_a_clear_error() -> None:
    with pytest.raises(DocumentError, match="invalid Unicode"):
        parse(b'---\ntitle: "\\ud800"\n---\n')
    # Should a parser ever let one through, encoding still refuses it clearly.
    with pytest.raises(PayloadError, match="not valid Unicode"):
        encode(Payload(fields={"t": ("t", "\ud800")}))

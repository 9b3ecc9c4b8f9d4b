"""The codec: both forms round-trip, and anything not exactly canonical is a MalformedSeal that says why."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from securedoc import envelope
from securedoc.errors import MalformedSeal

kids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)


@st.composite
def jwe_seals(draw: st.DrawFn) -> envelope.JweSeal:
    kid = draw(kids)
    return envelope.JweSeal(
        envelope.protected_header(kid),
        kid,
        draw(st.binary(min_size=12, max_size=12)),
        draw(st.binary(min_size=1, max_size=300)),
        draw(st.binary(min_size=16, max_size=16)),
        {},
    )


@st.composite
def legacy_seals(draw: st.DrawFn) -> envelope.LegacySeal:
    blocks = draw(st.integers(min_value=1, max_value=30))
    return envelope.LegacySeal(
        draw(st.binary(min_size=16 * blocks, max_size=16 * blocks)), draw(st.binary(min_size=16, max_size=16))
    )


@given(jwe_seals())
def test_jwe_round_trip(seal: envelope.JweSeal) -> None:
    text = envelope.format_seal(seal)
    parsed = envelope.parse(text)
    assert isinstance(parsed, envelope.JweSeal)
    assert (parsed.kid, parsed.nonce, parsed.ciphertext, parsed.tag, parsed.protected) == (
        seal.kid,
        seal.nonce,
        seal.ciphertext,
        seal.tag,
        seal.protected,
    )
    assert parsed.header == {"alg": "dir", "enc": "A256GCM", "kid": seal.kid}
    assert envelope.format_seal(parsed) == text


@given(legacy_seals())
def test_legacy_round_trip(seal: envelope.LegacySeal) -> None:
    text = envelope.format_seal(seal)
    assert envelope.parse(text) == seal
    assert envelope.format_seal(envelope.parse(text)) == text


def test_example_article_seal_parses_as_legacy() -> None:
    from conftest import EXAMPLE

    line = next(text for text in EXAMPLE.read_text().splitlines() if text.startswith("secured:"))
    seal = envelope.parse(line.split('"')[1])
    assert isinstance(seal, envelope.LegacySeal)
    assert len(seal.ciphertext) == 400 and len(seal.iv) == 16


def _b64(n: int) -> str:
    return base64.b64encode(bytes(n)).decode()


def _u(n: int) -> str:
    return envelope.b64url_encode(bytes(n))


def _jwe(header: bytes) -> str:
    return f"{envelope.b64url_encode(header)}..{_u(12)}.{_u(40)}.{_u(16)}"


HEADER = envelope.protected_header("k1")
GOOD_JWE = f"{HEADER}..{_u(12)}.{_u(40)}.{_u(16)}"
GOOD_LEGACY = f"{_b64(32)};{_b64(16)}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty"),
        (" " + GOOD_LEGACY, "whitespace"),
        (GOOD_LEGACY + "\n", "whitespace"),
        (GOOD_LEGACY.replace(";", "; "), "whitespace"),
        ("abc", "no known form"),
        (f"{_b64(32)};{_b64(16)};{_b64(16)}", "3 parts separated by ';'"),
        (f";{_b64(16)}", "no ciphertext"),
        (f"{_b64(32)};", "no IV"),
        (f"{_b64(32)};{_b64(12)}", "IV is 12 bytes"),
        (f"{_b64(20)};{_b64(16)}", "not a multiple of the 16-byte"),
        (f"{_b64(32)[:-1]};{_b64(16)}", "not a multiple of 4"),
        (f"{_b64(32)};{_b64(16).rstrip('=')}", "not a multiple of 4"),
        ("AAAB" * 8 + ";" + _b64(16)[:-3] + "B==", "stray bits"),
        (f"{_b64(32)};{_b64(16)}".replace("A", "-", 1), "contains '-'"),
        (f"{_b64(32)};AA=A" + "A" * 20, "padding may only end it"),
        (GOOD_JWE.replace(".", ";", 1), "mixes"),
        (GOOD_JWE + ".x", "6 parts"),
        ("a.b.c", "JWS header is not valid base64url"),
        ("a.b", "2 parts separated by '.'"),
        (f"{HEADER}.{_u(8)}.{_u(12)}.{_u(40)}.{_u(16)}", "encrypted key"),
        (f"{HEADER}..{_u(16)}.{_u(40)}.{_u(16)}", "nonce is 16 bytes"),
        (f"{HEADER}..{_u(12)}.{_u(40)}.{_u(12)}", "tag is 12 bytes"),
        (f"{HEADER}..{_u(12)}..{_u(16)}", "ciphertext is empty"),
        (f"{HEADER}..{_u(12)}.{_u(40)}+.{_u(16)}", "contains '+'"),
        (f"{HEADER}..{_u(12)}.{_u(40)}=.{_u(16)}", "contains '='"),
        (f"{HEADER}..{_u(12)}.{_u(40)[:-1]}B.{_u(16)}", "stray bits"),
        (_jwe(b"not json"), "not JSON"),
        (_jwe(b"[1]"), "not a JSON object"),
        (f"{envelope.b64url_encode(bytes([0xFF]))}..{_u(12)}.{_u(40)}.{_u(16)}", "not UTF-8"),
        (_jwe(b'{"alg":"A256KW","enc":"A256GCM","kid":"k"}'), 'alg "A256KW"'),
        (_jwe(b'{"alg":"dir","enc":"A128GCM","kid":"k"}'), 'enc "A128GCM"'),
        (_jwe(b'{"alg":"dir","enc":"A256GCM"}'), "no key id"),
        (_jwe(b'{"alg":"dir","enc":"A256GCM","kid":"k","kid":"j"}'), "twice"),
        (_jwe(b'{"alg":"dir","enc":"A256GCM","kid":"k","zip":"DEF"}'), "compression"),
        (_jwe(b'{"alg":"dir","enc":"A256GCM","kid":"k","crit":["x"]}'), "critical"),
        (_jwe(b'{"alg":"dir","enc":"A256GCM","kid":"a\\u001bb"}'), "not a valid key id"),
    ],
)
def test_malformed(text: str, expected: str) -> None:
    with pytest.raises(MalformedSeal) as info:
        envelope.parse(text)
    assert expected in str(info.value)


def test_well_formed_samples_parse() -> None:
    assert isinstance(envelope.parse(GOOD_JWE), envelope.JweSeal)
    assert isinstance(envelope.parse(GOOD_LEGACY), envelope.LegacySeal)


def test_header_with_other_spelling_is_accepted_and_kept_verbatim() -> None:
    """Other JOSE libraries write headers with spaces or other key orders; the raw segment is the AAD."""
    raw = envelope.b64url_encode(b'{"enc": "A256GCM", "alg": "dir", "kid": "k1", "typ": "JWE"}')
    seal = envelope.parse(f"{raw}..{_u(12)}.{_u(40)}.{_u(16)}")
    assert isinstance(seal, envelope.JweSeal)
    assert seal.protected == raw and seal.kid == "k1"


def test_non_string_is_malformed() -> None:
    with pytest.raises(MalformedSeal):
        envelope.parse(123)  # type: ignore[arg-type]

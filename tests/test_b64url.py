"""securedoc.b64url: the one unpadded base64url codec (seals, key files, fast path, fingerprints)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from securedoc import b64url


@given(st.binary(max_size=200))
def test_round_trip_and_one_spelling(data: bytes) -> None:
    text = b64url.encode(data)
    assert text == base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
    assert b64url.decode(text) == data
    # Any other spelling of the same bytes is refused: padded, standard alphabet, stray bits.
    if len(text) % 4:
        with pytest.raises(b64url.NotBase64url):
            b64url.decode(text + "=" * (-len(text) % 4))
    for last in b64url._ALPHABET:
        if text and last != text[-1]:
            try:
                decoded = b64url.decode(text[:-1] + last)
            except b64url.NotBase64url:
                continue
            assert decoded != data  # a different string never decodes to the same bytes


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ab+c", "is not base64url: it contains '+'"),
        ("ab/c", "is not base64url: it contains '/'"),
        ("YQ==", "is not base64url: it contains '='"),
        ("ab c", "is not base64url: it contains a space"),
        ("ab\nc", "is not base64url: it contains a line break"),
        ("abé", "is not base64url: it contains 'é'"),
        ("ab\x1bc", "is not base64url: it contains the character U+001B"),
        ("abcde", "is not valid base64url: its length (5) is impossible"),
        ("YR", "is not canonical base64url (its last character has stray bits)"),
        ("YWI", "is valid"),
    ],
)
def test_refusals_say_what_is_wrong(text: str, problem: str) -> None:
    if problem == "is valid":
        assert b64url.decode(text) == b"ab"
        return
    with pytest.raises(b64url.NotBase64url) as info:
        b64url.decode(text)
    assert str(info.value) == problem
    assert isinstance(info.value, ValueError)


def test_empty() -> None:
    assert b64url.encode(b"") == "" and b64url.decode("") == b""

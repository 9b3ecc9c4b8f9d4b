"""What the fuzzers check, for atheris (fuzz/fuzz.py) and hypothesis (tests/test_fuzz.py) alike.

Each check takes arbitrary bytes. Expected refusals (securedoc's own errors) are fine; anything
else — another exception, a hang, a broken property — is a finding.
"""

from __future__ import annotations

from securedoc import envelope
from securedoc.canonical import dumps
from securedoc.document import Limits, parse
from securedoc.errors import MalformedSeal, PayloadError, SecuredocError
from securedoc.keys import Key, Keyring
from securedoc.payload import decode, decode_legacy, encode
from securedoc.seal import seal_document
from securedoc.verify import verify_document

RING = Keyring([Key("fuzz", "A256GCM", bytes(range(32)))])
LIMITS = Limits(max_file_size=1 << 20, max_front_matter=1 << 18, max_expansion=20_000)


def check_envelope(data: bytes) -> None:
    """The codec: accepted strings are canonical (format(parse(s)) == s); everything else is MalformedSeal."""
    text = data.decode("utf-8", "replace")
    try:
        seal = envelope.parse(text)
    except MalformedSeal:
        return
    assert envelope.format_seal(seal) == text, "an accepted seal does not format back to itself"


def check_document(data: bytes) -> None:
    """The document parser, and sealing what it accepts: only securedoc errors, and seals verify."""
    try:
        document = parse(data, path="fuzz.md", limits=LIMITS)
    except SecuredocError:
        return
    for entry in document.entries:
        dumps(entry.value)
    verify_document(document, RING)  # never raises: errors become reports
    try:
        outcome = seal_document(document, RING, limits=LIMITS)
    except SecuredocError as exc:
        assert "internal" not in type(exc).__name__.lower(), exc.message  # the self-check must not trip
        return
    new = outcome.data if outcome.data is not None else data
    assert verify_document(parse(new, limits=LIMITS), RING).status.value == "ok", "a fresh seal does not verify"


def check_payload(data: bytes) -> None:
    """The payload decoder: strict, and what it accepts round-trips; legacy decoding never raises."""
    decode_legacy(data)
    try:
        payload = decode(data)
    except PayloadError:
        return
    again = decode(encode(payload))
    assert encode(again) == encode(payload), "a decoded payload does not encode stably"


TARGETS = {"envelope": check_envelope, "document": check_document, "payload": check_payload}

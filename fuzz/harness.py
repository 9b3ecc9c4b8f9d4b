"""What the fuzzers check, for atheris (fuzz/fuzz.py) and hypothesis (tests/test_fuzz.py) alike.

Each check takes arbitrary bytes. Expected refusals (securedoc's own errors) are fine; anything
else — another exception, a hang, a broken property — is a finding.
"""

from __future__ import annotations

import os

from yaml.nodes import MappingNode

from securedoc import envelope
from securedoc.articles import seal_document
from securedoc.canonical import CanonicalError, dumps, loader_class
from securedoc.document import Limits, _entries, _has_aliases, parse
from securedoc.errors import MalformedSeal, PayloadError, SecuredocError
from securedoc.keys import Key, Keyring
from securedoc.payload import decode, decode_legacy, encode

# Seal-line edits that securedoc proves safe are parsed again too, and a disagreement is a finding.
os.environ["SECUREDOC_CHECK_EDITS"] = "full"
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
    if document.syntax == "yaml":  # TOML front matter has one constructor (tomllib)
        fast, general = both_ways(document.front_matter)
        assert fast == general, "the fast constructor disagrees with the general one"
    verify_document(document, RING)  # never raises: errors become reports
    try:
        outcome = seal_document(document, RING, limits=LIMITS, force=True)
    except SecuredocError as exc:
        assert "internal" not in type(exc).__name__.lower(), exc.message  # the self-check must not trip
        return
    new = outcome.data if outcome.data is not None else data
    assert verify_document(parse(new, limits=LIMITS), RING).status.value == "ok", "a fresh seal does not verify"


def both_ways(text: str) -> tuple[object, object]:
    """The top-level entries as securedoc builds them (fast path allowed) and with the general
    constructors forced, for a document without aliases (the only kind the fast path serves)."""

    def build(general: bool) -> object:
        loader = loader_class()(text)
        try:
            root = loader.get_single_node()
            if not isinstance(root, MappingNode):
                return None
            entries = _entries(loader, root, text, anchors=general)
            return [(e.name, e.line, dumps(e.value)) for e in entries]
        except CanonicalError as exc:
            return ("error", exc.message)
        except RecursionError:
            return ("error", "recursion")
        finally:
            loader.dispose()

    if _has_aliases(text):
        return None, None
    return build(False), build(True)


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

"""Text that cannot forge output: escaping for terminals, GitHub workflow commands, JSON and XML.

Everything securedoc prints about a file may come from the person the check guards against: file
names, key ids, field names and values, messages that quote them. A file named
``"a.md\\n::error::…"`` or holding ``ESC[32m ok`` must not start a workflow command, paint a fake
verdict or reorder a line (bidi controls). Every renderer passes such text through one of these.

* :func:`terminal`: C0 and C1 control characters (ESC, CR, LF, TAB, DEL...), Unicode line and
  paragraph separators and the bidirectional controls become visible escapes (``\\x1b``,
  ``\\n``, ``\\u202e``); bytes of a file name that are not UTF-8 (held by Python as lone
  surrogates) become ``\\xff``. Nothing else changes, so ordinary names read as they are.
* :func:`github_data` / :func:`github_property`: GitHub's percent-encoding for workflow command
  data (``%``, CR, LF) and properties (also ``:`` and ``,``), then :func:`terminal` for the other
  control characters, so no character that ends a line can reach the runner.
* :func:`xml_text`: text XML 1.0 can carry (it cannot carry most C0 controls, lone surrogates,
  U+FFFE/U+FFFF): :func:`terminal`'s escapes for those.
* :func:`unicode_clean`: lone surrogates escaped, so the text encodes as UTF-8 (JSON output).
"""

from __future__ import annotations

import re

__all__ = ["terminal", "github_data", "github_property", "xml_text", "unicode_clean", "UNSAFE"]

# Bidirectional formatting characters (Unicode UAX #9): embeddings, overrides, isolates, marks.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}\ufeff\ufff9-\ufffb\ud800-\udfff\ufffe\uffff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def terminal(text: str) -> str:
    """``text`` with every character that could move the cursor, end a line or reorder text escaped."""
    return UNSAFE.sub(_escape, text) if UNSAFE.search(text) else text


def github_data(text: str) -> str:
    """The data part of a workflow command (after ``::``)."""
    # GitHub's own encoding for the characters it decodes (so a path still names its file), then
    # visible escapes for every other control character.
    return terminal(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def github_property(text: str) -> str:
    """A property value of a workflow command (``file=…``, ``title=…``)."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text every XML 1.0 parser accepts (before ``&<>`` escaping, which the caller does)."""
    return _XML_UNSAFE.sub(_escape, text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def unicode_clean(text: str) -> str:
    """Text that encodes as UTF-8: lone surrogates (undecodable file-name bytes) escaped."""
    return _SURROGATE.sub(_escape, text)

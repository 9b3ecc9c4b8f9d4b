"""What a seal encrypts: document -> canonical payload -> bytes, and back.

Payload format 2 is one canonical JSON object (UTF-8, sorted keys, no insignificant whitespace):

``v``
    the format version, ``2``.
``fields``
    the bound fields: copies of visible top-level front matter values, by name, in canonical
    form (:mod:`securedoc.canonical`). A JSON object, or a tagged ``map`` when a key is not a
    string. The payload itself records which fields it bound.
``hidden`` (only when there are hidden fields)
    fields moved out of the visible front matter: ``{"NAME": {"yaml": TEXT, "after": PREV}}``, where
    TEXT is the field's YAML exactly as it stood (line breaks as LF) and PREV the name of the field
    before it (or null), so that ``open --restore`` can put it back where it was. In a signed seal
    (JWS), whose payload anyone can read, this mapping travels encrypted: ``hidden`` is then a
    string, a JWE compact serialization whose plaintext is the mapping's canonical JSON.
``path`` (only with ``bind_path``)
    the article's path relative to the project root, with ``/`` (:mod:`securedoc.copies`): the
    seal then verifies only at that path.
``body_sha256`` (only when the body is bound)
    SHA-256, lowercase hex, of the closing delimiter (``---`` or ``...``), LF, and the body with
    CRLF turned into LF (:func:`securedoc.document.body_digest_v2`).

Format 1 (still read and verified) differs in two places: no ``plain`` tag (a value was bound, not
its spelling) and a body digest without the delimiter, with lone CRs turned into LF too. Where an
article holds what format 1 cannot tell apart (a disputed spelling in a bound field, a lone CR in
the body, a ``...`` closing line), a format-1 seal is reported as an error asking for a re-seal.

A *legacy* plaintext (the AES-CBC form) that is a JSON object is a map of bound fields compared in
the plain-JSON projection (:func:`securedoc.canonical.plain`); any other legacy plaintext can be
opened but not checked against an article.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .canonical import TAG, dumps, from_json, is_tag, key_identity, plain
from .document import SEAL_FIELD, Document, Entry, body_digest_v2
from .errors import PayloadError
from .readers import holds_plain

__all__ = [
    "VERSION",
    "Binding",
    "Hidden",
    "Payload",
    "LegacyPayload",
    "build",
    "encode",
    "decode",
    "decode_legacy",
    "encode_hidden",
    "decode_hidden",
    "legacy_plaintext",
]

VERSION = 2
VERSIONS = frozenset({1, 2})  # what decode() reads: format 1 seals keep verifying under their rules
_HEX64 = re.compile(r"[0-9a-f]{64}")
_MEMBERS = frozenset({"v", "fields", "hidden", "body_sha256", "syntax", "path"})
SYNTAXES = frozenset({"yaml", "toml"})  # of the front matter; "yaml" is written by leaving `syntax` out


@dataclass(frozen=True)
class Binding:
    """Which visible fields a new seal binds: ``include`` (empty: all) minus ``exclude``; the body or not."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    body: bool = True

    def binds(self, entry: Entry) -> bool:
        if entry.ident == SEAL_FIELD:
            return False
        if self.include and entry.name not in self.include:
            return False
        return entry.name not in self.exclude


DEFAULT_BINDING = Binding()


@dataclass(frozen=True)
class Hidden:
    """A field moved out of the front matter: its YAML text (LF line breaks) and the field before it."""

    yaml: str
    after: str | None


@dataclass(frozen=True)
class Payload:
    """A payload (format 2, or 1 when read from an older seal). ``fields`` maps key identity to
    (canonical key, canonical value)."""

    fields: Mapping[object, tuple[Any, Any]]
    hidden: Mapping[str, Hidden] = field(default_factory=dict)
    body_sha256: str | None = None
    version: int = VERSION
    syntax: str = "yaml"  # the front matter's syntax the seal was made on (TOML and YAML seals differ)
    sealed_hidden: str | None = None  # signed seals: the hidden mapping as a JWE (see securedoc.sealing)
    path: str | None = None  # bind_path: the article's path relative to the project root (securedoc.copies)

    def field_names(self) -> list[str]:
        return [k if type(k) is str else dumps(k) for k, _ in self.fields.values()]


@dataclass(frozen=True)
class LegacyPayload:
    """A decrypted legacy plaintext: a JSON object of fields, or something that cannot be checked."""

    plaintext: bytes
    fields: Mapping[str, Any] | None  # None: not a JSON object

    @property
    def text(self) -> str | None:
        try:
            return self.plaintext.decode("utf-8")
        except UnicodeDecodeError:
            return None


def build(
    document: Document,
    binding: Binding,
    hidden: Mapping[str, Hidden] | None = None,
) -> Payload:
    """The payload a seal of ``document`` binds now (hidden fields are never bound)."""
    hidden = dict(hidden or {})
    fields: dict[object, tuple[Any, Any]] = {}
    for entry in document.entries:
        if entry.name in hidden or not binding.binds(entry):
            continue
        fields[entry.ident] = (entry.key, entry.value)
    digest = body_digest_v2(document.body, document.closing) if binding.body else None
    return Payload(fields=fields, hidden=hidden, body_sha256=digest, syntax=document.syntax)


def _fields_json(fields: Mapping[object, tuple[Any, Any]]) -> Any:
    pairs = list(fields.values())
    if all(type(k) is str and k != TAG for k, _ in pairs):
        return {k: v for k, v in pairs}
    return {TAG: "map", "v": sorted(([k, v] for k, v in pairs), key=lambda kv: dumps(kv[0]))}


def encode(payload: Payload) -> bytes:
    """The canonical bytes of a payload."""
    obj: dict[str, Any] = {"v": payload.version, "fields": _fields_json(payload.fields)}
    if payload.sealed_hidden is not None:
        obj["hidden"] = payload.sealed_hidden
    elif payload.hidden:
        obj["hidden"] = _hidden_json(payload.hidden)
    if payload.body_sha256 is not None:
        obj["body_sha256"] = payload.body_sha256
    if payload.syntax != "yaml":
        obj["syntax"] = payload.syntax
    if payload.path is not None:
        obj["path"] = payload.path
    try:
        return dumps(obj).encode("utf-8")
    except UnicodeEncodeError:
        raise PayloadError(
            "a field holds text that is not valid Unicode (a lone surrogate from a \\u escape)",
            hint="fix the escape sequence in the front matter",
        ) from None


def _hidden_json(hidden: Mapping[str, Hidden]) -> dict[str, Any]:
    return {name: {"after": h.after, "yaml": h.yaml} for name, h in hidden.items()}


def encode_hidden(hidden: Mapping[str, Hidden]) -> bytes:
    """The canonical bytes of a hidden-field mapping (what a signed seal's nested JWE encrypts)."""
    return dumps(_hidden_json(hidden)).encode("utf-8")


def _hidden_from(raw_hidden: Any) -> dict[str, Hidden]:
    if not isinstance(raw_hidden, dict):
        raise PayloadError("the payload's hidden fields are not a mapping")
    hidden: dict[str, Hidden] = {}
    for name, item in raw_hidden.items():
        if (
            not isinstance(item, dict)
            or set(item) != {"yaml", "after"}
            or not isinstance(item["yaml"], str)
            or not (item["after"] is None or isinstance(item["after"], str))
        ):
            raise PayloadError(f'the hidden field \'{name}\' is not {{"yaml": TEXT, "after": NAME}}')
        hidden[name] = Hidden(item["yaml"], item["after"])
    return hidden


def decode_hidden(data: bytes) -> dict[str, Hidden]:
    """A hidden-field mapping from the decrypted bytes of a signed seal's nested JWE."""
    return _hidden_from(_load_json(data))


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Each JSON object as it is built: no duplicate members, and a tag must be a well-formed tag."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise PayloadError(f"the payload names '{key}' twice")
            seen.add(key)
    if TAG in result and not is_tag(result):
        raise PayloadError("the payload holds a malformed tagged value")
    return result


def _no_float(text: str) -> Any:
    raise PayloadError("the payload holds a bare number that is not an integer (floats are tagged)")


def _load_json(data: bytes) -> Any:
    try:
        return json.loads(
            data.decode("utf-8"), object_pairs_hook=_object, parse_float=_no_float, parse_constant=_no_float
        )
    except UnicodeDecodeError:
        raise PayloadError("the payload is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise PayloadError(f"the payload is not JSON ({exc.msg} at character {exc.pos})") from None
    except RecursionError:
        raise PayloadError("the payload nests too deeply") from None


def decode(data: bytes) -> Payload:
    """A payload (format 2 or 1) from decrypted bytes, strictly checked."""
    obj = _load_json(data)
    if not isinstance(obj, dict):
        raise PayloadError("the payload is not a JSON object")
    version = obj.get("v")
    if type(version) is not int or version not in VERSIONS:  # `true == 1` in Python: check the type
        if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
            raise PayloadError(
                f"the payload has format version {version}; this securedoc reads version {VERSION}",
                hint="upgrade securedoc",
            )
        raise PayloadError("the payload has no valid format version")
    unknown = set(obj) - _MEMBERS
    if unknown:
        raise PayloadError(f"the payload has unknown members: {', '.join(sorted(unknown))}")
    raw_fields = obj.get("fields")
    if not isinstance(raw_fields, dict):
        raise PayloadError("the payload's fields are not a canonical mapping")
    fields: dict[object, tuple[Any, Any]] = {}
    if raw_fields.get(TAG) == "map":
        pairs = [(k, v) for k, v in raw_fields["v"]]
    elif TAG in raw_fields:
        raise PayloadError("the payload's fields are not a canonical mapping")
    else:
        pairs = list(raw_fields.items())
    for key, value in pairs:
        ident = key_identity(key)
        if ident in fields:
            raise PayloadError(f"the payload binds the field {dumps(key)} twice")
        fields[ident] = (key, value)
    raw_hidden = obj.get("hidden", {})
    sealed_hidden = raw_hidden if isinstance(raw_hidden, str) else None
    hidden = _hidden_from(raw_hidden) if sealed_hidden is None else {}
    digest = obj.get("body_sha256")
    if digest is not None and (not isinstance(digest, str) or not _HEX64.fullmatch(digest)):
        raise PayloadError("the payload's body_sha256 is not 64 lowercase hex digits")
    syntax = obj.get("syntax", "yaml")
    if "syntax" in obj and (syntax == "yaml" or syntax not in SYNTAXES):  # one spelling per payload
        raise PayloadError('the payload\'s syntax is not "toml" (YAML is written by leaving it out)')
    bound_path = obj.get("path")
    if "path" in obj and not _valid_path(bound_path):
        raise PayloadError("the payload's path is not a relative path with '/' (no '.', '..' or empty parts)")
    if version == 1 and _has_plain(fields):
        raise PayloadError('the payload is format 1 but holds a format-2 value ("$": "plain")')
    return Payload(
        fields=fields,
        hidden=hidden,
        body_sha256=digest,
        syntax=syntax,
        sealed_hidden=sealed_hidden,
        version=version,
        path=bound_path,
    )


def _valid_path(path: object) -> bool:
    """A bound path as securedoc writes it: relative, ``/`` between non-empty names, no ``.`` or ``..``."""
    if not isinstance(path, str) or not path or "\x00" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def _has_plain(fields: Mapping[object, tuple[Any, Any]]) -> bool:
    return any(holds_plain(key) or holds_plain(value) for key, value in fields.values())


def decode_legacy(plaintext: bytes) -> LegacyPayload:
    """A legacy plaintext: its fields when it is a JSON object, else an opaque payload."""
    try:
        obj = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return LegacyPayload(plaintext, None)
    if not isinstance(obj, dict):
        return LegacyPayload(plaintext, None)
    return LegacyPayload(plaintext, {k: from_json(v) for k, v in obj.items()})


def legacy_plaintext(payload: Payload) -> bytes:
    """What `seal --legacy` encrypts: the bound fields as one plain JSON object (no body, no hidden)."""
    obj: dict[str, Any] = {}
    for key, value in payload.fields.values():
        obj[key if type(key) is str else dumps(plain(key))] = plain(value)
    return dumps(obj).encode("utf-8")

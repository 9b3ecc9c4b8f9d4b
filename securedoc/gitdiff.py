"""Readable diffs of sealed articles: a git ``textconv`` driver and ``securedoc git-setup``.

A seal is one long line of base64: a change to it says nothing. With the driver, git diffs (in
``git diff``, ``git log -p``, ``git show``) a text in which the seal is spelled out, one line per
field of its payload, so a change shows as the fields that changed::

    secured: sealed with key 'newsroom-2026' (JWE, A256GCM)
    #   securedoc: bound heat: 154
    #   securedoc: bound title: "Controversial Face Search Engine"
    #   securedoc: hidden embargo: 2026-01-01
    #   securedoc: body sha256: 6f1e…

Hidden values show only where a key opens the seal (the keys securedoc would use in that folder:
./keys, securedoc.yaml, $SECUREDOC_KEY, $SECUREDOC_KEY_COMMAND). Without one the seal line stays
as it is, with a comment saying why it is not spelled out. Anything that is not a sealed article
(no front matter, no seal, not even text) passes through byte for byte: the driver never fails a
diff. git-setup turns off textconv caching (``cachetextconv``): cached output would keep hidden
values in git's notes.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import api
from .canonical import display, is_tag
from .config import find_config
from .document import DEFAULT_LIMITS, SEAL_FIELD, Document, parse
from .errors import SecuredocError, UsageError
from .keys import Keyring
from .payload import Payload
from .sealing import Opened, open_seal, read_seal

__all__ = ["DRIVER", "render", "textconv", "setup", "attribute_lines"]

DRIVER = "securedoc"
_PREFIX = "#   securedoc: "


def _keyring() -> Keyring | None:
    try:
        ring, _ = api.load_keyring(find_config())
    except SecuredocError:
        return None
    return ring


def _leaves(where: str, value: Any) -> Iterator[tuple[str, str]]:
    """One line per leaf of a nested value (``images[0].width: 800``), so a diff names the leaf."""
    if isinstance(value, list) and value:
        for i, item in enumerate(value):
            yield from _leaves(f"{where}[{i}]", item)
    elif isinstance(value, dict) and value and not is_tag(value):
        for name in sorted(value, key=str):
            yield from _leaves(f"{where}.{name}", value[name])
    else:
        yield where, display(value, 1 << 20)


def _spelled_out(opened: Opened, syntax: str) -> list[str]:
    forms = {
        "jwe": "JWE, A256GCM",
        "jws": "JWS, Ed25519, signed",
        "legacy": f"legacy AES-CBC {opened.key.alg}, unauthenticated",
    }
    form = forms.get(opened.form, f"{opened.form.upper()}, {opened.key.alg}")
    assign = " =" if syntax == "toml" else ":"
    lines = [f"{SEAL_FIELD}{assign} sealed with key '{opened.key.kid}' ({form})"]
    payload = opened.payload
    if isinstance(payload, Payload):
        lines.append(f"{_PREFIX}payload version {payload.version}")
        bound = sorted(
            (name if type(name) is str else json.dumps(str(name)), value) for name, value in payload.fields.values()
        )
        for name, value in bound:
            lines.extend(f"{_PREFIX}bound {where}: {text}" for where, text in _leaves(name, value))
        if opened.hidden_locked is not None:
            lines.append(f"{_PREFIX}hidden fields encrypted with key '{opened.hidden_locked}' (not in the keyring)")
        for name in sorted(payload.hidden):
            for text in payload.hidden[name].yaml.strip("\n").split("\n"):
                lines.append(f"{_PREFIX}hidden {name} | {text}")
        lines.append(f"{_PREFIX}body sha256: {payload.body_sha256 or '(not bound)'}")
    elif payload.fields is not None:
        for name in sorted(payload.fields):
            value = json.dumps(payload.fields[name], ensure_ascii=False, sort_keys=True)
            lines.append(f"{_PREFIX}bound {name}: {value}")
    else:
        lines.append(f"{_PREFIX}(a legacy payload that is not JSON; not shown)")
    return lines


def render(data: bytes, keyring: Keyring | None) -> bytes:
    """The text git diffs for ``data``: the seal spelled out, or ``data`` itself."""
    try:
        document = parse(data, limits=DEFAULT_LIMITS)
    except SecuredocError:
        return data
    entry = document.seal_entry
    if entry is None or entry.merged:
        return data
    try:
        seal = read_seal(document)
        if seal is None:
            return data
        if keyring is None:
            raise UsageError("no key here to open it")
        lines = _spelled_out(open_seal(seal, keyring), getattr(document, "syntax", "yaml"))
    except SecuredocError as exc:
        return _with_comment(document, f"{_PREFIX}the seal is not spelled out: {exc.message}")
    return _replaced(document, lines)


def _region(document: Document) -> tuple[int, int] | None:
    entry = document.seal_entry
    if entry is None:
        return None
    try:
        return document.entry_region(entry)
    except (SecuredocError, ValueError, AttributeError):  # pragma: no cover - defensive
        return None


def _replaced(document: Document, lines: list[str]) -> bytes:
    region = _region(document)
    if region is None:  # pragma: no cover - defensive
        return document.data
    start, end = region
    text = document.front_matter[start:end]
    newline = "\r\n" if text.endswith("\r\n") else "\n" if text.endswith("\n") else ""
    between = newline or document.newline
    new = between.join(" " * document.indent + line for line in lines) + newline
    return document.with_front_matter([(start, end, new)])


def _with_comment(document: Document, comment: str) -> bytes:
    region = _region(document)
    if region is None:  # pragma: no cover - defensive
        return document.data
    _, end = region
    text = document.front_matter[:end]
    newline = document.newline
    insert = ("" if text.endswith(("\n", "\r")) else newline) + comment + newline
    return document.with_front_matter([(end, end, insert)])


def textconv(path: str) -> None:
    """Write the diffable text of ``path`` to standard output (git's textconv protocol)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(DEFAULT_LIMITS.max_file_size + 1)
    except OSError as exc:
        raise UsageError(f"cannot read the file git gave: {exc.strerror}", path=path) from None
    out = data
    if len(data) <= DEFAULT_LIMITS.max_file_size:
        try:
            out = render(data, _keyring())
        except Exception:  # the driver must never break a diff: show the bytes as they are
            out = data
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()


# -- git-setup -----------------------------------------------------------------------------------


def attribute_lines() -> list[str]:
    from .batch import MARKDOWN_SUFFIXES

    return [f"*{suffix} diff={DRIVER}" for suffix in MARKDOWN_SUFFIXES]


def _git(*args: str, cwd: str | None = None) -> str:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False, cwd=cwd)
    except FileNotFoundError:
        raise UsageError("git-setup needs git, which is not installed") from None
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "git failed"
        raise UsageError(f"git: {message}", hint="run `securedoc git-setup` inside the git repository of the site")
    return done.stdout


def default_command() -> str:
    """This installation of securedoc, by full path, so git finds it without an activated venv."""
    return f"{shlex.quote(sys.executable)} -m securedoc git-textconv"


def setup(command: str | None = None) -> list[str]:
    """Write the .gitattributes lines and the repository's git config; return what was done."""
    top = Path(_git("rev-parse", "--show-toplevel").strip())
    attributes = top / ".gitattributes"
    try:
        existing = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {attributes}: {exc}") from None
    present = {" ".join(line.split()) for line in existing.splitlines()}
    missing = [line for line in attribute_lines() if line not in present]
    done: list[str] = []
    if missing:
        text = existing
        if text and not text.endswith("\n"):
            text += "\n"
        if not existing:
            text += "# Seals show as the fields that changed in git diff (securedoc git-setup).\n"
        text += "\n".join(missing) + "\n"
        temp = attributes.with_name(f".gitattributes.securedoc-{os.getpid()}.tmp")
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, attributes)
        done.append(f"{attributes}: added " + ", ".join(missing))
    else:
        done.append(f"{attributes}: already set up")
    textconv_command = command or default_command()
    _git("config", "--local", f"diff.{DRIVER}.textconv", textconv_command, cwd=str(top))
    _git("config", "--local", f"diff.{DRIVER}.cachetextconv", "false", cwd=str(top))
    done.append(f"git config diff.{DRIVER}.textconv = {textconv_command}")
    done.append(f"git config diff.{DRIVER}.cachetextconv = false (hidden values never land in git's notes)")
    done.append("commit .gitattributes; each clone runs `securedoc git-setup` once (git config is not committed)")
    return done

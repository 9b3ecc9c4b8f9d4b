"""Renderers: Reports as human text, JSON lines, GitHub Actions annotations or JUnit XML.

Renderers stream: one call per file, in order, then :meth:`Renderer.finish` with the summary.
Nothing here decides anything; it only writes what the reports say.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, Any

from . import escape as esc
from .canonical import display
from .models import FOLLOW_UP, Action, FieldDiff, Report, Status, UnsealedPolicy, fails

__all__ = ["FORMATS", "Summary", "Renderer", "make_renderer", "report_json"]

FORMATS = ("text", "json", "github", "junit")


@dataclass
class Summary:
    """Counts per status and per action, and how long the run took."""

    command: str
    unsealed: UnsealedPolicy = "error"
    statuses: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    files: int = 0
    elapsed: float = 0.0
    cached: int = 0

    def add(self, report: Report) -> None:
        if FOLLOW_UP in report.extra:
            was = report.extra[FOLLOW_UP]
            if was is not None:
                # A file already counted turns out to hold another file's seal (securedoc.copies):
                # it now counts as an error.
                status, failed = was
                self.statuses[status] -= 1
                self.statuses[report.status.value] += 1
                self.failed += 0 if failed else 1
                return
        self.files += 1
        self.statuses[report.status.value] += 1
        if report.action:
            self.actions[report.action] += 1
        if report.extra.get("cached"):
            self.cached += 1
        if fails(report, self.unsealed):
            self.failed += 1

    def line(self) -> str:
        noun = "file" if self.files == 1 else "files"
        if self.command == "verify":
            order = ("ok", "mismatch", "unsealed", "error")
            parts = [f"{self.statuses[s]:,} {s}" for s in order if self.statuses[s]]
        else:
            parts = [f"{n:,} {a}" for a, n in sorted(self.actions.items(), key=lambda kv: -kv[1])]
        rate = f", {self.files / self.elapsed:,.0f} files/s" if self.elapsed > 0 and self.files > 1 else ""
        cached = f", {self.cached:,} from cache" if self.cached else ""
        body = ", ".join(parts) if parts else "nothing to do"
        return f"securedoc {self.command}: {self.files:,} {noun}: {body}{cached} ({self.elapsed:.1f} s{rate})"


def _field_json(diff: FieldDiff) -> dict[str, Any]:
    return {"name": diff.name, "line": diff.line, "sealed": diff.sealed, "visible": diff.visible, "change": diff.change}


def report_json(report: Report) -> dict[str, Any]:
    """The JSON object of one report (the `--format json` line)."""
    obj: dict[str, Any] = {
        "path": report.path,
        "status": report.status.value,
        "fields": [_field_json(d) for d in report.fields],
        "message": report.message,
        "line": report.line,
        "kid": report.kid,
        "form": report.form,
        "warnings": list(report.warnings),
        "notes": list(report.notes),
    }
    if report.action is not None:
        obj["action"] = report.action
    if report.hint:
        obj["hint"] = report.hint
    return obj


def _describe_diff(diff: FieldDiff) -> str:
    if diff.change == "missing":
        return f"{diff.name}: removed (sealed {display(diff.sealed, 80)})"
    if diff.change == "body":
        return "the body changed since sealing"
    if diff.change == "unbound":
        return f"{diff.name}: not bound by the seal (visible {display(diff.visible, 80)})"
    if diff.change == "path":
        if diff.sealed is None:
            return f"{diff.name}: the seal names no path; the article stands at {display(diff.visible, 200)}"
        return f"{diff.name}: sealed as {display(diff.sealed, 200)}, found at {display(diff.visible, 200)}"
    detail = diff_path(diff.sealed, diff.visible)
    if detail is not None:
        where, sealed, visible = detail
        return f"{diff.name}{where}: sealed {display(sealed, 80)}, visible {display(visible, 80)}"
    return f"{diff.name}: sealed {display(diff.sealed, 80)}, visible {display(diff.visible, 80)}"


def diff_path(sealed: Any, visible: Any, where: str = "") -> tuple[str, Any, Any] | None:
    """Where inside two nested values the first difference is (``[0].width``), if they nest alike."""
    if isinstance(sealed, list) and isinstance(visible, list) and len(sealed) == len(visible):
        for i, (a, b) in enumerate(zip(sealed, visible, strict=True)):
            if a != b or type(a) is not type(b):
                return diff_path(a, b, f"{where}[{i}]")
        return None
    if (
        isinstance(sealed, dict)
        and isinstance(visible, dict)
        and "$" not in sealed
        and "$" not in visible
        and sealed.keys() == visible.keys()
    ):
        for name in sorted(sealed):
            a, b = sealed[name], visible[name]
            if a != b or type(a) is not type(b):
                return diff_path(a, b, f"{where}.{name}")
        return None
    return (where, sealed, visible) if where else None


class Renderer:
    """Writes reports to ``out`` as they come; ``finish`` writes anything that closes the output."""

    def __init__(self, out: IO[str], *, unsealed: UnsealedPolicy = "error", verbose: bool = False) -> None:
        self.out = out
        self.unsealed = unsealed
        self.verbose = verbose

    def report(self, report: Report) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def notice(self, path: str, message: str) -> None:
        """A warning that is about the run, not an article: e.g. a configuration or key file that
        differs from the trusted revision (``verify --trust``)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def finish(self, summary: Summary) -> None:
        self.out.flush()


class TextRenderer(Renderer):
    """``path:line: status: message``, one line per problem, like a compiler: editors can jump to it."""

    def _shown(self, r: Report) -> bool:
        """Problems and changes always; quiet successes only with --verbose."""
        if r.status is Status.UNSEALED and self.unsealed == "ignore":
            return self.verbose
        if self.verbose or r.warnings:
            return True
        if r.action in (Action.UNCHANGED, Action.CURRENT):
            return False
        return r.action is not None or r.status is not Status.OK

    def report(self, r: Report) -> None:
        if not self._shown(r):
            return
        where = r.path if r.line is None else f"{r.path}:{r.line}"
        label = r.action or r.status.value
        if r.action in (Action.REFUSED, Action.FAILED) and r.status in (Status.MISMATCH, Status.ERROR):
            label = f"{r.action} ({r.status.value})"
        key = f" (key '{r.kid}')" if r.kid and r.status is Status.OK and f"'{r.kid}'" not in r.message else ""
        lines = [f"{where}: {label}: {r.message}{key}"]
        for diff in r.fields:
            at = f"{r.path}:{diff.line}" if diff.line is not None else r.path
            lines.append(f"  {at}: {_describe_diff(diff)}")
        lines.extend(f"  warning: {warning}" for warning in r.warnings)
        if self.verbose or r.status is not Status.OK:
            lines.extend(f"  note: {note}" for note in r.notes)
        if r.hint and (r.status is not Status.OK or r.action == Action.REFUSED):
            lines.extend(f"  hint: {line}" for line in r.hint.split("\n"))
        # Names, key ids, field names and values come from the files: no control character of
        # theirs reaches the terminal (see securedoc.escape).
        self.out.write("\n".join(esc.terminal(line) for line in lines) + "\n")

    def notice(self, path: str, message: str) -> None:
        self.out.write(esc.terminal(f"{path}: trust: {message}") + "\n")


class JsonRenderer(Renderer):
    """One JSON object per file and line (JSON Lines)."""

    def report(self, r: Report) -> None:
        line = json.dumps(_json_clean(report_json(r)), ensure_ascii=False, separators=(",", ":"))
        # JSON allows U+2028, U+2029 and U+0085 raw inside strings, but line-splitting readers
        # (Python's splitlines, JavaScript) would cut the object there: escape them.
        self.out.write(line.translate(_LINE_BREAKS) + "\n")

    def notice(self, path: str, message: str) -> None:
        obj = _json_clean({"path": path, "status": "trust", "message": message})
        self.out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")


_LINE_BREAKS = {0x2028: "\\u2028", 0x2029: "\\u2029", 0x85: "\\u0085"}


def _json_clean(value: Any) -> Any:
    """Strings that encode as UTF-8 (file names with bytes that are not UTF-8), recursively."""
    if isinstance(value, str):
        return esc.unicode_clean(value)
    if isinstance(value, dict):
        return {esc.unicode_clean(str(k)): _json_clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_clean(v) for v in value]
    return value


_gh_data = esc.github_data
_gh_prop = esc.github_property


class GithubRenderer(Renderer):
    """GitHub Actions workflow commands: one annotation per differing field, at its line."""

    def _emit(self, level: str, path: str, line: int | None, title: str, message: str) -> None:
        props = f"file={_gh_prop(path)}"
        if line is not None:
            props += f",line={line}"
        props += f",title={_gh_prop(title)}"
        self.out.write(f"::{level} {props}::{_gh_data(message)}\n")

    def report(self, r: Report) -> None:
        if r.status is Status.MISMATCH:
            level = "error" if fails(r, self.unsealed) else "warning"
            for diff in r.fields:
                title = "securedoc: body changed" if diff.change == "body" else f"securedoc: {diff.name} changed"
                if diff.change == "missing":
                    title = f"securedoc: {diff.name} removed"
                elif diff.change == "unbound":
                    title = f"securedoc: {diff.name} not bound"
                elif diff.change == "path":
                    title = "securedoc: moved or copied"
                self._emit(level, r.path, diff.line, title, _describe_diff(diff) + (f" ({r.hint})" if r.hint else ""))
            if not r.fields:  # seal over a seal that did not verify: the report says what it replaced
                self._emit(level, r.path, r.line, f"securedoc: {r.action or 'mismatch'}", r.message)
        elif r.status is Status.ERROR:
            self._emit(
                "error",
                r.path,
                r.line,
                f"securedoc: {r.action or 'error'}",
                r.message + (f" ({r.hint})" if r.hint else ""),
            )
            for diff in r.fields:
                self._emit("error", r.path, diff.line, f"securedoc: {diff.name}", _describe_diff(diff))
        elif r.status is Status.UNSEALED and self.unsealed != "ignore":
            level = "error" if self.unsealed == "error" and fails(r, self.unsealed) else "warning"
            self._emit(level, r.path, None, "securedoc: not sealed", r.message)
        for warning in r.warnings:
            self._emit("warning", r.path, r.line, "securedoc: warning", warning)

    def notice(self, path: str, message: str) -> None:
        self._emit("warning", path, None, "securedoc: not trusted", message)

    def finish(self, summary: Summary) -> None:
        self.out.write(f"::notice title=securedoc::{_gh_data(summary.line())}\n")
        self.out.flush()


def _xml(text: str) -> str:
    from xml.sax.saxutils import escape  # only for JUnit output: keeps start-up short

    return escape(esc.xml_text(text))


def _xml_attr(text: str) -> str:
    from xml.sax.saxutils import quoteattr

    return quoteattr(esc.xml_text(text), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


class JunitRenderer(Renderer):
    """JUnit XML: one test case per file (GitLab, Jenkins...). Cases are spooled to a temporary file."""

    def __init__(self, out: IO[str], **kwargs: Any) -> None:
        super().__init__(out, **kwargs)
        import tempfile

        self._cases: IO[str] = tempfile.SpooledTemporaryFile(max_size=4 << 20, mode="w+", encoding="utf-8")
        self._failures = 0
        self._errors = 0
        self._skipped = 0
        self._notices = 0
        self._follow_ups = 0

    def notice(self, path: str, message: str) -> None:
        name = _xml_attr(path)
        self._notices += 1
        self._cases.write(
            f'  <testcase classname="securedoc.trust" name={name} file={name}>\n'
            f"    <system-out>{_xml('trust: ' + message)}</system-out>\n  </testcase>\n"
        )

    def report(self, r: Report) -> None:
        name = _xml_attr(r.path)
        case = f'  <testcase classname="securedoc" name={name} file={name}>'
        details = "\n".join(
            [r.message]
            + [f"{r.path}:{d.line}: {_describe_diff(d)}" if d.line else _describe_diff(d) for d in r.fields]
            + [f"warning: {w}" for w in r.warnings]
            + ([f"hint: {r.hint}"] if r.hint else [])
        )
        failing = fails(r, self.unsealed)
        if r.extra.get(FOLLOW_UP) is not None:
            self._follow_ups += 1  # a second case for a file already counted
        if r.status is Status.ERROR:
            self._errors += 1
            case += f'\n    <error message={_xml_attr(r.message)} type="error">{_xml(details)}</error>\n  '
        elif failing:
            self._failures += 1
            case += (
                f'\n    <failure message={_xml_attr(r.message)} type="{r.status.value}">{_xml(details)}</failure>\n  '
            )
        elif r.status is Status.UNSEALED:
            self._skipped += 1
            case += f"\n    <skipped message={_xml_attr(r.message)}/>\n  "
        elif r.warnings:
            case += f"\n    <system-out>{_xml(details)}</system-out>\n  "
        self._cases.write(case + "</testcase>\n")

    def finish(self, summary: Summary) -> None:
        cases = summary.files + self._notices + self._follow_ups
        attrs = (
            f'name="securedoc {summary.command}" tests="{cases}" failures="{self._failures}" '
            f'errors="{self._errors}" skipped="{self._skipped}" time="{summary.elapsed:.3f}"'
        )
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.out.write(f"<testsuites {attrs}>\n <testsuite {attrs}>\n")
        self._cases.seek(0)
        while True:
            chunk = self._cases.read(1 << 16)
            if not chunk:
                break
            self.out.write(chunk)
        self._cases.close()
        self.out.write(" </testsuite>\n</testsuites>\n")
        self.out.flush()


def make_renderer(fmt: str, out: IO[str], *, unsealed: UnsealedPolicy = "error", verbose: bool = False) -> Renderer:
    classes: dict[str, type[Renderer]] = {
        "text": TextRenderer,
        "json": JsonRenderer,
        "github": GithubRenderer,
        "junit": JunitRenderer,
    }
    return classes[fmt](out, unsealed=unsealed, verbose=verbose)

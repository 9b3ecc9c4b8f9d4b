"""Jekyll (Ruby's Psych, YAML 1.1) as a test oracle: what does Jekyll read from these articles?

One persistent `ruby` process loads the installed Jekyll and answers JSON lines: for each article
it splits the front matter with Jekyll's own `Document::YAML_FRONT_MATTER_REGEXP`, reads it with
Jekyll's own `Utils.safe_load_yaml` (Psych.safe_load with Date and Time permitted, aliases on),
and renders the body with the site's Markdown converter (kramdown, GFM, as `jekyll build` does).
Many articles cost one process start (about a second), not one each.

Values come back typed, so that `yes` (true for Psych) and `"yes"` never look alike:

* strings, integers, true/false/nil: themselves;
* Float: ``{"$": "float", "v": Ruby's to_s}``; Date: ``{"$": "date", "v": "YYYY-MM-DD"}``;
  Time: ``{"$": "time", "v": ISO 8601 with nanoseconds and offset}``;
  a binary (ASCII-8BIT) string: ``{"$": "binary", "v": base64}``; Symbol: ``{"$": "sym", "v": name}``;
* a Hash: ``{"$": "map", "v": [[key, value], ...]}`` in Psych's order (keys are typed values too);
* anything else: ``{"$": "other", "class": name, "v": inspect}``.

`require_jekyll()` skips the calling test with a reason where ruby or jekyll is absent on a
developer's machine, and fails it under CI (CI set), where `.ci/run` installs both.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from conftest import unavailable

__all__ = ["JekyllPage", "Psych", "require_jekyll", "read_all"]

_SCRIPT = r"""
$stdout.sync = true
require "json"
require "base64"
require "date"
require "jekyll"

Jekyll.logger.log_level = :error
config = Jekyll.configuration("quiet" => true, "source" => Dir.pwd, "destination" => File.join(Dir.pwd, "_site"))
site = Jekyll::Site.new(config)
markdown = site.find_converter_instance(Jekyll::Converters::Markdown)

def typed(value)
  case value
  when Hash then { "$" => "map", "v" => value.map { |k, v| [typed(k), typed(v)] } }
  when Array then value.map { |v| typed(v) }
  when String
    if value.encoding == Encoding::ASCII_8BIT
      { "$" => "binary", "v" => Base64.strict_encode64(value) }
    else
      value
    end
  when Integer, true, false, nil then value
  when Float then { "$" => "float", "v" => value.to_s }
  when Symbol then { "$" => "sym", "v" => value.to_s }
  when DateTime then { "$" => "other", "class" => "DateTime", "v" => value.iso8601(9) }
  when Date then { "$" => "date", "v" => value.iso8601 }
  when Time then { "$" => "time", "v" => value.iso8601(9) }
  else { "$" => "other", "class" => value.class.name, "v" => value.inspect }
  end
end

$stdin.each_line do |line|
  request = JSON.parse(line)
  text = request["text"].sub(/\A\uFEFF/, "")  # Jekyll reads files as "bom|utf-8"
  answer = { "id" => request["id"] }
  begin
    if text =~ Jekyll::Document::YAML_FRONT_MATTER_REGEXP
      front, body = Regexp.last_match(1), Regexp.last_match.post_match
      data = Jekyll::Utils.safe_load_yaml(front)
      answer["front_matter"] = true
      answer["data"] = typed(data)
      answer["title"] = data.is_a?(Hash) ? typed(data["title"]) : nil
    else
      body = text
      answer["front_matter"] = false
      answer["data"] = nil
      answer["title"] = nil
    end
    answer["body"] = body
    answer["content"] = request["render"] ? markdown.convert(body) : nil
  rescue StandardError, Psych::Exception => e
    answer["error"] = "#{e.class}: #{e.message}"
  end
  puts JSON.generate(answer)
end
"""


@dataclass(frozen=True)
class JekyllPage:
    """What Jekyll reads from one article: typed front matter values, the body, its HTML."""

    front_matter: bool  # Jekyll's regular expression found a front matter block
    data: Any  # the typed value of the front matter (normally a {"$": "map"} object), None without
    title: Any
    body: str  # the text after the front matter, as Jekyll passes it to the converter
    content: str | None  # the rendered HTML (when asked for)
    error: str | None = None  # Psych or Jekyll refused the article (the message)

    def fields(self) -> dict[Any, Any]:
        """The top-level fields as {typed key (JSON text for non-strings): typed value}."""
        if not isinstance(self.data, dict) or self.data.get("$") != "map":
            return {}
        return {k if isinstance(k, str) else json.dumps(k, sort_keys=True): v for k, v in self.data["v"]}


def ruby_and_jekyll() -> str | None:
    """The `ruby` executable when both it and Jekyll are installed, else None."""
    ruby = shutil.which("ruby")
    if ruby is None:
        return None
    found = subprocess.run([ruby, "-e", 'require "jekyll"'], capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    return ruby if found.returncode == 0 else None


def require_jekyll() -> str:
    """The ruby executable, or skip (developer machine) / fail (CI) with a reason."""
    found = ruby_and_jekyll()
    if found is None:
        reason = "ruby with Jekyll is not installed (Debian: `apt-get install ruby jekyll`; .ci/run does it)"
        unavailable(reason, "CI must run the Psych/Jekyll oracle tests")
    return found


class Psych:
    """A persistent ruby process reading articles the way Jekyll does. Use as a context manager."""

    def __init__(self, ruby: str | None = None, cwd: str | None = None) -> None:
        exe = ruby or require_jekyll()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JEKYLL", "RUBY", "GEM"))}
        env["LANG"] = env["LC_ALL"] = "C.UTF-8"
        # Jekyll reads _config.yml from its source folder: give it an empty one of its own.
        self._tmp = tempfile.TemporaryDirectory(prefix="securedoc-jekyll-") if cwd is None else None
        self._proc = subprocess.Popen(
            [exe, "-E", "UTF-8:UTF-8", "-e", _SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=cwd if self._tmp is None else self._tmp.name,
        )
        self._next = 0

    def __enter__(self) -> Psych:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck ruby
                self._proc.kill()
                self._proc.wait()
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def read_many(self, texts: Iterable[str | bytes], *, render: bool = False) -> list[JekyllPage]:
        """Read every article (all requests are sent before the answers are read: one round trip)."""
        items = [t.decode("utf-8") if isinstance(t, bytes) else t for t in texts]
        assert self._proc.stdin is not None and self._proc.stdout is not None
        first = self._next
        # Write and read in turns of a bounded size, so neither pipe fills up and blocks.
        results: list[JekyllPage] = []
        chunk = 200
        for start in range(0, len(items), chunk):
            part = items[start : start + chunk]
            for offset, text in enumerate(part):
                request = {"id": first + start + offset, "text": text, "render": render}
                self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
            for _ in part:
                line = self._proc.stdout.readline()
                if not line:
                    error = self._proc.stderr.read() if self._proc.stderr else ""
                    raise RuntimeError(f"the ruby oracle stopped: {error[-2000:]}")
                answer = json.loads(line)
                results.append(
                    JekyllPage(
                        front_matter=bool(answer.get("front_matter")),
                        data=answer.get("data"),
                        title=answer.get("title"),
                        body=answer.get("body", ""),
                        content=answer.get("content"),
                        error=answer.get("error"),
                    )
                )
        self._next = first + len(items)
        return results

    def read(self, text: str | bytes, *, render: bool = False) -> JekyllPage:
        return self.read_many([text], render=render)[0]


def read_all(texts: Mapping[str, str | bytes], *, render: bool = False) -> dict[str, JekyllPage]:
    """One process for a batch: {name: article} -> {name: JekyllPage}."""
    with Psych() as oracle:
        pages = oracle.read_many(texts.values(), render=render)
    return dict(zip(texts, pages, strict=True))

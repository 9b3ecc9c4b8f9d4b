"""Differential tests against the real Hugo for TOML front matter: whenever securedoc says a changed
article still verifies, Hugo must publish the sealed fields, title and content exactly as it
published the sealed original."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from oracles.hugo import build, require_hugo
from test_toml import RING, sealed
from toml_strategies import TomlArticle, toml_articles

from securedoc.document import parse
from securedoc.errors import SecuredocError
from securedoc.models import Status
from securedoc.verify import verify_document


def _mutate(data: bytes, names: tuple[str, ...], kind: str, pick: int) -> bytes:
    """A change an author, an editor or an attacker might make to a sealed TOML article."""
    head, sep, rest = data.partition(b"+++")
    newline = b"\r\n" if b"\r\n" in data else b"\n"
    first_line_end = rest.index(b"\n") + 1
    front = rest[first_line_end:]
    opening = head + sep + rest[:first_line_end]
    name = names[pick % len(names)].encode() if names else b"title"
    if kind == "case":  # a key Hugo folds into a sealed one
        return opening + name.capitalize() + b' = "Evil"' + newline + front
    if kind == "params":  # Hugo merges [params] over the page's fields
        close = front.index(b"+++")
        return opening + front[:close] + b"[params]" + newline + name + b' = "Evil"' + newline + front[close:]
    if kind == "line-endings":
        flipped = data.replace(b"\r\n", b"\n")
        return flipped.replace(b"\n", b"\r\n") if flipped == data else flipped
    if kind == "comment":  # a comment and a blank line before the first field
        return opening + b"# edited" + newline + newline + front
    if kind == "spacing":  # blanks around the first `=`
        return data.replace(b" = ", b"   =\t", 1)
    if kind == "quotes":  # a basic string becomes a literal one (same text when it has no escapes)
        at = data.find(b'= "')
        end = data.find(b'"', at + 3)
        if at < 0 or b"\\" in data[at:end] or b"'" in data[at:end] or b"\n" in data[at:end]:
            return data
        return data[:at] + b"= '" + data[at + 3 : end] + b"'" + data[end + 1 :]
    if kind == "digit":  # one digit of the front matter changes
        close = data.index(b"+++", len(opening))
        for index in range(len(opening), close):
            if data[index : index + 1].isdigit():
                digit = str((int(data[index : index + 1]) + 1) % 10).encode()
                return data[:index] + digit + data[index + 1 :]
        return data
    if kind == "plus-line":  # a line that starts with +++ inside the front matter
        return opening + b"+++x = 1" + newline + front
    raise AssertionError(kind)


MUTATIONS = ["case", "params", "line-endings", "comment", "spacing", "quotes", "digit", "plus-line"]


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(toml_articles(hugo=True), st.sampled_from(MUTATIONS), st.integers(0, 10)), max_size=10))
def test_what_verifies_is_what_hugo_publishes(cases: list[tuple[TomlArticle, str, int]]) -> None:
    require_hugo()
    pages: dict[str, bytes] = {}
    checks: list[tuple[str, str, tuple[str, ...]]] = []
    for index, (article, kind, pick) in enumerate(cases):
        original = sealed(article.data)
        changed = _mutate(original, article.names, kind, pick)
        try:
            report = verify_document(parse(changed), RING)
        except SecuredocError:
            continue  # refused: nothing is vouched for
        if report.status is not Status.OK:
            continue
        pages[f"a{index}.md"] = original
        pages[f"b{index}.md"] = changed
        checks.append((f"a{index}.md", f"b{index}.md", article.names))
    if not checks:
        return
    published = build(pages)
    for sealed_name, changed_name, names in checks:
        old, new = published[sealed_name], published[changed_name]
        bound = {name.lower() for name in names} | {"secured"}
        assert new.title == old.title, (pages[sealed_name], pages[changed_name])
        assert new.content == old.content, (pages[sealed_name], pages[changed_name])
        assert {k: v for k, v in new.params.items() if k in bound} == {
            k: v for k, v in old.params.items() if k in bound
        }, (pages[sealed_name], pages[changed_name])


def test_the_issue_attacks_on_toml_are_refused_or_mismatch() -> None:
    """The attacks of issue 10, written in TOML: none of them verifies."""
    original = sealed(b'+++\ntitle = "Sealed"\ndraft = false\nwhen = 07:32:00.123456\n+++\nText.\n')
    attacks = {
        "case-folded key": original.replace(b"draft = false", b"draft = false\nDraft = true"),
        "params shadowing": original.replace(b"\n+++\nText", b'\n[params]\ntitle = "Evil"\n+++\nText'),
        "nanoseconds": original.replace(b"123456", b"1234561"),
        "early close": original.replace(b"draft = false", b"+++ \ndraft = false"),
        "changed value": original.replace(b"draft = false", b"draft = true"),
        "as YAML": original.replace(b"+++", b"---").replace(b" = ", b": "),
    }
    for name, data in attacks.items():
        try:
            status = verify_document(parse(data), RING).status
        except SecuredocError:
            continue
        assert status is not Status.OK, name


def _hugo_view(value: object) -> object:
    """A canonical value as Hugo's params show it through jsonify (for comparing, not for binding):
    keys lower-cased, floats that are integers as integers, date-times as naive UTC instants,
    dates and times as their text."""
    if isinstance(value, list):
        return [_hugo_view(item) for item in value]
    if isinstance(value, dict):
        tag = value.get("$")
        if tag is None:
            return {str(k).lower(): _hugo_view(v) for k, v in value.items()}
        text = str(value["v"])
        if tag == "float":
            number = float(text)
            return int(number) if number.is_integer() and abs(number) < 2**53 else number
        if tag == "timestamp":
            return _instant(text)
        return text
    return value


def _instant(text: str) -> object:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _published_view(value: object) -> object:
    if isinstance(value, str):
        return _instant(value) if "T" in value and len(value) >= 19 and value[:4].isdigit() else value
    if isinstance(value, list):
        return [_published_view(item) for item in value]
    if isinstance(value, dict):
        return {k: _published_view(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


FIXED = [
    b'+++\n"a.b".c = 1\nd . e = "spaced"\nf."g h" = true\n+++\n',
    b"+++\nx = \"\"\"\r\nA\r\nB\"\"\"\r\ny = '''\r\nC'''\r\n+++\r\n",
    b"+++\n[fruit]\napple.color = 'red'\n[fruit.apple.texture]\nsmooth = true\n+++\n",
    b"+++\nt = 1979-05-27T07:32:00.123456+05:30\nl = 1979-05-27t07:32:00\n+++\n",
]


@settings(max_examples=6, deadline=None)
@given(st.lists(toml_articles(hugo=True), min_size=10, max_size=40))
def test_securedoc_and_hugo_read_the_same_toml_values(articles: list[TomlArticle]) -> None:
    """Whatever securedoc binds for a TOML field is what Hugo reads for it (CRLF in multi-line
    strings included); fields Hugo derives itself (title, date, draft) are left out."""
    require_hugo()
    pages = {f"p{i}.md": article.data for i, article in enumerate(articles)}
    pages.update({f"fixed{i}.md": data for i, data in enumerate(FIXED)})
    published = build(pages)
    for name, data in pages.items():
        params = published[name].params
        for entry in parse(data).entries:
            if entry.name in ("title", "date", "draft"):
                continue
            assert _published_view(params[entry.name.lower()]) == _hugo_view(entry.value), (name, entry.name, data)

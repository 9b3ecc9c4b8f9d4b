"""The canonical form: reformatting a value is not a change; a different value is."""

from __future__ import annotations

import math
import re

import pytest
from conftest import CORPUS
from hypothesis import given
from hypothesis import strategies as st
from strategies import Generated, articles

from securedoc.canonical import dumps, from_json, plain, to_python
from securedoc.document import parse
from securedoc.errors import DocumentError


def fm(text: str) -> dict[str, str]:
    """Canonical JSON text of each top-level field of a front matter."""
    doc = parse(("---\n" + text + "\n---\n").encode("utf-8"))
    return {e.name: dumps(e.value) for e in doc.entries}


def canon(value_yaml: str) -> str:
    return fm("x: " + value_yaml)["x"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("hello", '"hello"'),
        ("hello", "'hello'"),
        ('"it\'s"', "'it''s'"),
        ('"a\\u00e9"', "aé"),
        ("null", "~"),
        ("null", ""),
        ("[1, 2]", "\n  - 1\n  - 2"),
        ("{a: 1, b: 2}", "\n  b: 2\n  a: 1"),
        ("2020-08-15", "!!timestamp 2020-8-15"),
        ("|\n  line one\n  line two\n", '"line one\\nline two\\n"'),
        (">-\n  folded\n  text\n", "folded text"),
        ("!!str 1", '"1"'),
        ("!!float 1", "1.0"),
        ("!!str yes", '"yes"'),
        ("!!bool yes", "true"),
        ("10 ways to win", '"10 ways to win"'),
        ("y", '"y"'),  # a string for PyYAML, Psych and Hugo (only the YAML 1.1 spec says boolean)
        ("Title:with colon", '"Title:with colon"'),
    ],
)
def test_reformatting_is_not_a_change(a: str, b: str) -> None:
    assert canon(a) == canon(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("16", "0x10"),
        ("10", "012"),  # YAML 1.1 octal: 10 for PyYAML, Psych and Hugo; 12 for YAML 1.2
        ("1000", "1_000"),
        ("1000", "1,000"),  # an integer for Psych, a string for PyYAML and Hugo
        ("4800", "1:20:00"),  # base 60 for YAML 1.1, a string for Hugo
        ("true", "True"),
        ("true", "yes"),  # true for YAML 1.1 readers, the string "yes" for Hugo
        ("true", "on"),
        ("false", "off"),
        ('"0o12"', "0o12"),  # a string for PyYAML and Psych, 10 for Hugo
        ('"1e3"', "1e3"),
        ('"1.0e10"', "1.0e10"),  # a string for YAML 1.1, a float for Hugo
        ('"TrUe"', "TrUe"),  # true for Psych
        ('":sym"', ":sym"),  # a Ruby symbol for Psych
        ("null", "NULL"),
        ("1.5", "1.50"),
        ("1.5", "0.15e+1"),
        ("!!float .nan", ".nan"),
        ("!!float .inf", "+.inf"),
        ("2020-08-15T08:19:00Z", "2020-08-15 08:19:00 +00:00"),
        ("2020-08-15T08:19:00Z", "2020-08-15T08:19:00+00:00"),
        ("2020-08-15T08:19:00Z", "2020-08-15t08:19:00.000Z"),
        ("2020-08-15T08:19:00+02:00", "2020-08-15 8:19:00 +2"),
        ("2020-08-15", "2020-8-15"),
    ],
)
def test_a_spelling_readers_disagree_on_is_bound_by_its_text(a: str, b: str) -> None:
    """Payload format 2: equal for PyYAML, but some reader reads the two differently (or the
    second is not the one canonical spelling): the text is bound, so the change is a change."""
    assert canon(a) != canon(b)
    assert canon(b) == dumps({"$": "plain", "v": b})
    assert canon(b) == canon(b)  # unchanged, it verifies


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1", '"1"'),
        ("1", "1.0"),
        ("1", "true"),
        ("0", "false"),
        ("0.0", "-0.0"),
        ("2020-08-15T08:19:00Z", '"2020-08-15T08:19:00Z"'),
        ("2020-08-15T08:19:00Z", "2020-08-15T10:19:00+02:00"),  # same instant, different wall clock
        ("2020-08-15T08:19:00Z", "2020-08-15T08:19:00"),  # zone vs no zone
        ("2020-08-15T08:19:00.1234567Z", "2020-08-15T08:19:00.1234568Z"),  # every fraction digit counts
        ("2020-08-15", "2020-08-15T00:00:00"),
        ("[1, 2]", "[2, 1]"),
        ("null", '""'),
        ("null", "[]"),
        ("[]", "{}"),
        ("{a: 1}", "{a: '1'}"),
        ("!!binary aGVsbG8=", "aGVsbG8="),
        ("!foo bar", "bar"),
        ("!foo bar", "!bar bar"),
    ],
)
def test_a_different_value_is_a_change(a: str, b: str) -> None:
    assert canon(a) != canon(b)


def test_crlf_and_bom_do_not_change_values() -> None:
    text = "title: Hello\nlist:\n  - a\n  - b\nblock: |\n  x\n  y\n"
    lf = parse(("---\n" + text + "---\n").encode())
    crlf = parse(b"\xef\xbb\xbf" + ("---\n" + text + "---\n").replace("\n", "\r\n").encode())
    assert [dumps(e.value) for e in lf.entries] == [dumps(e.value) for e in crlf.entries]


def test_documented_forms() -> None:
    assert canon("1.5") == '{"$":"float","v":"1.5"}'
    assert canon("1e+100") == '{"$":"plain","v":"1e+100"}'  # a string for PyYAML, a float for Hugo
    assert canon("1e+100") != canon("'1e+100'")
    assert canon("!!float 1.0e+100") == '{"$":"float","v":"1e+100"}'
    assert canon("!!float .nan") == '{"$":"float","v":"nan"}'
    assert canon("!!float -.inf") == '{"$":"float","v":"-inf"}'
    assert canon("-.inf") == '{"$":"plain","v":"-.inf"}'
    assert canon("!!timestamp 2001-12-14 21:59:43.10 -5") == '{"$":"timestamp","v":"2001-12-14T21:59:43.1-05:00"}'
    assert canon("2001-12-14T21:59:43.1-05:00") == '{"$":"timestamp","v":"2001-12-14T21:59:43.1-05:00"}'
    assert canon("yes") == '{"$":"plain","v":"yes"}'
    assert canon("2020-08-15") == '{"$":"date","v":"2020-08-15"}'
    assert canon("!!binary aGVsbG8=") == '{"$":"binary","v":"aGVsbG8="}'
    assert canon("!!set {b, a}") == '{"$":"set","v":["a","b"]}'
    assert canon("!!omap [b: 1, a: 2]") == '{"$":"omap","v":[["b",1],["a",2]]}'
    assert canon("!foo [1]") == '{"$":"tag","t":"!foo","v":[1]}'
    assert canon("{b: 1, a: é}") == '{"a":"é","b":1}'
    assert canon("{1: a, '2': b, true: c}") == '{"$":"map","v":[["2","b"],[1,"a"],[true,"c"]]}'
    assert canon("{$: x}") == '{"$":"map","v":[["$","x"]]}'
    assert canon('"tab\\there\\u0001"') == '"tab\\there\\u0001"'


def test_typed_keys_never_merge() -> None:
    """In Python 1 == True; in YAML 1, true and "1" are three different keys."""
    value = canon("{1: a, true: b, '2': c}")
    assert value.count("[") - 1 == 3
    with pytest.raises(DocumentError, match="duplicate key 1"):
        canon("{1: a, !!int 0x1: b}")
    # Hugo writes keys as text: 1 and "1" are one key there, so readers would disagree.
    with pytest.raises(DocumentError, match="one key for some reader"):
        canon("{1: a, '1': c}")


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2",
        "a:\n  b: 1\n  b: 2",
        "a:\n  - {x: 1, x: 2}",
        "a:\n  - - - {deep: 1, deep: 1}",
        "a: !!set {x, x}",
        "a: !!omap [x: 1, x: 2]",
    ],
)
def test_duplicate_keys_are_errors_at_any_depth(text: str) -> None:
    with pytest.raises(DocumentError, match="duplicate key") as info:
        parse(("---\n" + text + "\n---\n").encode())
    assert info.value.line is not None and "first at line" in info.value.message


def test_merge_keys_apply_and_explicit_keys_win() -> None:
    values = fm("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3")
    assert values["use"] == '{"x":1,"y":3}'
    values = fm("a: &a {k: 1}\nb: &b {j: 2}\nuse:\n  <<: [*a, *b]")
    assert values["use"] == '{"j":2,"k":1}'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # PyYAML keeps the explicit key; Hugo and Psych apply the merge in document order.
        ("title: A\n<<: {title: B}", "which a key before it also sets"),
        ("p:\n  a: 1\n  <<: {a: 2}", "which a key before it also sets"),
        ("d: &d {title: B}\ntitle: A\n<<: *d", "which a key before it also sets"),
        ("title: A\n<<: {Title: B}", "which a key before it also sets"),
        # Psych merges a quoted "<<"; Hugo and PyYAML read a field named "<<".
        ('title: A\n"<<": {title: B}', "quoted or tagged '<<'"),
        ("title: A\n'<<': {x: 1}", "quoted or tagged '<<'"),
        ("a: &a {k: 1}\nb: &b {k: 2}\nuse:\n  <<: [*a, *b]", "two sources of one '<<' merge"),
        ("<<: {x: 1}\n<<: {y: 2}", "two '<<' merge keys"),
        ("<<: {title: B}\nTitle: A", "one key for some reader"),
    ],
)
def test_merges_readers_apply_differently_are_refused(text: str, message: str) -> None:
    with pytest.raises(DocumentError, match=re.escape(message)):
        fm(text)


def test_merges_readers_agree_on_still_work() -> None:
    assert fm("<<: {title: B, x: 1}\ntitle: A")["title"] == '"A"'  # explicit after the merge wins everywhere
    assert fm("base: &b {layout: post}\n<<: *b\ntitle: T")["layout"] == '"post"'


@pytest.mark.parametrize(
    "text",
    [
        "title: A\n!foo title: B",  # Hugo and Psych ignore the tag
        "title: A\n!!binary dGl0bGU=: B",  # Psych decodes the key to "title"
        "title: A\nTitle: B",  # Hugo lower-cases keys
        "title: A\nTITLE: B",
        "title: A\nt\u0130tle: B",  # Go's ToLower (Hugo) makes U+0130 a plain i
        "p:\n  Name: a\n  name: b",  # at any depth
        "1: a\n'1': b",  # Hugo writes keys as text
        "3: a\n3.0: b",
        "10: a\n012: b",  # 012 is 10 for YAML 1.1 readers and Hugo
        "yes: a\non: b",  # both true for Psych
    ],
)
def test_keys_a_reader_folds_together_are_refused(text: str) -> None:
    with pytest.raises(DocumentError, match="one key for some reader") as info:
        fm(text)
    assert info.value.line is not None and "first at line" in info.value.message


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    with pytest.raises(DocumentError, match="alias"):
        parse(("---\n" + "\n".join(lines) + "\n---\n").encode())


def test_recursive_alias_is_an_error() -> None:
    with pytest.raises(DocumentError, match="recursive"):
        parse(b"---\na: &a [*a]\n---\n")


def test_bad_timestamp_is_an_error_with_a_line() -> None:
    with pytest.raises(DocumentError) as info:
        parse(b"---\ntitle: x\nwhen: 2020-02-30\n---\n")
    assert info.value.line == 3 and "not a valid date" in info.value.message


def test_nan_is_equal_to_itself() -> None:
    assert canon(".nan") == canon(".nan")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_plain_of_from_json_is_stable(value: object) -> None:
    once = plain(from_json(value))
    assert plain(from_json(once)) == once


@given(st.floats())
def test_float_text_round_trips(number: float) -> None:
    text = canon(f"!!float {number!r}".replace("nan", ".nan").replace("inf", ".inf"))
    back = to_python(__import__("json").loads(text))
    assert (math.isnan(back) and math.isnan(number)) or back == number


def _both_ways(text: str) -> tuple[object, object]:
    """Top-level entries as securedoc builds them (fast path allowed) and with general constructors."""
    import harness  # fuzz/harness.py: the same comparison the fuzzer makes

    return harness.both_ways(text)


@given(articles())
def test_fast_construction_builds_what_the_general_constructors_build(gen: Generated) -> None:
    doc = parse(gen.data)
    fast, general = _both_ways(doc.front_matter)
    assert fast == general


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: [1, 2, {c: d}]\nc: {x: y}\n",
        "a: {1: x, '1': y}\n",
        "a: {$: x}\n",
        "a: {k: 1, k: 2}\n",
        "a: !!set {x, y}\nb: !!omap [x: 1]\nc: !foo [1]\nd: !!str 12\ne: !!int '7'\n",
        "a: [yes, No, ~, null, 0x1F, 0o7, 1_000, -2, +3, 190:20:30, .5, 2020-01-02]\n",
        "a:\n  - - - deep: [true]\n",
        "a: {b: {c: {d: [1, {e: f}]}}}\n",
        "a: &x [1]\nc: {<<: {k: v}, k2: v2}\n",
        "<<: {k: v}\nk2: v2\n",
        "? complex\n: value\n",
        "a: !!binary aGVsbG8=\nb: !!timestamp 2020-1-2\n",
        "1: int key\ntrue: bool key\n'x': y\n",
    ],
)
def test_fast_construction_on_tricky_yaml(text: str) -> None:
    fast, general = _both_ways(text)
    assert fast == general


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpora/hugo-docs is not present in this checkout")
def test_fast_construction_on_the_hugo_corpus() -> None:
    for page in sorted(CORPUS.rglob("*.md")):
        doc = parse(page.read_bytes())
        fast, general = _both_ways(doc.front_matter)
        assert fast == general, page

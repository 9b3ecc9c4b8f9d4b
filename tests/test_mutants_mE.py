"""Mutation testing of securedoc.articles, second part: seal_document and hiding (`_hide_spans`,
`_hidden_text`, `_changed_by_removing`). Tests that kill the survivors of
`python tests/mutate.py articles 'seal_document*' '_hide_spans*' …` that change what a user sees or
relies on (docs/testing.md, "##### articles: seal_document, _hide_spans, …"). Through the public
functions: seal_document, restore_document, verify_document.
"""

from __future__ import annotations

import pytest
from conftest import KEY_BYTES, article

from securedoc.articles import restore_document, seal_document
from securedoc.document import Limits, parse
from securedoc.errors import UsageError
from securedoc.keys import Key, Keyring
from securedoc.models import Status
from securedoc.verify import verify_document

KEY = Key("k1", "A256GCM", KEY_BYTES)
RING = Keyring([KEY])


def without_seal(data: bytes) -> bytes:
    return b"".join(line for line in data.splitlines(keepends=True) if not line.startswith(b"secured:"))


# -- hiding next to a keep-chomped block scalar (`|+`) -------------------------------------------
# A `|+` scalar keeps the blank lines after it: removing the field after it would hand it the blank
# lines that stood after the removed text. Each run of hidden fields then takes the gap after it
# along; fields inside a run, with blank lines between them, start where the one before ended.

KEEP = article("a: |+\n  0\nb: w\n\nc: w\n\nd: w\n\ne: x\n")


@pytest.mark.parametrize(
    "names",
    [["b", "c"], ["c", "d"], ["b", "c", "d"], ["b", "d"], ["d", "c", "b"]],
    ids=["a run of two", "a run of two later", "a run of three", "two runs", "named in any order"],
)
def test_a_run_of_hidden_fields_with_blank_lines_between_them_after_a_keep_chomped_scalar(
    names: list[str],
) -> None:
    outcome = seal_document(parse(KEEP, path="a.md"), RING, hide=names)
    assert outcome.data is not None
    hidden = parse(outcome.data)
    assert hidden.get("a").value == "0\n"  # type: ignore[union-attr]  # the scalar keeps its value
    assert [e.name for e in hidden.entries] == [n for n in "abcde" if n not in names] + ["secured"]
    assert verify_document(hidden, RING).status is Status.OK
    restored = restore_document(hidden, RING).data
    assert restored is not None and without_seal(restored) == KEEP


# -- the limits a project set --------------------------------------------------------------------


def test_a_field_is_hidden_under_the_limits_the_project_raised() -> None:
    """Hiding parses the front matter without the hidden fields under the same limits the article
    was read with: a project that allows deeper nesting (limits.max_depth) can hide its fields."""
    deep = "[" * 120 + "1" + "]" * 120
    data = article(f"title: Hi\ndeep: {deep}\nsecret: x\n")
    limits = Limits(max_depth=200)
    outcome = seal_document(parse(data, path="a.md", limits=limits), RING, hide=["secret"], limits=limits)
    assert outcome.data is not None and outcome.report.notes == ("hidden: secret",)
    restored = restore_document(parse(outcome.data, limits=limits), RING, limits=limits)
    assert restored.data is not None and without_seal(restored.data) == data


# -- refusals ------------------------------------------------------------------------------------


def test_hiding_fields_that_other_fields_reach_through_an_alias_is_refused_with_what_to_do() -> None:
    data = article("a: &x 1\nb: &y 2\nc: *x\nd: *y\n")
    with pytest.raises(UsageError) as caught:
        seal_document(parse(data, path="a.md"), RING, hide=["b", "a"])
    error = caught.value
    assert error.message == "hiding a, b would change the value of (the front matter would not parse)"
    assert error.path == "a.md"
    assert error.hint == (
        "another field uses an anchor (&) in what would be hidden, through an alias (*); write that field's "
        "value out in full (no *alias) and hide again"
    )

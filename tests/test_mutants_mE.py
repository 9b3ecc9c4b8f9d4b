"""Mutation testing of securedoc.articles, second part: seal_document and hiding (`_hide_spans`,
`_hidden_text`, `_changed_by_removing`). Tests that kill the survivors of
`python tests/mutate.py articles 'seal_document*' '_hide_spans*' …` that change what a user sees or
relies on (docs/testing.md, "##### articles: seal_document, _hide_spans, …"). Through the public
functions: seal_document, restore_document, verify_document.
"""

from __future__ import annotations

import pytest
from conftest import KEY_BYTES, article

from securedoc.articles import seal_document
from securedoc.document import parse
from securedoc.errors import UsageError
from securedoc.keys import Key, Keyring

KEY = Key("k1", "A256GCM", KEY_BYTES)
RING = Keyring([KEY])


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

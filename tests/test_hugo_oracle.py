"""The Hugo oracle itself (tests/oracles/hugo.py): it must report what Hugo really publishes."""

from __future__ import annotations

import pytest
from oracles.hugo import HugoBuildError, build, build_each, shortcode_names


def test_one_build_reports_title_params_and_content_per_page() -> None:
    pages = {
        "posts/a.md": "---\ntitle: Hello\ntags: [x, y]\n---\nSome **bold** text.\n",
        "b.md": '+++\ntitle = "From TOML"\nweight = 3\n+++\nBody.\n',
        "Mixed/Case.md": "---\ntitle: Case\nurl: /\n---\nno clash with the report\n",
        "section/_index.md": "---\ntitle: A section\n---\n",
    }
    got = build(pages)
    assert set(got) == set(pages)
    assert got["posts/a.md"].title == "Hello"
    assert got["posts/a.md"].params["tags"] == ["x", "y"]
    assert got["posts/a.md"].content == "<p>Some <strong>bold</strong> text.</p>\n"
    assert got["b.md"].title == "From TOML" and got["b.md"].params["weight"] == 3
    assert got["Mixed/Case.md"].content == "<p>no clash with the report</p>\n"
    assert got["section/_index.md"].kind == "section"


def test_hugo_reads_what_the_issue_says_it_reads() -> None:
    # The reader disagreements of issue 10, seen through the oracle: Hugo folds key case (the
    # later spelling wins) and reads YAML 1.2, where `yes` is a string, not a boolean.
    got = build({"a.md": "---\ntitle: Sealed\nTitle: Evil\nflag: yes\n---\nx\n"})["a.md"]
    assert got.title == "Evil"
    assert got.params["flag"] == "yes"


def test_shortcodes_are_stubbed_and_still_show_their_arguments() -> None:
    text = '---\ntitle: t\n---\nA {{< figure src="x.png" >}} and {{% note %}}*inner*{{% /note %}}.\n'
    assert shortcode_names([text]) == {"figure", "note"}
    got = build({"a.md": text})["a.md"].content
    assert '<span data-shortcode="figure">{"src":"x.png"}</span>' in got
    assert "<em>inner</em>" in got
    changed = build({"a.md": text.replace("x.png", "y.png")})["a.md"].content
    assert changed != got


def test_escaped_shortcodes_are_not_stubbed() -> None:
    assert shortcode_names(["{{</* figure */>}} {{%/* note */%}}"]) == set()


def test_drafts_and_exact_bytes_are_built() -> None:
    got = build({"d.md": b"\xef\xbb\xbf---\r\ntitle: Draft\r\ndraft: true\r\n---\r\nx\r\n"})["d.md"]
    assert got.title == "Draft" and got.draft is True


def test_a_page_hugo_refuses_fails_the_build_and_build_each_isolates_it() -> None:
    pages = {"good.md": "---\ntitle: ok\n---\nx\n", "bad.md": "---\ntitle: [unclosed\n---\nx\n"}
    with pytest.raises(HugoBuildError) as caught:
        build(pages)
    assert "bad.md" in caught.value.output
    each = build_each(pages)
    assert isinstance(each["bad.md"], HugoBuildError)
    good = each["good.md"]
    assert not isinstance(good, HugoBuildError) and good.title == "ok"

"""guide.md escapes what comes from the data: a dataset or study name cannot inject HTML or break a table."""

import pandas as pd

from boostreg.guide import Guide, Section, Step, Table, render_markdown


def _guide(name: str) -> Guide:
    empty = pd.DataFrame()
    section = Section(
        "sizes",
        "Sizes",
        paragraphs=[f"lightgbm: the largest penalty changes the metric on {name}."],
        tables=[Table("Per dataset", ["engine", "dataset"], [["xgboost", name]])],
    )
    return Guide(
        {"xgboost": [Step(f"Tune reg_lambda on {name}.", "tunability")]},
        [section],
        {},
        empty,
        empty,
        provenance=f"10 fit records of study {name}",
    )


def test_names_from_the_data_are_escaped_in_markdown():
    md = render_markdown(_guide("<img src=x onerror=alert(1)>|a&b"))
    assert "<img" not in md and "onerror=alert(1)>" not in md
    assert md.count("&lt;img src=x onerror=alert(1)&gt;") == 4  # provenance, recipe, paragraph, table cell
    assert "| xgboost | &lt;img src=x onerror=alert(1)&gt;\\|a&amp;b |" in md  # the pipe cannot open a column
    assert '<a id="sizes"></a>' in md  # boostreg's own anchors stay HTML


def test_plain_names_are_unchanged():
    md = render_markdown(_guide("diabetes_2k"))
    assert "| xgboost | diabetes_2k |" in md and "Built from 10 fit records of study diabetes_2k." in md


def test_html_shows_inline_code_as_code_and_no_markdown_backticks():
    from boostreg.guide import render_html

    guide = _guide("<script>alert(1)</script>")
    guide.recipe["xgboost"].append(Step("Run it on your data (`boostreg recommend --data FILE`).", "proof"))
    guide.sections[0].paragraphs.append("The same protocol as `boostreg summary` on `<b>`.")
    html = render_html(guide, "boostreg guide fits.parquet")
    assert "`" not in html
    assert "(<code>boostreg recommend --data FILE</code>)" in html and "<code>boostreg summary</code>" in html
    assert "<code>&lt;b&gt;</code>" in html  # inline code is escaped like the rest
    assert "<script>" not in html and html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4
    md = render_markdown(guide)  # the Markdown keeps its backticks
    assert "(`boostreg recommend --data FILE`)" in md and "`boostreg summary`" in md

"""The typography plugin: titles are escaped before they are typogrified."""

import pytest

from plugins.typography.typography import cached_typeset, smart_text


@pytest.mark.parametrize(
    "title",
    ['<script>alert("x")</script>', "<img src=x onerror=alert(1)>", "a <b>bold</b> claim"],
)
def test_smart_text_never_emits_markup_from_the_title(title):
    result = str(smart_text(title))
    assert "<script" not in result and "<img" not in result and "<b>" not in result, result
    assert "&lt;" in result


def test_smart_text_curls_quotes():
    assert "&#8217;" in str(smart_text("OpenAI's own cookbook"))


def test_smart_text_keeps_ampersands_escaped():
    assert "&amp;" in str(smart_text("dbt & Dagster"))


def test_cached_typeset_leaves_code_alone():
    html = '<p>"quoted"</p><pre><code>x = "raw"</code></pre>'
    result = cached_typeset(html, ())
    assert '<code>x = "raw"</code>' in result
    prose = result.split("<pre>")[0]
    assert "&#8220;" in prose and "&#8221;" in prose, prose

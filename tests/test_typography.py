"""The typography plugin: titles are escaped before they are typogrified (the
`smart` filter is smart_html as Markup)."""

import pytest

from plugins.typography.typography import smart_html, typeset_html


@pytest.mark.parametrize(
    "title",
    ['<script>alert("x")</script>', "<img src=x onerror=alert(1)>", "a <b>bold</b> claim"],
)
def test_smart_text_never_emits_markup_from_the_title(title):
    result = smart_html(title)
    assert "<script" not in result and "<img" not in result and "<b>" not in result, result
    assert "&lt;" in result


def test_smart_text_curls_quotes():
    assert "&#8217;" in smart_html("OpenAI's own cookbook")


def test_smart_text_keeps_ampersands_escaped():
    assert "&amp;" in smart_html("dbt & Dagster")


def test_typeset_html_leaves_code_alone():
    html = '<p>"quoted"</p><pre><code>x = "raw"</code></pre>'
    result = typeset_html(html, ())
    assert '<code>x = "raw"</code>' in result
    prose = result.split("<pre>")[0]
    assert "&#8220;" in prose and "&#8221;" in prose, prose


def test_typeset_html_applies_every_typogrify_filter_and_makes_dashes():
    from bs4 import BeautifulSoup

    html = '<p>"Quoted" -- &quot;x&quot; NASA &amp; co went home</p><kbd>"k"</kbd>'
    result = typeset_html(html, ["kbd"])
    soup = BeautifulSoup(result, "html.parser")
    assert soup.select_one("span.dquo"), f"initial quote not marked: {result}"
    assert soup.select_one("span.caps").get_text() == "NASA", result
    assert soup.select_one("span.amp"), f"ampersand not marked: {result}"
    assert "\u2014" in soup.p.get_text(), f"'--' did not become a dash: {result}"
    assert "\u201cx\u201d" in soup.p.get_text(), f"&quot; did not curl: {result}"
    assert "went\xa0home" in soup.p.get_text(), f"no widow control: {result}"
    assert soup.kbd.get_text() == '"k"', "an ignored tag was typeset"


def test_titles_and_summaries_are_kept_in_the_cache_for_the_next_build(tmp_path):
    """The `smart` texts of a build are typeset ahead and saved with the bodies,
    so a warm build renders without typogrifying a title again."""
    import pickle

    from sitetools.build.builder import build
    from sitetools.quality.bench import make_post, write_corpus

    content = write_corpus(tmp_path / "content", 3)
    build("pelicanconf.py", tmp_path / "out", {"PATH": str(content), "CACHE_PATH": str(tmp_path)})
    kept = pickle.loads((tmp_path / "typography.pickle").read_bytes()).values()
    title = make_post(1).text.splitlines()[0].removeprefix("Title: ")
    assert smart_html(title) in kept, "title missing from the cache"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("What I learned contributing to llm-d, a router", ["llm-d"]),
        ("An x-ray of end-to-end tests", ["x-ray", "end-to-end"]),
        ("One-line summaries and PII-safe shards", []),
        ("<b>llm-d</b>", ["llm-d"]),
    ],
)
def test_smart_text_keeps_short_hyphenated_words_on_one_line(text, kept):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(smart_html(text), "html.parser")
    assert [span.get_text() for span in soup.select("span.nowrap")] == kept
    assert soup.get_text().replace("\xa0", " ") == text, "the words themselves changed"


def test_a_title_keeps_its_last_words_breakable():
    """Headings are balanced by CSS; a no-break space made "Sample measurements"
    one word too wide for a 390 px phone, which the browser then split mid-word."""
    result = smart_html("Sample measurements")
    assert "&nbsp;" not in result and "\xa0" not in result and "&#160;" not in result, result

"""Reading time: the plugin's pure functions, and "N min read" on every article
page checked against the test's own word count of the page."""

import math
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from plugins.article_page.article_page import DEFAULTS as ALL_DEFAULTS
from plugins.article_page.article_page import (
    count_words,
    reading_minutes,
    site_options,
)
from sitetools.build.builder import load_settings

DEFAULTS = ALL_DEFAULTS["READING_TIME"]


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("", (0, 0)),
        (None, (0, 0)),
        ("<p>one two three</p>", (3, 0)),
        ("<p>one</p><p>two</p>", (2, 0)),  # block ends separate words
        ("<p>a <code>inline code</code> b</p>", (4, 0)),  # inline code is prose
        ('<pre><code>x = f(y)\nreturn "z"</code></pre>', (0, 5)),
        ('<p>see</p><div class="highlight"><pre><span></span><code>a b</code></pre></div>', (1, 2)),
        ("<p>last&nbsp;words</p>", (2, 0)),  # typogrify's no-break space still splits
    ],
)
def test_count_words(markup, expected):
    assert count_words(markup) == expected


@pytest.mark.parametrize(
    ("prose", "code", "expected"),
    [
        (0, 0, 1),  # never "0 min read"
        (1, 0, 1),
        (230, 0, 1),
        (231, 0, 2),  # rounded up
        (690, 0, 3),
        (460, 100, 3),  # 2 min of prose + 1 min of code
        (0, 150, 2),
    ],
)
def test_reading_minutes_counts_code_slower(prose, code, expected):
    assert reading_minutes(prose, code, 230, 100) == expected


def test_code_is_slower_than_prose_by_default():
    assert DEFAULTS["code_words_per_minute"] < DEFAULTS["words_per_minute"]
    words = 1000
    assert reading_minutes(0, words, **_rates(DEFAULTS)) > reading_minutes(
        words, 0, **_rates(DEFAULTS)
    )


@pytest.mark.parametrize("bad", [0, -5, "fast", None, True])
def test_bad_rates_are_reported_with_the_setting_name(bad):
    problems = site_options({"READING_TIME": {"code_words_per_minute": bad}})[1]
    assert len(problems) == 1
    assert "READING_TIME['code_words_per_minute']" in problems[0], problems
    assert repr(bad) in problems[0]


def test_settings_merge_without_mutating_user_dict():
    user = {"READING_TIME": {"words_per_minute": 200}}
    assert site_options(user)[0]["READING_TIME"] == {**DEFAULTS, "words_per_minute": 200}
    assert user == {"READING_TIME": {"words_per_minute": 200}}


def _rates(options):
    return {
        "words_per_minute": options["words_per_minute"],
        "code_words_per_minute": options["code_words_per_minute"],
    }


# -- On the built site ---------------------------------------------------------


@pytest.fixture(scope="module", params=["dev", "prod", "reader"])
def built(request, site, prod_site, reader_site):
    """The seed in dev and production, and the reader set (a post that is mostly code)."""
    return {"dev": site, "prod": prod_site, "reader": reader_site}[request.param]


def words_on_page(body):
    """The test's own count: whitespace-separated words of the rendered body,
    code blocks apart, anchor links' helper text left out."""
    body = BeautifulSoup(str(body), "html.parser")
    for anchor in body.select(".section-heading__anchor"):
        anchor.decompose()
    code = sum(len(pre.get_text().split()) for pre in body.select("pre"))
    for pre in body.select("pre"):
        pre.decompose()
    return len(body.get_text(" ").split()), code


def test_every_article_shows_a_plausible_reading_time(built, html):
    rates = {**DEFAULTS, **load_settings("pelicanconf.py").get("READING_TIME", {})}
    pages = sorted(Path(built, "posts").glob("*/index.html"))
    assert pages, "no article pages"
    for page in pages:
        soup = html(page.parent, page.name)
        where = page.parent.name
        shown = soup.select_one("article .post__meta .post__reading-time")
        assert shown is not None, f"{where}: no reading time on the meta line"
        match = re.fullmatch(r"(\d+) min read", shown.get_text(" ", strip=True))
        assert match, f"{where}: reading time reads {shown.get_text()!r}"
        minutes = int(match.group(1))

        prose, code = words_on_page(soup.select_one(".post__body"))
        # Within 2% of our own count of words, rounded up as the page promises.
        low = math.ceil(
            0.98 * (prose / rates["words_per_minute"] + code / rates["code_words_per_minute"])
        )
        high = math.ceil(
            1.02 * (prose / rates["words_per_minute"] + code / rates["code_words_per_minute"])
        )
        assert max(1, low) <= minutes <= max(1, high), (
            f"{where}: {minutes} min for {prose} words of prose and {code} of code, "
            f"expected {low}-{high}"
        )
        # And sane whatever the settings: between 100 and 400 words a minute.
        words = prose + code
        assert words / 400 <= minutes <= words / 100 + 1, f"{where}: {minutes} min, {words} words"


def test_reading_time_sits_next_to_the_date_and_nowhere_else(built, html):
    page = sorted(Path(built, "posts").glob("*/index.html"))[0]
    soup = html(page.parent, page.name)
    meta = soup.select_one("article .post__meta")
    assert meta.select_one("time[datetime]") is not None, "the date left the meta line"
    assert len(soup.find_all(string=re.compile("min read"))) == 1, "reading time shown twice"
    index = html(built, "index.html")
    assert not index.find_all(string=re.compile("min read")), "reading time on the front page"

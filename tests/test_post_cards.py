"""Unit tests for the post_cards plugin's pure functions."""

import pytest

from plugins.post_cards.post_cards import (
    DEFAULTS,
    one_line_summary,
    opening_sentences,
    plain_text,
    settings_for,
    shorten,
    tag_label,
)


@pytest.mark.parametrize(
    ("tags", "separator", "expected"),
    [
        ([], " / ", ""),
        (None, " / ", ""),
        (["llm"], " / ", "llm"),
        (["llm", "go", "devops"], " / ", "llm / go / devops"),
        (
            ["data-engineering", "kubernetes", "python"],
            " · ",
            "data-engineering · kubernetes · python",
        ),
        (["b", "a"], " / ", "b / a"),  # the author's order, not sorted
        (["llm", " ", "go"], " / ", "llm / go"),  # blank names are skipped
    ],
)
def test_tag_label(tags, separator, expected):
    assert tag_label(tags, separator) == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("", ""),
        (None, ""),
        ("<p>Plain <em>HTML</em> summary.</p>", "Plain HTML summary."),
        ("<p>Costs &amp; benefits &#8212; &ldquo;quoted&rdquo;</p>", "Costs & benefits — “quoted”"),
        ("Line one\nline  two\t\tend", "Line one line two end"),
        ("<p>First.</p><p>Second.</p>", "First. Second."),
        ("<ul><li>a</li><li>b</li></ul>", "a b"),
    ],
)
def test_plain_text(markup, expected):
    assert plain_text(markup) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short text", 50, "short text"),
        ("exactly ten", 11, "exactly ten"),
        ("one two three four five", 14, "one two three…"),
        ("one two, three four", 9, "one two…"),
        ("Supercalifragilistic", 8, "Superca…"),  # no space: hard cut
        ("anything", 0, "anything"),  # 0 means no limit
    ],
)
def test_shorten(text, limit, expected):
    result = shorten(text, limit)
    assert result == expected
    if limit:
        assert len(result) <= limit, f"{result!r} is longer than {limit}"


def test_opening_sentences_stops_after_count():
    text = "First sentence. Second one? Third! Fourth."
    assert opening_sentences(text, 2) == "First sentence. Second one?"
    assert opening_sentences(text, 1) == "First sentence."


def test_summary_metadata_wins_over_body():
    summary = "<p>The &amp; card\nsummary.</p>"
    body = "<p>Body text that must not be used.</p>"
    assert one_line_summary(summary, body, 200) == "The & card summary."


def test_missing_summary_falls_back_to_opening_sentences():
    body = "<h2>Intro</h2><p>One. Two. Three.</p><pre>code()</pre>"
    assert one_line_summary(None, body, 200, sentences=2) == "One. Two."
    assert one_line_summary(None, body, 200, sentences=5) == "One. Two. Three."
    assert one_line_summary("", "<p>One. Two. Three.</p>", 200, sentences=2) == "One. Two."


def test_long_summary_is_cut_at_a_word_with_ellipsis():
    summary = "word " * 100
    result = one_line_summary(summary, None, 40)
    assert result.endswith("…"), result
    assert len(result) <= 40
    assert "  " not in result and "\n" not in result


def test_default_limit_keeps_every_seed_summary_whole(seed):
    limit = DEFAULTS["summary_max_chars"]
    for post in seed["posts"]:
        assert one_line_summary(post["summary"], None, limit) == post["summary"], post["title"]


def test_settings_merge_without_mutating_user_dict():
    user = {"POST_CARDS": {"tag_separator": " · "}}
    merged = settings_for(user)
    assert merged["tag_separator"] == " · "
    assert merged["summary_max_chars"] == DEFAULTS["summary_max_chars"]
    assert user == {"POST_CARDS": {"tag_separator": " · "}}

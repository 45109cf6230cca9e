"""Unit tests for content_guard's pure checks, driven by plain strings."""

import pytest
from pelican.settings import DEFAULT_CONFIG
from PIL import Image

from plugins.content_guard.content_guard import (
    DEFAULTS,
    Problem,
    check_body,
    check_dates,
    check_empty,
    check_field_names,
    check_front_matter,
    check_links,
    check_required,
    check_slug,
    check_source,
    check_status,
    check_summary_length,
    check_tags,
    decode,
    duplicate_slugs,
    format_problem,
    mask_code,
    parse,
    slug_of,
)

# Pelican's own slug rules, read (never mutated) from its defaults.
SLUGS = {
    "regex_subs": DEFAULT_CONFIG["SLUG_REGEX_SUBSTITUTIONS"],
    "preserve_case": False,
    "use_unicode": False,
}
GOOD = "Title: A post\nDate: 2026-08-10 09:00\nTags: a, b\nSummary: One line.\n\nThe body.\n"


def fields(problems):
    return [(p.line, p.field) for p in problems]


def test_parse_gives_fields_with_lines_and_the_body_line():
    source = parse("Title: A\nTags: a,\n    b\nDate: 2026-01-01\n\nBody here\n")
    assert [(f.name, f.line) for f in source.fields] == [("title", 1), ("tags", 2), ("date", 4)]
    assert source.get("tags").value == "a,\nb"
    assert source.body.strip() == "Body here"
    assert source.body_line == 6


def test_parse_stops_the_header_at_a_line_that_is_not_a_field():
    source = parse("Title: A\nnot a field\nDate: x\n")
    assert [f.name for f in source.fields] == ["title"]
    assert source.body.startswith("not a field")
    assert source.body_line == 2


@pytest.mark.parametrize(
    ("raw", "line", "column"),
    [
        ("Title: Café\n".encode("latin-1"), 1, 11),
        (b"Title: ok\nDate: 2026-01-01\n\nna\xefve\n", 4, 3),
    ],
)
def test_decode_names_line_and_column_of_the_first_bad_byte(raw, line, column):
    text, problems = decode(raw)
    assert text is None
    assert fields(problems) == [(line, "encoding")]
    assert f"column {column}" in problems[0].message
    assert "UTF-8" in problems[0].message


def test_decode_accepts_utf8_with_a_byte_order_mark():
    text, problems = decode("\ufeffTitle: Café\n".encode())
    assert problems == [] and text == "Title: Café\n"


@pytest.mark.parametrize("text", ["", "  \n\n\t\n"])
def test_empty_file(text):
    assert fields(check_empty(text)) == [(1, "file")]


def test_yaml_front_matter_is_reported_at_its_first_line():
    source = parse("---\ntitle: A\ndate: 2026-01-01\n---\n\nBody\n")
    problems = check_front_matter(source)
    assert fields(problems) == [(1, "header")]
    assert "Key: value" in problems[0].message
    assert check_front_matter(parse(GOOD)) == []


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("Tag", '"Tags"'), ("Titel", '"Title"'), ("Sumary", '"Summary"'), ("Modifed", '"Modified"')],
)
def test_unknown_field_suggests_the_near_miss(key, suggestion):
    source = parse(f"Title: A\n{key}: x\n\nBody\n")
    problems = check_field_names(source, DEFAULTS["allowed_fields"])
    assert fields(problems) == [(2, key)]
    assert f"did you mean {suggestion}?" in problems[0].message


def test_unknown_field_far_from_any_lists_the_allowed_ones():
    problems = check_field_names(parse("Zzyzx: 1\n\nBody\n"), ["title", "date"])
    assert "did you mean" not in problems[0].message
    assert "Title, Date" in problems[0].message


def test_required_fields_missing_or_empty():
    source = parse("Title:   \nTags: a\n\nBody\n")
    problems = check_required(source, ["title", "date", "tags"])
    assert fields(problems) == [(1, "Title"), (1, "Date")]
    assert "empty" in problems[0].message and "missing" in problems[1].message


def test_a_misspelled_required_key_is_reported_once():
    raw = b"Title: A\nDate: 2026-01-01\nTag: x\n\nBody\n"
    checked = check_source(raw, "article", "a.md", ".", options())
    assert fields(checked.problems) == [(3, "Tag")]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Date: 2026-08-10 09:00", []),
        ("Date: 2026-02-30", [(1, "Date")]),
        ("Date: next tuesday-ish", [(1, "Date")]),
        ("Date: 2026-08-10\nModified: 2026-08-09", [(2, "Modified")]),
        ("Date: 2026-08-10\nModified: 2026-08-11", []),
        ("Date: 2026-08-10\nModified: soon", [(2, "Modified")]),
    ],
)
def test_dates(header, expected):
    assert fields(check_dates(parse(header + "\n\nBody\n"))) == expected


@pytest.mark.parametrize(
    ("value", "ok"), [("draft", True), ("Published", True), ("hidden", True), ("pubished", False)]
)
def test_status(value, ok):
    problems = check_status(parse(f"Status: {value}\n\nBody\n"), DEFAULTS["statuses"])
    assert (problems == []) is ok


@pytest.mark.parametrize(
    ("value", "count"),
    [("a, b", 0), ("a, , b", 1), ("a,", 1), (",a", 1), ("a, !!!", 1), ("a,\n    b", 0)],
)
def test_tags_with_empty_or_unlinkable_entries(value, count):
    problems = check_tags(parse(f"Tags: {value}\n\nBody\n"), SLUGS)
    assert len(problems) == count, problems
    assert all(p.field == "Tags" and p.line == 1 for p in problems)


@pytest.mark.parametrize(
    ("header", "slug", "line", "where"),
    [
        ("Title: Hello, World!", "hello-world", 1, "Title"),
        ("Title: !!!", "", 1, "Title"),
        ("Title: A\nSlug: my-post", "my-post", 2, "Slug"),
    ],
)
def test_slug_comes_from_slug_or_title(header, slug, line, where):
    assert slug_of(parse(header + "\n\nBody\n"), "x.md", SLUGS) == (slug, line, where)


@pytest.mark.parametrize(
    ("slug", "where", "ok"),
    [("my-post", "Slug", True), ("", "Title", False), ("My Post", "Slug", False)],
)
def test_check_slug(slug, where, ok):
    assert (check_slug(slug, 3, where) == []) is ok


def test_duplicate_slug_names_both_files():
    lines = duplicate_slugs(
        [
            ("article", "en", "same", "posts/a.md", 4, "Slug"),
            ("article", "en", "same", "posts/b.md", 5, "Slug"),
            ("page", "en", "same", "pages/c.md", 2, "Slug"),
            ("article", "de", "same", "posts/a-de.md", 3, "Slug"),
        ]
    )
    assert len(lines) == 1, lines
    assert lines[0].startswith("posts/b.md:5: Slug: ")
    assert "posts/a.md:4" in lines[0]


def test_empty_body_is_an_error_for_a_published_post_only():
    source = parse("Title: A\nDate: 2026-01-01\n\n\n")
    assert fields(check_body(source, "article", "published")) == [(3, "body")]
    assert check_body(source, "article", "draft") == []
    assert check_body(source, "page", "published") == []


def test_mask_code_blanks_fenced_indented_and_inline_code_only():
    text = (
        "Text <b>\n"
        "\n"
        "```html\n"
        "<script>fenced</script>\n"
        "```\n"
        "\n"
        "    <script>indented</script>\n"
        "\n"
        "- item\n"
        "\n"
        "    <script>list continuation</script>\n"
        "\n"
        "Inline `<script>` and ``a ` <script>`` end <i>\n"
    )
    masked = mask_code(text)
    assert len(masked) == len(text) and masked.count("\n") == text.count("\n")
    assert "fenced" not in masked and "indented" not in masked
    assert "list continuation" in masked, "a list item's indented paragraph is not code"
    assert masked.count("<script>") == 1
    assert "<b>" in masked and "<i>" in masked


def test_links_to_missing_files_name_the_line(tmp_path):
    (tmp_path / "posts").mkdir()
    (tmp_path / "images").mkdir()
    Image.new("RGB", (2, 2)).save(tmp_path / "images" / "here.png")
    (tmp_path / "posts" / "other.md").write_text("x")
    source = parse(
        "Title: A\n\n"
        "[ok]({filename}other.md#part) ![ok]({static}/images/here.png)\n"
        "[gone]({filename}gone.md)\n"
        "![gone]({static}../images/missing.png)\n"
        '<a href="{attach}/files/x.pdf">x</a>\n'
        "`{filename}in-code.md`\n"
    )
    problems = check_links(source, tmp_path / "posts" / "a.md", tmp_path)
    assert fields(problems) == [(4, "body"), (5, "body"), (6, "body")]
    assert "{filename}gone.md" in problems[0].message
    assert "{static}../images/missing.png" in problems[1].message


def test_summary_over_the_card_limit_is_reported():
    long = "word " * 80
    assert fields(check_summary_length(parse(f"Summary: {long}\n\nx\n"), 320)) == [(1, "Summary")]
    assert check_summary_length(parse("Summary: [short](http://a.test/long/url)\n\nx\n"), 10) == []


def test_format_problem_is_path_line_field_message():
    line = format_problem("content/posts/a.md", Problem(3, "Tags", "bad; fix it"))
    assert line == "content/posts/a.md:3: Tags: bad; fix it"


def options(**extra):
    return {
        **DEFAULTS,
        "slug_options": SLUGS,
        "slugify_source": "title",
        "summary_max_chars": 320,
        **extra,
    }


def test_check_source_on_a_good_post_finds_nothing(tmp_path):
    checked = check_source(GOOD.encode(), "article", tmp_path / "a.md", tmp_path, options())
    assert checked.problems == [] and checked.warnings == []
    assert checked.slug == ("a-post", 1, "Title")


def test_check_source_collects_every_problem_of_a_file(tmp_path):
    raw = b"Title: A\nDate: 2026-13-01\nTag: x\nStatus: gone\n\n[x]({filename}gone.md)\n"
    checked = check_source(raw, "article", tmp_path / "a.md", tmp_path, options())
    assert fields(checked.problems) == [
        (2, "Date"),
        (3, "Tag"),
        (4, "Status"),
        (6, "body"),
    ]

"""content_guard's checks of one source, driven by plain strings, and of a
content folder on disk (a source checked again reports what is there now)."""

import shutil
from pathlib import Path

import pytest
from pelican.settings import DEFAULT_CONFIG
from PIL import Image

from plugins.content_guard.content_guard import (
    DEFAULTS,
    Problem,
    check_site,
    decode,
    duplicate_slugs,
    format_problem,
    linked_file_problems,
    mask_code,
    options_for,
    parse,
    read_source,
)
from sitetools.build.builder import load_settings
from tests.conftest import DATA

# Pelican's own slug rules, read (never mutated) from its defaults.
SLUGS = {
    "regex_subs": DEFAULT_CONFIG["SLUG_REGEX_SUBSTITUTIONS"],
    "preserve_case": False,
    "use_unicode": False,
}
GOOD = "Title: A post\nDate: 2026-08-10 09:00\nTags: a, b\nSummary: One line.\n\nThe body.\n"


def options(**extra):
    return {**DEFAULTS, "slug_options": SLUGS, "slugify_source": "title", **extra}


def check(text, kind="page", path="a.md", root=".", **extra):
    """Every problem of one source, its linked files included, as a build finds them."""
    raw = text if isinstance(text, bytes) else text.encode()
    checked = read_source(raw, kind, Path(path), Path(root), options(**extra))
    return sorted(checked.problems + linked_file_problems(checked.links))


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
    assert fields(check(raw)) == [(line, "encoding")]


def test_decode_accepts_utf8_with_a_byte_order_mark():
    text, problems = decode("\ufeffTitle: Café\n".encode())
    assert problems == [] and text == "Title: Café\n"


@pytest.mark.parametrize("text", ["", "  \n\n\t\n"])
def test_empty_file(text):
    assert fields(check(text)) == [(1, "file")]


def test_an_upper_case_extension_and_a_control_character_stop_further_checks():
    problems = check("Tag: x\n", path="post.MD")
    assert fields(problems) == [(1, "file")] and "'post.md'" in problems[0].message
    problems = check("Title: A\n\nNUL \x00 here\n")
    assert fields(problems) == [(3, "encoding")] and "0x00 at column 5" in problems[0].message


def test_yaml_front_matter_without_its_closing_line_is_reported_at_its_first_line():
    problems = check("---\nTitle: A\nDate: 2026-01-01\nTags: a\n\nBody\n")
    assert fields(problems) == [(1, "header")]
    assert "no closing '---'" in problems[0].message


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("Tag", '"Tags"'), ("Titel", '"Title"'), ("Sumary", '"Summary"'), ("Modifed", '"Modified"')],
)
def test_unknown_field_suggests_the_near_miss(key, suggestion):
    problems = check(f"Title: A\n{key}: x\n\nBody\n")
    assert fields(problems) == [(2, key)]
    assert f"did you mean {suggestion}?" in problems[0].message


def test_unknown_field_far_from_any_lists_the_allowed_ones():
    problems = check("Title: A\nZzyzx: 1\n\nBody\n", allowed_fields=["title", "date"])
    assert fields(problems) == [(2, "Zzyzx")]
    assert "did you mean" not in problems[0].message
    assert "Title, Date" in problems[0].message


def test_a_key_given_twice_names_the_first_line():
    problems = check("Title: A\nTitle: B\n\nBody\n")
    assert fields(problems) == [(2, "Title")] and "also on line 1" in problems[0].message


def test_required_fields_missing_or_empty():
    problems = check("Title:   \nTags: a\n\nBody\n", "article")
    assert fields(problems) == [(1, "Date"), (1, "Title")]
    assert "missing" in problems[0].message and "empty" in problems[1].message


def test_a_misspelled_required_key_is_reported_once():
    problems = check(b"Title: A\nDate: 2026-01-01\nTag: x\n\nBody\n", "article")
    assert fields(problems) == [(3, "Tag")]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Date: 2026-08-10 09:00", []),
        ("Date: 2026-02-30", [(2, "Date")]),
        ("Date: next tuesday-ish", [(2, "Date")]),
        ("Date: 2026-08-10\nModified: 2026-08-09", [(3, "Modified")]),
        ("Date: 2026-08-10\nModified: 2026-08-11", []),
        ("Date: 2026-08-10\nModified: soon", [(3, "Modified")]),
        ("Date: 2026-08-10 10:00+02:00\nModified: 2026-08-10 09:00", []),
        ("Date: 2026-08-10 10:00\nModified: 2026-08-10 11:00+02:00", [(3, "Modified")]),
    ],
)
def test_dates(header, expected):
    assert fields(check(f"Title: A\n{header}\n\nBody\n")) == expected


@pytest.mark.parametrize(
    ("value", "ok"), [("draft", True), ("Published", True), ("hidden", True), ("pubished", False)]
)
def test_status(value, ok):
    assert (check(f"Title: A\nStatus: {value}\n\nBody\n") == []) is ok


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("posts/my-post/", None),
        ("https://elsewhere.test/x/", "not a path inside the site"),
        ("/posts/x/", "not a path inside the site"),
        ("posts/../../x/", "not a path inside the site"),
    ],
)
def test_url_and_save_as_are_paths_inside_the_site(value, problem):
    for name in ("Url", "Save_as"):
        problems = check(f"Title: A\n{name}: {value}\n\nBody\n")
        if problem is None and name == "Save_as":
            assert (
                fields(problems) == [(2, "Save_as")] and "add 'index.html'" in problems[0].message
            )
        elif problem is None:
            assert problems == []
        else:
            assert fields(problems) == [(2, name)] and problem in problems[0].message


@pytest.mark.parametrize(
    ("value", "count"),
    [("a, b", 0), ("a, , b", 1), ("a,", 1), (",a", 1), ("a, !!!", 1), ("a,\n    b", 0)],
)
def test_tags_with_empty_or_unlinkable_entries(value, count):
    problems = check(f"Title: A\nTags: {value}\n\nBody\n")
    assert len(problems) == count, problems
    assert all(p.field == "Tags" and p.line == 2 for p in problems)


@pytest.mark.parametrize(
    ("header", "slug", "problem"),
    [
        ("Title: Hello, World!", ("hello-world", 1, "Title"), None),
        ("Title: !!!", None, (1, "Title")),
        ("Title: A\nSlug: my-post", ("my-post", 2, "Slug"), None),
        ("Title: A\nSlug: My Post", ("My Post", 2, "Slug"), (2, "Slug")),
    ],
)
def test_slug_comes_from_slug_or_title_and_must_be_words_joined_by_hyphens(header, slug, problem):
    checked = read_source(
        f"{header}\n\nBody\n".encode(), "page", Path("x.md"), Path("."), options()
    )
    assert checked.slug == slug
    assert fields(checked.problems) == ([problem] if problem else [])


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
    header = "Title: A\nDate: 2026-01-01\nTags: a\n"
    assert fields(check(header + "\n\n", "article")) == [(4, "body")]
    assert check(header + "Status: draft\n\n\n", "article") == []
    assert check(header + "\n\n", "page") == []


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
    problems = check(
        "Title: A\n\n"
        "[ok]({filename}other.md#part) ![ok]({static}/images/here.png)\n"
        "[gone]({filename}gone.md)\n"
        "![gone]({static}../images/missing.png)\n"
        '<a href="{attach}/files/x.pdf">x</a>\n'
        "`{filename}in-code.md`\n"
        "[none]({filename}#top)\n",
        path=tmp_path / "posts" / "a.md",
        root=tmp_path,
    )
    assert fields(problems) == [(4, "body"), (5, "body"), (6, "body"), (8, "body")]
    assert "{filename}gone.md" in problems[0].message
    assert "{static}../images/missing.png" in problems[1].message
    assert "has no path" in problems[3].message


@pytest.mark.parametrize(
    ("line", "reported"),
    [
        ('<img src="{static}/images/x.png">', True),
        ('<a href="|filename|post.md">x</a>', True),
        ('<a href=" {attach}f.pdf">x</a>', True),
        ('<img src="/images/x.png">', False),
        ("`![x]({static}/images/x.png)`", False),
        ("The {filename} marker, written about.", False),
        ('<a title="{static} in a title" href="/x">x</a>', False),
    ],
)
def test_only_link_markers_with_a_path_outside_code_are_links(tmp_path, line, reported):
    problems = check(f"Title: A\n\n{line}\n", path=tmp_path / "a.md", root=tmp_path)
    assert bool(problems) == reported, problems


def test_a_filename_link_to_a_file_pelican_does_not_publish_is_unresolved(tmp_path):
    (tmp_path / "notes.txt").write_text("not a post")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "notes.txt").write_text("a static file")
    checked = read_source(
        b"Title: A\n\n[a]({filename}/notes.txt) [b]({filename}/images/notes.txt)\n",
        "page",
        tmp_path / "a.md",
        tmp_path,
        options(),
    )
    static = str(tmp_path / "images")
    problems = linked_file_problems(checked.links, lambda path: path.startswith(static))
    assert len(problems) == 1 and "{filename}/notes.txt would be left unresolved" in str(problems)


def test_summary_over_the_card_limit_is_a_warning():
    long = "word " * 80
    checked = read_source(
        f"Title: A\nSummary: {long}\n\nx\n".encode(), "page", Path("a.md"), Path("."), options()
    )
    assert checked.problems == [] and checked.warnings == []
    checked = read_source(
        f"Title: A\nSummary: {long}\n\nx\n".encode(),
        "page",
        Path("a.md"),
        Path("."),
        options(summary_max_chars=320),
    )
    assert checked.problems == [] and fields(checked.warnings) == [(2, "Summary")]
    short = b"Title: A\nSummary: [short](http://a.test/long/url)\n\nx\n"
    checked = read_source(short, "page", Path("a.md"), Path("."), options(summary_max_chars=10))
    assert checked.warnings == []


def test_format_problem_is_path_line_field_message():
    line = format_problem("content/posts/a.md", Problem(3, "Tags", "bad; fix it"))
    assert line == "content/posts/a.md:3: Tags: bad; fix it"


def test_a_good_post_finds_nothing():
    checked = read_source(GOOD.encode(), "article", Path("a.md"), Path("."), options())
    assert checked.problems == [] and checked.warnings == []
    assert checked.slug == ("a-post", 1, "Title")


def test_every_problem_of_a_file_is_collected(tmp_path):
    raw = b"Title: A\nDate: 2026-13-01\nTag: x\nStatus: gone\n\n[x]({filename}gone.md)\n"
    problems = check(raw, "article", tmp_path / "a.md", tmp_path)
    assert fields(problems) == [(2, "Date"), (3, "Tag"), (4, "Status"), (6, "body")]


# ---- A content folder on disk: what is there now, never what a stale check found ----


def _problems(content):
    settings = load_settings("pelicanconf.py", {"PATH": str(content)})
    return check_site(settings)[0]


@pytest.fixture
def missing_image(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(DATA / "bad" / "missing-image", content)
    return content, content / "images" / "no-such-chart.png"


def test_a_missing_image_that_appears_is_no_longer_reported(missing_image):
    content, image = missing_image
    first = _problems(content)
    assert any("no-such-chart.png" in line for line in first), first
    assert _problems(content) == first, "the same source, the same report"
    image.parent.mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(image)
    assert not any("no-such-chart.png" in line for line in _problems(content)), (
        "the image now exists: the report came from a stale check"
    )
    image.unlink()
    assert any("no-such-chart.png" in line for line in _problems(content))


def test_an_image_that_breaks_is_reported_though_the_post_is_unchanged(missing_image):
    content, image = missing_image
    image.parent.mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(image)
    assert not any("no-such-chart.png" in line for line in _problems(content))
    image.write_bytes(b"")
    broken = [line for line in _problems(content) if "no-such-chart.png" in line]
    assert broken and "empty file" in broken[0], (
        f"an image emptied after a good check must be reported: {broken}"
    )


def test_an_edited_source_is_checked_again(missing_image):
    content, _ = missing_image
    post = next((content / "posts").glob("*.md"))
    assert _problems(content)
    text = post.read_text("utf-8").replace("![A chart]({static}/images/no-such-chart.png)", "")
    post.write_text(text, "utf-8")
    assert not any("no-such-chart.png" in line for line in _problems(content))


@pytest.mark.parametrize(
    ("settings", "limit"),
    [
        ({"PLUGINS": ["post_cards"]}, 320),
        ({"PLUGINS": ["post_cards"], "POST_CARDS": {"summary_max_chars": 200}}, 200),
        ({"PLUGINS": ["content_guard"], "POST_CARDS": {"summary_max_chars": 200}}, None),
    ],
    ids=["post-cards-default", "post-cards-setting", "no-post-cards"],
)
def test_the_summary_limit_is_the_post_cards_setting(settings, limit):
    assert options_for(settings)["summary_max_chars"] == limit, "the card limit is post_cards'"


def test_content_guard_setting_overrides_the_defaults():
    extra = {"allowed_fields": [*DEFAULTS["allowed_fields"], "series"]}
    assert options_for({"CONTENT_GUARD": extra})["allowed_fields"][-1] == "series"
    assert check("Title: A\nSeries: x\n\nBody\n", allowed_fields=extra["allowed_fields"]) == []


def test_a_filename_link_is_checked_against_what_the_site_publishes(tmp_path):
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "notes").mkdir()
    for name in ("kept.txt", "other.txt"):
        (content / "notes" / name).write_text("a note")
    (content / "posts" / "a.md").write_text(
        GOOD.replace("The body.", "[a]({filename}/notes/kept.txt) [b]({filename}/notes/other.txt)")
    )
    settings = load_settings(
        "pelicanconf.py", {"PATH": str(content), "STATIC_PATHS": ["notes/kept.txt"]}
    )
    unresolved = [line for line in check_site(settings)[0] if "unresolved" in line]
    assert len(unresolved) == 1 and "{filename}/notes/other.txt" in unresolved[0], unresolved

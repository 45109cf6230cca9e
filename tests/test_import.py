"""`invoke import`: each fixture blog in tests/data/import/ converts to this
site's format and publishes with every link, image and old URL working."""

import shutil
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup
from conftest import DATA, ROOT, run_invoke, snapshot

from sitetools.authoring.importer import (
    ImportRefused,
    as_datetime,
    as_list,
    detect,
    expand_permalink,
    plan_import,
    split_front_matter,
    tags_of,
)
from sitetools.quality.check import check_links

BLOGS = DATA / "import"
# Per format: {new slug: old URLs that must redirect to /posts/<slug>/}.
EXPECTED = {
    "hugo": {
        "example-post": ["/2024/example-post/", "/old/example-post/"],
        "second-post": ["/2024/second-post/"],
        "bundle-post": [],  # a draft: nothing to redirect to in production
    },
    "jekyll": {
        "hello-world": ["/updates/2023/05/06/hello-world.html", "/hello/"],
        "second-note": ["/2023/06/07/second-note.html"],
        "unpublished": [],
    },
    "astro": {"first-post": ["/blog/first-post/"], "style-guide": ["/blog/style-guide/"]},
    "eleventy": {
        "first-entry": ["/blog/first-entry/"],
        "second-entry": ["/notes/second-entry/"],
    },
    "pelican": {
        "codechallenge01_review": ["/2019/codechallenge01_review.html"],
        "python-3.5-notes": ["/2019/python-3.5-notes.html"],
        "a-plain-post": ["/2019/a-plain-post.html"],
    },
}


def planned(kind, tmp_path):
    """{path relative to the content folder: text} and the report of a dry run."""
    writes, report, found = plan_import(BLOGS / kind, tmp_path)
    assert found == kind
    texts = {
        path.relative_to(tmp_path).as_posix(): text
        for path, text in writes.items()
        if isinstance(text, str)
    }
    return texts, report, {p.relative_to(tmp_path).as_posix() for p in writes}


# ---- Pure conversions ---------------------------------------------------------


def test_yaml_front_matter_gives_keys_lines_and_the_body_start():
    meta, body, first, lines = split_front_matter("---\nTitle: A\ntags: [x, y]\n---\nBody\n")
    assert meta == {"title": "A", "tags": ["x", "y"]}
    assert (body, first, lines) == ("Body\n", 5, {"title": 2, "tags": 3})


def test_toml_front_matter_is_read_with_tomllib():
    meta, body, first, _ = split_front_matter('+++\ntitle = "A"\ndraft = true\n+++\n\nB\n')
    assert meta == {"title": "A", "draft": True}
    assert (body, first) == ("\nB\n", 5)


def test_pelican_header_lines_end_at_the_first_blank_line():
    meta, body, first, lines = split_front_matter("Title: A\nSlug: a_b\n\nText: not a key\n")
    assert meta == {"title": "A", "slug": "a_b"}
    assert (body, first, lines["slug"]) == ("\nText: not a key\n", 3, 2)


def test_unclosed_front_matter_is_an_error():
    with pytest.raises(ValueError, match="never closed"):
        split_front_matter("---\ntitle: A\n")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2022, 6, 19), datetime(2022, 6, 19)),
        (datetime(2024, 3, 1, 10, 0, tzinfo=UTC), datetime(2024, 3, 1, 10, 0)),
        ("Jul 08 2022", datetime(2022, 7, 8)),
        ("2023-07-01 14:30:00 +0200", datetime(2023, 7, 1, 14, 30)),
        (
            datetime(2021, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=-5))),
            datetime(2021, 1, 2, 3, 4),
        ),
        ("not a date", None),
    ],
)
def test_dates_keep_the_wall_clock_time_the_old_blog_showed(value, expected):
    assert as_datetime(value) == expected


@pytest.mark.parametrize(
    ("value", "separator", "expected"),
    [
        (["a", "b, c"], ",", ["a", "b  c"]),
        ("a, b,", ",", ["a", "b"]),
        ("jekyll notes", " ", ["jekyll", "notes"]),
        (None, ",", []),
    ],
)
def test_tag_lists_come_from_arrays_or_text(value, separator, expected):
    assert as_list(value, separator) == expected


def test_a_category_becomes_the_first_tag_and_duplicates_go():
    assert tags_of({"category": "Python", "tags": "python, review"}, "pelican") == "Python, review"
    assert tags_of({"tags": ["posts", "notes"]}, "eleventy") == "notes"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("/:categories/:year/:month/:day/:title:output_ext", "/a-b/2023/05/06/x.html"),
        ("/:section/:slug/", "/posts/x/"),
        ("/:year/:slug/", "/2023/x/"),
    ],
)
def test_old_urls_follow_the_generators_permalink_patterns(pattern, expected):
    assert expand_permalink(pattern, datetime(2023, 5, 6), "x", "posts", ["A B"]) == expected


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_the_format_is_detected_from_the_blogs_files(kind):
    assert detect(BLOGS / kind) == kind


def test_a_folder_of_no_known_format_asks_for_from(tmp_path):
    with pytest.raises(ImportRefused, match="--from hugo"):
        detect(tmp_path)


# ---- Conversion of each fixture blog (dry runs) -----------------------------------


def test_hugo_posts_yaml_and_toml(tmp_path):
    texts, report, files = planned("hugo", tmp_path)
    first = texts["posts/example-post.md"]
    assert first.startswith(
        "Title: Example post\nDate: 2024-03-01 10:00\nTags: notes, python, testing\n"
        "Slug: example-post\nSummary: An example post with an image and a link.\n\n"
    ), first
    assert "![A diagram]({static}/images/diagram.png)" in first
    assert "[second post]({filename}/posts/second-post.md)" in first, "relative link"
    assert "[same by ref]({filename}/posts/second-post.md)" in first, "{{< ref >}}"
    assert "![not a link](/inside/code.png)" in first, "fenced code must stay as it is"
    second = texts["posts/second-post.md"]
    assert "Modified: 2024-05-01 09:00\n" in second and "Status" not in second
    assert "({filename}/posts/example-post.md#details)" in second, "root-relative link + fragment"
    bundle = texts["posts/bundle-post.md"]
    assert "Status: draft\n" in bundle and "({static}/images/bundle-post/chart.png)" in bundle
    assert {"images/diagram.png", "images/bundle-post/chart.png"} <= files
    assert report.links == 5
    assert "content/posts/bundle-post/index.md:1: /2024/bundle-post/: no redirect to a draft; " in (
        "\n".join(report.notes)
    )


def test_jekyll_dates_from_file_names_and_liquid_links(tmp_path):
    texts, _, files = planned("jekyll", tmp_path)
    hello = texts["posts/hello-world.md"]
    assert "Date: 2023-05-06 00:00\n" in hello and "Tags: updates, jekyll, notes\n" in hello
    assert "({static}/images/photo.png)" in hello, "{{ site.baseurl }} path"
    assert "({filename}/posts/second-note.md)" in hello, "{% post_url %}"
    note = texts["posts/second-note.md"]
    assert "Summary: A short example note.\n" in note
    assert "({static}/extra/sheet.txt)" in note and "extra/sheet.txt" in files
    assert "Status: draft\n" in texts["posts/unpublished.md"], "published: false"


def test_astro_pubdate_and_hero_image(tmp_path):
    texts, report, files = planned("astro", tmp_path)
    first = texts["posts/first-post.md"]
    assert "Date: 2022-07-08 00:00\n" in first and "Modified: 2022-07-10 00:00\n" in first
    assert "images/blog-placeholder-1.jpg" in files, "the hero image is copied"
    assert "Image: {static}/images/blog-placeholder-1.jpg\n" in first, "heroImage -> Image:"
    assert not any("heroimage" in n for n in report.notes), report.notes
    assert '<img src="{static}/images/pic.png"' in texts["posts/style-guide.md"]
    assert any("interactive.mdx:1: not imported" in n for n in report.notes), report.notes


def test_pelican_slugs_categories_and_custom_keys(tmp_path):
    texts, report, files = planned("pelican", tmp_path)
    review = texts["posts/codechallenge01_review.md"]
    assert "Slug: codechallenge01_review\n" in review, "a published slug is kept exactly"
    assert "Tags: Python, review, example\n" in review, "Category is the first tag"
    assert "({static}/images/screenshot.png)" in review, "a plain relative image path"
    assert "({filename}/posts/python-3.5-notes.md)" in review
    notes = texts["posts/python-3.5-notes.md"]
    assert "Summary" not in notes and "({static}/images/logo.png)" in notes
    assert "Image: {static}/images/logo.png\n" in notes, "Cover -> the post's Image:"
    assert "({filename}/posts/codechallenge01_review.md)" in texts["posts/a-plain-post.md"]
    assert not any("pages/" in name for name in files), "pages are not posts"
    assert "content/code-challenge-review.md:7: email: no field for it here; not imported" in (
        report.notes
    )
    assert "content/a-plain-post.md:5: twitter: no field for it here; not imported" in report.notes
    assert "content/old-notes.rst:1: not imported: Markdown only" in report.notes
    assert "/2019/codechallenge01_review.html /posts/codechallenge01_review/" in report.redirects, (
        "the old ARTICLE_URL is read from pelicanconf.py"
    )


def test_a_pelican_slug_from_the_title_follows_the_old_blogs_slug_settings(tmp_path):
    blog = shutil.copytree(BLOGS / "pelican", tmp_path / "blog")
    settings = blog / "pelicanconf.py"
    underscores = 'SLUG_REGEX_SUBSTITUTIONS = [(r"[^\\w\\s-]", ""), (r"[-\\s]+", "_")]\n'
    settings.write_text(settings.read_text() + underscores)
    writes, report, _ = plan_import(blog, tmp_path / "content")
    post = writes[(tmp_path / "content").resolve() / "posts" / "a_plain_post.md"]
    assert "Slug: a_plain_post\n" in post, "the slug the old Pelican gave it"
    assert "/2019/a_plain_post.html /posts/a_plain_post/" in report.redirects


def test_jekylls_permalink_setting_gives_the_old_urls(tmp_path):
    blog = shutil.copytree(BLOGS / "jekyll", tmp_path / "blog")
    (blog / "_config.yml").write_text("permalink: pretty\n")
    _, report, _ = plan_import(blog, tmp_path / "content")
    assert "/updates/2023/05/06/hello-world/ /posts/hello-world/" in report.redirects


def test_files_outside_the_blog_are_never_copied(tmp_path):
    (tmp_path / "secret.png").write_bytes(b"not the blog's")
    blog = shutil.copytree(BLOGS / "astro", tmp_path / "blog")
    post = blog / "src/content/blog/style-guide.md"
    post.write_text(post.read_text() + "\n![x](../../../../secret.png)\n")
    writes, report, _ = plan_import(blog, tmp_path / "content")
    assert not any("secret" in path.name for path in writes), writes
    assert (
        "src/content/blog/style-guide.md:12: ../../../../secret.png: not found in the source; "
        in ("\n".join(report.notes))
    )


def test_what_cannot_be_converted_is_reported_with_file_and_line(tmp_path):
    _, report, _ = planned("jekyll", tmp_path)
    assert any(
        n.startswith("_posts/2023-06-07-second-note.md:10: {% include note.html %}")
        for n in report.notes
    ), report.notes


def test_a_link_to_nothing_is_reported_with_its_line(tmp_path):
    blog = tmp_path / "blog"
    shutil.copytree(BLOGS / "eleventy", blog)
    post = blog / "content/blog/first-entry.md"
    post.write_text(post.read_text() + "\nA [gone link](../gone/).\n")
    _, report, _ = plan_import(blog, tmp_path / "content")
    assert "content/blog/first-entry.md:14: ../gone/: not found in the source; fix the link" in (
        report.notes
    ), report.notes


# ---- The task -----------------------------------------------------------------------


def test_import_never_overwrites_and_a_rerun_writes_nothing(tmp_path):
    content = tmp_path / "content"
    first = run_invoke("import", str(BLOGS / "astro"), "--from", "astro", "--content", str(content))
    assert first.returncode == 0, first.stderr
    assert "Imported 2 posts (astro)" in first.stdout and "Redirects added: 2" in first.stdout
    before = snapshot(content)
    again = run_invoke("import", str(BLOGS / "astro"), "--content", str(content))
    assert again.returncode == 1, again.stdout
    assert "first-post.md: already exists; not overwritten" in again.stderr, again.stderr
    assert "Nothing imported" in again.stderr and "Traceback" not in again.stderr
    assert snapshot(content) == before, "a refused import must write nothing"


def test_a_different_file_at_an_images_place_refuses_the_import(tmp_path):
    content = tmp_path / "content"
    (content / "images").mkdir(parents=True)
    (content / "images" / "diagram.png").write_bytes(b"another image")
    result = run_invoke("import", str(BLOGS / "hugo"), "--content", str(content))
    assert result.returncode == 1, result.stdout
    assert "images/diagram.png: already exists; not overwritten" in result.stderr, result.stderr
    assert not (content / "posts").exists(), "a refused import writes no post"


def test_broken_settings_of_the_old_blog_are_named_without_a_traceback(tmp_path):
    blog = shutil.copytree(BLOGS / "hugo", tmp_path / "blog")
    (blog / "hugo.toml").write_text("[permalinks\n")
    result = run_invoke("import", str(blog), "--content", str(tmp_path / "c"))
    assert result.returncode == 1 and "its hugo settings:" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--from", "wordpress"], "not a format here"), ([], "name the format with --from")],
)
def test_import_refuses_what_it_cannot_read(tmp_path, args, message):
    result = run_invoke("import", str(tmp_path), "--content", str(tmp_path / "c"), *args)
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "c").exists()


def small_jekyll_blog(folder):
    (folder / "_posts").mkdir(parents=True)
    (folder / "_config.yml").write_text("title: Example\n")
    (folder / "_posts" / "2024-01-02-untagged.md").write_text("---\ntitle: Untagged\n---\nText.\n")
    (folder / "_posts" / "2024-01-03-tagged.md").write_text(
        "---\ntitle: Tagged\ntags: [alpha]\n---\nText.\n"
    )
    return folder


def test_tags_given_on_the_command_line_go_to_posts_without_any(tmp_path):
    blog, content = small_jekyll_blog(tmp_path / "blog"), tmp_path / "c"
    result = run_invoke("import", str(blog), "--content", str(content), "--tags", "notes, misc")
    assert result.returncode == 0, result.stderr
    untagged = (content / "posts" / "untagged.md").read_text(encoding="utf-8")
    assert "\nTags: notes, misc\n" in untagged, untagged
    tagged = (content / "posts" / "tagged.md").read_text(encoding="utf-8")
    assert "\nTags: alpha\n" in tagged, "a post's own tags win over --tags"
    assert "_posts/2024-01-02-untagged.md:1: Tags: none; given --tags notes, misc" in result.stdout


def test_tags_holding_a_line_break_are_refused(tmp_path):
    blog, content = small_jekyll_blog(tmp_path / "blog"), tmp_path / "c"
    result = run_invoke(
        "import", str(blog), "--content", str(content), "--tags", "a\nStatus: draft"
    )
    assert result.returncode == 1 and "--tags: a line break" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not content.exists()


# ---- End to end: import into a copy of content/, then invoke publish ------------------


@pytest.fixture(
    scope="module",
    params=list(EXPECTED),
)
def published(request, tmp_path_factory):
    """(format, import result, publish result, output) for one fixture blog."""
    kind = request.param
    base = tmp_path_factory.mktemp(f"import-{kind}")
    content = shutil.copytree(ROOT / "content", base / "content")
    imported = run_invoke("import", str(BLOGS / kind), "--content", str(content))
    output = base / "output"
    built = run_invoke("publish", "--content", str(content), "--output", str(output))
    return kind, imported, built, output


def test_an_imported_blog_publishes(published):
    kind, imported, built, output = published
    assert imported.returncode == 0, imported.stderr
    assert f"({kind})" in imported.stdout
    assert built.returncode == 0, built.stderr[-2000:]
    for slug in EXPECTED[kind]:
        page = output / "posts" / slug / "index.html"
        drafted = not EXPECTED[kind][slug] and kind in ("hugo", "jekyll")
        assert page.is_file() != drafted, f"{kind}: /posts/{slug}/ (draft: {drafted})"


def test_an_imported_cover_is_the_posts_social_image(published, prod_siteurl):
    kind, _, _, output = published
    if kind != "pelican":
        pytest.skip("the Pelican fixture has the Cover: key")
    page = (output / "posts" / "python-3.5-notes" / "index.html").read_text("utf-8")
    og = BeautifulSoup(page, "html.parser").select_one('meta[property="og:image"]')
    assert og and og["content"] == f"{prod_siteurl}/images/logo.png", og


def test_every_link_and_image_of_an_imported_blog_resolves(published, prod_siteurl):
    kind, _, built, output = published
    assert built.returncode == 0, built.stderr[-2000:]
    assert check_links(output, [prod_siteurl]) == []
    copied = [p for p in (output / "images").rglob("*") if p.is_file()]
    assert copied, f"{kind}: no image was published"


def test_old_urls_of_an_imported_blog_redirect(published):
    kind, _, built, output = published
    assert built.returncode == 0, built.stderr[-2000:]
    rules = {
        tuple(line.split()[:2])
        for line in (output / "_redirects").read_text().splitlines()
        if line and not line.startswith("#")
    }
    for slug, olds in EXPECTED[kind].items():
        for old in olds:
            assert (old, f"/posts/{slug}/") in rules, f"{kind}: {old} is not redirected"


def test_a_modified_date_before_the_date_and_an_unknown_status_are_reported(tmp_path):
    blog = tmp_path / "blog"
    (blog / "content" / "posts").mkdir(parents=True)
    (blog / "content" / "posts" / "x.md").write_text(
        "Title: X\nDate: 2020-02-02 10:00\nTags: a\nModified: 2020-01-01\nStatus: review\n\nB\n"
    )
    writes, report, _ = plan_import(blog, tmp_path / "c", "hugo")
    text = writes[(tmp_path / "c").resolve() / "posts" / "x.md"]
    assert "Modified" not in text and "Status" not in text, text
    assert "content/posts/x.md:4: modified: not a date after the post's date; not imported" in (
        report.notes
    )
    assert "content/posts/x.md:5: status: 'review' is not draft or hidden; not imported" in (
        report.notes
    )


def test_two_files_with_one_name_get_two_places_and_one_old_url_one_redirect(tmp_path):
    blog = shutil.copytree(BLOGS / "hugo", tmp_path / "blog")
    (blog / "static" / "img").mkdir()
    (blog / "static" / "img" / "diagram.png").write_bytes(b"another diagram")
    post = blog / "content" / "posts" / "second-post.md"
    post.write_text(post.read_text() + "\n![Other](/img/diagram.png)\n")
    post.write_text(
        post.read_text().replace(
            'slug = "second-post"', 'aliases = ["/old/example-post/"]\nslug = "second-post"'
        )
    )
    writes, report, _ = plan_import(blog, tmp_path / "c")
    copied = {
        p.relative_to((tmp_path / "c").resolve()).as_posix(): w
        for p, w in writes.items()
        if not isinstance(w, str)
    }
    assert (
        copied["images/diagram.png"].read_bytes()
        != copied["images/static/img/diagram.png"].read_bytes()
    )
    assert (
        "({static}/images/static/img/diagram.png)"
        in writes[(tmp_path / "c").resolve() / "posts" / "second-post.md"]
    )
    assert [r for r in report.redirects if r.startswith("/old/example-post/ ")] == [
        "/old/example-post/ /posts/example-post/"
    ]
    assert any("/old/example-post/: already redirected; not added" in n for n in report.notes), (
        report.notes
    )


# ---- Shapes met importing a real Jekyll blog (invented text, same shapes) ---------------


def jekyll_with(tmp_path, name, text, newline="\n"):
    """A copy of the Jekyll fixture with one more post, written with `newline`."""
    blog = shutil.copytree(BLOGS / "jekyll", tmp_path / "blog")
    (blog / "_posts" / name).write_bytes(text.replace("\n", newline).encode())
    writes, report, _ = plan_import(blog, tmp_path / "c")
    texts = {p.name: t for p, t in writes.items() if isinstance(t, str)}
    return texts, report


def test_one_file_name_on_two_dates_gets_two_slugs_and_both_old_urls(tmp_path):
    later = "---\ntitle: Later hello\ntags: [a]\n---\nAgain.\n"
    texts, report = jekyll_with(tmp_path, "2024-02-03-hello-world.md", later, "\r\n")
    assert "Slug: hello-world-2024-02-03\n" in texts["hello-world-2024-02-03.md"]
    assert "Title: Later hello\n" in texts["hello-world-2024-02-03.md"], "CRLF front matter"
    assert "\r" not in texts["hello-world-2024-02-03.md"]
    assert "Slug: hello-world\n" in texts["hello-world.md"], "the first keeps its slug"
    assert "/2024/02/03/hello-world.html /posts/hello-world-2024-02-03/" in report.redirects
    assert "/updates/2023/05/06/hello-world.html /posts/hello-world/" in report.redirects
    assert any(
        n.startswith("_posts/2024-02-03-hello-world.md:1: Slug: 'hello-world' is also ")
        for n in report.notes
    ), report.notes


def test_two_posts_that_set_one_slug_are_refused_naming_both(tmp_path):
    blog = shutil.copytree(BLOGS / "jekyll", tmp_path / "blog")
    (blog / "_posts" / "2024-01-01-other.md").write_text("---\nslug: hello-world\n---\nX\n")
    with pytest.raises(ImportRefused) as refused:
        plan_import(blog, tmp_path / "c")
    assert refused.value.problems == [
        "_posts/2024-01-01-other.md:1: Slug: 'hello-world' is also "
        "_posts/2023-05-06-hello-world.md's; set another slug: in one of them"
    ]


def test_footnotes_are_not_link_definitions(tmp_path):
    post = "---\ntags: [a]\n---\nA claim[^1] and more[^2].\n\n"
    post += "[^1]: [A source](https://example.org/x)\n\n[^2]: Plain words.\n"
    texts, report = jekyll_with(tmp_path, "2024-01-01-notes.md", post)
    assert "[^1]: [A source](https://example.org/x)\n" in texts["notes.md"]
    assert not [n for n in report.notes if "notes.md" in n and "not found" in n], report.notes


def test_a_backslash_escaped_angle_bracket_stays_text(tmp_path):
    post = "---\ntags: [a]\n---\nDraw on a \\<canvas> tag, or `a \\<b>` in code.\n"
    texts, _ = jekyll_with(tmp_path, "2024-01-01-escapes.md", post)
    assert "Draw on a &lt;canvas> tag, or `a \\<b>` in code.\n" in texts["escapes.md"]


def test_raw_html_links_are_found_by_a_parser_and_code_spans_are_left_alone(tmp_path):
    post = (
        "---\ntags: [a]\n---\n"
        "<img alt='A &amp; B' src=/assets/img/photo.png> and <a href=\"/assets/files/sheet.txt\" "
        'download>sheet</a>\n\nShown as code: `<img src="/assets/img/photo.png">` and '
        '`[x](/assets/files/sheet.txt)`.\n<!-- <img src="gone.png"> -->\n'
    )
    texts, report = jekyll_with(tmp_path, "2024-01-01-markup.md", post)
    body = texts["markup.md"]
    # Only the src value's characters change; alt keeps its quotes.
    assert "<img alt='A &amp; B' src=\"{static}/images/photo.png\">" in body, body
    assert '<a href="{static}/extra/sheet.txt" download>sheet</a>' in body, body
    assert '`<img src="/assets/img/photo.png">` and `[x](/assets/files/sheet.txt)`' in body
    assert '<!-- <img src="gone.png"> -->' in body, "a comment is not a tag"
    assert not [n for n in report.notes if "markup.md" in n], report.notes


def test_hugos_config_folder_names_the_format_and_gives_its_permalinks(tmp_path):
    blog = shutil.copytree(BLOGS / "hugo", tmp_path / "blog")
    (blog / "hugo.toml").unlink()
    (blog / "config" / "_default").mkdir(parents=True)
    (blog / "config" / "_default" / "hugo.toml").write_text('[permalinks]\nposts = "/p/:slug/"\n')
    assert detect(blog) == "hugo"
    _, report, _ = plan_import(blog, tmp_path / "c")
    assert "/p/second-post/ /posts/second-post/" in report.redirects, report.redirects


def test_an_image_from_another_site_is_reported_with_the_fix(tmp_path):
    post = (
        "---\ntags: [a]\n---\n![Chart](http://images.example.com/chart.png)\n\n"
        '<img src="https://images.example.com/b.gif" alt="b">\n\n'
        "A [link](https://example.org/) and `![code](http://example.com/c.png)`.\n"
    )
    _, report = jekyll_with(tmp_path, "2024-01-01-remote.md", post)
    remote = [n for n in report.notes if "remote.md" in n]
    why = "an image from another site, which the production CSP blocks; download it into"
    assert remote == [
        f"_posts/2024-01-01-remote.md:4: http://images.example.com/chart.png: {why} "
        "content/images/ and link it with {static}/images/…",
        f"_posts/2024-01-01-remote.md:6: https://images.example.com/b.gif: {why} "
        "content/images/ and link it with {static}/images/…",
    ], remote


def test_an_old_url_redirects_txt_has_in_another_spelling_is_already_redirected(tmp_path):
    blog = shutil.copytree(BLOGS / "jekyll", tmp_path / "blog")
    post = "---\ntitle: Café\ntags: [x]\nredirect_from: [/café/]\n---\nB\n"
    (blog / "_posts" / "2024-01-01-cafe.md").write_text(post, encoding="utf-8")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "redirects.txt").write_text("/caf%C3%A9/ /posts/x/\n/hello /posts/y/\n")
    _, report, _ = plan_import(blog, tmp_path / "c")
    for where, old in (
        ("2024-01-01-cafe.md:4", "/café/"),
        ("2023-05-06-hello-world.md:6", "/hello/"),
    ):
        assert f"_posts/{where}: {old}: already redirected; not added" in report.notes, report.notes
    assert not [line for line in report.redirects if line.startswith(("/caf", "/hello/"))]


def test_a_hero_image_whose_file_name_breaks_a_line_is_copied_not_made_image(tmp_path):
    """The Image: line is built from the file's name: a name with a line break
    (or control character) would start a header line, so it is only copied."""
    blog = shutil.copytree(BLOGS / "jekyll", tmp_path / "blog")
    (blog / "assets").mkdir(exist_ok=True)
    (blog / "assets" / "a\nStatus: draft.png").write_bytes(b"\x89PNG")
    post = '---\ntags: [a]\nimage: "/assets/a%0AStatus: draft.png"\n---\nBody.\n'
    (blog / "_posts" / "2024-01-01-cover.md").write_text(post)
    writes, report, _ = plan_import(blog, tmp_path / "c")
    text = next(t for p, t in writes.items() if p.name == "cover.md")
    assert "Image:" not in text and "Status:" not in text, text
    assert any("cover.md:3: image:" in n and "line break" in n for n in report.notes), report.notes

"""YAML front matter (pelican-yaml-metadata) beside `Key: value` headers, the
validator's help for a migrating author (extra fields, near misses, slugs,
Category), and a post's own Image: on social cards."""

import random
import shutil
import string
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from plugins.content_guard.content_guard import DEFAULTS, options_for, read_source
from plugins.content_guard.schema import SLUG_SHAPE as _SLUG_SHAPE
from plugins.content_guard.schema import slug_refusal, slug_suggestion
from tests.conftest import build_site, run_invoke, snapshot

SITEURL = "https://blog.test"

POSTS = {
    "yaml-post.md": """\
        ---
        title: "A YAML post: with a colon"
        date: 2026-03-01
        tags: [python, yaml-tag]
        slug: yaml_post.v2
        summary: Written the Hugo way.
        image: "{static}/images/cover.png"
        ---

        The body of the YAML post.
        """,
    "key-value-post.md": """\
        Title: A Key Value post
        Date: 2026-03-02 09:00
        Tags: plain
        Category: Python
        Slug: key-value-post

        The body of the plain post.
        """,
}


def write_posts(content, posts):
    for name, text in posts.items():
        (content / "posts" / name).write_text(textwrap.dedent(text), "utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    content = tmp_path_factory.mktemp("front-matter") / "content"
    (content / "posts").mkdir(parents=True)
    (content / "images").mkdir()
    Image.new("RGB", (1200, 630), "teal").save(content / "images" / "cover.png")
    write_posts(content, POSTS)
    return build_site(tmp_path_factory, "front-matter-site", PATH=str(content), SITEURL=SITEURL)


def h1(soup):
    return " ".join(soup.select_one("h1").get_text(" ").split())


def page(output, slug):
    path = output / "posts" / slug / "index.html"
    assert path.is_file(), f"/posts/{slug}/ was not written"
    return BeautifulSoup(path.read_text("utf-8"), "html.parser")


def test_a_yaml_post_builds_with_its_fields(site):
    soup = page(site, "yaml_post.v2")
    assert h1(soup) == "A YAML post: with a colon", h1(soup)
    tags = {a.get_text(strip=True) for a in soup.select("a[rel~=tag]")}
    assert {"python", "yaml-tag"} <= tags, f"YAML list tags: {tags}"
    text = soup.select_one("main").get_text(" ", strip=True)
    assert "The body of the YAML post." in text
    assert "---" not in text and "title:" not in text, "the front matter leaked into the page"


def test_a_key_value_post_still_builds_and_category_is_ignored(site):
    soup = page(site, "key-value-post")
    assert h1(soup) == "A Key Value post", h1(soup)
    tags = {a.get_text(strip=True).lower() for a in soup.select("a[rel~=tag]")}
    assert "plain" in tags and "python" not in tags, f"Category is not a tag: {tags}"
    assert not (site / "category").exists(), "no category pages"


def test_the_posts_image_is_its_social_card(site):
    soup = page(site, "yaml_post.v2")
    og = soup.select_one('meta[property="og:image"]')
    tw = soup.select_one('meta[name="twitter:image"]')
    assert og and og["content"] == f"{SITEURL}/images/cover.png", og
    assert tw and tw["content"] == og["content"], tw
    width = soup.select_one('meta[property="og:image:width"]')
    assert width and width["content"] == "1200", width
    assert (site / "images" / "cover.png").is_file()
    other = page(site, "key-value-post").select_one('meta[property="og:image"]')
    assert other and "/images/cover.png" not in other["content"], "others keep their own"


BAD = {
    "broken-yaml.md": "---\ntitle: A\ntags: [one, two\ndate: 2026-01-01\n---\n\nBody\n",
    "not-a-mapping.md": "---\n- just\n- a list\n---\n\nBody\n",
    "unknown.md": "---\ntitle: U\ndate: 2026-01-01\ntags: [a]\nTwitter: '@me'\n---\n\nBody\n",
    "comma-tags.md": "---\ntitle: C\ndate: 2026-01-01\ntags: one, two\n---\n\nBody\n",
    "bad-slug.md": "Title: S\nDate: 2026-01-01\nTags: a\nSlug: ../Etc Passwd\n\nBody\n",
    "no-image.md": "Title: I\nDate: 2026-01-01\nTags: a\nImage: {static}/images/gone.png\n\nB\n",
}


@pytest.fixture(scope="module")
def failed(tmp_path_factory, site):
    """One build of every bad post: (what it said, exit code, output unchanged)."""
    content = tmp_path_factory.mktemp("bad-front-matter") / "content"
    (content / "posts").mkdir(parents=True)
    write_posts(content, BAD)
    output = tmp_path_factory.mktemp("bad-front-matter-out") / "output"
    shutil.copytree(site, output)
    before = snapshot(output)
    result = run_invoke("build", "--content", str(content), "--output", str(output), timeout=300)
    return result.stdout + result.stderr, result.returncode, snapshot(output) == before


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("broken-yaml.md:4: header:", "does not parse"),
        ("not-a-mapping.md:1: header:", "not a mapping"),
        ("unknown.md:5: Twitter:", 'CONTENT_GUARD["extra_fields"]'),
        ("comma-tags.md:4: Tags:", "tags: [one, two]"),
        ("bad-slug.md:4: Slug:", "use 'etc-passwd'"),
        ("no-image.md:4: Image:", "points to no file"),
    ],
)
def test_bad_front_matter_fails_with_one_line_each(failed, where, says):
    said, code, unchanged = failed
    assert code == 1, said
    lines = [line for line in said.splitlines() if where in line]
    assert len(lines) == 1 and says in lines[0], f"{where} {says!r} not in:\n{said}"
    assert "Traceback" not in said, said
    assert unchanged, "the last good site was changed"


def test_twitter_suggests_no_title(failed):
    line = next(line for line in failed[0].splitlines() if "unknown.md:5:" in line)
    assert "did you mean" not in line, line


# ---- The validator's pure parts ----------------------------------------------------


def problems_of(text, **guard):
    options = {
        **options_for({"CONTENT_GUARD": guard}),
        "slug_options": {"regex_subs": [], "preserve_case": False, "use_unicode": False},
    }
    return read_source(text.encode(), "page", Path("a.md"), Path("."), options).problems


@pytest.mark.parametrize(
    ("key", "near"),
    [
        *[("Twitter", None), ("Illustration", None), ("Email", None), ("Github", None)],
        *[("Titel", "Title"), ("Tag", "Tags"), ("Sumary", "Summary"), ("Categories", "Category")],
    ],
)
def test_did_you_mean_only_within_a_small_edit_distance(key, near):
    (problem,) = problems_of(f"Title: A\n{key}: x\n\nBody\n")
    assert problem.field == key and 'CONTENT_GUARD["extra_fields"]' in problem.message
    if near:
        assert f'did you mean "{near}"?' in problem.message, problem.message
    else:
        assert "did you mean" not in problem.message, problem.message


def test_extra_fields_extend_the_default_keys():
    text = "Title: A\nCover: x.png\nDescription: d\n\nBody\n"
    assert len(problems_of(text)) == 2
    assert problems_of(text, extra_fields=["cover", "Description"]) == []
    assert set(DEFAULTS["allowed_fields"]) <= set(options_for({})["allowed_fields"])


def test_yaml_keys_are_checked_on_their_own_lines():
    problems = problems_of("---\ntitle: A\ndate: not a date\ntitle: B\n---\n\nBody\n")
    assert [(p.line, p.field) for p in problems] == [(3, "Date"), (4, "title")], problems


@pytest.mark.parametrize(
    "slug", ["codechallenge01_review", "python-3.5-openshift", "a.b.c", "_draft", "x-1_2"]
)
def test_url_safe_published_slugs_are_accepted(slug):
    assert slug_refusal(slug) is None


@pytest.mark.parametrize("slug", ["..", "a..b", ".hidden", "a/b", "a b", "Upper", "trail.", "é"])
def test_unsafe_slugs_are_refused(slug):
    assert slug_refusal(slug), slug


def test_every_slug_suggestion_is_itself_valid():
    rng = random.Random(13)
    alphabet = string.ascii_letters + string.digits + " ./\\-_~:?#%éÜß\t" + "\u200b"
    bad = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(2000)]
    bad += ["..", ".", "-", "é", "ß", "a" * 300 + ".b", "." * 50, "a.-.b"]
    for slug in bad:
        if _SLUG_SHAPE.match(slug):
            continue
        suggestion = slug_suggestion(slug)
        assert slug_refusal(suggestion) is None, f"{slug!r} -> {suggestion!r}"


@pytest.mark.parametrize("value", ["images/x.png", "{static}/images/x.svg", "https://x.org/a.png"])
def test_image_must_be_a_static_link_to_a_raster_image(value):
    (problem,) = problems_of(f"Title: A\nImage: {value}\n\nBody\n")
    assert (problem.line, problem.field) == (2, "Image") and "{static}" in problem.message


def test_yaml_keys_in_any_case_are_the_same_fields():
    assert problems_of("---\nTitle: A\nSTATUS: draft\n---\n\nBody\n") == []

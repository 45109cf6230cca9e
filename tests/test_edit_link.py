"""The "Edit this post" link: only when REPO_URL is set, to the post's source file."""

from pathlib import Path

import pytest

from plugins.article_page.article_page import edit_url, site_options
from sitetools.build.builder import BuildError, load_settings
from tests.conftest import DATA, build_site

TEMPLATE = "{repo_url}/blob/main/content/{path}"


@pytest.mark.parametrize(
    ("repo_url", "path", "expected"),
    [
        (None, "posts/a.md", None),
        ("", "posts/a.md", None),
        (
            "https://github.com/o/r",
            "posts/a.md",
            "https://github.com/o/r/blob/main/content/posts/a.md",
        ),
        (
            "https://github.com/o/r/",
            "posts/a.md",
            "https://github.com/o/r/blob/main/content/posts/a.md",
        ),
        (
            "https://git.example/o/r",
            "posts/a b.md",
            "https://git.example/o/r/blob/main/content/posts/a%20b.md",
        ),
    ],
)
def test_edit_url(repo_url, path, expected):
    assert edit_url(repo_url, path, TEMPLATE) == expected


def test_edit_url_follows_the_template():
    template = "{repo_url}/-/edit/trunk/site/{path}"
    assert edit_url("https://gitlab.example/o/r", "posts/a.md", template) == (
        "https://gitlab.example/o/r/-/edit/trunk/site/posts/a.md"
    )


@pytest.mark.parametrize("bad", ["github.com/o/r", "ftp://example.org/r", "https://", "/o/r"])
def test_repo_url_must_be_a_web_address(bad):
    problems = site_options({"REPO_URL": bad})[1]
    assert len(problems) == 1, problems
    assert "REPO_URL" in problems[0] and repr(bad) in problems[0], problems


@pytest.mark.parametrize("good", [None, "", "https://github.com/o/r", "http://git.local/r"])
def test_repo_url_unset_or_web_address_is_fine(good):
    assert site_options({"REPO_URL": good})[1] == []


def test_template_with_an_unknown_field_is_reported():
    bad = {"EDIT_LINK": {"url_template": "{repo_url}/{branch}/{path}"}}
    assert ["url_template" in problem for problem in site_options(bad)[1]] == [True]
    assert site_options({"EDIT_LINK": {"url_template": TEMPLATE}})[1] == []


# -- On the built site ---------------------------------------------------------


def test_settings_leave_repo_url_unset():
    assert not load_settings("pelicanconf.py").get("REPO_URL")
    assert not load_settings("publishconf.py").get("REPO_URL")


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_no_edit_link_without_repo_url(mode, site, prod_site):
    output = {"dev": site, "prod": prod_site}[mode]
    pages = sorted(Path(output, "posts").glob("*/index.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "Edit this post" not in text, f"{mode} {page.parent.name}: edit link shown"


def test_edit_link_points_at_each_posts_source(reader_site, html):
    sources = sorted((DATA / "reader" / "posts").glob("*.md"))
    assert sources
    for source in sources:
        slug = next(
            line.split(":", 1)[1].strip()
            for line in source.read_text(encoding="utf-8").splitlines()
            if line.startswith("Slug:")
        )
        soup = html(reader_site, f"posts/{slug}/index.html")
        links = [a for a in soup.select("main a") if a.get_text(strip=True) == "Edit this post"]
        assert len(links) == 1, f"{source.name}: {len(links)} edit links"
        assert links[0]["href"] == (
            f"https://github.com/example/blog/blob/main/content/posts/{source.name}"
        )


def test_bad_repo_url_stops_the_build(tmp_path_factory):
    with pytest.raises(BuildError) as failure:
        build_site(
            tmp_path_factory, "bad-repo-url", PATH=str(DATA / "reader"), REPO_URL="github.com/o/r"
        )
    assert any("REPO_URL" in problem for problem in failure.value.problems), failure.value

"""Unit tests for output_paths' pure functions."""

import pytest

from plugins.output_paths.output_paths import link_problem, reserved_owner
from sitetools.build.builder import BuildError
from sitetools.quality.check import Page


def test_one_parse_gives_links_and_ids():
    page = Page('<h2 id="a">A</h2><a href="#a">x</a><img src="{static}/x.png">')
    assert page.ids == {"a"}
    assert ("a", "href", "#a") in page.links


@pytest.mark.parametrize(
    ("tag", "url", "site_path", "fragment", "wanted"),
    [
        ("img", "images/x.png", "/posts/p/images/x.png", "", "write {static}/images/x.png"),
        ("a", "pages/g.html", "/posts/p/pages/g.html", "", "{filename}/posts/<file>.md"),
        ("a", "f/r.pdf", "/posts/p/f/r.pdf", "", "content/extra/ and write {static}/extra/r.pdf"),
        ("a", "#intro", "/posts/p/index.html", "intro", "did you mean #intro-1?"),
        ("a", "#zzz", "/posts/p/index.html", "zzz", "link an id that page has, or drop #zzz"),
    ],
)
def test_link_problem_names_the_target_and_the_fix(tag, url, site_path, fragment, wanted):
    problem = link_problem(tag, url, site_path, fragment, {"intro-1", "other"})
    assert url in problem and wanted in problem, problem


@pytest.mark.parametrize(
    ("path", "owner"),
    [
        ("sitemap.xml", "the sitemap"),
        ("social/x.png", "the social images"),
        ("socialite/index.html", None),
        ("posts/x/index.html", None),
    ],
)
def test_reserved_paths(path, owner):
    reserved = {"sitemap.xml": "the sitemap", "social/": "the social images"}
    assert reserved_owner(path, reserved) == owner


def test_a_site_that_does_not_list_the_plugin_is_not_checked(tmp_path):
    """Signals outlive a Pelican run: after a build with output_paths, one in the
    same process whose PLUGINS leaves it out claims no path and follows no link."""
    from pelicanconf import PLUGINS
    from sitetools.build.builder import build

    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts" / "a.md").write_text(
        "Title: A post\nDate: 2025-03-01 09:00\nTags: alpha\nSlug: a\nSummary: A post.\n\n"
        "See [the guests](pages/guests.html).\n",
        encoding="utf-8",
    )
    checked = {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache-1")}
    with pytest.raises(BuildError, match=r"pages/guests\.html is not in the site"):
        build("pelicanconf.py", tmp_path / "out-1", checked)
    plugins = [name for name in PLUGINS if name != "output_paths"]
    unchecked = {**checked, "CACHE_PATH": str(tmp_path / "cache-2"), "PLUGINS": plugins}
    build("pelicanconf.py", tmp_path / "out-2", unchecked)
    assert (tmp_path / "out-2" / "posts" / "a" / "index.html").is_file()

"""What each production page says about itself in <head> (title, description,
canonical, OpenGraph, Twitter, JSON-LD), and the sitemap and robots.txt."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from plugins.seo.seo import absolute_url, author_url_problem, page_path
from sitetools.build.builder import load_settings
from tests.conftest import DATA, build_site, page_by_title, read_html

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(scope="module")
def sitename():
    return load_settings("publishconf.py")["SITENAME"]


@pytest.fixture(scope="module")
def posts(prod_site, sitename, seed):
    """Each seed post with the path of its production page."""
    pages = page_by_title(prod_site, sitename)
    assert sorted(pages) == sorted(p["title"] for p in seed["posts"]), sorted(pages)
    return [{**post, "path": pages[post["title"]]} for post in seed["posts"]]


def meta(soup, key):
    """Content of every <meta property=key> or <meta name=key>, in order."""
    found = soup.select(f'head meta[property="{key}"]') or soup.select(f'head meta[name="{key}"]')
    return [tag["content"] for tag in found]


def one(soup, key, where):
    values = meta(soup, key)
    assert len(values) == 1, f"{where}: {key} appears {len(values)} times"
    return values[0]


def url_of(siteurl, relative):
    return f"{siteurl}/{relative.removesuffix('index.html')}"


def json_ld(soup, where):
    scripts = soup.select('script[type="application/ld+json"]')
    assert len(scripts) == 1, f"{where}: {len(scripts)} JSON-LD scripts"
    return json.loads(scripts[0].string)


def test_article_head_has_title_description_canonical_og_and_twitter(
    prod_site, prod_siteurl, html, posts, sitename
):
    for post in posts:
        soup = html(prod_site, post["path"])
        where = post["path"]
        url = url_of(prod_siteurl, post["path"])
        assert soup.title.get_text() == f"{post['title']} · {sitename}", where
        assert one(soup, "description", where) == post["summary"], where
        canonical = soup.select('head link[rel="canonical"]')
        assert [c["href"] for c in canonical] == [url], f"{where}: canonical"
        assert one(soup, "og:type", where) == "article"
        assert one(soup, "og:title", where) == post["title"]
        assert one(soup, "og:description", where) == post["summary"]
        assert one(soup, "og:url", where) == url
        assert one(soup, "og:site_name", where) == sitename
        assert meta(soup, "article:tag") == post["tags"], f"{where}: article:tag"
        published = one(soup, "article:published_time", where)
        shown = soup.select_one("article time[datetime]")["datetime"]
        assert datetime.fromisoformat(published) == datetime.fromisoformat(shown), where
        assert not meta(soup, "article:modified_time"), f"{where}: no Modified, no modified_time"
        image = one(soup, "og:image", where)
        assert image.startswith(prod_siteurl + "/social/"), image
        assert (one(soup, "og:image:width", where), one(soup, "og:image:height", where)) == (
            "1200",
            "630",
        )
        # The image (and so its alt text) shows the title with curly quotes.
        assert post["title"] in one(soup, "og:image:alt", where).replace("’", "'")
        assert one(soup, "twitter:card", where) == "summary_large_image"
        assert one(soup, "twitter:title", where) == post["title"]
        assert one(soup, "twitter:description", where) == post["summary"]
        assert one(soup, "twitter:image", where) == image


def test_modified_time_appears_only_with_modified(sharing_site, html):
    soup = html(sharing_site, "posts/updated-post/index.html")
    assert meta(soup, "article:modified_time") == ["2026-03-15T08:30:00+00:00"]
    assert meta(soup, "article:published_time") == ["2026-02-01T10:00:00+00:00"]
    data = json_ld(soup, "updated-post")
    assert data["dateModified"] == "2026-03-15T08:30:00+00:00"
    other = html(sharing_site, "posts/long-title/index.html")
    assert not meta(other, "article:modified_time")


@pytest.mark.parametrize(
    ("relative", "title_start"),
    [
        ("index.html", None),
        ("tags/index.html", "Tags"),
        ("tags/llm/index.html", "Posts tagged"),
        ("archives/index.html", "Archives"),
        ("about/index.html", "About"),
        ("search/index.html", "Search"),
    ],
)
def test_other_pages_are_websites_with_canonical_and_the_site_image(
    prod_site, prod_siteurl, html, relative, title_start
):
    sitename = load_settings("publishconf.py")["SITENAME"]
    soup = html(prod_site, relative)
    url = url_of(prod_siteurl, relative)
    title = soup.title.get_text()
    assert title.startswith(title_start or sitename), title
    assert [c["href"] for c in soup.select('link[rel="canonical"]')] == [url]
    assert one(soup, "og:type", relative) == "website"
    assert one(soup, "og:url", relative) == url
    description = one(soup, "description", relative)
    assert description and one(soup, "og:description", relative) == description
    assert one(soup, "twitter:card", relative) == "summary_large_image"
    image = one(soup, "og:image", relative)
    path = prod_site / urlsplit(image).path.lstrip("/")
    assert image.startswith(prod_siteurl + "/") and path.is_file(), image
    assert not meta(soup, "article:published_time") and not meta(soup, "article:tag")


def test_search_and_404_ask_not_to_be_indexed(prod_site, html):
    for relative in ("404.html", "search/index.html"):
        assert meta(html(prod_site, relative), "robots") == ["noindex"], relative
    for relative in ("index.html", "about/index.html", "tags/llm/index.html"):
        assert not meta(html(prod_site, relative), "robots"), relative


def test_404_gets_the_head_but_no_address_of_its_own(prod_site, html, sitename):
    soup = html(prod_site, "404.html")
    assert not soup.select('link[rel="canonical"]') and not meta(soup, "og:url")
    assert one(soup, "og:site_name", "404") == sitename
    assert one(soup, "og:title", "404").startswith("Page not found")
    assert one(soup, "og:image", "404")


def test_blog_posting_json_ld_matches_the_post(prod_site, prod_siteurl, html, posts, sitename):
    for post in posts:
        soup = html(prod_site, post["path"])
        data = json_ld(soup, post["path"])
        url = url_of(prod_siteurl, post["path"])
        assert data["@context"] == "https://schema.org" and data["@type"] == "BlogPosting"
        assert data["headline"] == post["title"]
        assert data["description"] == post["summary"]
        assert data["keywords"] == post["tags"]
        assert data["url"] == url
        assert data["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
        assert data["author"]["@type"] == "Person" and data["author"]["name"]
        shown = soup.select_one("article time[datetime]")["datetime"]
        assert datetime.fromisoformat(data["datePublished"]) == datetime.fromisoformat(shown)
        assert data["dateModified"] == data["datePublished"], "no Modified: same as published"
        assert data["image"] == meta(soup, "og:image")[0]
        assert data["isPartOf"]["name"] == sitename


def test_front_page_json_ld_is_a_blog_and_a_website(prod_site, prod_siteurl, html, seed, posts):
    soup = html(prod_site, "index.html")
    data = json_ld(soup, "index.html")
    graph = {node["@type"]: node for node in data["@graph"]}
    assert set(graph) == {"Blog", "WebSite"}, list(graph)
    home = f"{prod_siteurl}/"
    assert graph["WebSite"]["url"] == home and graph["Blog"]["url"] == home
    assert graph["Blog"]["description"] == seed["tagline"]
    listed = {item["headline"]: item["url"] for item in graph["Blog"]["blogPost"]}
    assert listed == {p["title"]: url_of(prod_siteurl, p["path"]) for p in posts}
    target = graph["WebSite"]["potentialAction"]["target"]["urlTemplate"]
    assert target == f"{prod_siteurl}/search/?q={{search_term_string}}", target
    for relative in ("tags/index.html", "archives/index.html", "about/index.html"):
        assert not html(prod_site, relative).select('script[type="application/ld+json"]')


def test_a_hostile_title_cannot_close_the_json_ld_script(hostile_prod, html):
    source = (Path(__file__).parent / "data/hostile/posts/markup-in-title.md").read_text()
    title = source.splitlines()[0].removeprefix("Title: ")
    raw = (hostile_prod / "posts/markup-in-title/index.html").read_text(encoding="utf-8")
    body = re.search(r'<script type="application/ld\+json">(.*?)</script>', raw, re.S).group(1)
    assert "<" not in body and ">" not in body and "&" not in body, body
    soup = html(hostile_prod, "posts/markup-in-title/index.html")
    assert json_ld(soup, "hostile")["headline"] == title
    assert one(soup, "og:title", "hostile") == title, "the title is kept as text"
    scripts = [s for s in soup.select("script") if s.get("type") != "application/ld+json"]
    assert not scripts, f"markup became a script: {scripts}"


def test_sitemap_lists_every_post_and_page_with_absolute_urls(prod_site, prod_siteurl, posts):
    tree = ET.parse(prod_site / "sitemap.xml")
    locs = [loc.text for loc in tree.getroot().findall("s:url/s:loc", SITEMAP_NS)]
    assert locs and all(loc.startswith(prod_siteurl + "/") for loc in locs), locs
    for post in posts:
        assert url_of(prod_siteurl, post["path"]) in locs, post["title"]
    for expected in ("", "about/", "tags/", "archives/", "tags/llm/"):
        assert f"{prod_siteurl}/{expected}" in locs, expected
    for unwanted in ("404.html", "robots.txt", "search/"):
        assert f"{prod_siteurl}/{unwanted}" not in locs, unwanted
    for loc in locs:
        path = prod_site / urlsplit(loc).path.lstrip("/")
        assert (path / "index.html" if loc.endswith("/") else path).is_file(), loc


def test_sitemap_leaves_out_drafts(hostile, prod_siteurl):
    dev_locs = (hostile["dev"] / "sitemap.xml").read_text()
    assert "a-draft" not in dev_locs, "a draft reached the sitemap"
    assert "markup-in-title" in dev_locs


def test_robots_txt_names_the_production_sitemap(prod_site, prod_siteurl):
    lines = (prod_site / "robots.txt").read_text().splitlines()
    assert "User-agent: *" in lines
    assert f"Sitemap: {prod_siteurl}/sitemap.xml" in lines, lines


def test_robots_txt_follows_siteurl_for_deploy_previews(tmp_path_factory, monkeypatch):
    preview = "https://deploy-preview-7--example.netlify.app"
    monkeypatch.setenv("SITEURL", preview)
    output = build_site(tmp_path_factory, "preview", "publishconf.py", PATH=str(DATA / "sharing"))
    assert f"Sitemap: {preview}/sitemap.xml" in (output / "robots.txt").read_text()
    soup = read_html(output / "index.html")
    assert soup.select_one('link[rel="canonical"]')["href"] == f"{preview}/"
    assert soup.select_one('link[type="application/atom+xml"]')["href"].startswith(preview)


@pytest.mark.parametrize(
    ("siteurl", "path", "expected"),
    [
        ("https://s.org", "posts/a/", "https://s.org/posts/a/"),
        ("https://s.org/", "/posts/a/", "https://s.org/posts/a/"),
        ("", "posts/a/", "/posts/a/"),
        ("https://s.org", "", "https://s.org/"),
    ],
)
def test_absolute_url(siteurl, path, expected):
    assert absolute_url(siteurl, path) == expected


@pytest.mark.parametrize(
    ("output_file", "expected"),
    [
        ("index.html", ""),
        ("posts/a/index.html", "posts/a/"),
        ("page/2/index.html", "page/2/"),
        ("404.html", "404.html"),
        ("myindex.html", "myindex.html"),
    ],
)
def test_page_path(output_file, expected):
    assert page_path(output_file) == expected


# -- Development builds and the author's address ------------------------------


def test_development_pages_have_no_canonical_or_og_url(site, html):
    # A relative canonical is no address (Lighthouse fails it): without an
    # absolute SITEURL there is none, and no og:url or JSON-LD url either.
    pages = [p for p in sorted(site.rglob("*.html")) if not p.is_relative_to(site / "pagefind")]
    assert len(pages) > 5, pages
    for page in pages:
        soup = html(page.parent, page.name)
        where = page.relative_to(site)
        assert not soup.select('link[rel="canonical"]'), f"{where}: canonical in a dev build"
        assert not meta(soup, "og:url"), f"{where}: og:url in a dev build"
    post = next(p for p in pages if p.relative_to(site).parts[0] == "posts")
    data = json_ld(html(post.parent, post.name), post.name)
    assert "url" not in data and "mainEntityOfPage" not in data, data


def test_every_production_page_has_an_absolute_canonical(prod_site, prod_siteurl, html):
    for page in sorted(prod_site.rglob("*.html")):
        if page.is_relative_to(prod_site / "pagefind") or page.name == "404.html":
            continue
        soup = html(page.parent, page.name)
        where = page.relative_to(prod_site).as_posix()
        hrefs = [c["href"] for c in soup.select('link[rel="canonical"]')]
        assert hrefs == [url_of(prod_siteurl, where)], f"{where}: canonical {hrefs}"
        assert meta(soup, "og:url") == hrefs, f"{where}: og:url"


def test_json_ld_author_has_no_url_by_default(prod_site, html, posts):
    assert load_settings("publishconf.py").get("AUTHOR_PROFILE_URL") is None
    author = json_ld(html(prod_site, posts[0]["path"]), posts[0]["path"])["author"]
    assert author == {"@type": "Person", "name": load_settings()["AUTHOR"]}, author


@pytest.fixture(scope="module")
def author_site(tmp_path_factory):
    return build_site(
        tmp_path_factory,
        "author-url",
        "publishconf.py",
        PATH=str(DATA / "sharing"),
        AUTHOR_PROFILE_URL="https://example.org/about/",
    )


def test_json_ld_author_url_when_set(author_site, html):
    post = next(author_site.glob("posts/*/index.html"))
    author = json_ld(html(post.parent, post.name), post.name)["author"]
    assert author.get("url") == "https://example.org/about/", author
    graph = json_ld(html(author_site, "index.html"), "index.html")["@graph"]
    blog = next(node for node in graph if node["@type"] == "Blog")
    assert blog["author"].get("url") == "https://example.org/about/", blog["author"]


@pytest.mark.parametrize(
    ("author_url", "ok"),
    [
        (None, True),
        ("", True),
        ("https://example.org/me", True),
        ("example.org/me", False),
        ("/about/", False),
        ("javascript:alert(1)", False),
    ],
)
def test_author_url_problem(author_url, ok):
    problem = author_url_problem(author_url)
    assert (problem is None) == ok, problem
    if not ok:
        assert "AUTHOR_PROFILE_URL" in problem and repr(author_url) in problem, problem

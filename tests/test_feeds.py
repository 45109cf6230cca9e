"""Feeds: Atom and RSS for all posts and per tag, on the production build only,
read back with feedparser, and advertised with <link rel="alternate">."""

import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from bs4 import BeautifulSoup

from plugins.feeds.feeds import absolute_links
from tests.conftest import build_site

FORMATS = ("atom", "rss")


def parse(output, relative):
    path = Path(output) / relative
    assert path.is_file(), f"{relative} was not written"
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, f"{relative}: feedparser flagged it: {feed.get('bozo_exception')}"
    return feed


def local_file(output, url, siteurl):
    """The built file an absolute site URL points at."""
    assert url.startswith(siteurl + "/"), f"{url} is not under {siteurl}"
    path = urlsplit(url).path.lstrip("/")
    target = Path(output) / path
    return target / "index.html" if url.endswith("/") else target


@pytest.mark.parametrize("kind", FORMATS)
def test_all_posts_feed_has_every_post_with_plain_titles_and_absolute_links(
    prod_site, prod_siteurl, seed, kind
):
    feed = parse(prod_site, f"feeds/all.{kind}.xml")
    titles = [entry.title for entry in feed.entries]
    assert sorted(titles) == sorted(post["title"] for post in seed["posts"]), titles
    for entry in feed.entries:
        assert entry.title_detail.type == "text/plain", f"{entry.title}: not plain text"
        assert not re.search(r"&#?\w+;|<", entry.title), f"markup in {entry.title!r}"
        assert local_file(prod_site, entry.link, prod_siteurl).is_file(), entry.link
        assert entry.get("published_parsed"), f"{entry.title}: no date"
        if kind == "atom":
            assert "updated" in entry, f"{entry.title}: no <updated>"
        body = entry.content[0].value if kind == "atom" else entry.summary
        words = len(html.unescape(body).split())
        assert words > 300, f"{entry.title}: feed body has {words} words, not the full post"


def test_atom_summary_is_the_one_line_summary(prod_site, seed):
    feed = parse(prod_site, "feeds/all.atom.xml")
    summaries = {entry.title: html.unescape(entry.summary) for entry in feed.entries}
    for post in seed["posts"]:
        assert summaries[post["title"]] == post["summary"], post["title"]


@pytest.mark.parametrize("kind", FORMATS)
def test_each_tag_has_feeds_with_exactly_its_posts(prod_site, seed, kind):
    tags = {tag for post in seed["posts"] for tag in post["tags"]}
    for tag in sorted(tags):
        feed = parse(prod_site, f"feeds/tag-{tag}.{kind}.xml")
        expected = sorted(p["title"] for p in seed["posts"] if tag in p["tags"])
        assert sorted(e.title for e in feed.entries) == expected, f"tag {tag} ({kind})"
        for entry in feed.entries:
            categories = [t.term for t in entry.tags]
            assert tag in categories and "posts" not in categories, categories


def test_feed_links_and_images_inside_content_are_absolute(sharing_site, prod_siteurl):
    for kind in FORMATS:
        feed = parse(sharing_site, f"feeds/all.{kind}.xml")
        entry = next(e for e in feed.entries if "updated later" in e.title)
        body = entry.content[0].value if kind == "atom" else entry.summary
        soup = BeautifulSoup(body, "html.parser")
        urls = [a["href"] for a in soup.select("a[href]")] + [i["src"] for i in soup.select("img")]
        assert len(urls) >= 4, urls
        for url in urls:
            assert url.startswith(prod_siteurl + "/"), f"{kind}: {url} is not absolute"
        assert f"{prod_siteurl}/posts/long-title/" in urls, urls
        assert f"{prod_siteurl}/images/diagram.png" in urls, urls
        assert f"{prod_siteurl}/posts/updated-post/#fn:1" in urls, urls


def test_feed_updated_date_follows_modified(sharing_site):
    entry = next(
        e for e in parse(sharing_site, "feeds/all.atom.xml").entries if "updated" in e.title
    )
    assert entry.published.startswith("2026-02-01"), entry.published
    assert entry.updated.startswith("2026-03-15"), entry.updated


def test_markup_in_a_title_is_kept_as_text_in_feeds(hostile_prod):
    source = (Path(__file__).parent / "data/hostile/posts/markup-in-title.md").read_text()
    title = source.splitlines()[0].removeprefix("Title: ")
    for kind in FORMATS:
        feed = parse(hostile_prod, f"feeds/all.{kind}.xml")
        assert title in [e.title for e in feed.entries], [e.title for e in feed.entries]
    atom = parse(hostile_prod, "feeds/all.atom.xml")
    entry = next(e for e in atom.entries if e.title == title)
    assert "<img" not in entry.summary and "onerror" not in entry.summary, entry.summary


def test_development_builds_write_and_advertise_no_feeds(site, html):
    assert not (site / "feeds").exists(), "feeds are for production builds only"
    assert not html(site, "index.html").select('link[rel="alternate"]')


def test_every_page_advertises_the_site_feeds(prod_site, prod_siteurl, html):
    for page in sorted(prod_site.rglob("*.html")):
        if page.is_relative_to(prod_site / "pagefind"):
            continue
        soup = html(page.parent, page.name)
        where = page.relative_to(prod_site)
        links = {
            link["type"]: link
            for link in soup.select('head link[rel="alternate"]')
            if "all posts" in link.get("title", "")
        }
        assert set(links) == {"application/atom+xml", "application/rss+xml"}, f"{where}"
        for link in links.values():
            assert link["title"].strip(), f"{where}: feed link without a title"
            target = local_file(prod_site, link["href"], prod_siteurl)
            assert target.is_file(), f"{where}: {link['href']} leads nowhere"


def test_tag_pages_advertise_their_own_feeds(prod_site, prod_siteurl, html, seed):
    tags = {tag for post in seed["posts"] for tag in post["tags"]}
    for tag in sorted(tags):
        soup = html(prod_site, f"tags/{tag}/index.html")
        own = [
            link
            for link in soup.select('head link[rel="alternate"]')
            if f"tag-{tag}." in link["href"]
        ]
        assert sorted(link["type"] for link in own) == [
            "application/atom+xml",
            "application/rss+xml",
        ], f"tag {tag}: {own}"
        for link in own:
            assert tag in link["title"], link["title"]
            feed = parse(prod_site, local_file(prod_site, link["href"], prod_siteurl))
            assert feed.entries, link["href"]
    first = next(prod_site.glob("posts/*/index.html"))
    article = html(first.parent, first.name)
    assert not [
        link for link in article.select('link[rel="alternate"]') if "/tag-" in link["href"]
    ], "a tag's feeds belong on that tag's page"


def urls(markup):
    """(tag, attribute, value) of every URL attribute, as a browser parses the markup."""
    soup = BeautifulSoup(markup, "html.parser")
    names = ("href", "src", "srcset", "poster", "cite")
    return [(tag.name, n, tag[n]) for tag in soup.find_all(True) for n in names if tag.has_attr(n)]


@pytest.mark.parametrize(
    ("markup", "base", "expected"),
    [
        ('<a href="/x/">', "https://s.org/posts/a/", '<a href="https://s.org/x/">'),
        ('<a href="../b/">', "https://s.org/posts/a/", '<a href="https://s.org/posts/b/">'),
        ('<a href="#fn:1">', "https://s.org/posts/a/", '<a href="https://s.org/posts/a/#fn:1">'),
        ("<img src='i.png'>", "https://s.org/p/", '<img src="https://s.org/p/i.png">'),
        ("<img src=i.png>", "https://s.org/p/", '<img src="https://s.org/p/i.png">'),
        ('<a href="https://o.org/">', "https://s.org/", '<a href="https://o.org/">'),
        ('<a href="mailto:a@b.org">', "https://s.org/", '<a href="mailto:a@b.org">'),
        ('<a href="/q?a=1&amp;b=2">', "https://s.org/", '<a href="https://s.org/q?a=1&amp;b=2">'),
        (
            '<img srcset="/a.png 1x, /b.png 2x">',
            "https://s.org/",
            '<img srcset="https://s.org/a.png 1x, https://s.org/b.png 2x">',
        ),
    ],
)
def test_absolute_links(markup, base, expected):
    assert urls(absolute_links(markup, base)) == urls(expected)


@pytest.mark.parametrize(
    "markup",
    [
        "<p>href=/not-an-attribute</p>",
        '<p><code>&lt;a href="/x"&gt;</code></p>',
        '<pre><code>&lt;img src="i.png"&gt;\n  two  spaces</code></pre>',
    ],
)
def test_markup_shown_as_text_is_left_alone(markup):
    out = absolute_links(markup, "https://s.org/p/")
    assert (
        BeautifulSoup(out, "html.parser").get_text()
        == BeautifulSoup(markup, "html.parser").get_text()
    )
    assert "s.org" not in out, out


@pytest.fixture(scope="module")
def long_site(tmp_path_factory):
    """A production build of 25 synthetic posts: more than a feed carries."""
    from sitetools.quality.bench import write_corpus

    content = write_corpus(tmp_path_factory.mktemp("long-content"), 25)
    output = build_site(tmp_path_factory, "long-site", "publishconf.py", PATH=str(content))
    return content, output


def _newest_slugs(sources, count):
    """Slugs of the `count` newest posts, from their Date headers."""
    dated = []
    for path in sources:
        header = path.read_text(encoding="utf-8").split("\n\n", 1)[0]
        date = re.search(r"^Date: (.+)$", header, re.M).group(1)
        slug = re.search(r"^Slug: (.+)$", header, re.M).group(1)
        dated.append((date, slug))
    return [slug for _, slug in sorted(dated, reverse=True)[:count]]


@pytest.mark.parametrize("kind", FORMATS)
def test_feeds_carry_the_newest_twenty_posts(long_site, kind):
    content, output = long_site
    sources = sorted((content / "posts").glob("*.md"))
    feed = parse(output, f"feeds/all.{kind}.xml")
    slugs = [urlsplit(entry.link).path.strip("/").split("/")[-1] for entry in feed.entries]
    assert slugs == _newest_slugs(sources, 20), "the feed is not the 20 newest posts, newest first"
    tag = re.search(r"^Tags: ([^,\n]+)", sources[0].read_text(encoding="utf-8"), re.M).group(1)
    tagged = [p for p in sources if re.search(rf"^Tags: .*\b{tag}\b", p.read_text("utf-8"), re.M)]
    tag_feed = parse(output, f"feeds/tag-{tag}.{kind}.xml")
    assert len(tag_feed.entries) == min(20, len(tagged))

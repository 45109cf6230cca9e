"""Newer/older post links: rel="next" leads to the older post and rel="prev" to
the newer one, the front page's newest-first order. Following them visits every
published post once, in date order."""

from collections import namedtuple
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from plugins.article_page.article_page import neighbours, newest_first
from tests.conftest import DATA

Post = namedtuple("Post", "slug date")


def test_newest_first_orders_by_date_then_slug():
    posts = [Post("b", 2), Post("c", 3), Post("a", 2), Post("d", 1)]
    assert [p.slug for p in newest_first(posts)] == ["c", "a", "b", "d"]


def test_neighbours_link_each_post_to_the_ones_beside_it():
    assert neighbours(["new", "mid", "old"]) == [
        ("new", None, "mid"),
        ("mid", "new", "old"),
        ("old", "mid", None),
    ]
    assert neighbours(["only"]) == [("only", None, None)]
    assert neighbours([]) == []


# -- On the built site ---------------------------------------------------------


def normalise(text):
    return " ".join(text.replace("\u00a0", " ").replace("’", "'").split())


def follow(output, html, start, rel, siteurl):
    """Pages visited from `start` (a path under output) following a[rel]."""
    visited = []
    path = start
    while path is not None:
        soup = html(output, path)
        assert path not in visited, f"rel={rel} loops back to {path}"
        visited.append(path)
        links = soup.select(f'main a[rel="{rel}"]')
        heads = soup.select(f'head link[rel="{rel}"]')
        assert len(links) <= 1, f"{path}: {len(links)} rel={rel} links"
        assert [h["href"] for h in heads] == [a["href"] for a in links], (
            f"{path}: <link rel={rel}> does not match the page's link"
        )
        if not links:
            break
        base = f"{siteurl}/{path.removesuffix('index.html')}"
        target = urlsplit(urljoin(base, links[0]["href"])).path
        relative = target[len(urlsplit(siteurl).path) :].lstrip("/")
        path = f"{relative}index.html"
    return visited


@pytest.fixture(scope="module", params=["dev", "prod"])
def built(request, site, prod_site, prod_siteurl):
    if request.param == "dev":
        return site, "http://localhost"
    return prod_site, prod_siteurl


def test_rel_next_chain_visits_every_post_newest_to_oldest(built, html, seed):
    output, siteurl = built
    index = html(output, "index.html")
    first = index.select_one("main article.card a.card__link")["href"]
    start = urlsplit(urljoin(f"{siteurl}/", first)).path
    start = start[len(urlsplit(siteurl).path) :].lstrip("/") + "index.html"

    chain = follow(output, html, start, "next", siteurl)
    titles = [normalise(html(output, p).select_one("h1").get_text()) for p in chain]
    # The seed listing is the front page's order: newest first.
    assert titles == [normalise(p["title"]) for p in seed["posts"]], titles
    assert len(chain) == len(list(Path(output, "posts").glob("*/index.html")))

    back = follow(output, html, chain[-1], "prev", siteurl)
    assert back == list(reversed(chain)), "rel=prev does not walk the chain back"


def test_link_labels_say_newer_and_older(site, html, seed):
    chain = follow(site, html, "posts/" + _slug_of_newest(site, html) + "/index.html", "next", "")
    middle = html(site, chain[1])
    older = middle.select_one('a[rel="next"]')
    newer = middle.select_one('a[rel="prev"]')
    assert older.select_one(".post-nav__label").get_text(strip=True) == "Older post"
    assert newer.select_one(".post-nav__label").get_text(strip=True) == "Newer post"
    assert normalise(newer.select_one(".post-nav__title").get_text()) == normalise(
        seed["posts"][0]["title"]
    )
    assert normalise(older.select_one(".post-nav__title").get_text()) == normalise(
        seed["posts"][2]["title"]
    )


def _slug_of_newest(output, html):
    href = html(output, "index.html").select_one("main article.card a.card__link")["href"]
    return href.strip("./").split("/")[-1]


def published_sources():
    """The reader set's published posts, newest first, from their Date fields."""
    posts = []
    for source in (DATA / "reader" / "posts").glob("*.md"):
        fields = dict(
            line.split(":", 1) for line in source.read_text().split("\n\n")[0].splitlines()
        )
        if fields.get("Status", "").strip() == "hidden":
            continue
        posts.append((datetime.fromisoformat(fields["Date"].strip()), fields["Slug"].strip()))
    return [slug for _, slug in sorted(posts, reverse=True)]


def test_hidden_posts_are_outside_the_chain(reader_site, html):
    expected = published_sources()
    chain = follow(reader_site, html, f"posts/{expected[0]}/index.html", "next", "")
    assert [p.split("/")[1] for p in chain] == expected
    hidden = html(reader_site, "posts/hidden-post/index.html")
    assert not hidden.select("[rel=prev], [rel=next]"), "the hidden post links to neighbours"

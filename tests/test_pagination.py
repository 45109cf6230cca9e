"""Listings longer than one page: the front page and tag pages paginate.

The seed has ten posts, fewer than a page; these tests build 45 synthetic
posts from the benchmark's corpus so that the front page has three pages.
"""

import posixpath

import pytest

from sitetools.bench import write_corpus
from tests.conftest import build_site

POSTS = 45
PER_PAGE = 20


@pytest.fixture(scope="module")
def paged(tmp_path_factory):
    content = write_corpus(tmp_path_factory.mktemp("paged-content"), POSTS)
    return build_site(tmp_path_factory, "paged", PATH=str(content))


def resolve(page_dir, href):
    """A relative link on the page in `page_dir`, as a path from the site root."""
    path = posixpath.normpath(posixpath.join(page_dir, href))
    return "" if path == "." else path + ("/" if href.endswith("/") else "")


def page_links(soup):
    nav = soup.select_one("nav.pagination")
    assert nav is not None, "no pagination nav on a listing longer than a page"
    return nav


def test_front_page_links_to_the_next_page_only(paged, html):
    nav = page_links(html(paged, "index.html"))
    assert nav.select_one("a[rel=prev]") is None, "page 1 has no newer page"
    assert resolve("", nav.select_one("a[rel=next]")["href"]) == "page/2/"
    numbers = [a.get_text(strip=True) for a in nav.select("li a:not([rel])")]
    assert numbers == ["1", "2", "3"], f"page numbers {numbers}"
    assert nav.select_one("a[aria-current=page]").get_text(strip=True) == "1"


def test_middle_page_links_both_ways_and_shows_its_cards(paged, html):
    soup = html(paged, "page/2/index.html")
    nav = page_links(soup)
    newer = resolve("page/2/", nav.select_one("a[rel=prev]")["href"])
    assert newer in ("", "index.html"), f"page 2's newer link goes to {newer!r}"
    assert resolve("page/2/", nav.select_one("a[rel=next]")["href"]) == "page/3/"
    assert nav.select_one("a[aria-current=page]").get_text(strip=True) == "2"
    assert len(soup.select(".card")) == PER_PAGE


def test_last_page_holds_the_rest(paged, html):
    soup = html(paged, "page/3/index.html")
    nav = page_links(soup)
    assert nav.select_one("a[rel=next]") is None, "the last page has no older page"
    assert len(soup.select(".card")) == POSTS - 2 * PER_PAGE

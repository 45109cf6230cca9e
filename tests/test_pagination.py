"""Pagination of the front page and tag pages, exercised with 45 generated posts
and DEFAULT_PAGINATION = 10; the seed's ten posts stay on one page."""

import math
from datetime import date, timedelta
from urllib.parse import urljoin, urlsplit

import pytest

from tests.conftest import build_site

POSTS = 45
PER_PAGE = 10


def generated_posts(folder):
    """45 small posts, one a day; every post is tagged "bulk", every even one also "even"."""
    posts = []
    for number in range(1, POSTS + 1):
        day = date(2024, 1, 1) + timedelta(days=number)
        tags = ["bulk", "even"] if number % 2 == 0 else ["bulk"]
        slug = f"generated-{number:02d}"
        (folder / f"{slug}.md").write_text(
            f"Title: Generated post {number:02d}\nDate: {day:%Y-%m-%d} 09:00\n"
            f"Tags: {', '.join(tags)}\nSlug: {slug}\nSummary: Generated post number {number}.\n\n"
            f"Body of generated post {number}.\n",
            encoding="utf-8",
        )
        posts.append({"slug": slug, "title": f"Generated post {number:02d}", "tags": tags})
    return list(reversed(posts))  # newest first, as listed


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    content = tmp_path_factory.mktemp("many-content")
    (content / "posts").mkdir()
    posts = generated_posts(content / "posts")
    outputs = {
        mode: build_site(
            tmp_path_factory,
            f"many-{mode}",
            config,
            PATH=str(content),
            DEFAULT_PAGINATION=PER_PAGE,
        )
        for mode, config in (("dev", "pelicanconf.py"), ("prod", "publishconf.py"))
    }
    return posts, outputs


@pytest.fixture(params=["dev", "prod"])
def mode(request):
    return request.param


def local_path(page_path, href, siteurl):
    """The output-relative path of the page a link on `page_path` opens."""
    base = siteurl or "http://site.test"
    absolute = urljoin(f"{base}/{page_path.removesuffix('index.html')}", href)
    path = urlsplit(absolute).path[len(urlsplit(base).path) :].lstrip("/")
    return f"{path}index.html" if path.endswith("/") or not path else path


def walk_listing(output, html, first, siteurl):
    """Follow rel=next from `first`, checking each page's links; returns
    [(path, [card titles])]."""
    pages, path, number = [], first, 1
    while path:
        soup = html(output, path)
        titles = [" ".join(c.get_text().split()) for c in soup.select("main .card__title")]
        pages.append((path, titles, soup))
        nav = soup.select_one('main nav.pagination[aria-label="Pages"]')
        assert nav is not None, f"{path}: no pagination"
        current = nav.select('a[aria-current="page"]')
        assert [a.get_text(strip=True) for a in current] == [str(number)], (
            f"{path}: aria-current on {[a.get_text() for a in current]}, expected {number}"
        )
        assert local_path(path, current[0]["href"], siteurl) == path, f"{path}: current href"
        prev_link, next_link = nav.select_one('a[rel="prev"]'), nav.select_one('a[rel="next"]')
        head_prev = soup.select_one('head link[rel="prev"]')
        head_next = soup.select_one('head link[rel="next"]')
        if number == 1:
            assert prev_link is None and head_prev is None, f"{path}: rel=prev on page 1"
        else:
            assert prev_link is not None, f"{path}: no rel=prev"
            assert local_path(path, prev_link["href"], siteurl) == pages[-2][0], path
            assert head_prev is not None and head_prev["href"] == prev_link["href"], path
        if next_link is None:
            assert head_next is None, f"{path}: <link rel=next> on the last page"
            path = None
        else:
            assert head_next is not None and head_next["href"] == next_link["href"], path
            path = local_path(path, next_link["href"], siteurl)
            number += 1
    return pages


def check_listing(output, html, first, expected_titles, siteurl):
    pages = walk_listing(output, html, first, siteurl)
    expected_pages = math.ceil(len(expected_titles) / PER_PAGE)
    assert len(pages) == expected_pages, f"{first}: {len(pages)} pages, expected {expected_pages}"
    for index, (path, titles, soup) in enumerate(pages, 1):
        assert len(titles) == min(PER_PAGE, len(expected_titles) - (index - 1) * PER_PAGE), path
        numbers = [
            a.get_text(strip=True) for a in soup.select("main nav.pagination a") if not a.get("rel")
        ]
        assert numbers == [str(n) for n in range(1, expected_pages + 1)], (
            f"{path}: page numbers {numbers}"
        )
        for number, link in zip(
            range(1, expected_pages + 1),
            [a for a in soup.select("main nav.pagination a") if not a.get("rel")],
            strict=True,
        ):
            assert local_path(path, link["href"], siteurl) == pages[number - 1][0], (
                f"{path}: page {number} links to {link['href']}"
            )
    shown = [title for _, titles, _ in pages for title in titles]
    assert sorted(shown) == sorted(set(shown)), f"{first}: a post appears twice"
    assert shown == expected_titles, f"{first}: posts missing or out of order"


def test_front_page_paginates_every_post_once(many, html, mode, prod_siteurl):
    posts, outputs = many
    siteurl = prod_siteurl if mode == "prod" else ""
    check_listing(outputs[mode], html, "index.html", [p["title"] for p in posts], siteurl)


@pytest.mark.parametrize("tag", ["bulk", "even"])
def test_tag_pages_paginate_that_tags_posts(many, html, mode, tag, prod_siteurl):
    posts, outputs = many
    siteurl = prod_siteurl if mode == "prod" else ""
    expected = [p["title"] for p in posts if tag in p["tags"]]
    check_listing(outputs[mode], html, f"tags/{tag}/index.html", expected, siteurl)
    soup = html(outputs[mode], f"tags/{tag}/index.html")
    count = soup.select_one("main .page-header__tagline").get_text(strip=True)
    assert count == f"{len(expected)} posts", f"tag {tag}: header says {count!r}"


@pytest.mark.parametrize("built", ["site", "prod_site"])
def test_the_seed_stays_on_one_page(built, request, html, seed):
    output = request.getfixturevalue(built)
    soup = html(output, "index.html")
    assert len(soup.select("main article.card")) == len(seed["posts"])
    assert soup.select_one("nav.pagination") is None, "a single page shows pagination"
    assert not soup.select('head link[rel="prev"], head link[rel="next"]')
    assert not (output / "page").exists(), "a second front page was written"
    for tag_page in (output / "tags").glob("*/index.html"):
        assert "pagination" not in tag_page.read_text(encoding="utf-8"), tag_page.parent.name

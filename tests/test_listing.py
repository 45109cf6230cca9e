"""The front page publishes exactly the author's listing, in dev and production."""

import unicodedata
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

# typogrify curls quotes and glues the last two words with a no-break space;
# the seed has plain ones. Fold those differences, nothing else.
_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " "})


def normalise(text):
    return " ".join(unicodedata.normalize("NFC", text).translate(_FOLD).split())


def visible_text(tag):
    """Text a sighted reader sees: visually hidden helper text removed."""
    parts = [
        str(s)
        for s in tag.find_all(string=True)
        if not any("visually-hidden" in (p.get("class") or []) for p in s.parents)
    ]
    return normalise("".join(parts))


@pytest.fixture(scope="module", params=["dev", "prod"])
def built(request, site, prod_site):
    return {"dev": site, "prod": prod_site}[request.param]


def cards(soup):
    return soup.select("main article.card")


def test_heading_and_tagline(built, html, seed):
    soup = html(built, "index.html")
    h1 = soup.select("main h1")
    assert len(h1) == 1, "the front page has one <h1>"
    assert normalise(h1[0].get_text()) == seed["heading"]
    tagline = soup.select_one("main .page-header__tagline")
    assert tagline is not None, "no tagline under the heading"
    assert normalise(tagline.get_text()) == seed["tagline"]


def test_ten_cards_in_seed_order(built, html, seed):
    found = cards(html(built, "index.html"))
    assert len(found) == len(seed["posts"]), f"{len(found)} cards, seed has {len(seed['posts'])}"
    for index, (card, post) in enumerate(zip(found, seed["posts"], strict=True), 1):
        where = f"card {index} ({post['title']!r})"
        assert visible_text(card.select_one(".card__tags")) == " / ".join(post["tags"]), where
        assert normalise(card.select_one(".card__title").get_text()) == normalise(post["title"]), (
            where
        )
        assert normalise(card.select_one(".card__summary").get_text()) == normalise(
            post["summary"]
        ), where
        link = card.select_one("a.card__link")
        assert link is not None, f"{where}: no Read post link"
        assert visible_text(link) == post["link_text"], where


def test_read_post_accessible_name_carries_the_title(built, html, seed):
    for card, post in zip(cards(html(built, "index.html")), seed["posts"], strict=True):
        name = normalise(card.select_one("a.card__link").get_text())
        assert name.startswith("Read post"), name
        assert normalise(post["title"]) in name, f"accessible name {name!r} lacks the title"


def _local_target(output, page_url, href, siteurl):
    """Map a link on a page to the file it opens in the output folder."""
    absolute = urljoin(page_url, href)
    path = urlsplit(absolute).path
    base = urlsplit(siteurl).path if siteurl else ""
    relative = path[len(base) :] if path.startswith(base) else path
    target = Path(output) / relative.lstrip("/")
    return target / "index.html" if relative.endswith("/") or target.is_dir() else target


def test_read_post_links_open_the_article(built, html, seed, site, prod_siteurl):
    is_prod = built != site
    siteurl = prod_siteurl if is_prod else "http://localhost"
    page_url = f"{siteurl}/"
    for card, post in zip(cards(html(built, "index.html")), seed["posts"], strict=True):
        href = card.select_one("a.card__link")["href"]
        if is_prod:
            assert href.startswith(prod_siteurl + "/"), f"{href} is not under SITEURL"
        target = _local_target(built, page_url, href, siteurl)
        assert target.is_file(), f"Read post for {post['title']!r} leads to a missing page {href}"
        article = html(target.parent, target.name)
        h1 = article.select("h1")
        assert len(h1) == 1, f"{href} has {len(h1)} <h1>"
        assert normalise(h1[0].get_text()) == normalise(post["title"])
        title_href = card.select_one(".card__title a")["href"]
        assert title_href == href, "the card title and Read post lead to different pages"

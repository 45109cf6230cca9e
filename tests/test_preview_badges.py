"""Drafts and future-dated posts: in the preview, listed and marked; in
production, never written."""

from datetime import UTC, datetime, timedelta

import pytest

from plugins.preview_badges.preview_badges import badge_for
from tests.conftest import build_site

NOW = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "date", "expected"),
    [
        ("published", NOW - timedelta(days=1), None),
        ("published", NOW + timedelta(minutes=1), "Scheduled"),
        ("draft", NOW - timedelta(days=1), "Draft"),
        ("draft", NOW + timedelta(days=1), "Draft"),
        ("hidden", NOW - timedelta(days=1), None),
        ("published", datetime(2026, 8, 2), "Scheduled"),
    ],
)
def test_badge_for(status, date, expected):
    assert badge_for(status, date, NOW) == expected


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """A published post, a draft and a post dated a month from now, built for
    the preview and for production."""
    content = tmp_path_factory.mktemp("mixed") / "content"
    (content / "posts").mkdir(parents=True)
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d %H:%M")
    posts = {
        "published": ("2026-01-05 09:00", ""),
        "unfinished": ("2026-01-06 09:00", "Status: draft\n"),
        "next-month": (future, ""),
    }
    for slug, (date, extra) in posts.items():
        (content / "posts" / f"{slug}.md").write_text(
            f"Title: Post {slug}\nDate: {date}\nTags: shared, {slug}\nSlug: {slug}\n{extra}\n"
            f"The body of {slug}.\n",
            encoding="utf-8",
        )
    return {
        mode: build_site(tmp_path_factory, f"mixed-{mode}", config, PATH=str(content))
        for mode, config in (("dev", "pelicanconf.py"), ("prod", "publishconf.py"))
    }


def card_badges(soup):
    """{card title: badge text or None} for the cards on a listing page."""
    return {
        card.select_one(".card__title").get_text(" ", strip=True).replace("\xa0", " "): (
            card.select_one(".badge").get_text(strip=True) if card.select_one(".badge") else None
        )
        for card in soup.select("main article.card")
    }


def test_preview_lists_drafts_and_scheduled_posts_with_badges(mixed, html):
    expected = {
        "Post next-month": "Scheduled",
        "Post unfinished": "Draft",
        "Post published": None,
    }
    for page in ("index.html", "tags/shared/index.html"):
        assert card_badges(html(mixed["dev"], page)) == expected, page
    draft = html(mixed["dev"], "drafts/unfinished/index.html")
    assert draft.select_one("article.post .badge").get_text(strip=True) == "Draft"
    scheduled = html(mixed["dev"], "posts/next-month/index.html")
    assert scheduled.select_one("article.post .badge").get_text(strip=True) == "Scheduled"
    published = html(mixed["dev"], "posts/published/index.html")
    assert published.select_one(".badge") is None
    archive = html(mixed["dev"], "archives/index.html").select_one("main").get_text(" ")
    assert "Post unfinished" in archive.replace("\xa0", " ")


def test_production_never_writes_drafts_or_future_posts(mixed, html):
    prod = mixed["prod"]
    assert card_badges(html(prod, "index.html")) == {"Post published": None}
    written = [p.relative_to(prod).as_posix() for p in prod.rglob("*")]
    for slug in ("unfinished", "next-month"):
        leaked = [p for p in written if slug in p]
        assert not leaked, f"{slug} reached production: {leaked}"
        for page in prod.rglob("*.*ml"):
            assert f"Post {slug}" not in page.read_text(encoding="utf-8"), page
    for page in prod.rglob("*.html"):
        assert html(page.parent, page.name).select_one(".badge") is None, page


def test_the_seed_site_has_no_badges(site, prod_site, html):
    for output in (site, prod_site):
        for page in output.rglob("*.html"):
            assert html(page.parent, page.name).select_one(".badge") is None, page

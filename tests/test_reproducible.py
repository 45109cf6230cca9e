"""Undated sitemap entries take the newest content date, never the build's clock."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from plugins.reproducible.reproducible import newest_date

JAN = datetime(2026, 1, 5, tzinfo=UTC)
MAR = datetime(2026, 3, 1, tzinfo=UTC)
JUN = datetime(2026, 6, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("contents", "expected"),
    [
        ([SimpleNamespace(date=JAN), SimpleNamespace(date=MAR)], MAR),
        ([SimpleNamespace(date=JAN, modified=JUN), SimpleNamespace(date=MAR)], JUN),
        ([SimpleNamespace(title="About"), SimpleNamespace(date=JAN)], JAN),
        ([SimpleNamespace(title="About")], None),
        ([], None),
    ],
)
def test_newest_date(contents, expected):
    assert newest_date(contents) == expected


def test_sitemap_dates_undated_pages_by_the_newest_post(prod_site, prod_siteurl):
    import re

    sitemap = (prod_site / "sitemap.xml").read_text(encoding="utf-8")
    entries = dict(re.findall(r"<loc>([^<]+)</loc>\s*<lastmod>([^<]+)</lastmod>", sitemap))
    posts = [stamp for loc, stamp in entries.items() if "/posts/" in loc]
    assert posts, "no posts in the sitemap"
    front = next(
        stamp for loc, stamp in entries.items() if loc.endswith(".app/") or loc.count("/") == 3
    )
    assert front == max(posts), f"front page lastmod {front}, newest post {max(posts)}"

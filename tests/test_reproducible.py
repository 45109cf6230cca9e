"""Undated sitemap entries take the newest content date, never the build's clock."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from plugins.reproducible.reproducible import date_undated, newest_date, plugin_order_problem
from tests.conftest import DATA, run_python, snapshot

JAN = datetime(2026, 1, 5, tzinfo=UTC)
MAR = datetime(2026, 3, 1, tzinfo=UTC)
JUN = datetime(2026, 6, 9, tzinfo=UTC)
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def lastmods(xml_bytes):
    """{loc: lastmod} of a sitemap, read with a real XML parser."""
    root = ET.fromstring(xml_bytes)
    return {
        url.findtext("sm:loc", "", NS): url.findtext("sm:lastmod", "", NS)
        for url in root.iterfind("sm:url", NS)
    }


@pytest.mark.parametrize(
    ("contents", "expected"),
    [
        ([SimpleNamespace(date=JAN), SimpleNamespace(date=MAR)], MAR),
        ([SimpleNamespace(date=JAN, modified=JUN), SimpleNamespace(date=MAR)], JUN),
        ([SimpleNamespace(title="About")], None),
        ([], None),
    ],
)
def test_newest_date(contents, expected):
    assert newest_date(contents) == expected


CLOCKED = b"""<?xml version="1.0" encoding="utf-8"?>
<urlset xmlns:xhtml="http://www.w3.org/1999/xhtml"
xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://x.test/</loc><lastmod>2031-07-04T13:59:58+00:00</lastmod></url>
<url><loc>https://x.test/posts/a/</loc><lastmod>2026-01-05T00:00:00+00:00</lastmod></url>
<url><loc>https://x.test/about/</loc><lastmod>2031-07-04T13:59:58-00:00</lastmod></url>
</urlset>
"""


def test_undated_entries_lose_the_clock_and_dated_ones_keep_their_date():
    fixed = date_undated(CLOCKED, {"2026-01-05T00:00:00+00:00"}, JUN)
    assert lastmods(fixed) == {
        "https://x.test/": "2026-06-09T00:00:00+00:00",
        "https://x.test/posts/a/": "2026-01-05T00:00:00+00:00",
        "https://x.test/about/": "2026-06-09T00:00:00+00:00",
    }, fixed.decode()
    assert date_undated(CLOCKED, {"2026-01-05T00:00:00+00:00"}, JUN) == fixed, "not deterministic"


def test_plugin_order_problem_names_the_setting():
    assert plugin_order_problem(["pelican.plugins.sitemap", "reproducible"]) is None
    assert plugin_order_problem(["reproducible"]) is None
    problem = plugin_order_problem(["reproducible", "pelican.plugins.sitemap"])
    assert problem and "PLUGINS" in problem and "after" in problem, problem


def test_sitemap_dates_undated_entries_by_the_newest_post(prod_site):
    entries = lastmods((prod_site / "sitemap.xml").read_bytes())
    posts = {loc: stamp for loc, stamp in entries.items() if "/posts/" in loc}
    assert posts, f"no posts in the sitemap: {sorted(entries)}"
    others = {loc: stamp for loc, stamp in entries.items() if loc not in posts}
    assert others, "no front page, tag or page in the sitemap"
    clocked = {loc: stamp for loc, stamp in others.items() if stamp != max(posts.values())}
    assert not clocked, f"entries not dated by the newest post {max(posts.values())}: {clocked}"


def test_reproducible_before_sitemap_fails_the_build(tmp_path):
    # A fresh process: Pelican keeps the first order it connected receivers in.
    output = tmp_path / "output"
    output.mkdir()
    (output / "keep.txt").write_text("last good build", encoding="utf-8")
    before = snapshot(output)
    printed = run_python(f"""
        from sitetools.build.builder import BuildError, build, load_settings
        plugins = load_settings("pelicanconf.py")["PLUGINS"]
        wrong = ["reproducible", *(name for name in plugins if name != "reproducible")]
        settings = {{"PATH": {str(DATA / "reader")!r}, "CACHE_PATH": {str(tmp_path / "c")!r}}}
        try:
            build("pelicanconf.py", {str(output)!r}, {{**settings, "PLUGINS": wrong}})
        except BuildError as error:
            print("FAILED:", *error.problems, sep="\\n")
    """)
    assert "FAILED:" in printed, f"the build with reproducible first did not fail: {printed}"
    assert "PLUGINS" in printed and "after" in printed, printed
    assert "Traceback" not in printed, printed
    assert snapshot(output) == before, "a failed build changed output/"

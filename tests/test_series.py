"""Series (pelican-series + series_pages) on fixture posts (tests/data/series):
"Part N of M" and the other parts on each post, the series name on the card's
tag line, and a listing page per series. Drafts are not counted as parts."""

import pytest

from tests.conftest import DATA, axe_violations, build_site, read_html

SERIES = DATA / "series"
# Series_index 3, 2, 1 on parts 1, 2, 3: the index, not the date, sets the order.
ORDER = ["series-part-3", "series-part-2", "series-part-1"]
SITEURL = "https://series.example.org"


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    return build_site(tmp_path_factory, "series-dev", PATH=str(SERIES))


@pytest.fixture(scope="module")
def prod(tmp_path_factory):
    return build_site(
        tmp_path_factory, "series-prod", "publishconf.py", PATH=str(SERIES), SITEURL=SITEURL
    )


def box(output, slug):
    return read_html(output / "posts" / slug / "index.html").select_one("nav.series")


@pytest.mark.parametrize("number", [1, 2, 3])
def test_each_part_shows_part_n_of_m_and_the_other_parts(prod, number):
    slug = ORDER[number - 1]
    nav = box(prod, slug)
    assert nav is not None, f"{slug} has no series box"
    title = nav.select_one(".series__title").get_text(" ", strip=True)
    assert title == f"Part {number} of 3 in the series Test Series", title
    items = nav.select(".series__parts li")
    assert len(items) == 3, items
    current = [li for li in items if li.get("aria-current") == "page"]
    assert len(current) == 1 and items.index(current[0]) == number - 1, items
    assert current[0].a is None, "the current part links to itself"
    linked = [li.a["href"].rstrip("/").rsplit("/", 1)[-1] for li in items if li.a]
    assert linked == [s for s in ORDER if s != slug], linked


def test_the_series_box_links_the_series_page(prod):
    link = box(prod, ORDER[0]).select_one(".series__title a")
    assert link["href"] == f"{SITEURL}/series/test-series/", link
    assert (prod / "series" / "test-series" / "index.html").is_file()


def test_the_series_page_lists_the_published_parts_in_order(prod):
    page = read_html(prod / "series" / "test-series" / "index.html")
    assert page.select_one("h1").get_text(strip=True) == "Test Series"
    hrefs = [a["href"] for a in page.select(".series-list .card__title a")]
    assert [h.rstrip("/").rsplit("/", 1)[-1] for h in hrefs] == ORDER, hrefs
    assert "draft" not in page.get_text(" ").lower(), "a draft part is listed"
    canonical = page.select_one('link[rel="canonical"]')
    assert canonical and canonical["href"] == f"{SITEURL}/series/test-series/", canonical


def test_a_draft_part_is_not_counted_on_published_parts(prod, dev):
    assert not (prod / "drafts" / "series-part-draft").exists()
    # The preview shows the draft its own place, after the published parts.
    nav = read_html(dev / "drafts" / "series-part-draft" / "index.html").select_one("nav.series")
    assert "Part 4 of 4" in nav.get_text(" ", strip=True), nav
    assert "Part 3 of 3" in box(dev, ORDER[2]).get_text(" ", strip=True)


def test_the_card_shows_the_series_name_on_the_tag_line(prod):
    cards = read_html(prod / "index.html").select("article.card")
    by_title = {" ".join(c.select_one(".card__title").get_text().split()): c for c in cards}
    for number in (1, 2, 3):
        tags = by_title[f"Fixture series part {number}"].select_one(".card__tags")
        assert tags.select_one(".card__series").get_text(strip=True) == "Series: Test Series"
        assert "gamma" in tags.get_text(), tags
    assert by_title["Fixture lone post"].select_one(".card__series") is None


def test_a_post_in_no_series_has_no_series_box(prod):
    assert box(prod, "lone-post") is None


def test_the_authors_posts_are_not_a_series():
    posts = sorted((DATA.parent.parent / "content" / "posts").glob("*.md"))
    assert posts, "no posts found"
    for path in posts:
        header = path.read_text(encoding="utf-8").split("\n\n", 1)[0].lower()
        assert "\nseries:" not in f"\n{header}", f"{path.name} is marked as a series"


def test_a_site_without_the_plugins_gets_no_series_pages(tmp_path_factory, prod):
    """Signals outlive a build: a later build without the plugins in the same
    process writes no series page and no series box."""
    from sitetools.build.builder import load_settings

    plugins = [p for p in load_settings("pelicanconf.py")["PLUGINS"] if "series" not in p]
    output = build_site(tmp_path_factory, "series-off", PATH=str(SERIES), PLUGINS=plugins)
    assert not (output / "series").exists()
    assert box(output, ORDER[0]) is None


MODES = [
    {"color_scheme": "light", "viewport": {"width": 390, "height": 844}},
    {"color_scheme": "dark", "viewport": {"width": 1280, "height": 900}},
]


@pytest.mark.parametrize("mode", MODES, ids=["light-390px", "dark-1280px"])
@pytest.mark.parametrize("path", [f"/posts/{ORDER[1]}/", "/series/test-series/"])
def test_series_pages_pass_axe_and_fit_the_width(open_page, prod, path, mode):
    page = open_page(prod, path, origin=SITEURL, **mode)
    page.wait_for_selector("main")
    assert axe_violations(page) == [], f"{path} {mode['color_scheme']}"
    width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"{path} scrolls sideways: {width}"

"""A first look through a real browser: the dev site's front page renders its
cards and the first "Read post" opens the article."""

import pytest

pytestmark = pytest.mark.browser


def test_front_page_cards_render_and_read_post_opens_the_article(open_page, site, seed):
    page = open_page(site, "/", viewport={"width": 390, "height": 900})
    assert page.locator("main article.card").count() == len(seed["posts"])
    first = seed["posts"][0]
    link = page.get_by_role("link", name=f"Read post about {first['title']}", exact=True)
    assert link.is_visible(), "the first card's Read post link is not visible"
    link.click()
    page.wait_for_load_state()
    heading = page.locator("h1").inner_text().replace("\xa0", " ")
    assert heading == first["title"], heading

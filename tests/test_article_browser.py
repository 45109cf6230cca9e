"""The article page in a real browser: code blocks scroll inside themselves,
anchor links show on hover and keyboard focus, highlighted code keeps AA
contrast as rendered, and the TOC and footnote links move the reader."""

from pathlib import Path

import pytest

from tests.colours import contrast

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
READER_POST = "/posts/sections-and-code/"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_article_scrolls_sideways_on_a_phone(open_page, site, reader_site, scheme):
    paths = [f"/posts/{p.parent.name}/" for p in sorted(Path(site, "posts").glob("*/index.html"))]
    page = open_page(site, paths[0], viewport=PHONE, color_scheme=scheme)
    for path in paths:
        page.goto(f"http://blog.test{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path}: the page is {width}px wide at 390px"
    page = open_page(reader_site, READER_POST, viewport=PHONE, color_scheme=scheme)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    pre = page.locator(".highlight pre", has_text="curl")
    scroll, client = pre.evaluate("p => [p.scrollWidth, p.clientWidth]")
    assert scroll > client, "the long code line did not make its block scroll"
    pre.evaluate("p => p.scrollBy(200, 0)")
    assert pre.evaluate("p => p.scrollLeft") > 0, "the code block does not scroll"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_anchor_links_show_on_hover_and_on_keyboard_focus(open_page, reader_site, viewport):
    from playwright.sync_api import expect

    page = open_page(reader_site, READER_POST, viewport=viewport)
    anchor = page.get_by_role("link", name="Link to section: First section", exact=True)
    expect(anchor).to_have_count(1)
    expect(anchor).to_have_css("opacity", "0")
    page.locator("h2#first-section").hover()
    expect(anchor).to_have_css("opacity", "1")
    page.mouse.move(0, 0)
    expect(anchor).to_have_css("opacity", "0")

    # Tab from the TOC's last link into the body: the first anchors are reached.
    last_toc_link = page.locator('nav[aria-label="Table of contents"] a').last
    last_toc_link.focus()
    page.keyboard.press("Tab")  # the footnote reference
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#first-section", f"Tab reached {focused}"
    expect(anchor).to_have_css("opacity", "1")
    box = anchor.bounding_box()
    heading = page.locator("h2#first-section").bounding_box()
    assert box["x"] >= heading["x"] + heading["width"] - 1, "the anchor is not after the heading"
    assert box["x"] + box["width"] <= viewport["width"], "the anchor is off screen"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_rendered_code_colours_meet_aa(open_page, site, reader_site, scheme):
    checked = set()
    for output, path in (
        (reader_site, READER_POST),
        (site, "/posts/evaluating-ml-algorithms-in-production/"),
        (site, "/posts/readiness-gates-llm-inference-deployments/"),
    ):
        page = open_page(output, path, viewport=DESKTOP, color_scheme=scheme)
        pairs = page.evaluate(
            """() => [...document.querySelectorAll('.highlight pre, .highlight pre span[class]')]
                .map(el => [el.className || 'pre', getComputedStyle(el).color,
                            getComputedStyle(el.closest('pre')).backgroundColor])"""
        )
        assert pairs, f"{path}: no highlighted code"
        for name, colour, background in pairs:
            ratio = contrast(colour, background)
            assert ratio >= 4.5, f"{scheme} {path}: .{name} {colour} on {background} is {ratio:.2f}"
            checked.add(name)
    assert {"k", "s2", "nf", "c1"} <= checked, f"token classes seen: {sorted(checked)}"


def test_toc_and_footnote_links_move_the_reader(open_page, reader_site):
    page = open_page(reader_site, READER_POST, viewport=PHONE)
    page.locator('nav[aria-label="Table of contents"] a[href="#last-subsection"]').click()
    assert page.url.endswith("#last-subsection")
    top = page.locator("h3#last-subsection").evaluate("h => h.getBoundingClientRect().top")
    assert 0 <= top < PHONE["height"] / 2, f"the heading is at {top}px after the TOC link"

    page.locator("a.footnote-ref").click()
    assert page.url.endswith("#fn:note")
    note = page.locator('[id="fn:note"]')
    assert note.is_visible() and note.evaluate("n => n.getBoundingClientRect().top") >= 0
    page.locator("a.footnote-backref").click()
    assert page.url.endswith("#fnref:note")
    ref = page.locator('[id="fnref:note"]').evaluate("r => r.getBoundingClientRect().top")
    assert 0 <= ref < PHONE["height"], "the back link did not return to the reference"

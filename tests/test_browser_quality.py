"""What a reader sees, in Debian's Chromium, on the production build: layout at
phone and desktop widths, dark mode, the keyboard path, axe-core's WCAG 2.2
A/AA rules on every page kind in light and dark, reading without JavaScript,
and the printed article.

Pages are discovered from the output (pages_by_kind in tests/conftest.py), so a page kind or
a card added later is checked without editing this file. One browser per
session; one context per viewport/colour scheme per module, reused by page.goto.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.colours import contrast, luminance
from tests.conftest import ALL_KINDS, DATA, REQUIRED_KINDS, build_site, pages_by_kind, route_site

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MIN_TEXT_PX = 16
# A block of running text: an element whose own text has at least this many words.
RUNNING_TEXT_WORDS = 8


@pytest.fixture(scope="module")
def pages(prod_site):
    found = pages_by_kind(prod_site)
    missing = [kind for kind in REQUIRED_KINDS if kind not in found]
    assert not missing, f"the production build has no page of kind {missing}"
    return found


@pytest.fixture(scope="module")
def viewer(browser, prod_site, prod_siteurl):
    """viewer(path, **context options) -> a page showing that page of the
    production build; one page per set of options for the whole module."""
    opened = {}

    def show(path, **options):
        key = repr(sorted(options.items()))
        if key not in opened:
            context = browser.new_context(**options)
            route_site(context, prod_site, prod_siteurl)
            opened[key] = (context, context.new_page())
        page = opened[key][1]
        response = page.goto(prod_siteurl + path)
        assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
        return page

    yield show
    for context, _ in opened.values():
        context.close()


# ---- Layout ---------------------------------------------------------------------

LAYOUT = """() => {
  const doc = document.documentElement;
  const cards = [...document.querySelectorAll(".card")].map((card, index) => {
    const box = card.getBoundingClientRect();
    return {index, left: box.left, right: box.right, width: box.width};
  });
  const small = [];
  for (const el of document.querySelectorAll("main *")) {
    const own = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE)
      .map((n) => n.textContent).join(" ").split(/\\s+/).filter(Boolean);
    if (own.length < WORDS || !el.checkVisibility()) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < MIN) small.push({tag: el.tagName.toLowerCase(), cls: el.className, size,
                               text: own.slice(0, 8).join(" ")});
  }
  return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, cards, small,
          body: parseFloat(getComputedStyle(document.body).fontSize)};
}""".replace("WORDS", str(RUNNING_TEXT_WORDS)).replace("MIN", str(MIN_TEXT_PX))


def test_short_hyphenated_words_never_break_at_their_hyphen(viewer, pages):
    """At 390 px the seed's "llm-d" title wrapped as "llm-" / "d"."""
    split, kept = [], 0
    for path in pages["front"] + pages["article"]:
        found = viewer(path, viewport=PHONE).evaluate(
            """() => [...document.querySelectorAll(".nowrap")].map((el) => ({
                 text: el.textContent,
                 // One box per line, and more where a child (typogrify's caps) starts.
                 lines: new Set([...el.getClientRects()].map((box) => Math.round(box.top))).size,
               }))"""
        )
        kept += len(found)
        split += [f"{path}: {word['text']!r} on {word['lines']} lines" for word in found
                  if word["lines"] != 1]  # fmt: skip
    assert kept, "no short hyphenated word is marked in the seed's titles and summaries"
    assert not split, "\n".join(split)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_front_page_and_articles_fit_the_width_with_readable_text(viewer, pages, viewport):
    failures = []
    for path in pages["front"] + pages["article"]:
        found = viewer(path, viewport=viewport).evaluate(LAYOUT)
        width = found["clientWidth"]
        where = f"{path} at {viewport['width']} px"
        if found["scrollWidth"] > width:
            failures.append(f"{where}: scrolls sideways, {found['scrollWidth']} px > {width} px")
        for card in found["cards"]:
            if card["left"] < 0 or card["right"] > width + 0.5:
                failures.append(
                    f"{where}: card {card['index'] + 1} spans {card['left']:.0f}–"
                    f"{card['right']:.0f} px, outside 0–{width} px"
                )
        if found["body"] < MIN_TEXT_PX:
            failures.append(f"{where}: body text {found['body']} px < {MIN_TEXT_PX} px")
        for block in found["small"]:
            failures.append(
                f"{where}: <{block['tag']} class={block['cls']!r}> at {block['size']} px "
                f"< {MIN_TEXT_PX} px: {block['text']}…"
            )
        if path in pages["front"] and not found["cards"]:
            failures.append(f"{where}: no cards on the front page")
    assert not failures, "\n".join(failures)


# ---- Dark mode -------------------------------------------------------------------


COLOURS = """(selector) => {
  const el = document.querySelector(selector);
  if (!el) return null;
  const style = getComputedStyle(el);
  return {background: style.backgroundColor, text: style.color};
}"""


@pytest.fixture(scope="module")
def article_with_code(pages, prod_site):
    from tests.conftest import file_for, read_html

    for path in pages["article"]:
        if read_html(file_for(prod_site, path)).select_one("main pre"):
            return path
    pytest.fail("no article has a code block to check dark mode on")


@pytest.mark.parametrize(
    "target",
    [
        ("page", "body", "front"),
        ("card", ".card", "front"),
        ("page", "body", "code"),
        ("code block", "main pre", "code"),
    ],
    ids=lambda target: f"{target[0]} on {target[2]}",
)
def test_dark_mode_switches_background_and_text(viewer, pages, article_with_code, target):
    what, selector, where = target
    path = article_with_code if where == "code" else pages["front"][0]
    light = viewer(path, viewport=DESKTOP).evaluate(COLOURS, selector)
    dark = viewer(path, viewport=DESKTOP, color_scheme="dark").evaluate(COLOURS, selector)
    assert light and dark, f"{path}: nothing matches {selector}"
    label = f"{path} {what} ({selector})"
    assert light["background"] != dark["background"], f"{label}: background stays {light}"
    assert light["text"] != dark["text"], f"{label}: text colour stays {light}"
    assert luminance(dark["background"]) < luminance(dark["text"]), (
        f"{label}: dark mode is not dark: {dark}"
    )
    assert luminance(light["background"]) > luminance(light["text"]), (
        f"{label}: light mode is not light: {light}"
    )
    for scheme, colours in (("light", light), ("dark", dark)):
        ratio = contrast(colours["background"], colours["text"])
        assert ratio >= 4.5, f"{label} in {scheme}: contrast {ratio:.2f}:1 < 4.5:1 {colours}"


# ---- Keyboard --------------------------------------------------------------------

FOCUS = """() => {
  const el = document.activeElement;
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  const cardLinks = [...document.querySelectorAll("main .card a[href]")];
  return {
    tag: el.tagName.toLowerCase(), cls: el.className, text: el.innerText.trim(),
    href: el.href || null, inMain: !!el.closest("main"), cardLink: cardLinks.indexOf(el),
    box: {top: box.top, left: box.left, bottom: box.bottom, right: box.right,
          width: box.width, height: box.height},
    viewport: {width: innerWidth, height: innerHeight},
    ring: {outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
           shadow: style.boxShadow},
  };
}"""

RESTING_RINGS = """() => [...document.querySelectorAll("main .card a[href]")].map((el) => {
  const style = getComputedStyle(el);
  return {outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
          shadow: style.boxShadow, text: el.innerText.trim(), href: el.href,
          card: [...document.querySelectorAll("main .card")].indexOf(el.closest(".card"))};
})"""


def has_visible_ring(ring, resting):
    outline_style, outline_width = ring["outline"].split()[:2]
    drawn = (outline_style != "none" and float(outline_width.removesuffix("px")) >= 2) or (
        ring["shadow"] != "none"
    )
    return drawn and ring != {"outline": resting["outline"], "shadow": resting["shadow"]}


def skip_to_main(page):
    """First Tab and Enter, as a keyboard user starts; returns the focus states."""
    page.keyboard.press("Tab")
    skip = page.evaluate(FOCUS)
    page.keyboard.press("Enter")
    landed = page.evaluate(FOCUS)
    return skip, landed


def test_first_tab_reaches_the_skip_link_which_moves_focus_to_main(viewer, pages):
    for viewport in (PHONE, DESKTOP):
        page = viewer(pages["front"][0], viewport=viewport)
        skip, landed = skip_to_main(page)
        where = f"{pages['front'][0]} at {viewport['width']} px"
        assert skip["tag"] == "a" and (skip["href"] or "").endswith("#main"), (
            f"{where}: first Tab focused <{skip['tag']} class={skip['cls']!r}> {skip['text']!r}, "
            "not the skip link"
        )
        box, view = skip["box"], skip["viewport"]
        assert (
            box["width"] > 0
            and box["top"] >= 0
            and box["left"] >= 0
            and box["bottom"] <= view["height"]
            and box["right"] <= view["width"]
        ), f"{where}: the focused skip link is not on screen: {box}"
        assert landed["inMain"], (
            f"{where}: after the skip link focus is on <{landed['tag']}>, not in <main>"
        )


def test_tab_reaches_every_card_link_in_order_with_a_visible_focus_ring(viewer, pages):
    failures = []
    for path in pages["front"]:
        page = viewer(path, viewport=DESKTOP)
        resting = page.evaluate(RESTING_RINGS)
        assert resting, f"{path}: no card links"
        skip_to_main(page)
        reached = []
        for _ in range(len(resting) + 20):
            page.keyboard.press("Tab")
            state = page.evaluate(FOCUS)
            if not state["inMain"]:
                break
            if state["cardLink"] >= 0:
                reached.append(state["cardLink"])
                rest = resting[state["cardLink"]]
                if not has_visible_ring(state["ring"], rest):
                    failures.append(
                        f"{path}: no visible focus ring on card {rest['card'] + 1} link "
                        f"{state['text']!r}: focused {state['ring']}, resting {rest}"
                    )
        expected = list(range(len(resting)))
        if reached != expected:
            names = [f"{r['card'] + 1}:{r['text'][:30]}" for r in resting]
            got = [names[i] for i in reached]
            failures.append(f"{path}: Tab order {got}, expected {names}")
        for card in {r["card"] for r in resting}:
            texts = [r["text"] for r in resting if r["card"] == card]
            if len(texts) < 2 or not texts[-1].startswith("Read post"):
                failures.append(f"{path}: card {card + 1} links {texts}: title, then Read post")
    assert not failures, "\n".join(failures)


def test_enter_on_read_post_opens_that_article(viewer, pages):
    page = viewer(pages["front"][0], viewport=PHONE)
    skip_to_main(page)
    for _ in range(20):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS)
        if state["text"].startswith("Read post"):
            break
    else:
        pytest.fail("no Read post link within 20 Tabs of the skip link")
    card_title = page.locator("main .card").first.locator("h2, h3").inner_text()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == state["href"], f"Enter on Read post went to {page.url}"
    heading = page.locator("main h1").inner_text()
    assert heading == card_title, f"Read post opened {heading!r}, the card says {card_title!r}"


# ---- Axe: WCAG 2.2 A/AA ---------------------------------------------------------


@pytest.fixture(scope="module")
def axe():
    return Axe()


def axe_report(where, violations):
    lines = []
    for violation in violations:
        lines.append(f"{where}: {violation['id']} [{violation['impact']}] {violation['help']}")
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {target}: {' '.join(node['html'].split())[:200]}")
            lines.append(f"      {summary[:400]}")
    return lines


# Colours do not depend on the width and layout does not depend on the scheme, so
# light runs at phone width (where blocks scroll and targets crowd) and dark at
# desktop width: both schemes and both layouts, at half the cost of all four.
@pytest.mark.parametrize(
    "mode",
    [{"color_scheme": "light", "viewport": PHONE}, {"color_scheme": "dark", "viewport": DESKTOP}],
    ids=["light-390px", "dark-1280px"],
)
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_axe_finds_no_wcag_violation(viewer, pages, axe, kind, mode):
    if kind not in pages:
        pytest.skip(f"the build has no {kind} page (no {kind}/index.html in the output)")
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    lines = []
    for path in pages[kind]:
        page = viewer(path, **mode)
        where = f"{path} ({mode['color_scheme']}, {mode['viewport']['width']} px)"
        lines += axe_report(where, axe.run(page, options=options).response["violations"])
    assert not lines, "axe-core found WCAG 2.2 A/AA violations:\n" + "\n".join(lines)


# ---- Without JavaScript ------------------------------------------------------------

MAIN_TEXT = "() => document.querySelector('main').innerText.trim()"


def test_every_page_kind_reads_the_same_without_javascript(viewer, pages):
    failures = []
    for kind, paths in sorted(pages.items()):
        path = paths[0]
        with_js = viewer(path, viewport=DESKTOP).evaluate(MAIN_TEXT)
        page = viewer(path, viewport=DESKTOP, java_script_enabled=False)
        heading = page.locator("main h1")
        if not heading.count() or not heading.first.is_visible():
            failures.append(f"{path} ({kind}): no visible <h1> without JavaScript")
        # The search page's results need a script by nature; its heading must not.
        if kind != "search":
            without = page.evaluate(MAIN_TEXT)
            if without != with_js:
                failures.append(
                    f"{path} ({kind}): without JavaScript <main> shows {len(without)} "
                    f"characters, with it {len(with_js)}"
                )
    assert not failures, "\n".join(failures)


# ---- Print -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def printable(tmp_path_factory):
    """A production build of a post that links out and to another post."""
    return build_site(tmp_path_factory, "printable", "publishconf.py", PATH=str(DATA / "printable"))


PRINTED = """() => {
  const shown = (el) => el.checkVisibility();
  const body = document.querySelector(".post__body") || document.querySelector("main article");
  return {
    navs: [...document.querySelectorAll("nav")].filter((n) => !body.contains(n))
      .map((n) => ({label: n.getAttribute("aria-label"), shown: shown(n)})),
    skip: shown(document.querySelector(".skip-link")),
    links: [...body.querySelectorAll("a[href]")].map((a) => ({
      href: a.getAttribute("href"), after: getComputedStyle(a, "::after").content})),
    background: getComputedStyle(document.body).backgroundColor,
    text: getComputedStyle(document.body).color,
  };
}"""


def test_an_article_prints_without_navigation_and_with_link_addresses(
    browser, printable, prod_siteurl
):
    context = browser.new_context(color_scheme="dark")
    try:
        route_site(context, printable, prod_siteurl)
        page = context.new_page()
        page.goto(prod_siteurl + "/posts/a-post-with-links/")
        page.emulate_media(media="print")
        printed = page.evaluate(PRINTED)
    finally:
        context.close()
    assert printed["navs"], "the article has no <nav> outside its body to hide"
    shown = [nav for nav in printed["navs"] if nav["shown"]]
    assert not shown, f"navigation still printed: {shown}"
    assert not printed["skip"], "the skip link is printed"
    links = [link for link in printed["links"] if link["href"].startswith("http")]
    assert len(links) >= 2, f"the test post lost its links: {printed['links']}"
    for link in links:
        assert link["href"] in link["after"], (
            f"printed link {link['href']} does not show its address: ::after is {link['after']}"
        )
    assert contrast(printed["background"], printed["text"]) >= 15, (
        f"print is not dark text on white even in dark mode: {printed}"
    )

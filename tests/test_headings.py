"""Section headings: stable ids, anchor links and the table of contents, in the
plugin's pure functions and on the built pages."""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from plugins.headings.headings import add_anchors, anchor_link, prepared

LEVELS = ("h2", "h3")


def soup_of(markup):
    return BeautifulSoup(markup, "html.parser")


def ensure_ids(markup):
    return prepared(markup, 0)[0] or markup


def toc_entries(markup, min_sections):
    return prepared(markup, min_sections)[1]


def anchors_by_tree(markup, levels=LEVELS):
    """What add_anchors must give, worked out on BeautifulSoup's tree."""
    soup = soup_of(markup)
    for heading in [h for h in soup.find_all(list(levels)) if h.get("id")]:
        wrapper = soup.new_tag(
            "div", attrs={"class": f"section-heading section-heading--{heading.name}"}
        )
        heading.wrap(wrapper)
        title = " ".join(heading.get_text().split())
        wrapper.append(soup_of(anchor_link(heading["id"], title)).a)
    return str(soup)


# -- Pure functions ------------------------------------------------------------


def test_ensure_ids_leaves_a_body_with_ids_untouched():
    body = '<h2 id="a">A</h2><p>x</p><h3 id="b">B</h3>'
    assert prepared(body, 3)[0] is None, "a body with every id was copied"


def test_ensure_ids_gives_missing_ids_unique_slugs():
    body = (
        '<h2 id="intro">Intro</h2><h2>Intro</h2><h3>Costs &amp; <code>limits</code></h3><h4>x</h4>'
    )
    ids = [h.get("id") for h in soup_of(ensure_ids(body)).find_all(["h2", "h3", "h4"])]
    assert ids == ["intro", "intro_1", "costs-limits", None]


def test_ensure_ids_names_an_empty_heading_section():
    assert soup_of(ensure_ids("<h2></h2>")).h2["id"] == "section"


def test_toc_nests_subsections_under_their_section():
    body = (
        '<h3 id="early">Early</h3><h2 id="one">One</h2><h3 id="one-a">One A</h3>'
        '<h2 id="two">Two &amp; more</h2><h2 id="three">Three</h2><h4 id="deep">Deep</h4>'
    )
    assert toc_entries(body, 3) == [
        {"id": "early", "title": "Early", "children": []},
        {
            "id": "one",
            "title": "One",
            "children": [{"id": "one-a", "title": "One A", "children": []}],
        },
        {"id": "two", "title": "Two & more", "children": []},
        {"id": "three", "title": "Three", "children": []},
    ]


@pytest.mark.parametrize(("sections", "shown"), [(0, False), (2, False), (3, True), (6, True)])
def test_toc_only_from_the_minimum_number_of_sections(sections, shown):
    body = "".join(f'<h2 id="s{n}">S{n}</h2><h3 id="t{n}">T{n}</h3>' for n in range(sections))
    assert bool(toc_entries(body, 3)) is shown


def test_anchor_follows_the_heading_inside_a_wrapper():
    result = soup_of(add_anchors('<h2 id="why">Why <em>this</em>&nbsp;way</h2>'))
    wrapper = result.select_one("div.section-heading.section-heading--h2")
    assert wrapper is not None
    heading, link = wrapper.find_all(recursive=False)
    assert heading.name == "h2" and heading["id"] == "why"
    assert heading.get_text() == "Why this\xa0way", "the heading's own text changed"
    assert link.name == "a" and link["href"] == "#why"
    assert link.select_one('[aria-hidden="true"]').get_text() == "#"
    assert link.select_one(".visually-hidden").get_text() == "Link to section: Why this way"


def test_anchors_skip_other_levels_and_headings_without_ids():
    body = '<h2>No id</h2><h4 id="deep">Deep</h4><p id="p">text</p>'
    assert not soup_of(add_anchors(body)).select(".section-heading")


def test_anchor_label_escapes_the_heading_text():
    result = add_anchors('<h3 id="x">&lt;script&gt; tags</h3>')
    assert "<script>" not in result
    assert soup_of(result).select_one(".visually-hidden").get_text().endswith("<script> tags")


TRICKY_BODIES = [
    '<p>Intro</p>\n<h2 id="a">A <em>b</em> &amp; c</h2>\n<p>x</p><h3 id="b">B</h3>',
    '<!-- <h2 id="hidden">Not a heading</h2> -->\n<h2 id="real">Real</h2>',
    '<pre><code>&lt;h2 id="code"&gt;code&lt;/h2&gt;</code></pre><h2 id="after">After</h2>',
    '<h2\n  id="multi"\n  class="x">Multi\nline</h2 >\r\n<h3 id="é">Ünïcode “quotes”</h3>',
    '<h2 id="q&quot;x">Quote in id</h2><h2>No id</h2><h4 id="deep">Deep</h4>',
    '<script type="application/ld+json">{"a": "<h2 id=s>x</h2>"}</script><h3 id="z">Z</h3>',
]


@pytest.mark.parametrize("body", TRICKY_BODIES)
def test_spliced_anchors_match_the_parsed_tree(body):
    spliced = add_anchors(body)
    assert str(soup_of(spliced)) == anchors_by_tree(body)


def test_tangled_headings_each_get_one_anchor():
    body = '<h2 id="outer">Outer <h3 id="inner">Inner</h3></h2><h2 id="open">Open'
    result = soup_of(add_anchors(body))
    links = sorted(a["href"] for a in result.select("a.section-heading__anchor"))
    assert links == ["#inner", "#open", "#outer"], "each heading needs exactly one anchor"


# -- On the built site ---------------------------------------------------------


@pytest.fixture(scope="module", params=["dev", "prod", "reader"])
def built(request, site, prod_site, reader_site):
    return {"dev": site, "prod": prod_site, "reader": reader_site}[request.param]


def pages_with_bodies(output):
    pages = sorted(Path(output, "posts").glob("*/index.html"))
    pages += [p for p in Path(output).glob("*/index.html") if p.parent.name == "about"]
    return pages


def text_of(tag):
    return " ".join(tag.get_text().split())


def test_every_h2_and_h3_has_an_id_and_an_anchor_link(built, html):
    checked = 0
    for page in pages_with_bodies(built):
        soup = html(page.parent, page.name)
        where = page.relative_to(built)
        ids = [tag["id"] for tag in soup.select("[id]")]
        assert len(ids) == len(set(ids)), f"{where}: duplicate ids {sorted(ids)}"
        for heading in soup.select(".post__body h2, .post__body h3"):
            name = text_of(heading)
            assert heading.get("id"), f"{where}: heading {name!r} has no id"
            assert not heading.select("a"), f"{where}: a link inside heading {name!r}"
            wrapper = heading.parent
            assert "section-heading" in wrapper.get("class", []), f"{where}: {name!r} unwrapped"
            anchor = wrapper.select_one(f'a.section-heading__anchor[href="#{heading["id"]}"]')
            assert anchor is not None, f"{where}: no anchor link to #{heading['id']}"
            accessible = text_of(anchor.select_one(".visually-hidden"))
            assert accessible == f"Link to section: {name}", f"{where}: anchor named {accessible!r}"
            assert anchor.select_one('[aria-hidden="true"]'), f"{where}: the # is announced"
            checked += 1
    assert checked >= 5, f"only {checked} headings checked"


def test_toc_links_resolve_to_the_headings_in_order(built, html):
    with_toc = 0
    for page in pages_with_bodies(built):
        soup = html(page.parent, page.name)
        where = page.relative_to(built)
        sections = soup.select(".post__body h2")
        toc = soup.select_one('nav[aria-label="Table of contents"]')
        if len(sections) < 3:
            assert toc is None, f"{where}: a table of contents for {len(sections)} sections"
            continue
        if page.parent.name == "about":
            continue
        assert toc is not None, f"{where}: {len(sections)} sections and no table of contents"
        with_toc += 1
        body = soup.select_one(".post__body")
        assert toc.find_next("div", class_="post__body") is body, f"{where}: TOC after the body"
        links = toc.select("a[href]")
        headings = soup.select(".post__body h2, .post__body h3")
        assert [a["href"] for a in links] == [f"#{h['id']}" for h in headings], (
            f"{where}: the TOC does not list every h2/h3 in page order"
        )
        for link in links:
            target = soup.find(id=link["href"][1:])
            assert target is not None, f"{where}: TOC link {link['href']} leads nowhere"
            assert text_of(target) == text_of(link), f"{where}: TOC text {text_of(link)!r}"
        top = [text_of(a) for a in toc.select(":scope > details > ol > li > a")]
        assert top == [text_of(h) for h in sections], f"{where}: sections {top}"
    assert with_toc, "no page had a table of contents"


def test_reader_set_without_three_sections_has_no_toc(reader_site, html):
    soup = html(reader_site, "posts/two-sections/index.html")
    assert len(soup.select(".post__body h2")) == 2
    assert soup.select_one('nav[aria-label="Table of contents"]') is None


def test_raw_html_and_repeated_headings_get_distinct_ids(reader_site, html):
    soup = html(reader_site, "posts/sections-and-code/index.html")
    ids = [h["id"] for h in soup.select(".post__body h2")]
    assert ids == ["first-section", "notes", "notes_1", "a-heading-written-as-raw-html"], ids


def test_ids_are_the_same_in_every_build(site, prod_site, html):
    for page in sorted(Path(site, "posts").glob("*/index.html")):
        relative = page.relative_to(site)
        dev = [h["id"] for h in html(site, relative).select(".post__body [id]")]
        prod = [h["id"] for h in html(prod_site, relative).select(".post__body [id]")]
        assert dev == prod, f"{relative}: ids differ between builds"


def test_feeds_carry_no_anchor_links(prod_site):
    feeds = sorted(Path(prod_site).rglob("*.xml"))
    feeds = [f for f in feeds if f.name != "sitemap.xml"]
    assert feeds, "the production build wrote no feeds"
    for feed in feeds:
        text = feed.read_text(encoding="utf-8")
        assert "section-heading__anchor" not in text, f"{feed.name}: anchor links in a feed"
        assert "Link to section" not in text, f"{feed.name}: anchor text in a feed"

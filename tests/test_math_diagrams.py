"""Math and diagrams drawn at build time: $…$ and $$…$$ become MathML, ```dot
fences inline SVG with a text alternative; dollars that are not math, and code,
stay as they are; the feeds carry both and the Markdown alternates the source;
hostile TeX and DOT stop the build with `file:line` (plugins/mathml, plugins/diagrams)."""

import pickle
import re
import time
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup

from sitetools.build.builder import BuildError, build
from sitetools.netlify import headers_for, load_config
from tests.conftest import DATA, axe_violations, route_site
from tests.test_headers_browser import LISTEN, Watcher

POST = "posts/queues-and-latency/index.html"


@pytest.fixture(scope="module")
def drawn(tmp_path_factory, prod_siteurl):
    """(output, cache) of a production build of tests/data/math."""
    base = tmp_path_factory.mktemp("math")
    settings = {"PATH": str(DATA / "math"), "CACHE_PATH": str(base / "cache"),
                "SITEURL": prod_siteurl}  # fmt: skip
    build("publishconf.py", base / "output", settings)
    return base / "output", base / "cache"


def prose(output, page=POST):
    html = (Path(output) / page).read_text(encoding="utf-8")
    return BeautifulSoup(html, "html.parser").select_one(".prose")


def test_inline_and_display_math_become_mathml(drawn):
    body = prose(drawn[0])
    formulas = body.select("math")
    assert [m.get("display") for m in formulas] == [None, None, "block", "block"], formulas
    assert formulas[0].get_text() == "L=λW", formulas[0]
    assert formulas[1].select_one("msub mn").get_text() == "99", formulas[1]
    assert formulas[2].select_one("mfrac"), formulas[2]
    assert formulas[3].select_one("munderover, msubsup"), formulas[3]
    assert not body.select(".math-tex"), body.select(".math-tex")
    assert formulas[2].parent.name != "p", "a display formula is a block of its own"


def test_dollars_that_are_not_math_and_code_stay_text(drawn):
    body = prose(drawn[0])
    prices = next(p for p in body.select("p") if "GPU" in p.get_text())
    text = prices.get_text().replace("\xa0", " ")  # typography keeps the last words together
    assert "costs $5 and a CPU $10 an hour; keep $HOME and $HOME apart." in text, text
    assert prices.select_one("code").get_text() == "$HOME"
    assert not prices.select("math"), prices
    assert "echo $HOME $PATH" in body.select_one("pre").get_text()


def test_a_summary_shows_its_math_as_source_text_on_the_card(drawn):
    index = BeautifulSoup((drawn[0] / "index.html").read_text(encoding="utf-8"), "html.parser")
    card = index.select_one(".card__summary")
    assert "$L = \\lambda W$" in card.get_text(), card
    assert not card.select("math, .math-tex"), card


def diagrams(output):
    return prose(output).select("figure.diagram svg")


def test_a_dot_fence_becomes_an_svg_with_role_title_and_text_labels(drawn):
    first, pipeline, plain = diagrams(drawn[0])
    for svg in (first, pipeline, plain):
        assert svg["role"] == "img", svg.attrs
        title = svg.select_one("title")
        assert title and svg["aria-labelledby"] == title["id"], svg.attrs
        assert not svg.select("[style], style, a, script, foreignObject"), svg
        assert not [e for e in svg.find_all(True) if e.get("id") and e.name != "title"]
        for name in ("fill", "stroke"):
            colours = {e[name] for e in svg.find_all(attrs={name: True})}
            assert colours <= {"none", "currentColor"}, colours
    labels = [t.get_text() for t in first.select("text")]
    assert {"client", "gateway", "model", "cache"} <= set(labels), labels
    # The fence's first comment, the graph's label, else the list of edges.
    assert first.select_one("title").get_text() == "A request's path through the service"
    assert pipeline.select_one("title").get_text() == "Ingest pipeline"
    assert plain.select_one("title").get_text() == "Diagram: a → b; b → c"


def test_a_label_holding_a_script_tag_ships_as_text(drawn):
    svg = diagrams(drawn[0])[0]
    assert "<script>alert(1)</script>" in [t.get_text() for t in svg.select("text")]
    assert not prose(drawn[0]).select("script")


def test_feeds_carry_the_mathml_and_the_svg(drawn):
    feed = feedparser.parse(str(drawn[0] / "feeds" / "all.atom.xml"), sanitize_html=False)
    entry = next(e for e in feed.entries if e.title == "Queues and latency")
    html = BeautifulSoup(entry.content[0].value, "html.parser")
    assert len(html.select("math")) == 4 and len(html.select("svg")) == 3, entry.content[0].value


def test_the_markdown_alternate_keeps_the_tex_and_the_dot(drawn):
    text = (drawn[0] / "posts" / "queues-and-latency" / "index.md").read_text(encoding="utf-8")
    assert "$L = \\lambda W$" in text and "W = \\frac{1}{\\mu - \\lambda}" in text
    assert "```dot" in text and "client -> gateway -> model;" in text


def test_a_warm_build_converts_nothing(drawn, tmp_path):
    _, cache = drawn
    saved = {
        name: (cache / name).stat().st_mtime_ns for name in ("mathml.pickle", "diagrams.pickle")
    }
    settings = {"PATH": str(DATA / "math"), "CACHE_PATH": str(cache)}
    build("pelicanconf.py", tmp_path / "out", settings)
    # A cache is written again only when something was converted.
    assert {name: (cache / name).stat().st_mtime_ns for name in saved} == saved
    assert len(prose(tmp_path / "out").select("math")) == 4


# ---- In the browser --------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_csp_violation_and_no_axe_violation(browser, drawn, prod_siteurl, scheme):
    context = browser.new_context(color_scheme=scheme)
    context.add_init_script(LISTEN)
    config = load_config()
    route_site(context, drawn[0], prod_siteurl, headers=lambda path: headers_for(config, path))
    page = context.new_page()
    watcher = Watcher(page)
    try:
        page.goto(f"{prod_siteurl}/{POST.removesuffix('index.html')}")
        page.wait_for_load_state("load")
        assert watcher.take() == [], scheme
        assert axe_violations(page) == [], scheme
        # The theme's palette reaches the drawing: nodes are not painted black.
        fill = page.evaluate("getComputedStyle(document.querySelector('.diagram__shape')).fill")
        assert fill not in ("rgb(0, 0, 0)", "none"), fill
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_a_wide_diagram_scrolls_in_its_box_not_the_page(
    open_page, drawn, prod_siteurl, width, scheme
):
    page = open_page(drawn[0], "/" + POST.removesuffix("index.html"), origin=prod_siteurl,
                     color_scheme=scheme, viewport={"width": width, "height": 900})  # fmt: skip
    seen = page.evaluate("""() => [document.documentElement.scrollWidth, innerWidth,
        [...document.querySelectorAll('.diagram__scroll')]
          .map(b => [b.scrollWidth, b.clientWidth])]""")
    page_width, inner, boxes = seen
    assert page_width <= inner, f"{width}px {scheme}: the page scrolls sideways: {seen}"
    wide = boxes[1]
    if width == 390:
        assert wide[0] > wide[1], f"the wide diagram should scroll in its box: {seen}"
    assert all(client <= inner for _, client in boxes), seen


# ---- Hostile input ---------------------------------------------------------------


def one_post(tmp_path, markdown):
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts" / "post.md").write_text(
        "Title: Hostile\nDate: 2024-05-01\nTags: math\nSummary: Hostile.\n\n" + markdown,
        encoding="utf-8",
    )
    return content


def build_one(tmp_path, markdown, **settings):
    content = one_post(tmp_path, markdown)
    settings = {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache"), **settings}
    return build("pelicanconf.py", tmp_path / "output", settings)


def failure(tmp_path, markdown, **settings):
    with pytest.raises(BuildError) as failed:
        build_one(tmp_path, markdown, **settings)
    return str(failed.value)


def test_math_in_a_heading_a_link_a_footnote_and_over_two_lines(tmp_path):
    build_one(tmp_path, "## Cost $C = n p$\n\nOver lines: $a +\nb$ and [a $x^2$ link](/).[^1]\n\n"
              "[^1]: A note with $y_1$.\n")  # fmt: skip
    body = prose(tmp_path / "output", "posts/hostile/index.html")
    assert body.select_one("h2 math") and body.select_one("a math") and body.select_one("li math")
    two_lines = body.select("p")[0].select("math")[0]
    assert two_lines.get_text() == "a+b", two_lines
    assert "$" not in body.get_text(), body


def test_tex_that_does_not_convert_stops_the_build_at_its_line(tmp_path):
    report = failure(
        tmp_path, "Fine: $x^2$.\n\nBroken: $\\frac{a}{b$ here,\nand $\\nosuchcommand{x}$.\n"
    )
    assert re.search(
        r"posts/post\.md:8: math: \$\\frac\{a\}\{b\$ does not convert: .+; fix the TeX", report
    ), report
    assert re.search(
        r"posts/post\.md:9: math: \$\\nosuchcommand\{x\}\$ does not convert", report
    ), report


def test_href_and_other_active_tex_is_refused(tmp_path):
    report = failure(
        tmp_path, "A $\\href{javascript:alert(1)}{click}$ and $\\color{red}{x}$ and $\\eqref{a}$.\n"
    )
    for fragment in ("\\href", "\\color", "\\eqref"):
        assert f"${fragment}" in report, (fragment, report)
    assert report.count("posts/post.md:6: math:") == 3, report


def test_deeply_nested_tex_is_refused_not_crashed(tmp_path):
    report = failure(tmp_path, "$" + "{" * 1_000 + "x" + "}" * 1_000 + "$\n")
    assert "posts/post.md:6: math:" in report and "nest more than" in report, report[:500]


def test_ten_thousand_dollar_signs_build_in_bounded_time(tmp_path):
    started = time.monotonic()
    build_one(tmp_path, "$ " * 5_000 + "\n\n" + "$5 $6 " * 2_500 + "\n")
    assert time.monotonic() - started < 60
    body = prose(tmp_path / "output", "posts/hostile/index.html")
    assert not body.select("math") and body.get_text().count("$") == 10_000


def test_a_dot_syntax_error_stops_the_build_at_the_line(tmp_path):
    report = failure(tmp_path, "Before.\n\n```dot\ndigraph {\n  a -> b;\n  c -> ;\n}\n```\n")
    assert re.search(r"posts/post\.md:11: diagram: .*syntax error.*; fix the DOT", report), report


def test_a_dot_graph_of_5000_nodes_stops_with_a_message_in_bounded_time(tmp_path):
    edges = "\n".join(f"  n{i} -> n{i + 1};" for i in range(5_000))
    started = time.monotonic()
    report = failure(tmp_path, f"```dot\ndigraph {{\n{edges}\n}}\n```\n")
    assert time.monotonic() - started < 30
    assert "posts/post.md:6: diagram:" in report and "split it into smaller diagrams" in report, (
        report[:500]
    )


def test_a_diagram_that_lays_out_too_slowly_is_stopped(tmp_path):
    edges = " ".join(f"n{i} -> n{(i * 7) % 300};" for i in range(600))
    report = failure(tmp_path, f"```dot\ndigraph {{ {edges} }}\n```\n", DIAGRAMS={"timeout": 0.01})
    assert "posts/post.md:6: diagram: it took over 0.01 s to lay out" in report, report
    # A timeout says how busy the machine was, not what the DOT is: never kept.
    kept = pickle.loads((tmp_path / "cache" / "diagrams.pickle").read_bytes())
    assert not kept, f"a timed-out layout was kept in the cache: {kept}"


def test_an_unusable_setting_names_the_setting_and_the_fix(tmp_path):
    report = failure(
        tmp_path,
        "```dot\ndigraph { a -> b }\n```\n",
        DIAGRAMS={"timeout": "ten", "max_lenght": 100},
        IMAGES={"quality": "high"},
        DATA_FILES={"folders": "data"},
        CHARTS={"table_row": 10},
    )
    assert "DIAGRAMS['timeout'] must be a positive number like 10, got 'ten'" in report, report
    assert "DATA_FILES['folders'] is not an option (did you mean 'folder'?)" in report, report
    assert "DIAGRAMS['max_lenght'] is not an option (did you mean 'max_length'?)" in report
    assert "IMAGES['quality'] must be a dict like" in report, report
    assert "CHARTS['table_row'] is not an option (did you mean 'table_rows'?)" in report, report
    assert report.count("fix it in the settings file") == 5, report

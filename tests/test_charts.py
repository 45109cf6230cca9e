"""```chart fences: drawn at build time from a CSV in the post's data folder into SVG that
main.css styles, with the data as a table, a CSV download, the same bytes on
every build, one clear line per bad chart, and a clean page in Chromium."""

import csv
import gzip
import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest

from plugins.charts.charts import (
    chart_html,
    draw,
    fmt,
    parse_spec,
    tick_texts,
    ticks,
)
from sitetools.build.builder import BuildError, build
from sitetools.content.fences import fences as fences_of
from sitetools.netlify import headers_for, load_config
from tests.conftest import DATA, ROOT, build_site, read_html, route_site, snapshot

FIXTURE = DATA / "charts"
CSVS = FIXTURE / "data" / "charts-demo"
POST = "posts/charts-demo/index.html"


def column(name, key):
    with open(CSVS / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle)), key


def figures(output):
    return read_html(output / POST).select("div.chart")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture site built twice with one cache: (output, cache folder, the
    charts cache file's (inode, mtime) after the cold and after the warm build)."""
    base = tmp_path_factory.mktemp("charts")
    settings = {"PATH": str(FIXTURE), "CACHE_PATH": str(base / "cache")}
    build("pelicanconf.py", base / "cold", settings)
    kept = base / "cache" / "charts.pickle"
    cold = (kept.stat().st_ino, kept.stat().st_mtime_ns)
    output = build("pelicanconf.py", base / "warm", settings).output
    return output, kept, cold


@pytest.fixture(scope="module")
def output(built):
    return built[0]


# ---- Pure functions -------------------------------------------------------------------


def test_fences_skip_a_chart_shown_inside_another_fence():
    lines = ["````markdown", "```chart", "data: a.csv", "```", "````", "```chart", "x: a", "```"]
    assert fences_of(lines, "chart") == [(5, 7, ["x: a"])]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (["data: a.csv", "x: a", "y: b", "colour: red"], 'unknown key "colour"'),
        (["data: a.csv", "x: a", "y: b", "type: pie"], 'unknown type "pie"'),
        (["data: a.csv", "x: a"], 'no "y:" key'),
    ],
)
def test_a_bad_spec_names_the_key_and_the_fix(body, words):
    _spec, problems = parse_spec(body)
    assert any(words in p and "; " in p for p in problems), problems


@pytest.mark.parametrize(("value", "text"), [(1 / 3, "0.33"), (2.0, "2"), (-0.001, "0")])
def test_numbers_are_written_the_same_way_everywhere(value, text):
    assert fmt(value) == text


def test_ticks_cover_the_values_with_round_steps():
    assert ticks(0, 410) == [0, 100, 200, 300, 400, 500]
    assert tick_texts(ticks(0.001, 0.005)) == ["0.001", "0.002", "0.003", "0.004", "0.005"]


@pytest.mark.parametrize(
    ("kind", "rows", "marks"),
    [
        ("bar", [["a", 5.0]], 'class="chart__bar"'),
        ("bar", [["a", -3.0], ["b", 7.0]], 'class="chart__bar"'),
        ("line", [["1", 2.0], ["2", 2.0]], 'class="chart__line"'),
        ("scatter", [["1", 1.0]], 'class="chart__points"'),
    ],
    ids=["one-bar", "negative-bar", "flat-line", "one-point"],
)
def test_edge_cases_draw_finite_marks(kind, rows, marks):
    spec = {"data": "a.csv", "type": kind, "x": "x", "y": "y"}
    svg = draw(json.dumps([spec, rows, "c", "The data is in the table below."]))
    assert svg.count(marks) == (len(rows) if kind == "bar" else 1), svg
    assert "nan" not in svg and "inf" not in svg, svg


# ---- The built page ---------------------------------------------------------------------


def test_every_chart_fence_is_drawn_and_the_example_stays_code(output):
    found = figures(output)
    assert len(found) == 5, f"{len(found)} charts drawn, expected 5"
    code = read_html(output / POST).select_one("main pre").get_text()
    assert "nowhere.csv" in code, "the chart shown as code was not kept as code"


def test_inline_svg_has_a_text_alternative_and_no_style(output):
    page = read_html(output / POST)
    assert not page.select("[style]"), "an element carries a style attribute"
    assert not page.select("main style, main script"), "the article holds <style> or <script>"
    for svg in page.select("div.chart svg"):
        assert svg["role"] == "img", svg.attrs
        names = svg["aria-labelledby"].split()
        assert [page.find(id=n).name for n in names] == ["title", "desc"], names
        assert page.find(id=names[0]).get_text(strip=True), "empty chart title"


def test_bars_match_the_csv_values(output):
    rows, key = column("latency.csv", "median_ms")
    bars = figures(output)[0].select("rect.chart__bar")
    heights = [float(bar["height"]) for bar in bars]
    values = [float(row[key]) for row in rows]
    assert len(bars) == len(values), "one bar per row"
    for height, value in zip(heights, values, strict=True):
        assert height / heights[0] == pytest.approx(value / values[0], rel=0.01), heights


def test_long_category_names_get_horizontal_bars(output):
    rows, key = column("long-names.csv", "share")
    bars = figures(output)[2].select("rect.chart__bar")
    widths = [float(bar["width"]) for bar in bars]
    assert len({bar["height"] for bar in bars}) == 1, "horizontal bars share one thickness"
    for width, row in zip(widths, rows, strict=True):
        assert width / widths[0] == pytest.approx(float(row[key]) / float(rows[0][key]), rel=0.01)


def test_line_and_scatter_have_a_point_per_row(output):
    line, scatter = figures(output)[1], figures(output)[3]
    assert line.select_one("path.chart__line")["d"].count("L") == 29, "30 days, 29 segments"
    assert scatter.select_one("path.chart__points")["d"].count("M") == 40, "40 points"


def test_each_chart_has_its_table_and_a_download_of_its_csv(output):
    for figure, name in zip(
        figures(output), ["latency", "daily", "long-names", "scatter", "minutes"], strict=True
    ):
        rows = figure.select("details table tbody tr")
        source = (CSVS / f"{name}.csv").read_bytes()
        assert len(rows) == source.decode().strip().count("\n"), f"{name}: table rows"
        assert figure.select("details table thead th[scope=col]"), f"{name}: no column headers"
        link = figure.select_one("a[download]")
        assert link["href"] == f"{name}.csv", link
        published = output / "posts" / "charts-demo" / link["href"]
        assert published.read_bytes() == source, f"{name}: the published CSV differs"


def test_a_csv_also_listed_in_data_is_published_once_for_both_links(output):
    """latency.csv is in the fixture's `Data:` too: one published copy, which the
    chart's download link and the "Raw data" link both lead to."""
    page = read_html(output / POST)
    chart = figures(output)[0].select_one("a[download]")["href"]
    raw = [a["href"] for a in page.select("section.post__data a[download]")]
    assert raw and raw[0].endswith("/latency.csv"), f"latency.csv not under Raw data: {raw}"
    folder = output / "posts" / "charts-demo"
    assert (folder / chart).resolve() == (folder / raw[0]).resolve(), (chart, raw)
    copies = [p.relative_to(output).as_posix() for p in output.rglob("latency.csv")]
    assert copies == ["posts/charts-demo/latency.csv"], f"published copies: {copies}"
    assert (folder / chart).read_bytes() == (CSVS / "latency.csv").read_bytes()


@pytest.mark.parametrize("listed", [True, False], ids=["in-Data", "not-in-Data"])
def test_charts_writes_the_csv_only_when_data_does_not_list_it(tmp_path, listed):
    data = tmp_path / "data" / "demo"
    data.mkdir(parents=True)
    (data / "a.csv").write_text("k,v\nx,1\n", encoding="utf-8")
    post = SimpleNamespace(
        settings={"PATH": str(tmp_path), "CACHE_PATH": str(tmp_path / "cache")},
        slug="demo",
        save_as="posts/demo/index.html",
        data_files=[{"name": "a.csv"}] if listed else [],
    )
    chart = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "theme" / "templates"))
    made, files, problems = chart_html(
        post, ["data: a.csv", "x: k", "y: v"], 1, chart.get_template("partials/chart.html")
    )
    assert problems == [] and 'href="a.csv"' in made, (problems, made)
    written = [path for path, _ in files]
    assert written == ([] if listed else ["posts/demo/a.csv"]), written


def test_a_500_row_chart_adds_at_most_4_kib_gzip_to_the_page(output):
    big = figures(output)[4]
    assert len(gzip.compress(str(big).encode())) <= 4096, "the 500-row chart is over budget"
    image = big.select_one("img.chart__svg")
    assert image and image["loading"] == "lazy", "the large chart is not off the critical path"
    svg = (output / "posts" / "charts-demo" / image["src"]).read_text(encoding="utf-8")
    assert "prefers-color-scheme:dark" in svg, "the SVG file does not follow dark mode"
    for small in figures(output)[:4]:
        assert len(gzip.compress(str(small).encode())) <= 4096


def test_a_warm_build_redraws_nothing(built):
    output, kept, cold = built
    assert (kept.stat().st_ino, kept.stat().st_mtime_ns) == cold, "the charts cache was rewritten"
    drawn = list(pickle.loads(kept.read_bytes()).values())
    page = (output / POST).read_text(encoding="utf-8")
    assert len(drawn) == 5, f"{len(drawn)} drawings kept for 5 charts"
    assert sum(svg in page for svg in drawn) == 4, "the inline charts are not the cached ones"


def test_the_same_csv_gives_the_same_svg_in_another_time_zone(output, tmp_path):
    code = f"""
        from sitetools.build.builder import build
        build("pelicanconf.py", {str(tmp_path / "out")!r},
              {{"PATH": {str(FIXTURE)!r}, "CACHE_PATH": {str(tmp_path / "cache")!r}}})
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": "Pacific/Kiritimati"}
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    again = tmp_path / "out"
    assert [str(f) for f in figures(again)] == [str(f) for f in figures(output)]
    for svg in (output / "posts" / "charts-demo").glob("*.svg"):
        assert (again / svg.relative_to(output)).read_bytes() == svg.read_bytes(), svg.name


# ---- Bad charts ------------------------------------------------------------------------

BAD_POST = """\
Title: Bad charts
Date: 2025-02-01 09:00
Slug: bad-charts
Tags: alpha
Summary: Every kind of bad chart.

```chart
data: missing.csv
x: a
y: b
```

```chart
data: good.csv
x: name
y: nope
```

```chart
data: good.csv
x: name
y: value
type: pie
colour: red
```

```chart
data: words.csv
x: name
y: value
```

```chart
data: ../../outside.csv
x: name
y: value
```

```chart
data: empty.csv
x: name
y: value
```
"""


@pytest.fixture(scope="module")
def bad(tmp_path_factory, output):
    content = tmp_path_factory.mktemp("bad-charts") / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts" / "bad.md").write_text(BAD_POST, encoding="utf-8")
    data = content / "data" / "bad-charts"
    data.mkdir(parents=True)
    (data / "good.csv").write_text("name,value\na,1\n", encoding="utf-8")
    (data / "words.csv").write_text("name,value\na,1\nb,fast\n", encoding="utf-8")
    (data / "empty.csv").write_text("name,value\n", encoding="utf-8")
    (content / "outside.csv").write_text("name,value\na,1\n", encoding="utf-8")
    before = snapshot(output)
    with pytest.raises(BuildError) as failure:
        build("pelicanconf.py", output, {"PATH": str(content), "CACHE_PATH": str(content.parent)})
    return failure.value, before


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (7, "data file missing.csv is not in "),
        (13, 'column "nope" is not in good.csv'),
        (19, 'unknown type "pie"'),
        (19, 'unknown key "colour"'),
        (27, 'words.csv line 3: value "fast" is not a number'),
        (33, 'data "../../outside.csv" is not a .csv file name'),
        (39, "empty.csv has no data rows"),
    ],
)
def test_a_bad_chart_fails_the_build_naming_the_fence_line(bad, line, words):
    failure, _ = bad
    prefix = f"bad.md:{line}: chart: "
    found = [p for p in failure.problems if prefix in p and words in p]
    assert found, f"no {prefix!r} line with {words!r} in:\n" + "\n".join(failure.problems)
    assert "; " in found[0].split(words, 1)[1], f"no fix in {found[0]!r}"


def test_a_missing_csv_names_the_posts_data_folder_and_the_fix(bad):
    failure, _ = bad
    found = [p for p in failure.problems if "bad.md:7: chart: " in p]
    folder = os.path.join("content", "data", "bad-charts", "")
    assert len(found) == 1 and found[0].endswith(f'{folder}; put it there or fix "data:"'), found


def test_every_bad_chart_is_reported_in_one_run_and_the_site_is_kept(bad, output):
    failure, before = bad
    assert len(failure.problems) == 7, failure.problems
    assert "Traceback" not in str(failure)
    assert snapshot(output) == before, "the last good build was changed"


# ---- In Chromium, under the production headers -------------------------------------------

LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture(scope="module")
def prod(tmp_path_factory):
    return build_site(tmp_path_factory, "charts-prod", "publishconf.py", PATH=str(FIXTURE))


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_the_chart_page_fits_passes_the_csp_and_axe(browser, prod, prod_siteurl, scheme, width):
    from axe_playwright_python.sync_playwright import Axe

    config = load_config()
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    try:
        context.add_init_script(LISTEN)
        route_site(context, prod, prod_siteurl, headers=lambda path: headers_for(config, path))
        page = context.new_page()
        page.goto(prod_siteurl + "/posts/charts-demo/")
        page.locator("img.chart__svg").scroll_into_view_if_needed()
        page.wait_for_function("() => document.querySelector('img.chart__svg').naturalWidth > 0")
        wide = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert wide <= 0, f"{width} px: the page scrolls sideways by {wide} px"
        assert page.evaluate("window.__violations") == [], "CSP violations"
        assert page.locator("div.chart details table").count() == 5, "a data table is missing"
        assert page.locator("div.chart a[download]").count() == 5, "a download is missing"
        text = page.locator("div.chart svg text").first
        size = text.evaluate("t => getComputedStyle(t).fontSize")
        assert size == ("20px" if width < 640 else "13px"), f"{width} px: chart labels {size}"
        font = "t => getComputedStyle(t).fontFamily === getComputedStyle(document.body).fontFamily"
        assert text.evaluate(font), "the chart does not use the body font"
        cut = page.evaluate(CUT_LABELS)
        assert not cut, f"{width} px: labels run past their chart's edge, so they are cut: {cut}"
        assert_image_follows(page.locator("img.chart__svg"), scheme)
        report = Axe().run(page, options={"resultTypes": ["violations"]}).response
        found = [f"{v['id']}: {v['help']}" for v in report["violations"]]
        assert not found, f"axe ({scheme}, {width} px): {found}"
    finally:
        context.close()


# Each inline chart's labels that reach past its <svg>'s box (an SVG clips them there).
CUT_LABELS = """() => [...document.querySelectorAll("div.chart svg")].flatMap(svg => {
  const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll("text")].filter(t => {
    const r = t.getBoundingClientRect();
    return r.right > box.right + 0.5 || r.left < box.left - 0.5;
  }).map(t => t.textContent);
})"""


# The accent colour of each scheme (main.css tokens), as the SVG file draws its line.
ACCENT = {"light": (0x0B, 0x5C, 0xAD), "dark": (0x7C, 0xB8, 0xFF)}


def assert_image_follows(image, scheme):
    """The chart shown as an <img> is drawn in this scheme's accent, not the other's."""
    from PIL import Image

    pixels = list(Image.open(io.BytesIO(image.screenshot())).convert("RGB").get_flattened_data())

    def near(colour):
        return sum(all(abs(a - b) <= 8 for a, b in zip(p, colour, strict=True)) for p in pixels)

    other = "dark" if scheme == "light" else "light"
    assert near(ACCENT[scheme]) > 50, f"{scheme}: the SVG file's line is not in the accent"
    assert near(ACCENT[other]) == 0, f"{scheme}: the SVG file is drawn in the {other} colours"


WIDE_AXES = [
    ("line", [[str(x), float(x % 7)] for x in range(0, 200_001, 10_000)]),
    ("scatter", [[str(x), float(x)] for x in (0, 123_456, 987_654)]),
    ("bar", [["a long category name", 1e308], ["another long one", -1e308]]),
]


@pytest.mark.browser
@pytest.mark.parametrize(("kind", "rows"), WIDE_AXES, ids=[kind for kind, _ in WIDE_AXES])
@pytest.mark.parametrize("width", [390, 1280])
def test_long_axis_labels_stay_inside_the_chart(browser, kind, rows, width):
    """The bottom axis's last label ("200000", "1e308") sits at the chart's right
    edge: drawn with main.css, it must not run past the SVG, which would cut it."""
    spec = {"data": "a.csv", "type": kind, "x": "x", "y": "y"}
    svg = draw(json.dumps([spec, rows, "c", "The data is in the table below."]))
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.set_content(f'<main><div class="chart">{svg}</div></main>')
        page.add_style_tag(path=str(ROOT / "theme" / "static" / "css" / "main.css"))
        cut = page.evaluate(CUT_LABELS)
        assert not cut, f"{kind} at {width} px: labels run past the chart's edge: {cut}"
    finally:
        page.close()


@pytest.mark.browser
def test_a_chart_prints_in_black(browser, prod, prod_siteurl):
    context = browser.new_context()
    try:
        route_site(context, prod, prod_siteurl)
        page = context.new_page()
        page.goto(prod_siteurl + "/posts/charts-demo/")
        page.emulate_media(media="print", color_scheme="dark")
        fill = page.locator("rect.chart__bar").first.evaluate("r => getComputedStyle(r).fill")
        label = page.locator("div.chart svg text").first.evaluate("t => getComputedStyle(t).fill")
        assert (fill, label) == ("rgb(51, 51, 51)", "rgb(0, 0, 0)"), (fill, label)
    finally:
        context.close()


def test_the_svg_is_styled_by_main_css():
    css = (ROOT / "theme" / "static" / "css" / "main.css").read_text(encoding="utf-8")
    for name in ("chart__bar", "chart__line", "chart__points", "chart__grid"):
        assert f".{name}" in css, f".{name} is not styled in main.css"
    assert not list(Path(ROOT / "content" / "posts").rglob("*.csv")), "no invented data in posts"


def test_the_chart_page_is_valid_html(output, java):
    from sitetools.quality.check import check_html

    found = check_html(output / "posts" / "charts-demo")
    assert found == [], "the Nu HTML Checker found errors:\n" + "\n".join(found)

"""Charts drawn at build time from a CSV in the post's data folder, with no JavaScript.

A ```chart fence (keys: data, type, x, y, title, y-label) becomes, through the
Markdown extension below, a placeholder; once every source is read (and
content_guard has judged the author's raw HTML) the placeholder becomes an
inline SVG styled by main.css classes, the data as a <table> in a <details>
and a link to the CSV, laid out by the theme's partials/chart.html.
`data: ttft.csv` names a file in content/data/<slug>/,
the folder of the post's `Data:` files (DATA_FILES["folder"]); the CSV is
published under the post's URL, by data_files when `Data:` lists it, else here.
Drawings come from the one cache (sitetools/build/cache.py): a warm build redraws nothing.

What a page carries is bounded: any finite value draws (an axis at the edge of
float range is drawn in its own power of ten), a line keeps only what its pixels
show, past CHARTS["table_rows"] rows the data is the CSV download alone, and a
page over CHARTS["page_budget"] bytes of HTML is a warning naming its source.
"""

import csv
import gzip
import html
import io
import itertools
import json
import logging
import math
import os
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

from markupsafe import Markup
from pelican import signals

from sitetools.build.cache import Cache, write_atomic
from sitetools.build.options import plugin_options
from sitetools.content.contents import contents_of, unread_sources
from sitetools.content.fences import FenceExtension, fenced, in_use, options_of, substitute
from sitetools.content.files import display_path
from sitetools.content.spreadsheets import formula_warnings

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Past this many rows a chart's data is its CSV download alone, not a table on the page.
    "table_rows": 1000,
    # Bytes of HTML a post's page may weigh before the build warns (charts' tables and
    # inline SVG are the usual cause, a long post another).
    "page_budget": 1_000_000,
}
KEYS = ("data", "type", "x", "y", "title", "y-label")
TYPES = ("line", "bar", "scatter")
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 360, 64, 24, 24, 48
BAR_ROW = 32  # height of one horizontal bar's row
LONG_LABEL = 8  # a category name longer than this turns bars horizontal
# A scatter dot is 7 px wide: a second dot within 2 px of one drawn adds nothing to see.
DOT_GRID = 2
MAX_BARS = 200  # more bars than this are thinner than 2 px: a line chart shows them
# Values whose size is past these are drawn in a power of ten of their own: their
# differences would overflow to infinity or vanish in float arithmetic.
SAFE_SIZE = (1e-200, 1e200)
_MARK = '<div class="chart" id="chart-{}"></div>'
# Gzip bytes a chart may add to its page; a larger one's SVG is a file shown by <img>.
INLINE_BUDGET = 4096
# That file cannot see main.css: chart-file.css carries the chart rules with the
# theme's token values (main.css :root and its dark-mode overrides) and font stack,
# larger text at a phone's width of the image; its lines are joined into one.
FILE_CSS = "".join(Path(__file__).with_name("chart-file.css").read_text("utf-8").split("\n"))


# ---- Pure functions: spec, rows, drawing ---------------------------------------------


def parse_spec(body):
    """({key: value}, [problem]) of a fence's `key: value` lines."""
    spec, problems = {"type": "line"}, []
    for raw in body:
        line = re.sub(r"\s#.*", "", raw).strip()
        key, colon, value = (part.strip() for part in line.partition(":"))
        if line and (not colon or key not in KEYS):
            problems.append(f'unknown key "{key}"; use {", ".join(KEYS)} (one "key: value" a line)')
        elif line:
            spec[key] = value
    problems += [
        f'no "{k}:" key; add it (e.g. {k}: …)' for k in ("data", "x", "y") if k not in spec
    ]
    if spec["type"] not in TYPES:
        problems.append(f'unknown type "{spec["type"]}"; use line, bar or scatter')
    return spec, problems


def number(text, finite=True):
    """A CSV value (1,234.5 too) as a float, or None: a finite one unless not `finite`."""
    try:
        value = float(text.replace(",", "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) or not finite else None


def read_rows(text, spec):
    """([(x text, y number)], [problem]) of a CSV's x and y columns."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    name, line = spec["data"], 1
    try:
        columns = reader.fieldnames or []
        if not columns:
            return [], [f"{name} is empty; give it a header row naming the x: and y: columns"]
        if missing := [spec[k] for k in ("x", "y") if spec[k] not in columns]:
            listed = ", ".join(columns[:20]) + ", …" * (len(columns) > 20) or "none"
            return [], [
                f'column "{c}" is not in {name} (columns: {listed}); fix x: or y:' for c in missing
            ]
        rows, problems, line = [], [], reader.line_num + 1
        for row in reader:
            x, y = row[spec["x"]] or "", row[spec["y"]] or ""
            checked = [(spec["y"], y), (spec["x"], x)][: 1 + (spec["type"] == "scatter")]
            if bad := [(key, v) for key, v in checked if number(v) is None][:1]:
                (key, v), why = bad[0], "is not a number"
                if number(v, finite=False) is not None:
                    why = "is not a finite number (NaN, infinity or past ±1.8e308)"
                problems.append(f'{name} line {line}: {key} "{v[:40]}" {why}; fix the CSV')
            else:
                rows.append((x, number(y)))
            line = reader.line_num + 1  # a quoted value may span lines
    except csv.Error as error:
        return [], [f"{name} line {line} does not parse as CSV ({error}); fix the CSV"]
    if not rows and not problems:
        problems.append(f"{name} has no data rows; add some")
    if spec["type"] == "bar" and len(rows) > MAX_BARS:
        problems.append(
            f"{name} has {len(rows):,} rows, too many bars to read (at most {MAX_BARS}); "
            "use type: line, or group the rows"
        )
    return rows, problems


def fmt(value):
    """A coordinate or value with at most 2 decimals, the same text everywhere."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def ticks(low, high, count=5):
    """Round tick values covering low..high (0 included for bars), at least two."""
    span = (high - low) or abs(high) or 1
    raw = span / count
    step = min(
        (s * 10 ** math.floor(math.log10(raw)) for s in (1, 2, 5, 10)), key=lambda s: abs(s - raw)
    )
    first = math.floor(low / step) * step
    return [first + i * step for i in range(max(1, round((high - first) / step + 0.4999)) + 1)]


def tick_texts(values, exponent=0):
    """Tick labels with as many decimals as their step needs: 0.001, 0.002, …;
    ticks drawn in a power of ten (`exponent`) are labelled 1e308, -5e307, … (0 is 0)."""
    places = max(0, -math.floor(math.log10(values[1] - values[0])))
    texts = [f"{round(v, places) + 0.0:.{places}f}" for v in values]
    scaled = (Decimal(text).scaleb(exponent) for text in texts)
    return [
        "0" if d == 0 else format(d.normalize(), "e").replace("e+", "e") for d in scaled
    ] if exponent else texts  # fmt: skip


def in_units(values):
    """(`values` in the power of ten their axis is drawn in, its exponent): 0, unless
    their size is at an edge of float range, where their differences overflow or
    vanish; then divided exactly up to the last rounding (Decimal: 10**-320 is no float)."""
    size = max((abs(v) for v in values), default=0.0)
    if size == 0 or SAFE_SIZE[0] < size < SAFE_SIZE[1]:
        return list(values), 0
    exponent = math.floor(math.log10(size))
    return [float(Decimal(v).scaleb(-exponent)) for v in values], exponent


def thinned(points):
    """The points of a line that its pixels show: in each run of points that fall
    in one pixel column, the first, the lowest, the highest and the last, in order."""
    kept = []
    for _, group in itertools.groupby(enumerate(points), key=lambda p: math.floor(p[1][0])):
        run = list(group)
        lowest, highest = (pick(run, key=lambda p: p[1][1])[0] for pick in (min, max))
        ends = {run[0][0], run[-1][0], lowest, highest}
        kept += [point for index, point in run if index in ends]
    return kept


def one_per_pixel(points, grid=DOT_GRID):
    """Scatter points less those whose `grid`-pixel square already has a dot, in
    order, so the same data keeps the same points."""
    kept = {}
    for x, y in points:
        kept.setdefault((math.floor(x / grid), math.floor(y / grid)), (x, y))
    return list(kept.values())


def shown(value):
    """A CSV value as a reader reads it: 95.5, 1234567, 0.001."""
    return format(value, ".15g")


_BAR = '<rect class="chart__bar" x="{}" y="{}" width="{}" height="{}"/>'


def _text(kind, x, y, text):
    return f'<text class="{kind}" x="{fmt(x)}" y="{fmt(y)}">{html.escape(str(text))}</text>'


def draw(text):
    """The chart's inline SVG from json [spec, rows, id, where the data is]: pure, so cached.
    Values are placed in their axis's power of ten (in_units), so any finite value draws."""
    spec, rows, ident, data_at = json.loads(text)
    kind, bar = spec["type"], spec["type"] == "bar"
    names, ys = [x for x, _ in rows], [y for _, y in rows]
    values, exponent = in_units(ys)
    horizontal = bar and any(len(x) > LONG_LABEL for x in names)
    height = TOP + BOTTOM + BAR_ROW * len(rows) if horizontal else HEIGHT
    scale = ticks(min(values + [0] * bar), max(values + [0] * bar))
    texts = tick_texts(scale, exponent)
    # Room on the left for the longest label drawn there (category names or value
    # ticks), at a phone's 20-unit font: about 12 units a character.
    left = max(LEFT, 12 + min(max(map(len, names if horizontal else texts)), 24) * 12)
    span, below = WIDTH - RIGHT - left, height - BOTTOM
    xs = [number(x) for x in names]
    xs, xexponent = in_units(xs) if not bar and None not in xs else ([], 0)
    xscale = ticks(min(xs), max(xs)) if xs else []

    def vpos(v):  # along the value axis: across when bars are horizontal, else up
        share = (v - scale[0]) / (scale[-1] - scale[0])
        return left + share * span if horizontal else below - share * (below - TOP)

    def xpos(v):
        return left + (v - xscale[0]) / (xscale[-1] - xscale[0] or 1) * span

    def cpos(i):  # centre of row i along the category axis
        if xscale:
            return xpos(xs[i])
        if horizontal:
            return TOP + BAR_ROW * (i + 0.5)
        return left + span * (i + 0.5 * bar) / ((len(rows) - (not bar)) or 1)

    # The bottom axis's last label ends at its tick: centred, it would run past the
    # chart's right edge and be cut ("20000" for 200000).
    end, grid, labels, marks = " chart__label--end", [], [], []
    for t, tick_text in zip(scale, texts, strict=True):
        on = fmt(vpos(t))
        grid.append(f"M{on} {TOP}V{below}" if horizontal else f"M{left} {on}H{left + span}")
        at = (vpos(t), below + 18) if horizontal else (left - 6, vpos(t))
        kind_of = " chart__tick--y" if not horizontal else end * (t == scale[-1])
        labels.append(_text("chart__tick" + kind_of, *at, tick_text))
    for v, t in zip(xscale, tick_texts(xscale, xexponent) if xscale else [], strict=True):
        labels.append(_text("chart__tick" + end * (v == xscale[-1]), xpos(v), below + 18, t))
    every = 1 if horizontal else math.ceil(len(rows) / 12)
    band = (BAR_ROW if horizontal else span / len(rows)) * 0.7
    for i, (x, y) in enumerate(zip(names, values, strict=True)):
        if not xscale and i % every == 0:
            at = (left - 6, cpos(i)) if horizontal else (cpos(i), below + 18)
            labels.append(_text("chart__tick" + " chart__tick--y" * horizontal, *at, x))
        if bar:
            a, b = sorted((vpos(max(scale[0], 0)), vpos(y)))
            c = cpos(i) - band / 2
            box = (a, c, b - a, band) if horizontal else (c, a, band, b - a)
            marks.append(_BAR.format(*map(fmt, box)))
    placed = [(cpos(i), vpos(y)) for i, y in enumerate(values)]
    placed = {"line": thinned, "scatter": one_per_pixel}.get(kind, list)(placed)
    points = [f"{fmt(x)} {fmt(y)}" for x, y in placed]
    if kind == "line":
        marks.append(f'<path class="chart__line" d="M{"L".join(points)}"/>')
    if kind == "scatter":
        marks.append(f'<path class="chart__points" d="{"".join(f"M{p}h0" for p in points)}"/>')
    if label := spec.get("y-label", ""):
        at = (left + span, height - 8) if horizontal else (left, TOP - 4)
        labels.append(_text("chart__label" + end * horizontal, *at, label))
    shape = "Horizontal bar" if horizontal else kind.capitalize()
    desc = (
        f"{shape} chart of {spec['y']}{f' ({label})' if label else ''} by {spec['x']}: "
        f"{len(rows)} rows, from {shown(min(ys))} to {shown(max(ys))}. {data_at}"
    )
    return (
        f'<svg class="chart__svg" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{html.escape(title_of(spec))}</title>'
        f'<desc id="{ident}-desc">{html.escape(desc)}</desc>'
        f'<path class="chart__grid" d="{"".join(grid)}"/>{"".join(labels)}{"".join(marks)}</svg>'
    )


def title_of(spec):
    return spec.get("title") or f"{spec['y']} by {spec['x']}"


def makeExtension(**kwargs):  # Markdown's name: each ```chart fence becomes a placeholder
    return FenceExtension("chart", _MARK, **kwargs)


# ---- Handlers ------------------------------------------------------------------------

_DRAWN = Cache("charts")


def chart_data(settings, slug, body, readable=None):
    """(spec, rows, the CSV's path and bytes, [problem]) of one fence of the post
    `slug`. `readable(path)`, when given, says which files may be opened: content_guard
    asks before Pelican has read anything, and reports a refused file itself."""
    spec, problems = parse_spec(body)
    if problems:
        return spec, [], None, None, problems
    # The post's data folder, the one its `Data:` files live in (plugins/data_files).
    source = os.path.join(
        settings["PATH"], (settings.get("DATA_FILES") or {}).get("folder", "data"), slug
    )
    name, shown = spec["data"], display_path(source) + os.sep
    path = os.path.join(source, name)
    if re.search(r"[/\\]|^\.", name) or not name.endswith(".csv"):
        problem = (
            f'data "{name}" is not a .csv file name; put the CSV in {shown}, name it in "data:"'
        )
        return spec, [], None, None, [problem]
    if readable is not None and os.path.lexists(path) and not readable(path):
        return spec, [], path, None, []
    try:
        data = Path(path).read_bytes()
        rows, problems = read_rows(data.decode("utf-8-sig"), spec)
    except (OSError, UnicodeDecodeError) as error:
        reason = "not" if isinstance(error, FileNotFoundError) else "unreadable (UTF-8?)"
        problem = f'data file {name} is {reason} in {shown}; put it there or fix "data:"'
        return spec, [], path, None, [problem]
    return spec, rows, path, data, problems


def chart_html(content, body, counter, chart, *, where=None, options=DEFAULTS):
    """(HTML, [(published path, bytes)], [problem]) of one fence of `content`,
    laid out by the template `chart`; `where` (the fence's `file:line`) names it in warnings."""
    spec, rows, path, data, problems = chart_data(content.settings, content.slug, body)
    if problems:
        return "", [], problems
    name, table_rows = spec["data"], int(options["table_rows"])
    ident, many = f"chart-{content.slug}-{counter}", len(rows) > table_rows
    note = f"The data is in the {'CSV linked' if many else 'table'} below."
    if many:
        logger.warning(
            "%s: chart: %s has %s rows, more than CHARTS table_rows (%s): the page shows "
            "the chart and the CSV download, no table",
            where or display_path(content.source_path), name, f"{len(rows):,}", f"{table_rows:,}",
        )  # fmt: skip
    svg = _DRAWN.get(content.settings, draw, json.dumps([spec, rows, ident, note], sort_keys=True))
    folder, files = os.path.dirname(content.save_as), []
    values = {"svg": Markup(svg), "spec": spec, "title": title_of(spec), "count": f"{len(rows):,}"}
    values["href"], values["rows"] = quote(name), None if many else [(x, shown(y)) for x, y in rows]
    made = chart.render(values)
    # A CSV the post's `Data:` lists is published by data_files (which warns about
    # its formula cells): not a second time here.
    if name not in {facts["name"] for facts in getattr(content, "data_files", None) or ()}:
        files.append((os.path.join(folder, name), data))
        for line in formula_warnings(display_path(path), data.decode("utf-8-sig")):
            logger.warning("%s", line)
    if len(gzip.compress(made.encode(), mtime=0)) > INLINE_BUDGET:  # off the critical path
        # The SVG as a file of its own, styled by FILE_CSS (an <img> sees no page CSS).
        styled = svg.replace(">", f"><style>{FILE_CSS}</style>", 1)
        files.append((os.path.join(folder, f"{ident}.svg"), styled.encode()))
        height = re.search(r'viewBox="0 0 \S+ (\S+)"', svg)[1]
        alt, size = f"{values['title']}. {note}", {"width": WIDTH, "height": height}
        made = chart.render(values, image={"src": f"{ident}.svg", "alt": alt, **size})
    return made, files, []


def place_charts(generators):
    """Draw every chart; fail the build listing every problem (`file:line: chart: …`)."""
    found, results, files = fenced(contents_of(*generators), "chart", _MARK), [], []
    options = options_of(generators[0].settings, "CHARTS", DEFAULTS, logger)
    # The theme's partial, found as Pelican finds every template.
    chart = generators[0].env.get_template("partials/chart.html")
    for content, _, number, where, line, fence in found:
        at = f"{where}:{line}"
        made, written, problems = chart_html(
            content, fence, number, chart, where=at, options=options
        )
        results.append((made, [f"{at}: chart: {p}" for p in problems]))
        files += written
    substitute(found, results)
    for published, data in files:
        write_atomic(os.path.join(generators[0].settings["OUTPUT_PATH"], published), data)


def weigh_page(path, context):
    """Warn when a post's or page's HTML is over the page budget."""
    content = context.get("article") or context.get("page")
    if not getattr(content, "source_path", None):
        return
    budget = int(plugin_options(context, "CHARTS", DEFAULTS)[0]["page_budget"])
    if (size := os.path.getsize(path)) > budget:
        logger.warning(
            "%s: page weight: %s is %s bytes of HTML, over the budget of %s (CHARTS "
            "page_budget); move large tables into a Data: download, or split the post",
            display_path(content.source_path), os.path.relpath(path, context["OUTPUT_PATH"]),
            f"{size:,}", f"{budget:,}",
        )  # fmt: skip


def check_unread(settings, *, sources, readable):
    """The charts' problems when content_guard stops the build before Pelican reads."""
    if not in_use(settings, "charts"):
        return []
    return [
        f"{where}:{line}: chart: {problem}"
        for source, _, _, where, line, fence in fenced(sources, "chart")
        for problem in chart_data(settings, source.slug, fence, readable)[-1]
    ]


def register():
    # Once every source is read and content_guard has judged the author's raw
    # HTML, before any page is written: the charts go into the bodies.
    signals.all_generators_finalized.connect(place_charts)
    # A build content_guard stops before Pelican reads: the charts in the same report.
    unread_sources.connect(check_unread)
    # Each page as written: its weight, charts' tables and all, against the budget.
    signals.content_written.connect(weigh_page)

"""Charts drawn at build time from a CSV in the post's data folder, with no JavaScript.

A ```chart fence (keys: data, type, x, y, title, y-label) becomes, through the
Markdown extension below, a placeholder; once every source is read (and
content_guard has judged the author's raw HTML) the placeholder becomes an
inline SVG styled by main.css classes, the data as a <table> in a <details>
and a link to the CSV. `data: ttft.csv` names a file in content/data/<slug>/,
the folder of the post's `Data:` files (DATA_FILES["folder"]); the CSV is
published under the post's URL, by data_files when `Data:` lists it, else here.
Drawings come from the one cache (sitetools/cache.py): a warm build redraws nothing.
"""

import csv
import gzip
import html
import io
import json
import math
import os
import re
from urllib.parse import quote

from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from pelican import signals

from sitetools.build import BuildError
from sitetools.cache import Cache, write_atomic
from sitetools.contents import body, contents_of, set_body
from sitetools.files import display_path

KEYS = ("data", "type", "x", "y", "title", "y-label")
TYPES = ("line", "bar", "scatter")
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 360, 64, 24, 24, 48
BAR_ROW = 32  # height of one horizontal bar's row
LONG_LABEL = 8  # a category name longer than this turns bars horizontal
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)")
_MARK = '<div class="chart" id="chart-{}"></div>'
# Gzip bytes a chart may add to its page; a larger one's SVG is a file shown by <img>.
INLINE_BUDGET = 4096
# That file cannot see main.css: it carries the chart rules with the theme's
# token values (main.css :root and its dark-mode overrides) and font stack.
FILE_CSS = (
    "text{font:13px system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;fill:#555b63}"
    ".chart__tick{text-anchor:middle}.chart__tick--y{text-anchor:end;dominant-baseline:middle}"
    ".chart__label--end{text-anchor:end}.chart__grid{fill:none;stroke:#dcdfe3}"
    ".chart__bar{fill:#0b5cad}.chart__line,.chart__points{fill:none;stroke:#0b5cad;"
    "stroke-width:2.5;stroke-linejoin:round}.chart__points{stroke-width:7;stroke-linecap:round}"
    "@media (prefers-color-scheme:dark){text{fill:#a6adb7}.chart__grid{stroke:#2c3139}"
    ".chart__bar{fill:#7cb8ff}.chart__line,.chart__points{stroke:#7cb8ff}}"
    "@media (max-width:40rem){text{font-size:20px}}"  # the image's width: a phone's
)


# ---- Pure functions: fences, spec, table, drawing ---------------------------------


def fences(lines):
    """[(first, last, body lines)] of the ```chart fences in `lines`, skipping
    those shown inside another fenced block (a Markdown example of a chart)."""
    found, open_at, marker, is_chart = [], None, "", False
    for index, line in enumerate(lines):
        match = _FENCE.match(line)
        if open_at is None and match:
            open_at, marker, is_chart = index, match.group(1), match.group(2) == "chart"
        elif open_at is not None and re.fullmatch(
            rf" {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}\s*", line
        ):
            if is_chart:
                found.append((open_at, index, lines[open_at + 1 : index]))
            open_at = None
    return found


def parse_spec(body):
    """({key: value}, [problem]) of a fence's `key: value` lines."""
    spec, problems = {"type": "line"}, []
    for raw in body:
        line = re.sub(r"\s#.*", "", raw).strip()
        if not line:
            continue
        key, colon, value = (part.strip() for part in line.partition(":"))
        if not colon or key not in KEYS:
            problems.append(f'unknown key "{key}"; use {", ".join(KEYS)} (one "key: value" a line)')
        else:
            spec[key] = value
    problems += [
        f'no "{k}:" key; add it (e.g. {k}: …)' for k in ("data", "x", "y") if k not in spec
    ]
    if spec["type"] not in TYPES:
        problems.append(f'unknown type "{spec["type"]}"; use line, bar or scatter')
    return spec, problems


def number(text):
    try:
        value = float(text.replace(",", "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_rows(text, spec):
    """([(x text, y number)], [problem]) of a CSV's x and y columns."""
    reader = csv.DictReader(io.StringIO(text))
    columns, name = reader.fieldnames or [], spec["data"]
    missing = [spec[k] for k in ("x", "y") if spec[k] not in columns]
    if missing:
        listed = ", ".join(columns) or "none"
        return [], [
            f'column "{c}" is not in {name} (columns: {listed}); fix x: or y:' for c in missing
        ]
    rows, problems = [], []
    for line, row in enumerate(reader, start=2):
        x, y = row[spec["x"]] or "", row[spec["y"]] or ""
        if number(y) is None:
            problems.append(f'{name} line {line}: {spec["y"]} "{y}" is not a number; fix the CSV')
        elif spec["type"] == "scatter" and number(x) is None:
            problems.append(f'{name} line {line}: {spec["x"]} "{x}" is not a number; fix the CSV')
        else:
            rows.append((x, number(y)))
    if not rows and not problems:
        problems.append(f"{name} has no data rows; add some")
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


def tick_texts(values):
    """Tick labels with as many decimals as their step needs: 0.001, 0.002, …"""
    places = max(0, -math.floor(math.log10(values[1] - values[0])))
    return [f"{round(v, places) + 0.0:.{places}f}" for v in values]


def shown(value):
    """A CSV value as a reader reads it: 95.5, 1234567, 0.001."""
    return format(value, ".15g")


def _text(kind, x, y, text):
    return f'<text class="{kind}" x="{fmt(x)}" y="{fmt(y)}">{html.escape(str(text))}</text>'


def draw(text):
    """The chart's inline SVG from json [spec, rows, id]: pure, so cached."""
    spec, rows, ident = json.loads(text)
    kind, values, bar = spec["type"], [y for _, y in rows], spec["type"] == "bar"
    horizontal = bar and any(len(x) > LONG_LABEL for x, _ in rows)
    height = TOP + BOTTOM + BAR_ROW * len(rows) if horizontal else HEIGHT
    left = LEFT + (min(max(len(x) for x, _ in rows), 24) * 10 if horizontal else 0)
    span, below = WIDTH - RIGHT - left, height - BOTTOM
    scale = ticks(min([*values, 0] if bar else values), max([*values, 0] if bar else values))
    xs = [number(x) for x, _ in rows]
    xscale = [] if bar or None in xs else ticks(min(xs), max(xs))

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

    grid, labels, marks = [], [], []
    for t, tick_text in zip(scale, tick_texts(scale), strict=True):
        grid.append(
            f"M{fmt(vpos(t))} {TOP}V{below}"
            if horizontal
            else f"M{left} {fmt(vpos(t))}H{left + span}"
        )
        at = (vpos(t), below + 18) if horizontal else (left - 6, vpos(t))
        labels.append(_text("chart__tick" + " chart__tick--y" * (not horizontal), *at, tick_text))
    if xscale:
        texts = zip(xscale, tick_texts(xscale), strict=True)
        labels += [_text("chart__tick", xpos(v), below + 18, t) for v, t in texts]
    every = 1 if horizontal else math.ceil(len(rows) / 12)
    band = (BAR_ROW if horizontal else span / len(rows)) * 0.7
    for i, (x, y) in enumerate(rows):
        if not xscale and i % every == 0:
            at = (left - 6, cpos(i)) if horizontal else (cpos(i), below + 18)
            labels.append(_text("chart__tick" + " chart__tick--y" * horizontal, *at, x))
        if bar:
            a, b = sorted((vpos(max(scale[0], 0)), vpos(y)))
            box = (
                (a, cpos(i) - band / 2, b - a, band)
                if horizontal
                else (cpos(i) - band / 2, a, band, b - a)
            )
            marks.append(
                '<rect class="chart__bar" x="{}" y="{}" width="{}" height="{}"/>'.format(
                    *map(fmt, box)
                )
            )
    points = [f"{fmt(cpos(i))} {fmt(vpos(y))}" for i, (_, y) in enumerate(rows)]
    if kind == "line":
        marks.append(f'<path class="chart__line" d="M{"L".join(points)}"/>')
    if kind == "scatter":
        marks.append(f'<path class="chart__points" d="{"".join(f"M{p}h0" for p in points)}"/>')
    if label := spec.get("y-label", ""):
        at = (left + span, height - 8) if horizontal else (left, TOP - 4)
        labels.append(_text("chart__label" + " chart__label--end" * horizontal, *at, label))
    shape = "Horizontal bar" if horizontal else kind.capitalize()
    desc = (
        f"{shape} chart of {spec['y']}{f' ({label})' if label else ''} by {spec['x']}: "
        f"{len(rows)} rows, from {shown(min(values))} to {shown(max(values))}. "
        "The data is in the table below."
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


def figure(svg, spec, rows, href):
    """The chart, its data table in a <details> and the CSV's download link."""
    esc, name = html.escape, os.path.basename(spec["data"])
    title = esc(title_of(spec))
    body = "".join(f"<tr><td>{esc(x)}</td><td>{shown(y)}</td></tr>" for x, y in rows)
    return (
        f'<div class="chart"><figure class="chart__figure">{svg}'
        f'<figcaption class="chart__caption">{title}</figcaption></figure>'
        f'<details class="chart__data"><summary>Data table</summary><table><caption>{title}'
        f'</caption><thead><tr><th scope="col">{esc(spec["x"])}</th><th scope="col">'
        f"{esc(spec['y'])}</th></tr></thead><tbody>{body}</tbody></table></details>"
        f'<p class="chart__download"><a href="{esc(href)}" download>Download the data '
        f"({esc(name)}, CSV)</a></p></div>"
    )


# ---- Markdown: each fence becomes a placeholder -----------------------------------


class ChartFences(Preprocessor):
    def run(self, lines):
        for number_, (first, last, _) in reversed(list(enumerate(fences(lines), start=1))):
            lines[first : last + 1] = ["", self.md.htmlStash.store(_MARK.format(number_)), ""]
        return lines


class ChartExtension(Extension):
    def extendMarkdown(self, md):  # Markdown's name
        # Before fenced_code (25), after meta (27) has taken the header.
        md.preprocessors.register(ChartFences(md), "charts", 26)


def makeExtension(**kwargs):  # Markdown's name
    return ChartExtension(**kwargs)


# ---- Handlers ------------------------------------------------------------------------

_DRAWN = Cache("charts")


def chart_html(content, body, counter):
    """(HTML, [(published path, bytes)], [problem]) of one fence of `content`."""
    spec, problems = parse_spec(body)
    if problems:
        return "", [], problems
    # The post's data folder, the one its `Data:` files live in (plugins/data_files).
    data_dir = (content.settings.get("DATA_FILES") or {}).get("folder", "data")
    source = os.path.join(content.settings["PATH"], data_dir, content.slug)
    shown = display_path(source) + os.sep
    name = spec["data"]
    if re.search(r"[/\\]|^\.", name) or not name.endswith(".csv"):
        problem = (
            f'data "{name}" is not a .csv file name; put the CSV in {shown}, name it in "data:"'
        )
        return "", [], [problem]
    try:
        with open(os.path.join(source, name), "rb") as handle:
            data = handle.read()
        rows, problems = read_rows(data.decode("utf-8-sig"), spec)
    except (OSError, UnicodeDecodeError) as error:
        reason = (
            "is not in" if isinstance(error, FileNotFoundError) else "is unreadable (UTF-8?) in"
        )
        return "", [], [f'data file {name} {reason} {shown}; put it there or fix "data:"']
    if problems:
        return "", [], problems
    ident = f"chart-{content.slug}-{counter}"
    svg = _DRAWN.get(content.settings, draw, json.dumps([spec, rows, ident], sort_keys=True))
    folder, made = os.path.dirname(content.save_as), figure(svg, spec, rows, quote(name))
    # A CSV the post's `Data:` lists is published by data_files: not a second time here.
    listed = {facts["name"] for facts in getattr(content, "data_files", None) or ()}
    files = [] if name in listed else [(os.path.join(folder, name), data)]
    if len(gzip.compress(made.encode(), mtime=0)) > INLINE_BUDGET:  # off the critical path
        image = f"{ident}.svg"
        files.append((os.path.join(folder, image), svg_file(svg).encode()))
        alt = html.escape(f"{title_of(spec)}. The data is in the table below.")
        height = svg.split('viewBox="0 0 ', 1)[1].split('"', 1)[0].split()[1]
        tag = (
            f'<img class="chart__svg" src="{image}" alt="{alt}" width="{WIDTH}" '
            f'height="{height}" loading="lazy" decoding="async">'
        )
        made = figure(tag, spec, rows, quote(name))
    return made, files, []


def svg_file(svg):
    """A chart as an SVG file of its own, styled by FILE_CSS (an <img> sees no page CSS)."""
    return svg.replace(">", f"><style>{FILE_CSS}</style>", 1)


def place_charts(generators):
    """Draw every chart; fail the build listing every problem (`file:line: chart: …`)."""
    problems, files = [], []
    for content in contents_of(*generators):
        if _MARK.format(1) not in body(content):
            continue
        with open(content.source_path, encoding="utf-8-sig") as handle:
            lines = handle.read().splitlines()
        markup, where = body(content), display_path(content.source_path)
        for counter, (first, _last, fence) in enumerate(fences(lines), start=1):
            made, written, found = chart_html(content, fence, counter)
            problems += [f"{where}:{first + 1}: chart: {p}" for p in found]
            markup, files = markup.replace(_MARK.format(counter), made, 1), files + written
        set_body(content, markup)
    if problems:
        raise BuildError(problems)
    for published, data in files:
        write_atomic(os.path.join(generators[0].settings["OUTPUT_PATH"], published), data)


def register():
    # Once every source is read and content_guard has judged the author's raw
    # HTML, before any page is written: the charts go into the bodies.
    signals.all_generators_finalized.connect(place_charts)

"""Diagrams in the Graphviz DOT language, drawn at build time as inline SVG.

A ```dot fence becomes, through the Markdown extension below, a placeholder;
once every source is read (and content_guard has judged the author's raw
HTML) the placeholder becomes an <svg> laid out by graphviz-pure (a static
build of Graphviz's `dot` in a wheel, so `pip install -r requirements.txt` is
all Netlify needs). The SVG is rebuilt from an allowlist: shapes, paths and
text with their geometry, the theme's classes instead of colours and fonts,
no ids, links or style. Labels stay text. The <svg> has role="img" and a text
alternative: the graph's label, else the fence's first `//` comment, else its
edges. A wide diagram scrolls in its own box. Drawings come from the one cache;
a DOT that does not parse, or takes too long to lay out, stops the build at
the fence's line.
"""

import html
import logging
import re
import shutil
import subprocess
import sysconfig
import xml.etree.ElementTree as ET
from pathlib import Path

from pelican import signals

from sitetools.build.builder import BuildError
from sitetools.build.cache import Cache
from sitetools.build.options import plugin_options
from sitetools.content.contents import body, contents_of, set_body
from sitetools.content.fences import FenceExtension
from sitetools.content.fences import fences as fences_of
from sitetools.content.files import display_path

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Seconds one diagram may take to lay out.
    "timeout": 10,
    # Characters of DOT one fence may hold.
    "max_length": 20_000,
}
_MARK = '<div class="diagram" id="diagram-{}"></div>'
SVG_NS = "{http://www.w3.org/2000/svg}"
# Arimo (in graphviz-pure) has Arial's metrics: the layout fits the theme's sans labels.
FONT = "Arial"
GEOMETRY = {
    "polygon": ("points",),
    "polyline": ("points",),
    "ellipse": ("cx", "cy", "rx", "ry"),
    "path": ("d",),
    "text": ("x", "y", "text-anchor"),
}
PART = {"node": "node", "edge": "edge", "cluster": "cluster", "graph": "graph"}


# ---- Pure functions --------------------------------------------------------------


def fences(lines):
    return fences_of(lines, "dot")


def dot_command():
    """graphviz-pure's command, from this Python's scripts folder or PATH."""
    beside = Path(sysconfig.get_path("scripts")) / "graphviz-pure"
    return str(beside) if beside.exists() else shutil.which("graphviz-pure")


def lay_out(job):
    """("ok", SVG text) or ("error", reason) for job = "timeout\\0DOT"."""
    timeout, dot = job.split("\0", 1)
    command = dot_command()
    if command is None:
        return "error", "graphviz-pure is not installed; pip install -r requirements.txt"
    fonts = [f"-{kind}fontname={FONT}" for kind in "GNE"]
    try:
        done = subprocess.run(
            [command, "-Tsvg", *fonts],
            input=dot.encode("utf-8"),
            capture_output=True,
            timeout=float(timeout),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "error", (
            f"it took over {timeout} s to lay out (DIAGRAMS timeout); "
            "split it into smaller diagrams"
        )
    errors = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode != 0 or errors:
        return "error", errors.splitlines()[0] if errors else f"dot exited {done.returncode}"
    return "ok", done.stdout.decode("utf-8")


def error_line(reason, first):
    """The source line a Graphviz message points at: its `line N` counts from the
    fence's first line of DOT."""
    match = re.search(r"\bline (\d+)", reason)
    return first + 1 + int(match.group(1)) if match else first + 1


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _texts(group):
    return ["".join(child.itertext()).strip() for child in group if _local(child.tag) == "text"]


def clean(svg):
    """(the SVG rebuilt from the allowlist, graph label, [edge titles])."""
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", svg, count=1).encode("utf-8"))
    edges, parts = [], []

    def walk(element, part, into):
        for child in element:
            name = _local(child.tag)
            if name == "g":
                kind = PART.get((child.get("class") or "").split(" ")[0], part)
                if kind == "edge":
                    edges.append("".join(child.find(f"{SVG_NS}title").itertext()).strip())
                group = f'<g class="diagram__{kind}">'
                inner = []
                walk(child, kind, inner)
                into.append(group + "".join(inner) + "</g>")
            elif name == "a":
                walk(child, part, into)  # links go; what they held stays
            elif name in GEOMETRY:
                if name == "polygon" and child.get("fill") == "white" and part == "graph":
                    continue  # the page behind the graph
                attributes = "".join(
                    f' {key}="{html.escape(child.get(key), quote=True)}"'
                    for key in GEOMETRY[name]
                    if child.get(key) is not None
                )
                shape = "label" if name == "text" else _shape(name, part)
                paint = _paint(name, child)
                text = html.escape("".join(child.itertext())) if name == "text" else ""
                closing = f"{text}</text>" if name == "text" else f"</{name}>"
                into.append(f'<{name} class="diagram__{shape}"{paint}{attributes}>{closing}')

    graph = root.find(f"{SVG_NS}g")
    label = " ".join(_texts(graph)) if graph is not None else ""
    transform = graph.get("transform", "") if graph is not None else ""
    walk(graph if graph is not None else root, "graph", parts)
    view = root.get("viewBox", "0 0 0 0")
    width, height = (round(float(v)) for v in view.split()[2:])
    inner = f'<g transform="{html.escape(transform, quote=True)}">{"".join(parts)}</g>'
    return (width, height, view, inner), label, edges


def _shape(name, part):
    if part == "edge":
        return "arrow" if name == "polygon" else "edge"
    return "cluster" if part == "cluster" else "shape"


def _paint(name, element):
    """Presentation attributes that keep a diagram legible where main.css does not
    reach (a feed reader); the theme's classes override them on the site."""
    if name == "text":
        return ' fill="currentColor"'
    # A solid polygon (an arrowhead: Graphviz paints its fill and stroke alike).
    solid = name == "polygon" and element.get("fill") not in (None, "none")
    solid = solid and element.get("stroke") == element.get("fill")
    fill = "currentColor" if solid else "none"
    return f' fill="{fill}" stroke="currentColor"'


def first_comment(dot):
    for line in dot.splitlines():
        stripped = line.strip()
        if stripped.startswith(("//", "#")):
            return stripped.lstrip("/#").strip()
    return ""


def alternative(label, dot, edges):
    """The diagram's text alternative: its label, its first comment, or its edges."""
    if label:
        return label
    if comment := first_comment(dot):
        return comment
    arrows = [re.sub(r"\s*-[->]\s*", " → ", edge) for edge in edges]
    return "Diagram: " + ("; ".join(arrows) if arrows else "no edges")


def figure(drawn, alt, number):
    (width, height, view, inner) = drawn
    ident = f"diagram-title-{number}"
    svg = (
        f'<svg class="diagram__svg" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="{ident}" width="{width}" height="{height}" viewBox="{view}">'
        f'<title id="{ident}">{html.escape(alt)}</title>{inner}</svg>'
    )
    # A wide diagram scrolls in this box, which the keyboard can reach.
    return (
        f'<figure class="diagram"><div class="diagram__scroll" tabindex="0" role="group" '
        f'aria-label="{html.escape(alt, quote=True)}">{svg}</div></figure>'
    )


def draw(job):
    """("ok", (drawn, label, edges)) or ("error", reason): lay_out, then clean."""
    status, made = lay_out(job)
    if status == "error":
        return status, made
    try:
        return "ok", clean(made)
    except (ET.ParseError, ValueError, AttributeError) as error:
        return "error", f"its SVG could not be read ({error})"


# ---- Markdown: each fence becomes a placeholder -----------------------------------


class DiagramExtension(FenceExtension):
    language, mark = "dot", _MARK


def makeExtension(**kwargs):  # Markdown's name
    return DiagramExtension(**kwargs)


# ---- Handler ----------------------------------------------------------------------

_DRAWN = Cache("diagrams")


def settings_for(settings):
    """DEFAULTS overlaid with the site's DIAGRAMS. An unusable key is logged as an
    error (which fails the build, with every other problem) and its default used."""
    options, problems = plugin_options(settings, "DIAGRAMS", DEFAULTS)
    for problem in problems:
        logger.error("%s", problem)
    return options


def place_diagrams(generators):
    """Draw every diagram; fail the build listing every problem (`file:line: diagram: …`)."""
    settings = generators[0].settings
    options = settings_for(settings)
    pending = []
    for content in contents_of(*generators):
        if _MARK.format(1) not in body(content):
            continue
        with open(content.source_path, encoding="utf-8-sig") as handle:
            pending.append((content, fences(handle.read().splitlines())))
    jobs, problems = [], []
    for content, found in pending:
        for first, _last, lines in found:
            dot = "\n".join(lines)
            if len(dot) > options["max_length"]:
                where = f"{display_path(content.source_path)}:{first + 1}"
                problems.append(
                    f"{where}: diagram: it is {len(dot):,} characters of DOT, over "
                    f"{options['max_length']:,} (DIAGRAMS max_length); "
                    "split it into smaller diagrams"
                )
                dot = "digraph {}"
            jobs.append(f"{options['timeout']}\0{dot}")
    results = iter(_DRAWN.map(settings, draw, jobs, label="diagrams"))
    for content, found in pending:
        markup, where = body(content), display_path(content.source_path)
        for number, (first, _last, lines) in enumerate(found, start=1):
            status, made = next(results)
            if status == "error":
                line = error_line(made, first)
                problems.append(f"{where}:{line}: diagram: {made}; fix the DOT at that line")
                continue
            drawn, label, edges = made
            alt = alternative(label, "\n".join(lines), edges)
            ident = f"{content.slug}-{number}"
            markup = markup.replace(_MARK.format(number), figure(drawn, alt, ident), 1)
        set_body(content, markup)
    if problems:
        raise BuildError(problems)


def register():
    # Once every source is read and content_guard has judged the author's raw
    # HTML, before any page is written: the diagrams go into the bodies.
    signals.all_generators_finalized.connect(place_diagrams)

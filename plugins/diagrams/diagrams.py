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
import os
import re
import shutil
import subprocess
import sysconfig
import xml.etree.ElementTree as ET

from markupsafe import Markup
from pelican import signals

from sitetools.build.cache import Cache, Unkept
from sitetools.content.contents import contents_of
from sitetools.content.fences import FenceExtension, fenced, options_of, substitute

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
PARTS = ("node", "edge", "cluster", "graph")


# ---- Pure functions --------------------------------------------------------------


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _element(name, child, part):
    """One allowlisted shape or text, with the theme's class, its geometry, and
    paint that keeps it legible where main.css does not reach (a feed reader)."""
    if name == "text":
        shape, paint = "label", ' fill="currentColor"'
    else:
        edge = "arrow" if name == "polygon" else "edge"
        shape = {"edge": edge, "cluster": "cluster"}.get(part, "shape")
        # A solid polygon (an arrowhead: Graphviz paints its fill and stroke alike).
        fill = child.get("fill")
        solid = name == "polygon" and fill not in (None, "none") and child.get("stroke") == fill
        paint = f' fill="{"currentColor" if solid else "none"}" stroke="currentColor"'
    attributes = "".join(
        f' {key}="{html.escape(child.get(key), quote=True)}"'
        for key in GEOMETRY[name]
        if child.get(key) is not None
    )
    text = html.escape("".join(child.itertext())) if name == "text" else ""
    return f'<{name} class="diagram__{shape}"{paint}{attributes}>{text}</{name}>'


def clean(svg, dot):
    """What partials/diagram.html shows of Graphviz's `svg` for `dot`: its size and
    viewBox, its inner SVG rebuilt from the allowlist (shapes and text with their
    geometry, no ids, links or style) and its text alternative."""
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", svg, count=1).encode("utf-8"))
    edges = []

    def walk(element, part):
        for child in element:
            name = _local(child.tag)
            if name == "g":
                kind = (child.get("class") or "").split(" ")[0]
                kind = kind if kind in PARTS else part
                if kind == "edge":
                    edges.append("".join(child.find(f"{SVG_NS}title").itertext()).strip())
                yield f'<g class="diagram__{kind}">{"".join(walk(child, kind))}</g>'
            elif name == "a":
                yield from walk(child, part)  # links go; what they held stays
            elif name in GEOMETRY and not (
                name == "polygon" and child.get("fill") == "white" and part == "graph"
            ):  # (that polygon is the page behind the graph)
                yield _element(name, child, part)

    graph = root.find(f"{SVG_NS}g")  # Graphviz's one top group (none: draw() says so)
    label = " ".join("".join(c.itertext()).strip() for c in graph if _local(c.tag) == "text")
    transform = html.escape(graph.get("transform", ""), quote=True)
    inner = f'<g transform="{transform}">{"".join(walk(graph, "graph"))}</g>'
    view = root.get("viewBox", "0 0 0 0")
    width, height = (round(float(v)) for v in view.split()[2:])
    alt = alternative(label, dot, edges)
    return {"width": width, "height": height, "view": view, "inner": Markup(inner), "alt": alt}


def alternative(label, dot, edges):
    """The diagram's text alternative: its label, its first comment, or its edges."""
    comments = [line.strip() for line in dot.splitlines() if line.strip().startswith(("//", "#"))]
    if label or comments:
        return label or comments[0].lstrip("/#").strip()
    arrows = [re.sub(r"\s*-[->]\s*", " → ", edge) for edge in edges]
    return "Diagram: " + ("; ".join(arrows) if arrows else "no edges")


def draw(job):
    """("ok", clean()'s values) or ("error", "reason; fix") for job =
    "timeout\\0max_length\\0DOT": graphviz-pure lays it out, then clean() rebuilds its SVG."""
    timeout, limit, dot = job.split("\0", 2)
    if len(dot) > float(limit):
        return "error", (
            f"it is {len(dot):,} characters of DOT, over {float(limit):,g} (DIAGRAMS max_length); "
            "split it into smaller diagrams"
        )
    # The one beside this Python first (a virtualenv's scripts need not be on PATH).
    scripts = os.pathsep.join([sysconfig.get_path("scripts"), os.environ.get("PATH", "")])
    if (command := shutil.which("graphviz-pure", path=scripts)) is None:
        return Unkept(("error", "graphviz-pure is not installed; pip install -r requirements.txt"))
    fonts = [f"-{kind}fontname={FONT}" for kind in "GNE"]
    try:
        done = subprocess.run([command, "-Tsvg", *fonts], input=dot.encode("utf-8"),
                              capture_output=True, timeout=float(timeout), check=False)  # fmt: skip
        errors = done.stderr.decode("utf-8", "replace").strip()
        if done.returncode != 0 or errors:
            reason = errors.splitlines()[0] if errors else f"dot exited {done.returncode}"
            return "error", f"{reason}; fix the DOT at that line"
        return "ok", clean(done.stdout.decode("utf-8"), dot)
    except subprocess.TimeoutExpired:  # a busy machine's too: tried again next build
        return Unkept(("error", f"it took over {timeout} s to lay out (DIAGRAMS timeout); "
                                "split it into smaller diagrams"))  # fmt: skip
    except (ET.ParseError, ValueError, AttributeError, TypeError) as error:
        return "error", f"its SVG could not be read ({error}); fix the DOT at that line"


def makeExtension(**kwargs):  # Markdown's name: each ```dot fence becomes a placeholder
    return FenceExtension("dot", _MARK, **kwargs)


# ---- Handler ----------------------------------------------------------------------

_DRAWN = Cache("diagrams")


def result(item, drawn, diagram):
    """(the figure, [problem]) of one fence: `drawn` is draw()'s answer, `diagram` the partial."""
    (content, _, number, where, line, _), (status, made) = item, drawn
    if status == "error":  # Graphviz's `line N` counts from the fence's opening line
        at = re.search(r"\bline (\d+)", made)
        return "", [f"{where}:{line + int(at[1]) if at else line}: diagram: {made}"]
    return diagram.render(made, ident=f"diagram-title-{content.slug}-{number}"), []


def place_diagrams(generators):
    """Draw every diagram; fail the build listing every problem (`file:line: diagram: …`)."""
    settings = generators[0].settings
    options = options_of(settings, "DIAGRAMS", DEFAULTS, logger)
    found, limits = fenced(contents_of(*generators), "dot", _MARK), "{timeout}\0{max_length}\0"
    jobs = [limits.format(**options) + "\n".join(item[-1]) for item in found]
    drawn = _DRAWN.map(settings, draw, jobs, label="diagrams")
    # The theme's partial, found as Pelican finds every template.
    diagram = generators[0].env.get_template("partials/diagram.html")
    substitute(found, [result(*args, diagram) for args in zip(found, drawn, strict=True)])


def register():
    # Once every source is read and content_guard has judged the author's raw
    # HTML, before any page is written: the diagrams go into the bodies.
    signals.all_generators_finalized.connect(place_diagrams)

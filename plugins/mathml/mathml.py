"""Math written in TeX between dollars, published as MathML Core: no script, no fonts.

`$L = \\lambda W$` in a paragraph is inline math; `$$ … $$` on lines of its own
is a display formula. Dollars that are not math stay text, by pandoc's rules:
an opening `$` is followed by neither a space nor a digit, a closing one
follows no space and precedes no digit, so `$5 and $10` is prices; `\\$` is a
literal dollar; code spans and blocks are never read.

The Markdown extension below only marks each formula (a `<span>` or `<div>` of
the class `math-tex` holding its source), which content_guard's raw-HTML
policy allows and typography leaves alone. Once every source is read, the
marks in bodies become MathML, converted by math-core (a Rust LaTeX-to-MathML
Core converter, from the one cache), and the result is checked with a parser
against an allowlist of MathML elements and attributes, so no TeX can bring a
link, a style or a script into a page. A Summary keeps the source text
(`$…$`): cards and descriptions are plain text. TeX that does not convert
stops the build with `file:line`, the formula and the fix.
"""

import html
import itertools
import re
from pathlib import Path
from xml.etree import ElementTree

import justhtml
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from pelican import signals

from sitetools.build.cache import Cache
from sitetools.content.contents import body, contents_of
from sitetools.content.fences import substitute
from sitetools.content.files import display_path

# An inline formula, which may run over lines of its paragraph: see the rules above.
INLINE = r"(?<![\\$])\$(?![\s\d$])((?:\\.|[^\\$])+?)(?<![\s\\])\$(?![\d$])"
MARK_CLASS = "math-tex"
MAX_LENGTH = 4000  # characters of TeX in one formula
MAX_DEPTH = 64  # nested braces (math-core's parser recurses on each)

# MathML Core's elements, and the attributes math-core writes that a page may carry.
ELEMENTS = frozenset(
    """
    math mi mn mo ms mspace mtext mrow mfrac msqrt mroot mstyle merror mpadded mphantom
    msub msup msubsup munder mover munderover mmultiscripts mprescripts none mtable mtr
    mtd semantics annotation
    """.split()
)
ATTRIBUTES = frozenset(
    """
    display displaystyle scriptlevel mathvariant mathsize mathcolor dir form fence
    separator stretchy symmetric largeop movablelimits lspace rspace minsize maxsize
    accent accentunder linethickness width height depth voffset columnalign rowalign
    columnspan rowspan columnlines rowlines columnspacing rowspacing frame encoding
    """.split()
)


# ---- Pure functions --------------------------------------------------------------


def depth(tex):
    """The deepest nesting of unescaped braces in `tex`."""
    steps = (1 if token == "{" else -1 for token in re.findall(r"\\.|[{}]", tex) if token in "{}")
    return max(itertools.accumulate(steps, initial=0))


def unsafe(mathml):
    """Why converted MathML may not go into a page, or None: every element and
    attribute, as the WHATWG tokenizer content_guard trusts (justhtml) reads them,
    must be on the allowlist."""
    for tag, attributes in (data for event, data in justhtml.stream(mathml) if event == "start"):
        if tag not in ELEMENTS:
            return f"it makes a <{tag}> element, which a page may not hold"
        if bad := [name for name in attributes if name not in ATTRIBUTES]:
            return f"it sets {bad[0]}= on <{tag}>, which a page may not hold"
    return None


def convert(job):
    """("ok", MathML) or ("error", reason) for job = "inline|block" + "\\0" + TeX."""
    from math_core import LatexError, LatexToMathML  # noqa: PLC0415  (a worker imports it)

    kind, tex = job.split("\0", 1)
    if len(tex) > MAX_LENGTH:
        return "error", f"it is {len(tex):,} characters long, over {MAX_LENGTH:,}"
    if depth(tex) > MAX_DEPTH:
        return "error", f"its braces nest more than {MAX_DEPTH} deep"
    try:
        mathml = LatexToMathML(fancy_error=False).convert_with_local_state(
            tex, displaystyle=kind == "block"
        )
    except LatexError as error:
        return "error", str(error).split(": ", 1)[-1].rstrip(".")
    why = unsafe(mathml)
    return ("error", why) if why else ("ok", mathml)


def mark(tex, block):
    """The placeholder a formula leaves in the HTML Markdown writes."""
    tag, delimiter, extra = ("div", "$$", f" {MARK_CLASS}--block") if block else ("span", "$", "")
    return f'<{tag} class="{MARK_CLASS}{extra}">{html.escape(delimiter + tex + delimiter)}</{tag}>'


_MARKED = re.compile(rf'<(span|div) class="{MARK_CLASS}(?: {MARK_CLASS}--block)?">([^<]*)</\1>')


def marks(markup):
    """[(placeholder, "inline"|"block", TeX)] of the placeholders in `markup` (a
    block is a <div> and its TeX is between $$, an inline one a <span>, $)."""
    found = [(m[0], m[1] == "div", html.unescape(m[2])) for m in _MARKED.finditer(markup)]
    return [(mark, "block" if block else "inline", tex[1 + block : -1 - block])
            for mark, block, tex in found]  # fmt: skip


# ---- Markdown: each formula becomes a placeholder -----------------------------------


class InlineMath(InlineProcessor):
    def handleMatch(self, match, data):  # Markdown's name
        return self.md.htmlStash.store(mark(match.group(1), block=False)), *match.span()


class DisplayMath(BlockProcessor):
    """A paragraph that starts and ends with `$$` (on one line or several)."""

    def test(self, parent, block):
        text = block.strip()
        return text.startswith("$$") and text.endswith("$$") and len(text) > 4

    def run(self, parent, blocks):
        tex = blocks.pop(0).strip()[2:-2].strip()
        ElementTree.SubElement(parent, "p").text = self.parser.md.htmlStash.store(mark(tex, True))


class MathExtension(Extension):
    def extendMarkdown(self, md):  # Markdown's name
        # `\$` is a literal dollar, as `\*` is a literal star.
        md.ESCAPED_CHARS.append("$")
        # After code spans (190), before escapes (180) and emphasis read the TeX.
        md.inlinePatterns.register(InlineMath(INLINE, md), "math", 185)
        # Before paragraphs (10).
        md.parser.blockprocessors.register(DisplayMath(md.parser), "display-math", 15)


def makeExtension(**kwargs):  # Markdown's name
    return MathExtension(**kwargs)


# ---- Handler ----------------------------------------------------------------------

_CONVERTED = Cache("mathml")


def place_math(generators):
    """Every formula's placeholder becomes MathML; a formula that does not
    convert fails the build, every one listed with its line."""
    found = [
        (content, *placeholder)
        for content in contents_of(*generators)
        if MARK_CLASS in body(content)
        for placeholder in marks(body(content))
    ]
    jobs = [f"{kind}\0{tex}" for _, _, kind, tex in found]
    converted = _CONVERTED.map(generators[0].settings, convert, jobs, label="math") if jobs else []
    results, after = [], {}  # after: {source path: where its next formula is looked for}
    for (content, _, _, tex), (status, made) in zip(found, converted, strict=True):
        if status == "ok":
            results.append((made, []))
            continue
        source = Path(content.source_path).read_text(encoding="utf-8-sig")  # a failing build's
        at = after[content.source_path] = source.find(tex, after.get(content.source_path, 0)) + 1
        line = f":{source.count(chr(10), 0, at) + 1}" if at else ""
        shown = tex if len(tex) <= 60 else tex[:57] + "…"
        problem = (
            f"{display_path(content.source_path)}{line}: math: ${shown}$ does not convert: "
            f"{made}; fix the TeX, or write \\$ for a dollar that is not math"
        )
        results.append(("", [problem]))
    substitute(found, results)


def register():
    # Once every source is read (content_guard has judged the raw HTML the
    # reader made, placeholders and all), before any page is written.
    signals.all_generators_finalized.connect(place_math)

"""Section headings: stable ids, a table of contents, and anchor links.

Every h2/h3 keeps the id Markdown's toc extension gave it; one written as raw
HTML without an id gets a slug of its text. `article.toc` lists the h2
sections (with their h3s) of a body with at least `toc_min_sections` of them.
The Jinja filter `section_anchors` wraps each heading in a div and follows it
with a link to itself: beside the heading, not inside it (Markdown's
`permalink` puts a "¶" inside, so every heading is announced with it), named
"Link to section: <heading>". Feeds use the body as it is, without anchors.

Headings are found with the standard library's parser and edits are spliced
in where it found them, so the rest of a body keeps its bytes; results are
kept across builds (sitetools.build.cache).
"""

import html
import logging
import re
from html.parser import HTMLParser

from markdown.extensions.toc import slugify, unique
from markupsafe import Markup
from pelican import signals

from sitetools.build.cache import Cache
from sitetools.content.contents import body, contents_of, set_body
from sitetools.content.fences import options_of

logger = logging.getLogger(__name__)

_prepared = Cache("headings-ids")
_anchors = Cache("headings-anchors")

DEFAULTS = {
    # A post gets a table of contents from this many sections (h2s).
    "toc_min_sections": 3,
}
# The headings that get an id and an anchor link: the table of contents'
# sections and their subsections.
SECTION, SUBSECTION = "h2", "h3"
# The anchor link's accessible name ({heading}: the heading's text), and what
# it shows (hidden from assistive technology).
ANCHOR_LABEL, ANCHOR_TEXT = "Link to section: {heading}", "#"


class _Headings(HTMLParser):
    """The sections and subsections of a body, in order, as [tag, id, text, start,
    end] with markup[start:end] the whole element (an unclosed one runs to the
    end; one opened inside another nests), and every id the body uses."""

    def __init__(self, markup):
        super().__init__(convert_charrefs=True)
        self.markup = markup
        self.line_starts = [0, *(match.end() for match in re.finditer("\n", markup))]
        self.found, self.open, self.ids = [], [], set()
        self.feed(markup)
        self.close()
        for heading in self.open:
            heading[4] = len(markup)
        for heading in self.found:
            heading[2] = " ".join("".join(heading[2]).split())

    def _offset(self):
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        ident = dict(attrs).get("id")
        if ident:
            self.ids.add(ident)
        if tag in (SECTION, SUBSECTION):
            self.found.append([tag, ident, [], self._offset(), None])
            self.open.append(self.found[-1])

    def handle_endtag(self, tag):
        if self.open and tag == self.open[-1][0]:
            self.open.pop()[4] = self.markup.index(">", self._offset()) + 1

    def handle_data(self, data):
        for heading in self.open:
            heading[2].append(data)


def splice(markup, edits):
    """`markup` with markup[start:end] replaced by `text` for each (start, end,
    text) of `edits` (start == end inserts), the rest of it byte for byte;
    edits at one place go in in their order. redirects rewrites hrefs with it."""
    parts, done = [], 0
    for start, end, text in sorted(edits, key=lambda edit: edit[0]):
        parts += [markup[done:start], text]
        done = end
    return "".join([*parts, markup[done:]])


def prepared(markup, min_sections=DEFAULTS["toc_min_sections"]):
    """(the body with an id on every section and subsection, or None when it
    had them all; its table of contents: [{"id", "title", "children"}], empty
    with fewer than `min_sections` sections). A subsection before any section
    is listed as a section."""
    parsed, inserts, entries = _Headings(markup or ""), [], []
    for tag, given, title, start, _end in parsed.found:
        ident = given or unique(slugify(title, "-") or "section", parsed.ids)
        if not given:
            at = start + 1 + len(tag)  # after the tag name
            inserts.append((at, at, f' id="{html.escape(ident)}"'))
        entry = {"id": ident, "title": title, "children": []}
        if tag == SUBSECTION and entries:
            entries[-1]["children"].append(entry)
        else:
            entries.append(entry)
    sections = sum(1 for tag, *_ in parsed.found if tag == SECTION)
    return (splice(markup, inserts) if inserts else None), (
        entries if sections >= min_sections else []
    )


def anchor_link(ident, title):
    return (
        f'<a class="section-heading__anchor" href="#{html.escape(ident)}"'
        # Search excerpts should not read "# Link to section: …".
        ' data-pagefind-ignore="">'
        f'<span aria-hidden="true">{ANCHOR_TEXT}</span><span class="visually-hidden">'
        f"{html.escape(ANCHOR_LABEL.format(heading=title), quote=False)}"
        "</span></a>"
    )


def add_anchors(markup):
    """Each section and subsection with an id, wrapped in `<div class="section-heading
    section-heading--h2">` and followed there by its anchor_link."""
    markup = str(markup or "")
    inserts = []
    for tag, ident, title, start, end in _Headings(markup).found:
        if ident:
            inserts.append((start, start, f'<div class="section-heading section-heading--{tag}">'))
            inserts.append((end, end, anchor_link(ident, title) + "</div>"))
    return splice(markup, inserts)


def prepare_contents(generator):
    """Every article, draft, hidden post and page gets heading ids and `toc`."""
    contents = contents_of(generator)
    least = options_of(generator.settings, "HEADINGS", DEFAULTS, logger)["toc_min_sections"]
    results = _prepared.map(
        generator.settings,
        lambda markup: prepared(markup, least),
        [body(content) for content in contents],
        salt=repr(least),
        label="heading ids",
    )
    for content, (markup, toc) in zip(contents, results, strict=True):
        if markup is not None:
            set_body(content, markup)
        content.toc = toc


def anchor_bodies_ahead(generators):
    """Anchor every final body on every CPU before any page renders, so that
    the filter finds them in the cache."""
    contents = [content for content in contents_of(*generators) if body(content)]
    if contents:
        bodies = sorted({str(body(content)) for content in contents})
        _anchors.map(contents[0].settings, add_anchors, bodies, label="section anchors")


def add_filter(generator):
    """Templates get `section_anchors`: `{{ article.content|section_anchors }}`."""
    settings = generator.settings

    def section_anchors(markup):
        return Markup(_anchors.get(settings, add_anchors, str(markup or "")))

    generator.env.filters["section_anchors"] = section_anchors


def register():
    # Filters must exist before any template renders.
    signals.generator_init.connect(add_filter)
    # Bodies are complete once each generator has read every source.
    signals.article_generator_finalized.connect(prepare_contents)
    signals.page_generator_finalized.connect(prepare_contents)
    # Bodies are final once every generator is (other plugins edit them too).
    signals.all_generators_finalized.connect(anchor_bodies_ahead)

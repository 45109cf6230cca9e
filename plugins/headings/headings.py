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

import functools
import html
import re
from html.parser import HTMLParser

from markdown.extensions.toc import slugify, unique
from markupsafe import Markup
from pelican import signals

from sitetools.build.cache import Cache
from sitetools.content.contents import body, contents_of, set_body

_prepared = Cache("headings-ids")
_anchors = Cache("headings-anchors")

DEFAULTS = {
    # Headings that get an id and an anchor link; the first level makes the
    # table of contents' sections, the second their subsections.
    "levels": ["h2", "h3"],
    # A post gets a table of contents from this many sections (first-level headings).
    "toc_min_sections": 3,
    # The anchor link's accessible name; {heading} is the heading's text.
    "anchor_label": "Link to section: {heading}",
    # What the anchor link shows (hidden from assistive technology).
    "anchor_text": "#",
}


def settings_for(settings):
    return {**DEFAULTS, **(settings.get("HEADINGS") or {})}


class _Headings(HTMLParser):
    """The headings of `levels` in a body, in order, as [tag, id, text, start,
    end] with markup[start:end] the whole element (an unclosed one runs to the
    end; one opened inside another nests), and every id the body uses."""

    def __init__(self, markup, levels):
        super().__init__(convert_charrefs=True)
        self.markup, self.levels = markup, frozenset(levels)
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
        if tag in self.levels:
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


def prepared(markup, levels=tuple(DEFAULTS["levels"]), min_sections=3):
    """(the body with an id on every heading of `levels`, or None when it had
    them all; its table of contents: [{"id", "title", "children"}], empty with
    fewer than `min_sections` sections). A subsection before any section is
    listed as a section."""
    parsed = _Headings(markup or "", levels)
    inserts = []
    for heading in parsed.found:
        if not heading[1]:
            heading[1] = unique(slugify(heading[2], "-") or "section", parsed.ids)
            at = heading[3] + 1 + len(heading[0])  # after the tag name
            inserts.append((at, at, f' id="{html.escape(heading[1])}"'))
    section, subsection = [*levels, None][:2]
    entries = []
    for tag, ident, title, *_ in parsed.found:
        entry = {"id": ident, "title": title, "children": []}
        if tag == subsection and entries:
            entries[-1]["children"].append(entry)
        else:
            entries.append(entry)
    sections = sum(1 for tag, *_ in parsed.found if tag == section)
    return (splice(markup, inserts) if inserts else None), (
        entries if sections >= min_sections else []
    )


def anchor_link(ident, title, label, text):
    return (
        f'<a class="section-heading__anchor" href="#{html.escape(ident)}"'
        # Search excerpts should not read "# Link to section: …".
        ' data-pagefind-ignore="">'
        f'<span aria-hidden="true">{html.escape(text, quote=False)}</span>'
        f'<span class="visually-hidden">{html.escape(label.format(heading=title), quote=False)}'
        "</span></a>"
    )


def add_anchors(markup, levels, label, text):
    """Each heading of `levels` with an id, wrapped in `<div class="section-heading
    section-heading--h2">` and followed there by its anchor_link."""
    markup = str(markup or "")
    inserts = []
    for tag, ident, title, start, end in _Headings(markup, levels).found:
        if ident:
            inserts.append((start, start, f'<div class="section-heading section-heading--{tag}">'))
            inserts.append((end, end, anchor_link(ident, title, label, text) + "</div>"))
    return splice(markup, inserts)


def prepare_contents(generator):
    """Every article, draft, hidden post and page gets heading ids and `toc`."""
    contents = contents_of(generator)
    options = settings_for(generator.settings)
    levels, least = tuple(options["levels"]), int(options["toc_min_sections"])
    results = _prepared.map(
        generator.settings,
        lambda markup: prepared(markup, levels, least),
        [body(content) for content in contents],
        salt=repr((levels, least)),
        label="heading ids",
    )
    for content, (markup, toc) in zip(contents, results, strict=True):
        if markup is not None:
            set_body(content, markup)
        content.toc = toc


def anchoring(settings):
    """add_anchors under the site's options, and those options as a cache salt."""
    options = settings_for(settings)
    args = tuple(options["levels"]), str(options["anchor_label"]), str(options["anchor_text"])
    return functools.partial(add_anchors, levels=args[0], label=args[1], text=args[2]), repr(args)


def anchor_bodies_ahead(generators):
    """Anchor every final body on every CPU before any page renders, so that
    the filter finds them in the cache."""
    contents = [content for content in contents_of(*generators) if body(content)]
    if contents:
        anchor, salt = anchoring(contents[0].settings)
        bodies = sorted({str(body(content)) for content in contents})
        _anchors.map(contents[0].settings, anchor, bodies, salt=salt, label="section anchors")


def add_filter(generator):
    """Templates get `section_anchors`: `{{ article.content|section_anchors }}`."""
    settings = generator.settings
    anchor, salt = anchoring(settings)

    def section_anchors(markup):
        return Markup(_anchors.get(settings, anchor, str(markup or ""), salt=salt))

    generator.env.filters["section_anchors"] = section_anchors


def register():
    # Filters must exist before any template renders.
    signals.generator_init.connect(add_filter)
    # Bodies are complete once each generator has read every source.
    signals.article_generator_finalized.connect(prepare_contents)
    signals.page_generator_finalized.connect(prepare_contents)
    # Bodies are final once every generator is (other plugins edit them too).
    signals.all_generators_finalized.connect(anchor_bodies_ahead)

"""Section headings: stable ids, a table of contents, and anchor links.

- Every h2/h3 of a body keeps the id Markdown's toc extension gave it (a slug
  of its text, so it only changes when the heading does); a heading written as
  raw HTML without one gets one the same way.
- `article.toc` lists the h2 sections (with their h3 subsections) of a post that
  has at least `toc_min_sections` of them, else it is empty.
- The Jinja filter `section_anchors` wraps each heading with an id in
  `<div class="section-heading">` and follows it with a link to itself. The link
  sits beside the heading, not inside it, so the heading's accessible name stays
  its text; the link's own name is "Link to section: <heading>". It runs when
  the page is rendered, so feeds, which use the body as it is, carry no anchors.

Parsing every body is slow with a thousand posts: ids and the table of
contents come from the standard library's parser unless a heading lacks an id,
the anchored bodies are worked out on every CPU before any page renders, and
both are kept across builds (sitetools.cache).

Markdown's own `permalink` option was not used: it puts a "¶" link inside the
heading, so every heading is announced with a pilcrow, and its one fixed title
cannot name the section it links to.
"""

import functools
import html
from html.parser import HTMLParser

from bs4 import BeautifulSoup
from markdown.extensions.toc import slugify, unique
from markupsafe import Markup
from pelican import signals

from sitetools.cache import Cache
from sitetools.contents import contents_of

# Per body, kept across builds: (body with ids, toc), and the anchored body.
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
    """The plugin's settings: defaults overlaid with the site's HEADINGS dict."""
    return {**DEFAULTS, **(settings.get("HEADINGS") or {})}


def heading_text(element):
    """A heading's text on one line, as a reader sees it."""
    return " ".join(element.get_text().split())


class _Headings(HTMLParser):
    """The headings of `levels` in a body, in order: [(tag, id, text, start, end)],
    where markup[start:end] is the whole element. `tangled` is set when one
    opens inside another (BeautifulSoup decides)."""

    def __init__(self, levels, markup):
        super().__init__(convert_charrefs=True)
        self.levels = frozenset(levels)
        self.markup = markup
        self.line_starts = [0]
        for line in markup.split("\n")[:-1]:
            self.line_starts.append(self.line_starts[-1] + len(line) + 1)
        self.found = []
        self.current = None
        self.tangled = False

    def _offset(self):
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if tag in self.levels:
            if self.current is not None:
                self.tangled = True
                return
            self.current = (tag, dict(attrs).get("id"), [], self._offset())

    def handle_endtag(self, tag):
        if self.current is not None and tag == self.current[0]:
            self._close(self.markup.index(">", self._offset()) + 1)

    def handle_data(self, data):
        if self.current is not None:
            self.current[2].append(data)

    def _close(self, end):
        tag, ident, parts, start = self.current
        self.found.append((tag, ident, " ".join("".join(parts).split()), start, end))
        self.current = None

    def close(self):
        super().close()
        if self.current is not None:
            self.tangled = True  # an unclosed heading: let BeautifulSoup decide


def _headings(markup, levels):
    """_Headings of a body, or None when BeautifulSoup has to decide."""
    parser = _Headings(levels, markup)
    parser.feed(markup)
    parser.close()
    return None if parser.tangled else parser.found


def ensure_ids(markup, levels=tuple(DEFAULTS["levels"])):
    """Give every heading of `levels` that lacks an id a unique slug id.

    Returns the markup unchanged (the same string) when every heading has one."""
    if not markup:
        return markup
    found = _headings(markup, levels)
    if found is not None and all(found_id for _, found_id, *_ in found):
        return markup  # the common case (Markdown's toc gives ids), without a tree
    soup = BeautifulSoup(markup, "html.parser")
    missing = [h for h in soup.find_all(list(levels)) if not h.get("id")]
    if not missing:
        return markup
    used = {element["id"] for element in soup.find_all(id=True)}
    for heading in missing:
        heading["id"] = unique(slugify(heading_text(heading), "-") or "section", used)
    return str(soup)


def toc_entries(markup, levels=tuple(DEFAULTS["levels"]), min_sections=3, found=None):
    """The table of contents of a body: [{"id", "title", "children": [...]}].

    Sections are the first level's headings, subsections the second's, in page
    order; a subsection before any section is listed as a section. Empty when the
    body has fewer than `min_sections` sections. `found` is the body's
    _headings when the caller has them already."""
    if not markup:
        return []
    section, subsection = [*levels, None][:2]
    wanted = [level for level in (section, subsection) if level]
    if found is None:
        found = _headings(markup, wanted)
    if found is None:
        soup = BeautifulSoup(markup, "html.parser")
        found = [(h.name, h.get("id"), heading_text(h)) for h in soup.find_all(wanted)]
    entries = []
    for tag, ident, title, *_ in found:
        if not ident or tag not in wanted:
            continue
        entry = {"id": ident, "title": title, "children": []}
        if tag == subsection and entries:
            entries[-1]["children"].append(entry)
        else:
            entries.append(entry)
    sections = sum(1 for tag, ident, *_ in found if tag == section and ident)
    return entries if sections >= min_sections else []


def anchor_link(ident, title, label, text):
    """The anchor link that follows a heading."""
    return (
        f'<a class="section-heading__anchor" href="#{html.escape(ident)}"'
        # Search excerpts should not read "# Link to section: …".
        ' data-pagefind-ignore="">'
        f'<span aria-hidden="true">{html.escape(text, quote=False)}</span>'
        f'<span class="visually-hidden">{html.escape(label.format(heading=title), quote=False)}'
        "</span></a>"
    )


def add_anchors(markup, levels, label, text):
    """Wrap every heading of `levels` that has an id with its anchor link:

    <div class="section-heading section-heading--h2">
      <h2 id="x">Title</h2>
      <a class="section-heading__anchor" href="#x" data-pagefind-ignore="">
        <span aria-hidden="true">#</span>
        <span class="visually-hidden">Link to section: Title</span></a>
    </div>

    The body is otherwise left as it is: the wrapper and the link are spliced in
    where the standard library's parser found each heading. BeautifulSoup only
    decides when headings nest or never close."""
    markup = str(markup or "")
    if not markup:
        return markup
    found = _headings(markup, levels)
    if found is None:
        return add_anchors_by_tree(markup, levels, label, text)
    parts, done = [], 0
    for tag, ident, title, start, end in found:
        if not ident:
            continue
        parts += [
            markup[done:start],
            f'<div class="section-heading section-heading--{tag}">',
            markup[start:end],
            anchor_link(ident, title, label, text),
            "</div>",
        ]
        done = end
    parts.append(markup[done:])
    return "".join(parts)


def add_anchors_by_tree(markup, levels, label, text):
    """add_anchors for bodies whose headings the plain parser cannot place."""
    soup = BeautifulSoup(markup, "html.parser")
    headings = [h for h in soup.find_all(list(levels)) if h.get("id")]
    if not headings:
        return markup
    for heading in headings:
        wrapper = soup.new_tag(
            "div", attrs={"class": f"section-heading section-heading--{heading.name}"}
        )
        heading.wrap(wrapper)
        link = BeautifulSoup(
            anchor_link(heading["id"], heading_text(heading), label, text), "html.parser"
        )
        wrapper.append(link.a)
    return str(soup)


def prepared(markup, levels, min_sections):
    """(body with heading ids or None when it had them all, table of contents)
    of one body, from one parse when every heading has its id already. None
    spares a thousand bodies' worth of copies coming back from the workers and
    sitting in the cache."""
    if not markup:
        return None, []
    found = _headings(markup, levels)
    if found is not None and all(ident for _, ident, *_ in found):
        return None, toc_entries(markup, levels, min_sections, found)
    with_ids = ensure_ids(markup, levels)
    return (None if with_ids is markup else with_ids), toc_entries(with_ids, levels, min_sections)


def prepare_contents(generator):
    """Every article, draft, hidden post and page gets heading ids and `toc`:
    the bodies are parsed on every CPU, and each result is kept across builds
    (BeautifulSoup is slow)."""
    contents = contents_of(generator)
    if not contents:
        return
    options = settings_for(generator.settings)
    levels = tuple(options["levels"])
    least = int(options["toc_min_sections"])
    results = _prepared.map(
        generator.settings,
        lambda markup: prepared(markup, levels, least),
        [content._content or "" for content in contents],
        salt=repr((levels, least)),
        label="heading ids",
    )
    for content, (markup, toc) in zip(contents, results, strict=True):
        if markup is not None:
            content._content = markup
        content.toc = toc


def anchoring(settings):
    """add_anchors under the site's options, and those options as a cache salt."""
    options = settings_for(settings)
    levels = tuple(options["levels"])
    label, text = str(options["anchor_label"]), str(options["anchor_text"])
    return functools.partial(add_anchors, levels=levels, label=label, text=text), repr(
        (levels, label, text)
    )


def anchor_bodies_ahead(generators):
    """Add the anchors to every final body on every CPU, before any page
    renders, so that the filter finds them in the cache."""
    contents = [content for content in contents_of(*generators) if content._content]
    if contents:
        settings = contents[0].settings
        anchor, salt = anchoring(settings)
        bodies = sorted({str(content._content) for content in contents})
        _anchors.map(settings, anchor, bodies, salt=salt, label="section anchors")


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

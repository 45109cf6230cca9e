"""Card fields for every article: a tag-label line and a one-line summary.

Templates read `article.tag_label` and `article.one_line_summary`; this plugin
computes them once per article, once every generator has read its files.
"""

import html
import re
from html.parser import HTMLParser

from pelican import signals

from sitetools.contents import contents_of

DEFAULTS = {
    # Joins the tags on the card's label line: "llm / go / devops".
    "tag_separator": " / ",
    # Longest one-line summary, in characters, before it is cut at a word.
    # The seed's longest summary is 266 characters; 320 keeps all ten whole.
    "summary_max_chars": 320,
    # How many opening sentences stand in for a missing Summary.
    "fallback_sentences": 2,
}

ELLIPSIS = "…"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“‘(])")
# Block elements whose text must not run into the next block's text.
_BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "td", "th", "br")
# Parts of a body that are not prose, left out when the body stands in for a summary.
_NOT_PROSE = (
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "table",
    "figure",
    "nav",
    "script",
    "style",
)


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's POST_CARDS dict."""
    return {**DEFAULTS, **(settings.get("POST_CARDS") or {})}


def tag_label(tags, separator=DEFAULTS["tag_separator"]):
    """Join tag names in the author's order: ["llm", "go"] -> "llm / go"."""
    return separator.join(str(tag).strip() for tag in tags or () if str(tag).strip())


class _TextOf(HTMLParser):
    """Collects the text of an HTML fragment, a space after each block and
    nothing from inside the elements named in `skip`."""

    def __init__(self, skip):
        super().__init__(convert_charrefs=True)
        self.skip = frozenset(skip)
        self.skipping = []  # the skipped element we are in, once per nesting
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if self.skipping:
            if tag == self.skipping[0]:
                self.skipping.append(tag)
        elif tag in self.skip:
            self.skipping.append(tag)
        elif tag == "br":
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if self.skipping:
            if tag == self.skipping[0]:
                self.skipping.pop()
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def plain_text(markup, skip=()):
    """HTML or text -> one line of plain text: tags stripped, entities decoded,
    whitespace collapsed. Elements named in `skip` are dropped with their text.

    The standard library's HTML parser does this a dozen times faster than a
    BeautifulSoup tree, which matters with a thousand posts."""
    if not markup:
        return ""
    markup = str(markup)
    if "<" in markup:
        parser = _TextOf(skip)
        parser.feed(markup)
        parser.close()
        markup = "".join(parser.parts)
    return " ".join(html.unescape(markup).split())


def shorten(text, max_chars):
    """Cut `text` to at most `max_chars` characters at a word boundary, adding "…"."""
    if max_chars <= 0 or len(text) <= max_chars:
        return text
    room = max_chars - len(ELLIPSIS)
    cut = text[: room + 1]
    space = cut.rfind(" ")
    head = cut[:space] if space > 0 else text[:room]
    return head.rstrip(" ,;:–—-") + ELLIPSIS


def opening_sentences(text, count):
    """The first `count` sentences of plain `text`."""
    sentences = _SENTENCE_END.split(text)
    return " ".join(sentences[:count])


def one_line_summary(summary, body, max_chars=DEFAULTS["summary_max_chars"], sentences=2):
    """The card's summary: the Summary metadata, or else the body's opening
    sentences; always plain text on one line, at most `max_chars` long."""
    text = plain_text(summary)
    if not text:
        text = opening_sentences(plain_text(body, skip=_NOT_PROSE), sentences)
    return shorten(text, max_chars)


def annotate(content, options):
    """Set the card fields on one article or page."""
    content.tag_label = tag_label(
        [tag.name for tag in getattr(content, "tags", None) or ()],
        options["tag_separator"],
    )
    summary = content.metadata.get("summary")
    content.one_line_summary = one_line_summary(
        summary,
        None if summary else content.content,
        int(options["summary_max_chars"]),
        int(options["fallback_sentences"]),
    )


def annotate_all(generators):
    """Every article, draft, hidden post and page gets its card fields (pages
    use them for their meta description)."""
    contents = contents_of(*generators)
    if contents:
        options = settings_for(contents[0].settings)
        for content in contents:
            annotate(content, options)


def register():
    # A post without a Summary falls back on its body, and reading a body
    # (`content.content`) makes Pelican replace its {static} and {filename}
    # links then and keep the result for the build's SITEURL. Those links
    # resolve only once every generator has registered its files, static
    # ones included: the earliest point is all_generators_finalized, which
    # Pelican sends "for plugins that create/edit the summary".
    signals.all_generators_finalized.connect(annotate_all)

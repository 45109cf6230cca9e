"""Card fields of every post and page: `tag_label` ("llm / go") and
`one_line_summary` (plain text, from Summary or else the body's opening sentences)."""

import html
import re
from html.parser import HTMLParser

from pelican import signals

from sitetools.build.cache import Cache
from sitetools.content.contents import contents_of

DEFAULTS = {
    "tag_separator": " / ",
    # Longest summary before it is cut at a word: the seed's longest is 266.
    "summary_max_chars": 320,
    # How many opening sentences stand in for a missing Summary.
    "fallback_sentences": 2,
}

ELLIPSIS = "…"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“‘(])")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Block elements whose text must not run into the next block's text.
_BLOCKS = {*_HEADINGS, "p", "li", "pre", "td", "th", "br"}
# Parts of a body that are not prose, left out when it stands in for a summary.
_NOT_PROSE = {*_HEADINGS, "pre", "table", "figure", "nav", "script", "style"}


# one_line_summary per (summary, body) and options, kept across builds.
_summaries = Cache("post-cards")


def settings_for(settings):
    return {**DEFAULTS, **(settings.get("POST_CARDS") or {})}


def tag_label(tags, separator=DEFAULTS["tag_separator"]):
    """Tag names in the author's order, blank ones left out: "llm / go"."""
    return separator.join(str(tag).strip() for tag in tags or () if str(tag).strip())


class _TextOf(HTMLParser):
    """The text of an HTML fragment, a space after each block, nothing from
    inside the elements of `skip`. (A dozen times faster than BeautifulSoup.)"""

    def __init__(self, skip):
        super().__init__(convert_charrefs=True)
        self.skip, self.skipping, self.parts = set(skip), [], []

    def handle_starttag(self, tag, attrs):
        # Nested elements of the skipped one's name are counted to find its end.
        if (self.skipping and tag == self.skipping[0]) or (not self.skipping and tag in self.skip):
            self.skipping.append(tag)
        elif tag == "br" and not self.skipping:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if self.skipping and tag == self.skipping[0]:
            self.skipping.pop()
        elif tag in _BLOCKS and not self.skipping:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def plain_text(markup, skip=()):
    """HTML or text -> one line of plain text, without the elements of `skip`."""
    markup = str(markup or "")
    if "<" in markup:
        parser = _TextOf(skip)
        parser.feed(markup)
        parser.close()
        markup = "".join(parser.parts)
    return " ".join(html.unescape(markup).split())


def shorten(text, max_chars):
    """Cut `text` to at most `max_chars` characters at a word, adding "…" (0: no limit)."""
    if max_chars <= 0 or len(text) <= max_chars:
        return text
    room = max_chars - len(ELLIPSIS)
    space = text[: room + 1].rfind(" ")
    head = text[:space] if space > 0 else text[:room]
    return head.rstrip(" ,;:–—-") + ELLIPSIS


def opening_sentences(text, count):
    """The first `count` sentences of plain `text`."""
    return " ".join(_SENTENCE_END.split(text)[:count])


def one_line_summary(summary, body, max_chars=DEFAULTS["summary_max_chars"], sentences=2):
    """Plain `summary`, or else the opening sentences of the body's prose, cut to `max_chars`."""
    text = plain_text(summary) or opening_sentences(plain_text(body, _NOT_PROSE), sentences)
    return shorten(text, max_chars)


def pair_of(kind, markup):
    """one_line_summary's (summary, body) for a ("summary" or "body", markup) text."""
    return (markup, None) if kind == "summary" else (None, markup)


def annotate_all(generators):
    """Every post and page gets its card fields (a page's summary is its description)."""
    contents = contents_of(*generators)
    if not contents:
        return
    site_settings = contents[0].settings
    options = settings_for(site_settings)
    most, sentences = int(options["summary_max_chars"]), int(options["fallback_sentences"])
    texts = []
    for content in contents:
        tags = [tag.name for tag in getattr(content, "tags", None) or ()]
        content.tag_label = tag_label(tags, options["tag_separator"])
        summary = content.metadata.get("summary")
        texts.append(("summary", str(summary)) if summary else ("body", str(content.content)))
    lines = _summaries.map(
        site_settings,
        lambda text: one_line_summary(*pair_of(*text), most, sentences),
        texts,
        salt=(most, sentences),
    )
    for content, line in zip(contents, lines, strict=True):
        content.one_line_summary = line


def register():
    # Reading `content.content` resolves its {static} and {filename} links,
    # which needs every generator's files: all_generators_finalized, the
    # signal Pelican sends "for plugins that create/edit the summary".
    signals.all_generators_finalized.connect(annotate_all)

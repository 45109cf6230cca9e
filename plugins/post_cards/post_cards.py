"""Card fields of every post and page: `tag_label` ("llm / go") and
`one_line_summary` (plain text, from Summary or else the body's opening sentences)."""

import html
import re

from pelican import signals
from selectolax.lexbor import LexborHTMLParser

from sitetools.build.cache import Cache
from sitetools.content.contents import contents_of

DEFAULTS = {
    "tag_separator": " / ",
    # Longest summary before it is cut at a word: the seed's longest is 266.
    "summary_max_chars": 320,
}

ELLIPSIS = "…"
# one_line_summary per (summary, body) and options, kept across builds.
_summaries = Cache("post-cards")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“‘(])")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Block elements whose text must not run into the next block's text.
_BLOCKS = {*_HEADINGS, "p", "li", "pre", "td", "th", "br"}
# Parts of a body that are not prose, left out when it stands in for a summary.
_NOT_PROSE = {*_HEADINGS, "pre", "table", "figure", "nav", "script", "style"}


def settings_for(settings):
    return {**DEFAULTS, **(settings.get("POST_CARDS") or {})}


def tag_label(tags, separator=DEFAULTS["tag_separator"]):
    """Tag names in the author's order, blank ones left out: "llm / go"."""
    return separator.join(str(tag).strip() for tag in tags or () if str(tag).strip())


def text_tree(markup, skip=()):
    """A parse of HTML `markup` (lexbor, as a browser builds it) without the
    elements of `skip`, with a space after each block so that blocks' words
    stay apart. The one text walker: article_page counts its words too."""
    tree = LexborHTMLParser(str(markup or ""))
    tree.strip_tags(list(skip))
    for node in tree.css(",".join(sorted(_BLOCKS))):
        node.insert_after(" ")
    return tree


def plain_text(markup, skip=()):
    """HTML or text -> one line of plain text, without the elements of `skip`."""
    markup = str(markup or "")
    text = text_tree(markup, skip).body.text() if "<" in markup else html.unescape(markup)
    return " ".join(text.split())


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
    return " ".join(_SENTENCE_END.split(text, maxsplit=count)[:count])


def one_line_summary(summary, body, max_chars=DEFAULTS["summary_max_chars"], sentences=2):
    """Plain `summary`, or else the opening `sentences` of the body's prose (two
    stand in for a missing Summary), cut to `max_chars`."""
    text = plain_text(summary) or opening_sentences(plain_text(body, _NOT_PROSE), sentences)
    return shorten(text, max_chars)


def annotate_all(generators):
    """Every post and page gets its card fields (a page's summary is its description)."""
    contents = contents_of(*generators)
    if not contents:
        return
    site_settings = contents[0].settings
    options = settings_for(site_settings)
    most, texts = int(options["summary_max_chars"]), []
    for content in contents:
        tags = [tag.name for tag in getattr(content, "tags", None) or ()]
        content.tag_label = tag_label(tags, options["tag_separator"])
        summary = str(content.metadata.get("summary") or "")
        texts.append((summary, "" if summary else str(content.content)))
    # Kept between builds: the preview computes each miss on one CPU.
    lines = _summaries.map(site_settings, lambda pair: one_line_summary(*pair, most), texts, most)
    for content, line in zip(contents, lines, strict=True):
        content.one_line_summary = line


def register():
    # Reading `content.content` resolves its {static} and {filename} links,
    # which needs every generator's files: all_generators_finalized, the
    # signal Pelican sends "for plugins that create/edit the summary".
    signals.all_generators_finalized.connect(annotate_all)

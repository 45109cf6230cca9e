"""Bodies typogrified, and their blocks that may scroll sideways given
tabindex="0" (a keyboard must reach them: WCAG 2.1.1), each distinct text once
and kept across builds; titles get a `smart` filter that escapes before it
typogrifies, so a title can curl its quotes but never inject markup.

Not Pelican's TYPOGRIFY (4.12, pelican/readers.py `read_file`): it runs after
the reader cache, so every body is typogrified again on every build, in one
process (typogrify takes about 20 ms a 12 kB body: 20 s at 1,000 posts); it
typogrifies the raw title and summary, unescaped, so a title would have to be
marked safe to show typogrify's spans; and it assigns `smartypants.Attr.default`
to get the &quot; curling that SMARTYPANTS_ATTR passes here."""

import html
import re

import smartypants
from markupsafe import Markup
from pelican import signals
from typogrify.filters import amp, caps, initial_quotes, process_ignores, widont

from sitetools.build.cache import Cache
from sitetools.content.contents import body, contents_of, set_body

# Tags whose text typogrify leaves alone (it always skips pre and code).
IGNORE_TAGS = ["kbd", "script", "style", "math", ".math-tex"]
# Elements of a body that may scroll sideways (main.css).
SCROLL_ELEMENTS = ["pre", "table"]

# "--" and "---" become dashes, and &quot; entities curl too.
SMARTYPANTS_ATTR = smartypants.Attr.set1 | smartypants.Attr.w
# A hyphenated word (letters and digits joined by hyphens, nothing else).
_COMPOUND = re.compile(r"(?<![\w-])\w+(?:-\w+)+(?![\w-])")

_typeset = Cache("typography")


def typeset_html(markup, ignore_tags=IGNORE_TAGS, widows=True):
    """Typogrify an HTML fragment (ampersands, quotes, dashes, caps, and widows
    unless `widows` is False)."""
    keep = widont if widows else (lambda text: text)
    return "".join(
        keep(initial_quotes(caps(smartypants.smartypants(amp(text), SMARTYPANTS_ATTR))))
        if process
        else text
        for text, process in process_ignores(markup, list(ignore_tags))
    )


# An opening tag of SCROLL_ELEMENTS without a tabindex. Text inside code
# blocks is escaped (&lt;pre&gt;), so only real tags match.
_SCROLLING = re.compile(
    rf"<({'|'.join(SCROLL_ELEMENTS)})(?=[\s>])(?![^>]*\stabindex\s*=)", re.IGNORECASE
)


def focusable_blocks(markup):
    """Add tabindex="0" to each opening tag of SCROLL_ELEMENTS that has none."""
    return _SCROLLING.sub(r'<\1 tabindex="0"', markup)


def smart_html(text):
    """Plain text -> typogrified HTML with no markup but typogrify's spans:
    escaped first, and a hyphenated word with a part of one or two characters
    ("llm-d") kept on one line, not stranded at its hyphen."""

    def nowrap(match):
        word = match.group(0)
        if min(len(part) for part in word.split("-")) > 2:
            return word
        return f'<span class="nowrap">{word}</span>'

    # No widow control: titles are headings, which main.css balances
    # (text-wrap: balance); a no-break space would glue a long last pair
    # ("Sample measurements") into one word wider than a phone.
    return typeset_html(_COMPOUND.sub(nowrap, html.escape(str(text), quote=False)), (), False)


def add_filter(generator):
    """Templates get `smart` (`{{ article.title|smart }}`): smart_html as Markup, cached."""
    settings = generator.settings

    def smart(text):
        return Markup("" if text is None else _typeset.get(settings, smart_html, str(text)))

    generator.env.filters["smart"] = smart


def set_bodies(generator):
    """Typeset every body the generator read, and make its scroll blocks focusable."""
    contents = [content for content in contents_of(generator) if body(content)]
    texts = [body(content) for content in contents]
    typeset = lambda markup: focusable_blocks(typeset_html(markup))  # noqa: E731
    bodies = _typeset.map(generator.settings, typeset, texts, label="typesetting")
    for content, markup in zip(contents, bodies, strict=True):
        set_body(content, markup)


def register():
    # Filters must exist before any template renders.
    signals.generator_init.connect(add_filter)
    # Bodies are final once each generator has read every source.
    signals.article_generator_finalized.connect(set_bodies)
    signals.page_generator_finalized.connect(set_bodies)

"""Typogrify, run once per distinct text and kept across builds.

Pelican's own TYPOGRIFY runs after its content cache and once per page read,
and it feeds raw title text into HTML. Here article bodies are typogrified
through sitetools.cache (what a cold build lacks, on every CPU), and titles
get a Jinja filter, `smart`, that escapes the text first and then typogrifies
it, so a title can curl its quotes but never inject markup.
"""

import html
import re

import smartypants
from markupsafe import Markup
from pelican import signals
from typogrify.filters import amp, caps, initial_quotes, process_ignores, widont

from sitetools.cache import Cache
from sitetools.contents import contents_of

DEFAULTS = {
    # Tags whose text typogrify leaves alone (it always skips pre and code).
    "ignore_tags": ["kbd", "script", "style", "math"],
    # Attributes that templates pass through `smart`: typeset ahead, with the
    # bodies, so that rendering finds them done.
    "smart_attributes": ["title", "one_line_summary"],
}

# "--" and "---" become dashes, and &quot; entities curl too.
SMARTYPANTS_ATTR = smartypants.Attr.set1 | smartypants.Attr.w

_typeset = Cache("typography")


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's TYPOGRAPHY dict."""
    return {**DEFAULTS, **(settings.get("TYPOGRAPHY") or {})}


def typeset_html(markup, ignore_tags=()):
    """Typogrify an HTML fragment (ampersands, quotes, dashes, caps, widows):
    typogrify's own filters, with SmartyPants told to make dashes."""
    return "".join(
        widont(initial_quotes(caps(smartypants.smartypants(amp(text), SMARTYPANTS_ATTR))))
        if process
        else text
        for text, process in process_ignores(markup, list(ignore_tags))
    )


# A hyphenated word (letters and digits joined by hyphens, nothing else).
_COMPOUND = re.compile(r"(?<![\w-])\w+(?:-\w+)+(?![\w-])")


def keep_compounds_together(escaped):
    """Wrap each hyphenated word with a part of one or two characters ("llm-d",
    "x-ray") in <span class="nowrap">: a line break at its hyphen would strand
    the fragment ("llm-" / "d"). Longer compounds may still break."""

    def wrap(match):
        word = match.group(0)
        if min(len(part) for part in word.split("-")) > 2:
            return word
        return f'<span class="nowrap">{word}</span>'

    return _COMPOUND.sub(wrap, escaped)


def smart_html(text):
    """Plain text -> typogrified HTML that holds no markup but typogrify's own
    spans, short compounds kept on one line, and entities: <, > and & are
    escaped first."""
    return typeset_html(keep_compounds_together(html.escape(str(text), quote=False)))


def smart_text(text, settings=None):
    """The `smart` filter: smart_html as Markup, through the cache of the
    build whose `settings` are given."""
    if text is None:
        return Markup("")
    if settings is None:
        return Markup(smart_html(text))
    return Markup(_typeset.get(settings, smart_html, str(text)))


def add_filter(generator):
    """Templates get `smart`: `{{ article.title|smart }}`."""
    settings = generator.settings
    generator.env.filters["smart"] = lambda text: smart_text(text, settings)


def typeset_contents(generator):
    """Typogrify the body of every article or page the generator read."""
    ignore = list(settings_for(generator.settings)["ignore_tags"])
    contents = [content for content in contents_of(generator) if content._content]
    bodies = _typeset.map(
        generator.settings,
        lambda body: typeset_html(body, ignore),
        [content._content for content in contents],
        salt=repr(ignore),
        label="typesetting",
    )
    for content, body in zip(contents, bodies, strict=True):
        content._content = body


def typeset_smart_attributes(generators):
    """Typeset ahead, on every CPU, every text that templates will pass through `smart`."""
    settings = next((g.settings for g in generators if hasattr(g, "settings")), None)
    if settings is None:
        return
    names = settings_for(settings)["smart_attributes"]
    texts = {
        str(value)
        for content in contents_of(*generators)
        for value in (getattr(content, name, None) for name in names)
        if value
    }
    _typeset.map(settings, smart_html, sorted(texts))


def register():
    # Filters must exist before any template renders.
    signals.generator_init.connect(add_filter)
    # Bodies are final once each generator has read every source.
    signals.article_generator_finalized.connect(typeset_contents)
    signals.page_generator_finalized.connect(typeset_contents)
    # Titles and summaries are final once every generator is: typeset them
    # ahead on every CPU rather than one by one as templates render.
    signals.all_generators_finalized.connect(typeset_smart_attributes)

"""Typogrify, run once per distinct text and kept across builds.

Pelican's own TYPOGRIFY runs after its content cache and once per page read,
and it feeds raw title text into HTML. Here article bodies are typogrified
through a cache keyed by the body's hash (what a cold build lacks, on every
CPU), and titles get a Jinja filter, `smart`, that escapes the text first and
then typogrifies it, so a title can curl its quotes but never inject markup.
"""

import hashlib
import html
import logging
import os
import re

import smartypants
from markupsafe import Markup
from pelican import signals
from typogrify.filters import typogrify

from sitetools.contents import contents_of
from sitetools.memo import code_stamp, load_pickle, save_pickle
from sitetools.parallel import parallel_map
from sitetools.progress import report

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Tags whose text typogrify leaves alone (it always skips pre and code).
    "ignore_tags": ["kbd", "script", "style", "math"],
    # File under CACHE_PATH that keeps typogrified bodies between builds.
    "cache_file": "typography.pickle",
    # Worker processes for bodies the cache lacks; 0 uses every CPU.
    "workers": 0,
    # Attributes that templates pass through `smart`: typeset ahead, with the
    # bodies, so that rendering finds them done.
    "smart_attributes": ["title", "one_line_summary"],
}

# Stands for the ignore tags in the cache keys of `smart` texts.
SMART = ("\x01smart",)

# Distributions whose version can change a typeset text. Their versions and
# this file are in every cache key (sitetools.memo.code_stamp): a cache kept
# from an older build misses after an upgrade instead of serving old output.
LIBRARIES = ("typogrify", "smartypants")

_cache = {}
_used = set()
_cache_state = {"path": None, "dirty": False}


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's TYPOGRAPHY dict."""
    return {**DEFAULTS, **(settings.get("TYPOGRAPHY") or {})}


# SmartyPants runs each of these over every text token of a body (a dozen
# regular expressions for the quotes alone), though each changes only text that
# holds one of the strings listed: most tokens hold none. Skipping those tokens
# gives the same output in two thirds of the time (tests/test_typography.py
# compares both on every body we have).
_NEEDS = {
    "convert_quotes": ("'", '"'),
    "process_escapes": ("\\",),
    "convert_backticks": ("``", "''"),
}
_ORIGINALS = {name: getattr(smartypants, name) for name in _NEEDS}


def _only_when_needed(name):
    function, needles = _ORIGINALS[name], _NEEDS[name]

    def skip_or_convert(text):
        return function(text) if any(needle in text for needle in needles) else text

    skip_or_convert.__wrapped__ = function
    return skip_or_convert


_QUICK = {name: _only_when_needed(name) for name in _NEEDS}


def _configure_smartypants(quick=True):
    # "--" becomes an en dash and "---" an em dash, as Pelican's default does,
    # and &quot; entities curl too.
    smartypants.Attr.default = smartypants.Attr.set1 | smartypants.Attr.w
    for name, function in (_QUICK if quick else _ORIGINALS).items():
        setattr(smartypants, name, function)


def typeset_html(markup, ignore_tags=(), quick=True):
    """Typogrify an HTML fragment (quotes, dashes, widows, caps). `quick=False`
    runs SmartyPants exactly as shipped (the tests compare the two)."""
    _configure_smartypants(quick)
    return typogrify(markup, list(ignore_tags))


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


def smart_text(text):
    """The `smart` filter: smart_html through the cross-build cache, as Markup."""
    if text is None:
        return Markup("")
    text = str(text)
    key = digest(text, SMART)
    _used.add(key)
    result = _cache.get(key)
    if result is None:
        result = _cache[key] = smart_html(text)
        _cache_state["dirty"] = True
    return Markup(result)


def digest(markup, ignore_tags):
    """Cache key for one body under one set of options, this code and the
    installed typogrify and smartypants."""
    key = "\x00".join([code_stamp(__file__, LIBRARIES), *sorted(ignore_tags), markup])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def cached_typeset(markup, ignore_tags):
    """typeset_html through the cross-build cache."""
    key = digest(markup, ignore_tags)
    _used.add(key)
    result = _cache.get(key)
    if result is None:
        result = typeset_html(markup, ignore_tags)
        _cache[key] = result
        _cache_state["dirty"] = True
    return result


def _load_cache(settings):
    path = os.path.join(settings["CACHE_PATH"], settings_for(settings)["cache_file"])
    if _cache_state["path"] == path:
        return
    _cache.clear()
    _used.clear()
    _cache_state.update(path=path, dirty=False)
    _cache.update(load_pickle(path, {}))


def add_filter(generator):
    """Templates get `smart`: `{{ article.title|smart }}`."""
    generator.env.filters["smart"] = smart_text


def typeset_missing(bodies, ignore_tags, workers=0, typeset=None):
    """Typogrify the bodies the cache lacks, on every CPU, into the cache.
    `typeset(text)` defaults to typeset_html with `ignore_tags`."""
    typeset = typeset or (lambda text: typeset_html(text, ignore_tags))
    missing = {digest(body, ignore_tags): body for body in bodies}
    missing = [(key, body) for key, body in missing.items() if key not in _cache]
    results = parallel_map(
        lambda index: typeset(missing[index][1]),
        len(missing),
        workers,
        progress=lambda done, total: report("typesetting", done, total),
    )
    for (key, _), result in zip(missing, results, strict=True):
        _cache[key] = result
    if missing:
        _cache_state["dirty"] = True


def typeset_contents(generator):
    """Typogrify the body of every article or page the generator read."""
    _load_cache(generator.settings)
    options = settings_for(generator.settings)
    ignore = tuple(options["ignore_tags"])
    contents = [content for content in contents_of(generator) if content._content]
    typeset_missing([content._content for content in contents], ignore, int(options["workers"]))
    for content in contents:
        content._content = cached_typeset(content._content, ignore)


def typeset_smart_attributes(generators):
    """Typeset ahead every text that templates will pass through `smart`."""
    for generator in generators:
        if hasattr(generator, "settings"):
            settings = generator.settings
            break
    else:
        return
    _load_cache(settings)
    options = settings_for(settings)
    names = options["smart_attributes"]
    texts = {
        str(value)
        for content in contents_of(*generators)
        for value in (getattr(content, name, None) for name in names)
        if value
    }
    typeset_missing(sorted(texts), SMART, int(options["workers"]), typeset=smart_html)


def start_build(_pelican):
    """What the previous build used says nothing about this one."""
    _used.clear()


def save_cache(pelican):
    """Write the cache back, keeping only the bodies this build used, when it
    added or dropped any."""
    path = _cache_state["path"]
    if path and (_cache_state["dirty"] or len(_used) != len(_cache)):
        save_pickle(path, {key: _cache[key] for key in _used})
        _cache_state["dirty"] = False
    # The entries are pure functions of their keys, so the next build in this
    # process (the preview's) starts from memory, with what this one used.
    for key in set(_cache) - _used:
        del _cache[key]


def register():
    # Filters must exist before any template renders.
    signals.generator_init.connect(add_filter)
    # Bodies are final once each generator has read every source.
    signals.article_generator_finalized.connect(typeset_contents)
    signals.page_generator_finalized.connect(typeset_contents)
    # Each build records afresh which cached texts it uses.
    signals.initialized.connect(start_build)
    # Titles and summaries are final once every generator is: typeset them
    # ahead on every CPU rather than one by one as templates render.
    signals.all_generators_finalized.connect(typeset_smart_attributes)
    # Persist what this build typogrified.
    signals.finalized.connect(save_cache)

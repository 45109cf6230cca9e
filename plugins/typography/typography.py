"""Typogrify, run once per distinct text and kept across builds.

Pelican's own TYPOGRIFY runs after its content cache and once per page read,
and it feeds raw title text into HTML. Here article bodies are typogrified
through a cache keyed by the body's hash (what a cold build lacks, on every
CPU), and titles get a Jinja filter, `smart`, that escapes the text first and
then typogrifies it, so a title can curl its quotes but never inject markup.
"""

import functools
import hashlib
import html
import logging
import os
import pickle

import smartypants
from markupsafe import Markup
from pelican import signals
from typogrify.filters import typogrify

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
}

_cache = {}
_used = set()
_cache_state = {"path": None, "dirty": False}


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's TYPOGRAPHY dict."""
    return {**DEFAULTS, **(settings.get("TYPOGRAPHY") or {})}


def _configure_smartypants():
    # "--" becomes an en dash and "---" an em dash, as Pelican's default does,
    # and &quot; entities curl too.
    smartypants.Attr.default = smartypants.Attr.set1 | smartypants.Attr.w


def typeset_html(markup, ignore_tags=()):
    """Typogrify an HTML fragment (quotes, dashes, widows, caps)."""
    _configure_smartypants()
    return typogrify(markup, list(ignore_tags))


@functools.lru_cache(maxsize=4096)
def smart_text(text):
    """Plain text -> safe, typogrified HTML. Escapes <, > and & first, so the
    result holds no markup but typogrify's own spans and entities."""
    if text is None:
        return Markup("")
    return Markup(typeset_html(html.escape(str(text), quote=False)))


def digest(markup, ignore_tags):
    """Cache key for one body under one set of options."""
    key = "\x00".join([*sorted(ignore_tags), markup])
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
    try:
        with open(path, "rb") as handle:
            _cache.update(pickle.load(handle))
    except (OSError, pickle.UnpicklingError, EOFError):
        pass


def add_filter(generator):
    """Templates get `smart`: `{{ article.title|smart }}`."""
    generator.env.filters["smart"] = smart_text


def typeset_missing(bodies, ignore_tags, workers=0):
    """Typogrify the bodies the cache lacks, on every CPU, into the cache."""
    missing = {digest(body, ignore_tags): body for body in bodies}
    missing = [(key, body) for key, body in missing.items() if key not in _cache]
    results = parallel_map(
        lambda index: typeset_html(missing[index][1], ignore_tags),
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
    contents = [
        content
        for attribute in (
            "articles",
            "translations",
            "drafts",
            "drafts_translations",
            "hidden_articles",
            "hidden_translations",
            "pages",
            "hidden_pages",
            "draft_pages",
        )
        for content in getattr(generator, attribute, ())
        if content._content
    ]
    typeset_missing([content._content for content in contents], ignore, int(options["workers"]))
    for content in contents:
        content._content = cached_typeset(content._content, ignore)


def save_cache(pelican):
    """Write the cache back, keeping only the bodies this build used, when it
    added or dropped any."""
    path = _cache_state["path"]
    if path and (_cache_state["dirty"] or len(_used) != len(_cache)):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        tmp = f"{path}.tmp"
        with open(tmp, "wb") as handle:
            kept = {key: _cache[key] for key in _used}
            pickle.dump(kept, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    # Autoreload runs the handlers again: start the next build from the file.
    _cache_state.update(path=None, dirty=False)


def register():
    # Filters must exist before any template renders.
    signals.generator_init.connect(add_filter)
    # Bodies are final once each generator has read every source.
    signals.article_generator_finalized.connect(typeset_contents)
    signals.page_generator_finalized.connect(typeset_contents)
    # Persist what this build typogrified.
    signals.finalized.connect(save_cache)

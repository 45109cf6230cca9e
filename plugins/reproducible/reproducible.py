"""Same sources, same bytes: no file of the site depends on when it was built.

pelican-sitemap stamps pages without a date (the front page, tag pages, About)
with the clock read when the plugin was imported, so every build rewrote
sitemap.xml and two builds of one commit differed. This plugin gives those
entries the newest date in the content instead: the sitemap then changes when,
and only when, the content does. No settings.
"""

import logging

from pelican import signals

logger = logging.getLogger(__name__)


def newest_date(contents):
    """The latest `modified` or `date` among `contents`, or None if none has one."""
    dates = [
        stamp
        for item in contents
        for stamp in (getattr(item, "modified", None), getattr(item, "date", None))
        if stamp is not None
    ]
    return max(dates, default=None)


def _sitemap_generator():
    try:
        from pelican.plugins.sitemap import sitemap  # noqa: PLC0415
    except ImportError:
        return None
    return getattr(sitemap, "generator", None)


def pin_sitemap_clock(generators):
    generator = _sitemap_generator()
    if generator is None or not hasattr(generator, "now"):
        return
    contents = []
    for gen in generators:
        contents.extend(getattr(gen, "articles", ()))
        contents.extend(getattr(gen, "pages", ()))
    newest = newest_date(contents)
    if newest is not None:
        generator.now = newest
        logger.debug("reproducible: undated sitemap entries dated %s", newest.isoformat())


def register():
    # Every article and page is read by now, and the sitemap is written later,
    # in `finalized`.
    signals.all_generators_finalized.connect(pin_sitemap_clock)

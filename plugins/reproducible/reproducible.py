"""Same sources, same bytes: pelican-sitemap dates undated pages (the front
page, tag pages, About) with the clock read at import; this dates them by the
newest date in the content instead, so sitemap.xml changes only with it."""

import logging

from pelican import signals

logger = logging.getLogger(__name__)


def newest_date(contents):
    """The latest `modified` or `date` among `contents`, or None if none has one."""
    return max(
        (
            stamp
            for item in contents
            for stamp in (getattr(item, "modified", None), getattr(item, "date", None))
            if stamp is not None
        ),
        default=None,
    )


def pin_sitemap_clock(generators):
    try:
        from pelican.plugins.sitemap.sitemap import generator  # noqa: PLC0415
    except ImportError:
        return
    contents = [
        item
        for gen in generators
        for name in ("articles", "pages")
        for item in getattr(gen, name, ())
    ]
    newest = newest_date(contents)
    if newest is not None and hasattr(generator, "now"):
        generator.now = newest
        logger.debug("reproducible: undated sitemap entries dated %s", newest.isoformat())


def register():
    # Every article and page is read, and the sitemap is written later, in `finalized`.
    signals.all_generators_finalized.connect(pin_sitemap_clock)

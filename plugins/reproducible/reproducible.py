"""Same sources, same bytes: pelican-sitemap dates undated entries (the front
page, tag pages, About) with the clock read at import. Once it has written
sitemap.xml, this dates them by the newest date in the content instead, so the
file changes only with the content. Pelican calls receivers in plugin order, so
this plugin comes after pelican.plugins.sitemap in PLUGINS."""

import logging
from pathlib import Path
from xml.dom import minidom

from pelican import signals

from sitetools.build.builder import BuildError
from sitetools.content.contents import contents_of

logger = logging.getLogger(__name__)

SITEMAP_PLUGIN = "pelican.plugins.sitemap"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"

# This build's newest date and the W3C dates of its content (the dates the
# sitemap gives dated pages), until finalized empties it.
_build = {"newest": None, "dated": set()}


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


def w3c_date(stamp):
    """`stamp` as the sitemap writes a date: seconds, and a zone (-00:00 if none)."""
    text = stamp.isoformat(timespec="seconds")
    return text if stamp.tzinfo else text + "-00:00"


def date_undated(xml_bytes, dated, stamp):
    """The sitemap `xml_bytes` with every <lastmod> that is none of the `dated`
    W3C dates (those of the content, which the sitemap gives their pages) set
    to the W3C date of `stamp`."""
    document = minidom.parseString(xml_bytes)  # keeps every prefix as written
    for lastmod in document.getElementsByTagNameNS(SITEMAP_NS, "lastmod"):
        if "".join(node.data for node in lastmod.childNodes).strip() not in dated:
            lastmod.childNodes[:] = [document.createTextNode(w3c_date(stamp))]
    return document.toxml(encoding="utf-8") + b"\n"


def plugin_order_problem(plugins):
    """Why this plugin cannot fix the sitemap with `plugins` (PLUGINS, names), or None."""
    names = [str(name).rsplit(".", 1)[-1] for name in plugins]
    if "sitemap" in names and "reproducible" in names:
        if names.index("reproducible") < names.index("sitemap"):
            return (
                f"pelicanconf.py: PLUGINS: reproducible comes before {SITEMAP_PLUGIN}, so it "
                "would run before sitemap.xml is written; list it after the sitemap plugin"
            )
    return None


def note_newest(generators):
    settings = generators[0].settings
    if problem := plugin_order_problem(settings["PLUGINS"]):
        raise BuildError([problem])
    contents = [item for gen in generators for name in ("articles", "pages")
                for item in getattr(gen, name, ())]  # fmt: skip
    stamps = (
        getattr(c, "modified", None) or getattr(c, "date", None) for c in contents_of(*generators)
    )
    _build.update(newest=newest_date(contents), dated={w3c_date(s) for s in stamps if s})


def fix_sitemap(pelican):
    """Date sitemap.xml's undated entries. With plugin_order_problem passed, the
    sitemap plugin has written it; no sitemap.xml (the plugin is not listed, or
    SITEMAP's format is "txt") has nothing to date."""
    state, path = dict(_build), Path(pelican.output_path, "sitemap.xml")
    _build.update(newest=None, dated=set())
    if state.get("newest") is None or not path.is_file():
        return
    path.write_bytes(date_undated(path.read_bytes(), state["dated"], state["newest"]))
    logger.debug("reproducible: undated sitemap entries dated %s", state["newest"].isoformat())


def register():
    # Every article and page is read: the newest date is known.
    signals.all_generators_finalized.connect(note_newest)
    # pelican-sitemap writes sitemap.xml in `finalized`; Pelican calls receivers
    # in plugin order, and this plugin is listed after it.
    signals.finalized.connect(fix_sitemap)

"""Feed entries a reader can trust: plain-text titles, a one-line summary, tags
as categories, and absolute URLs inside the full content.

Pelican writes the Atom and RSS feeds (FEED_ALL_*, TAG_FEED_* in publishconf.py);
this plugin corrects each feed just before it is written:

- Pelican strips anything that looks like a tag from a title, so "Vec<T>" would
  lose "<T>". The entry's title is the post's Title, as text (the feed writer
  escapes it).
- Atom's <summary> is the post's one-line summary (post_cards), escaped.
- Links and images inside the content are made absolute against the post's own
  URL: a feed reader has no base URL for "/images/a.png" or "#fn1".
- Categories are the post's tags, without Pelican's single "posts" category.
- A feed without a subtitle gets the site's tagline.
"""

import html
import re
from urllib.parse import urljoin

from feedgenerator import Rss201rev2Feed
from pelican import signals

DEFAULTS = {
    # Attributes whose URL is made absolute inside feed content.
    "url_attributes": ["href", "src", "poster", "cite"],
    # Leave out the Pelican category from each entry's categories.
    "tags_only": True,
}

_SRCSET = re.compile(r"""(\ssrcset=)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's FEEDS dict."""
    return {**DEFAULTS, **(settings.get("FEEDS") or {})}


def _attribute_pattern(names):
    joined = "|".join(re.escape(name) for name in names)
    return re.compile(rf"""(\s(?:{joined})=)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)


def absolute_links(markup, base_url, attributes=DEFAULTS["url_attributes"]):
    """Every URL in the given attributes (and in srcset) of an HTML fragment,
    resolved against `base_url`; absolute URLs and other schemes are kept."""
    if not markup:
        return markup

    def resolve(value):
        stripped = html.unescape(value).strip()
        if not stripped:
            return value
        return html.escape(urljoin(base_url, stripped), quote=True)

    def one(match):
        return f"{match.group(1)}{match.group(2)}{resolve(match.group(3))}{match.group(2)}"

    def many(match):
        candidates = []
        for candidate in match.group(3).split(","):
            parts = candidate.strip().split(None, 1)
            if parts:
                parts[0] = resolve(parts[0])
                candidates.append(" ".join(parts))
        return f"{match.group(1)}{match.group(2)}{', '.join(candidates)}{match.group(2)}"

    markup = _attribute_pattern(attributes).sub(one, str(markup))
    return _SRCSET.sub(many, markup)


def entry_fields(article, link, is_rss, item, options):
    """The corrected fields of one feed entry, from the post and Pelican's item."""
    fields = {"title": str(article.title)}
    attributes = options["url_attributes"]
    if item.get("content"):
        fields["content"] = absolute_links(item["content"], link, attributes)
    summary = getattr(article, "one_line_summary", None)
    if is_rss:
        # RSS has one field for the body; Pelican puts the full content there.
        if item.get("description"):
            fields["description"] = absolute_links(item["description"], link, attributes)
    elif summary:
        fields["description"] = html.escape(summary, quote=False)
    if options["tags_only"]:
        fields["categories"] = [tag.name for tag in getattr(article, "tags", None) or ()] or None
    return fields


def correct_feed(context, feed):
    """Rewrite each entry of a feed about to be written."""
    options = settings_for(context)
    by_link = {}
    # Pelican links each entry to SITEURL + the post's url.
    site_url = context.get("SITEURL", "")
    for article in context.get("articles") or ():
        by_link[urljoin(site_url.rstrip("/") + "/", article.url)] = article
    is_rss = isinstance(feed, Rss201rev2Feed)
    for item in feed.items:
        link = str(item.get("link", "")).removesuffix("?ref=feed")
        article = by_link.get(link)
        if article is not None:
            item.update(entry_fields(article, link, is_rss, item, options))
    tagline = context.get("SITE_TAGLINE")
    if tagline:
        for key in ("description", "subtitle"):
            if not feed.feed.get(key):
                feed.feed[key] = tagline


def register():
    # Sent once per feed after Pelican adds the entries and before it writes them.
    signals.feed_generated.connect(correct_feed)

"""Feed entries a reader can trust, in feeds that pass the W3C Feed Validation
Service's rules; Pelican writes the feeds, this corrects each before it is written.

- Titles are the post's Title as text (Pelican strips "<T>" from "Vec<T>").
- Atom's <summary> is the one-line summary (post_cards); RSS keeps the body.
- URLs inside the content are made absolute against the post's own URL.
- Categories are the post's tags, without Pelican's single "posts" category.
- A feed without a language gets DEFAULT_LANG (its subtitle is Pelican's
  SITESUBTITLE, which pelicanconf.py sets to SITE_TAGLINE).
- An Atom feed's <id> is its own URL (Pelican gives every feed the site's), and
  its alternate link the page it follows: a tag's page, else the front page.
- An RSS <guid> that is not a full URL (Pelican's tag: URIs) says
  isPermaLink="false".
"""

import html
from urllib.parse import unquote, urljoin

from feedgenerator import Rss201rev2Feed
from justhtml import JustHTML
from pelican import signals

from plugins.seo.seo import is_absolute
from sitetools.build.cache import Cache

# Attributes whose URL is made absolute inside feed content (and srcset).
URL_ATTRIBUTES = ["href", "src", "poster", "cite"]


def absolute_links(markup, base_url):
    """An HTML fragment with every URL in URL_ATTRIBUTES and srcset resolved
    against `base_url`. The fragment is parsed as a browser would (justhtml),
    so markup shown as text, in a code sample say, is left alone."""

    def resolve(value):
        return urljoin(base_url, value.strip()) if value.strip() else value

    fragment = JustHTML(str(markup), fragment=True, sanitize=False)
    for node in fragment.query(",".join(f"[{name}]" for name in (*URL_ATTRIBUTES, "srcset"))):
        for name in URL_ATTRIBUTES:
            if node.attrs.get(name):
                node.attrs[name] = resolve(node.attrs[name])
        if node.attrs.get("srcset"):
            parts = [part.split(None, 1) for part in node.attrs["srcset"].split(",")]
            node.attrs["srcset"] = ", ".join(
                " ".join([resolve(part[0]), *part[1:]]) for part in parts if part
            )
    return fragment.to_html(pretty=False)


def _absolute_links(key):
    """absolute_links of "base URL \0 markup": the one cache's shape."""
    base_url, markup = key.split("\0", 1)
    return absolute_links(markup, base_url)


_absolute = Cache("feed-links")


def entry_fields(article, link, is_rss, item, settings):
    """The corrected fields of one feed entry, from the post and Pelican's item."""
    # Categories are the tags, without Pelican's one category.
    tags = [tag.name for tag in getattr(article, "tags", None) or ()]
    fields = {"title": str(article.title), "categories": tags or None}
    # The same body sits in several feeds: its links are made absolute once.
    # RSS has one field for the body (Pelican puts the full content there);
    # Atom's summary is the one-line summary.
    for key in ("content", "description") if is_rss else ("content",):
        if item.get(key):
            fields[key] = _absolute.get(settings, _absolute_links, f"{link}\0{item[key]}")
    summary = getattr(article, "one_line_summary", None)
    if summary and not is_rss:
        fields["description"] = html.escape(summary, quote=False)
    return fields


def feed_pages(settings, tags, site_root):
    """{feed URL: URL of the page it follows} for every tag feed, with the
    feed URLs worked out as Pelican's writer does (FEED_DOMAIN joined with
    TAG_FEED_*_URL, else TAG_FEED_*)."""
    domain = str(settings.get("FEED_DOMAIN") or site_root).rstrip("/") + "/"
    return {
        unquote(
            urljoin(domain, str(settings.get(f"{kind}_URL") or pattern).format(slug=tag.slug))
        ): urljoin(site_root, tag.url)
        for kind in ("TAG_FEED_ATOM", "TAG_FEED_RSS")
        if (pattern := settings.get(kind))
        for tag, _articles in tags or ()
    }


# What every feed of a build looks up, worked out at its first feed (they share a context).
_site = {"context": None}


def site_links(context, site_root):
    """{"posts": {URL Pelican links an entry to: post}, "pages": feed_pages} of this build."""
    if _site["context"] is not context:
        # Pelican links each entry to SITEURL + the post's url.
        posts = {urljoin(site_root, post.url): post for post in context.get("articles") or ()}
        pages = feed_pages(context, context.get("tags"), site_root)
        _site.update(context=context, posts=posts, pages=pages)
    return _site


def forget_site(_pelican):
    _site["context"] = None


def correct_feed(context, feed):
    """Rewrite each entry of a feed about to be written."""
    site_root = str(context.get("SITEURL") or "").rstrip("/") + "/"
    by_link = site_links(context, site_root)["posts"]
    is_rss = isinstance(feed, Rss201rev2Feed)
    for item in feed.items:
        link = str(item.get("link", "")).removesuffix("?ref=feed")
        if link in by_link:
            item.update(entry_fields(by_link[link], link, is_rss, item, context))
        if is_rss and not is_absolute(item.get("unique_id")):
            # Pelican's tag: URIs are no URL: RSS may not call them permalinks.
            item["unique_id_is_permalink"] = False
    if feed_url := feed.feed.get("feed_url"):
        # Its id is its own URL; its alternate link, the page it follows.
        pages = site_links(context, site_root)["pages"]
        feed.feed.update(id=feed_url, link=pages.get(unquote(feed_url), feed.feed["link"]))
    feed.feed["language"] = feed.feed.get("language") or context.get("DEFAULT_LANG")


def register():
    # Sent once per feed after Pelican adds the entries and before it writes them.
    signals.feed_generated.connect(correct_feed)
    signals.finalized.connect(forget_site)

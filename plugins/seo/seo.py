"""What a page says about itself in <head>: canonical URL, robots, feed links,
OpenGraph and Twitter tags, and JSON-LD.

base.html calls `head_meta(title, description)` with the page's <title> and
meta description; partials/head.html prints what comes back. The rest is read
from the page's context (template name, article, page, tag, output_file,
articles_page). URLs are built from the settings' SITEURL, never a dev page's
relative one: a build without an absolute SITEURL has no canonical URL and no
og:url. The JSON-LD author is AUTHOR, with AUTHOR_PROFILE_URL as its `url`.
"""

import json
import logging
import posixpath
from pathlib import PurePosixPath
from types import SimpleNamespace
from urllib.parse import urlsplit

from jinja2 import pass_context
from markupsafe import Markup
from pelican import signals

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Twitter card type; summary_large_image shows the social image full width.
    "twitter_card": "summary_large_image",
    # The site's account ("@name"), or None to leave twitter:site out.
    "twitter_site": None,
    # Templates whose pages ask search engines not to index them.
    "noindex_templates": ["404", "search"],
    # Templates that have no address of their own (no canonical or og:url).
    "no_canonical_templates": ["404"],
    # Feed titles; {site} is SITENAME, {tag} the tag's name.
    "feed_titles": {
        "FEED_ATOM": "{site} (Atom)",
        "FEED_RSS": "{site} (RSS)",
        "FEED_ALL_ATOM": "{site}: all posts (Atom)",
        "FEED_ALL_RSS": "{site}: all posts (RSS)",
        "TAG_FEED_ATOM": "{site}: posts tagged {tag} (Atom)",
        "TAG_FEED_RSS": "{site}: posts tagged {tag} (RSS)",
    },
}

FEED_TYPES = {"ATOM": "application/atom+xml", "RSS": "application/rss+xml"}
SITE_FEEDS = ("FEED_ATOM", "FEED_RSS", "FEED_ALL_ATOM", "FEED_ALL_RSS")
TAG_FEEDS = ("TAG_FEED_ATOM", "TAG_FEED_RSS")
# Written as JSON escapes, so that no title can close the <script> element.
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_SCRIPT_UNSAFE |= {"\u2028": "\\u2028", "\u2029": "\\u2029"}


def settings_for(settings):
    return {**DEFAULTS, **(settings.get("SEO") or {})}


def absolute_url(siteurl, path):
    """SITEURL joined with a site-relative path: ("https://x.org", "posts/a/")."""
    return f"{(siteurl or '').rstrip('/')}/{str(path or '').lstrip('/')}"


def page_path(output_file):
    """The address of a written file: "posts/a/index.html" -> "posts/a/"."""
    path = str(output_file or "").replace("\\", "/")
    return path.removesuffix("index.html") if f"/{path}".endswith("/index.html") else path


def plain(value):
    """Rendered block text -> plain text: tags dropped, entities decoded."""
    if isinstance(value, Markup):
        return value.striptags()
    return " ".join(str(value or "").split())


def script_json(data):
    """JSON for a <script> element: nothing in it can end the element early."""
    text = json.dumps(data, ensure_ascii=False)
    for char, escaped in _SCRIPT_UNSAFE.items():
        text = text.replace(char, escaped)
    return Markup(text)


def iso(date):
    return date.isoformat() if date else None


def is_absolute(url):
    """True for an absolute http(s) URL, such as a production SITEURL."""
    parts = urlsplit(str(url or ""))
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def author_url_problem(author_url):
    """Why AUTHOR_PROFILE_URL is unusable, or None. Unset (None or "") is fine."""
    if not author_url or is_absolute(author_url):
        return None
    return (
        f"AUTHOR_PROFILE_URL must be an absolute http(s) address, such as "
        f"https://example.org/about/, got {author_url!r}: fix it in pelicanconf.py"
    )


def feed_links(settings, options, tag=None):
    """<link rel=alternate> targets: the site's feeds, plus a tag's own on its page."""
    domain = settings.get("FEED_DOMAIN") or settings.get("SITEURL", "")
    links = []
    for key in SITE_FEEDS + (TAG_FEEDS if tag is not None else ()):
        if settings.get(key):
            url = str(settings.get(f"{key}_URL") or settings[key])
            if key in TAG_FEEDS:
                url = url.format(slug=tag.slug)
            title = options["feed_titles"].get(key, "{site}")
            links.append(
                {
                    "type": FEED_TYPES[key.rsplit("_", 1)[1]],
                    "title": title.format(site=settings.get("SITENAME", ""), tag=tag),
                    "href": absolute_url(domain, url),
                }
            )
    return links


def person(settings):
    """schema.org Person for AUTHOR, with AUTHOR_PROFILE_URL as its url when set."""
    data = {"@type": "Person", "name": settings.get("AUTHOR", "")}
    if is_absolute(settings.get("AUTHOR_PROFILE_URL")):
        data["url"] = str(settings["AUTHOR_PROFILE_URL"])
    return data


def blog_posting(article, url, settings, image_url=None):
    """schema.org BlogPosting for one article (no url in a development build)."""
    home = absolute_url(settings.get("SITEURL", ""), "")
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": str(article.title),
        "description": getattr(article, "one_line_summary", ""),
        "datePublished": iso(article.date),
        "dateModified": iso(getattr(article, "modified", None) or article.date),
        "author": person(settings),
        "keywords": [tag.name for tag in getattr(article, "tags", None) or ()],
        "isPartOf": {"@type": "Blog", "@id": f"{home}#blog", "name": settings.get("SITENAME")},
    }
    if url:
        data |= {"url": url, "mainEntityOfPage": {"@type": "WebPage", "@id": url}}
    if image_url:
        data["image"] = image_url
    if files := getattr(article, "data_files", None):
        data["hasPart"] = dataset(data, files, settings)
    return data


def dataset(posting, files, settings):
    """schema.org Dataset for a post's raw data files (data_files), one DataDownload each."""
    siteurl = settings.get("SITEURL", "")
    download = [
        {
            "@type": "DataDownload",
            "name": item["name"],
            "contentUrl": absolute_url(siteurl, item["url"]),
            "encodingFormat": item["media_type"],
            "contentSize": item["size"],
        }
        for item in files
    ]
    keys = ("headline", "description", "author", "datePublished", "keywords", "url")
    about = {key: posting[key] for key in keys if posting.get(key)}
    about["name"] = about.pop("headline")
    about["creator"] = about.pop("author")
    return {"@type": "Dataset", **about, "isAccessibleForFree": True, "distribution": download}


def front_page_graph(settings, articles, description):
    """schema.org WebSite and Blog for the front page, listing its posts."""
    siteurl = settings.get("SITEURL", "")
    home = absolute_url(siteurl, "")
    about = {"name": settings.get("SITENAME"), "description": description, "url": home}
    website = {"@type": "WebSite", "@id": f"{home}#website", **about}
    website["inLanguage"] = settings.get("DEFAULT_LANG")
    search_url = settings.get("SEARCH_URL")
    if search_url and "search" in (settings.get("DIRECT_TEMPLATES") or ()):
        website["potentialAction"] = {
            "@type": "SearchAction",
            "target": {
                "@type": "EntryPoint",
                "urlTemplate": absolute_url(siteurl, search_url) + "?q={search_term_string}",
            },
            "query-input": "required name=search_term_string",
        }
    blog = {"@type": "Blog", "@id": f"{home}#blog", **about, "author": person(settings)}
    blog["isPartOf"] = {"@id": f"{home}#website"}
    blog["blogPost"] = [
        {
            "@type": "BlogPosting",
            "headline": str(article.title),
            "url": absolute_url(siteurl, article.url),
            "datePublished": iso(article.date),
        }
        for article in articles
    ]
    return {"@context": "https://schema.org", "@graph": [website, blog]}


def post_image(content, static_content):
    """A post's own `Image: {static}/images/x.png` as its social image (url,
    width, height, alt), or None; content_guard has checked the file exists."""
    value = str(getattr(content, "image", "") or "")
    if not value.startswith("{static}"):
        return None
    target = value.removeprefix("{static}")
    folder = "" if target.startswith("/") else posixpath.dirname(content.relative_source_path)
    static = static_content.get(posixpath.normpath(posixpath.join(folder, target.lstrip("/"))))
    if static is None:
        return None
    from PIL import Image  # noqa: PLC0415

    with Image.open(static.source_path) as image:
        width, height = image.size
    return SimpleNamespace(url=static.url, width=width, height=height, alt=str(content.title))


def head_for(context, settings, title, description):
    """The head tags for the page being rendered (a pure function of its context):
    canonical, robots, feeds (dicts: type, title, href), properties (OpenGraph
    pairs), names (Twitter pairs) and json_ld."""
    options = settings_for(settings)
    siteurl = settings.get("SITEURL", "")
    article, tag = context.get("article"), context.get("tag")
    content = article or context.get("page")
    template = PurePosixPath(str(context.name or "")).stem
    description = plain(description)
    canonical = None
    if is_absolute(siteurl) and template not in options["no_canonical_templates"]:
        canonical = absolute_url(siteurl, page_path(context.get("output_file")))
    draft = getattr(content, "status", "published") == "draft"
    noindex = template in options["noindex_templates"] or draft

    og_title = str(content.title) if content is not None else plain(title)
    image = (
        post_image(content, context.get("static_content") or {})
        or getattr(content, "social_image", None)
        or context.get("site_social_image")
    )
    image_url = absolute_url(siteurl, image.url) if image else None
    properties = [
        ("og:site_name", settings.get("SITENAME", "")),
        ("og:type", "article" if article is not None else "website"),
        ("og:title", og_title),
        ("og:description", description),
        *([("og:url", canonical)] if canonical else []),
    ]
    names = [
        ("twitter:card", options["twitter_card"]),
        ("twitter:title", og_title),
        ("twitter:description", description),
    ]
    if image:
        properties += [
            ("og:image", image_url),
            ("og:image:width", str(image.width)),
            ("og:image:height", str(image.height)),
            ("og:image:alt", image.alt),
        ]
        names += [("twitter:image", image_url), ("twitter:image:alt", image.alt)]
    if options["twitter_site"]:
        names.append(("twitter:site", options["twitter_site"]))

    json_ld, listing = None, context.get("articles_page")
    if article is not None:
        properties.append(("article:published_time", iso(article.date)))
        if getattr(article, "modified", None):
            properties.append(("article:modified_time", iso(article.modified)))
        properties += [("article:tag", t.name) for t in getattr(article, "tags", ())]
        json_ld = script_json(blog_posting(article, canonical, settings, image_url))
    elif template == "index" and (listing is None or listing.number == 1):
        shown = listing.object_list if listing else context.get("articles") or ()
        json_ld = script_json(front_page_graph(settings, shown, description))
    return {
        "canonical": canonical,
        "robots": "noindex" if noindex else None,
        "feeds": feed_links(settings, options, tag),
        "properties": properties,
        "names": names,
        "json_ld": json_ld,
    }


def add_head_meta(generator):
    """Templates get `head_meta(title, description)` and `absolute_url(path)`,
    bound to the real settings (robots.txt needs the real SITEURL)."""
    settings = generator.settings

    @pass_context
    def head_meta(context, title="", description=""):
        return head_for(context, settings, title, description)

    generator.env.globals["head_meta"] = head_meta
    generator.env.globals["absolute_url"] = lambda path="": absolute_url(
        settings.get("SITEURL", ""), path
    )


def check_settings(pelican):
    """A mistyped AUTHOR_PROFILE_URL fails the build instead of shipping in JSON-LD."""
    problem = author_url_problem(pelican.settings.get("AUTHOR_PROFILE_URL"))
    if problem:
        logger.error(problem)


def register():
    # Settings are checked once, before anything is read or written.
    signals.initialized.connect(check_settings)
    # The template function must exist before any template renders.
    signals.generator_init.connect(add_head_meta)

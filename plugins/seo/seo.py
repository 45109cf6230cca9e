"""What a page says about itself in <head>: theme/templates/partials/head_meta.html
prints robots, canonical, feed links, OpenGraph, Twitter and JSON-LD (`tojson`)
from the page's values; this plugin computes only what the page does not hold
(`head_meta()`: canonical URL, noindex, the front page's posts). URLs are built
from the settings' SITEURL, never a dev page's relative one: a build without an
absolute SITEURL has no canonical URL and no og:url.
The JSON-LD author is AUTHOR, with AUTHOR_PROFILE_URL (checked here) as its `url`.
"""

import logging
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from jinja2 import pass_context
from pelican import signals

logger = logging.getLogger(__name__)

# What the partial prints as is: the Twitter card type (summary_large_image shows
# the social image full width) and the site's account ("@name"; None: no twitter:site).
OPTIONS = {"twitter_card": "summary_large_image", "twitter_site": None}
# Templates whose pages ask search engines not to index them.
NOINDEX_TEMPLATES = ("404", "search")
# Templates that have no address of their own (no canonical or og:url).
NO_CANONICAL_TEMPLATES = ("404",)


def absolute_url(siteurl, path):
    """SITEURL joined with a site-relative path: ("https://x.org", "posts/a/")."""
    return f"{(siteurl or '').rstrip('/')}/{str(path or '').lstrip('/')}"


def page_path(output_file):
    """The address of a written file: "posts/a/index.html" -> "posts/a/"."""
    path = str(output_file or "").replace("\\", "/")
    return path.removesuffix("index.html") if f"/{path}".endswith("/index.html") else path


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


def head_for(context, settings):
    """What partials/head_meta.html cannot read off the page being rendered:
    its canonical URL (None without an absolute SITEURL), whether it asks not
    to be indexed and, on the front page's first listing, the posts its JSON-LD
    lists (else None)."""
    siteurl = settings.get("SITEURL", "")
    content = context.get("article") or context.get("page")
    template = PurePosixPath(str(context.name or "")).stem
    canonical = None
    if is_absolute(siteurl) and template not in NO_CANONICAL_TEMPLATES:
        canonical = absolute_url(siteurl, page_path(context.get("output_file")))
    listing, front_page = context.get("articles_page"), None
    if template == "index" and (listing is None or listing.number == 1):
        front_page = listing.object_list if listing else context.get("articles") or ()
    draft = getattr(content, "status", "published") == "draft"
    return {
        "canonical": canonical,
        "noindex": template in NOINDEX_TEMPLATES or draft,
        "front_page": front_page,
        "options": OPTIONS,
    }


def add_head_meta(generator):
    """Templates get `head_meta()` and `absolute_url(path)`, bound to the real
    settings (a development page's SITEURL is relative; robots.txt needs the real one)."""
    settings = generator.settings
    generator.env.globals["head_meta"] = pass_context(lambda context: head_for(context, settings))
    generator.env.globals["absolute_url"] = lambda path="": absolute_url(settings["SITEURL"], path)


def check_settings(pelican):
    """A mistyped AUTHOR_PROFILE_URL fails the build instead of shipping in JSON-LD."""
    if problem := author_url_problem(pelican.settings.get("AUTHOR_PROFILE_URL")):
        logger.error(problem)


def register():
    # Settings are checked once, before anything is read or written.
    signals.initialized.connect(check_settings)
    # The template function must exist before any template renders.
    signals.generator_init.connect(add_head_meta)

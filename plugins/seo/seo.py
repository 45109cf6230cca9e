"""What a page says about itself in <head>: canonical URL, robots, feed links,
OpenGraph and Twitter tags, and JSON-LD.

base.html calls `head_meta(title, description)` with the page's <title> and
meta description; partials/head.html prints what comes back. The rest is read
from the page's context (template name, article, page, tag, output_file,
articles_page). URLs are built from the settings' SITEURL, never a dev page's
relative one: a build without an absolute SITEURL has no canonical URL and no
og:url. The JSON-LD author is AUTHOR, with AUTHOR_PROFILE_URL as its `url`.

A post's own `Image:` is its og:image (else the generated card). One larger
than 1200×630 is shared as a copy: upright (its EXIF orientation applied), cut
to the cards' 1.91:1 around its centre and scaled down to 1200×630, as JPEG (PNG
when it has transparency), named by its sitetools.build.cache key and kept in
CACHE_PATH/post_images/, so a warm build makes none again; it is published in
social/ beside the cards. An image of more than 40 megapixels is refused
before it is decoded.
"""

import hashlib
import io
import json
import logging
import posixpath
from pathlib import Path, PurePosixPath
from types import SimpleNamespace
from urllib.parse import urlsplit

from jinja2 import pass_context
from markupsafe import Markup
from pelican import signals

from sitetools.build import cache
from sitetools.content.contents import contents_of
from sitetools.content.files import display_path, header_line

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
    # A post's own Image: larger than this (either side) is shared as a copy of
    # this size: the generated cards' 1.91:1, which sharing previews show.
    "image_width": 1200,
    "image_height": 630,
    # Folder of the site for the copies (output_paths reserves it), and of CACHE_PATH.
    "image_dir": "social",
    "image_cache_dir": "post_images",
    # An Image: of more pixels than this is refused before it is decoded.
    "image_max_pixels": 40_000_000,
    "jpeg_quality": 85,
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


def image_source(content, static_content):
    """The static file of a post's own `Image: {static}/images/x.png`, or None;
    content_guard has checked that the file exists and is an image."""
    value = str(getattr(content, "image", "") or "")
    if not value.startswith("{static}"):
        return None
    target = value.removeprefix("{static}")
    folder = "" if target.startswith("/") else posixpath.dirname(content.relative_source_path)
    return static_content.get(posixpath.normpath(posixpath.join(folder, target.lstrip("/"))))


# EXIF orientations that turn an image a quarter: its shown width is its height.
_QUARTER_TURNS = {5, 6, 7, 8}


def image_facts(text):
    """What an image's header says, for the JSON [path, digest, pixel limit]
    (the digest keys the one cache): {"size": [width, height] as shown,
    "orientation", "alpha"}, or {"pixels": n} over the limit, decoding nothing;
    {"error": why} when Pillow refuses it."""
    from PIL import Image  # noqa: PLC0415

    path, _digest, limit = json.loads(text)
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > limit:
                return {"pixels": width * height, "size": [width, height]}
            # A PNG without EXIF before its pixels is read to its end to look for it.
            orientation = int(image.getexif().get(0x0112, 1) or 1)
            alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
                "transparency" in image.info
            )
    except Image.DecompressionBombError as error:  # past Pillow's own limit
        return {"error": str(error)}
    if orientation in _QUARTER_TURNS:
        width, height = height, width
    return {"size": [width, height], "orientation": orientation, "alpha": alpha}


def share_plan(width, height, max_width, max_height):
    """(crop box, size) that make an image of `width`×`height` (as shown) a
    sharing image: the largest box of max_width:max_height around its centre,
    scaled down to max_width×max_height, never up. None when it fits as it is."""
    if width <= max_width and height <= max_height:
        return None
    if width * max_height > height * max_width:  # wider than the cards: trim the sides
        box_width, box_height = round(height * max_width / max_height), height
    else:
        box_width, box_height = width, round(width * max_height / max_width)
    left, top = (width - box_width) // 2, (height - box_height) // 2
    box = (left, top, left + box_width, top + box_height)
    size = (max_width, max_height) if box_width >= max_width else (box_width, box_height)
    return box, size


def shared_copy(data, inputs):
    """The bytes of the copy `inputs` describe of the image `data`: upright,
    cut to inputs["box"] and scaled to inputs["size"] (Lanczos), saved as
    inputs["format"] with its colour profile and no other metadata."""
    from PIL import Image, ImageOps  # noqa: PLC0415

    png = inputs["format"] == ".png"
    with Image.open(io.BytesIO(data)) as image:
        profile = image.info.get("icc_profile")
        upright = ImageOps.exif_transpose(image).convert("RGBA" if png else "RGB")
    resized = upright.resize(tuple(inputs["size"]), Image.Resampling.LANCZOS, box=inputs["box"])
    extra = {"icc_profile": profile} if profile else {}
    buffer = io.BytesIO()
    if png:
        resized.save(buffer, format="PNG", compress_level=6, **extra)
    else:
        resized.save(buffer, format="JPEG", quality=inputs["quality"], optimize=True, **extra)
    return buffer.getvalue()


def too_big(where, relative, facts, limit):
    """The report line for an Image: that is not decoded, with the fix."""
    if "pixels" in facts:
        width, height = facts["size"]
        what = f"is {width}×{height} ({facts['pixels'] / 1e6:.0f} megapixels)"
    else:
        what = f"cannot be read safely ({facts['error']})"
    return (
        f"{where}: {relative} {what}, more than the {limit / 1e6:g}-megapixel limit "
        "for a social image; save a smaller copy (1200×630 is what is shown) and point "
        "Image: at it"
    )


def in_use(settings):
    """Signals outlive a build: act only for a site whose PLUGINS lists this one."""
    return any(str(plugin).rsplit(".", 1)[-1] == "seo" for plugin in settings.get("PLUGINS") or ())


# This build's shared copies: {name: (inputs, source image path)}; reset in `finalized`.
_state = {"cache_dir": None, "output_dir": None, "used": {}}
# What each Image:'s header says, by its digest, kept across builds.
_facts = cache.Cache("post-image-facts")


def share_post_images(generators):
    """Give every post with its own Image: the sharing image made of it
    (`shared_image`: url, width, height, alt): the file itself, or an upright
    copy cut and scaled to the cards' size, made now if new."""
    settings = next((g.settings for g in generators if hasattr(g, "settings")), None)
    if settings is None or not in_use(settings):
        return
    options = settings_for(settings)
    limit = int(options["image_max_pixels"])
    most = (int(options["image_width"]), int(options["image_height"]))
    context = next((g.context for g in generators if hasattr(g, "context")), {})
    static_content = context.get("static_content") or {}
    kept = cache.Files(Path(settings["CACHE_PATH"]) / options["image_cache_dir"])
    used = {}
    for content in contents_of(*generators):
        static = image_source(content, static_content) if content.save_as else None
        if static is None:
            continue
        data = Path(static.source_path).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        facts = _facts.get(settings, image_facts, json.dumps([static.source_path, digest, limit]))
        line = header_line(content.source_path, "image")
        where = f"{display_path(content.source_path)}:{line}: Image"
        if "size" not in facts or "pixels" in facts:
            logger.error(too_big(where, static.relative_source_path, facts, limit))
            continue
        width, height = facts["size"]
        plan = share_plan(width, height, *most)
        shown = SimpleNamespace(url=static.url, width=width, height=height, alt=str(content.title))
        if plan is None and facts["orientation"] == 1:  # used as it is
            content.shared_image = shown
            continue
        box, size = plan or ((0, 0, width, height), (width, height))  # turned upright only
        inputs = {
            "image": digest,
            "box": list(box),
            "size": list(size),
            "format": ".png" if facts["alpha"] else ".jpg",
            "quality": int(options["jpeg_quality"]),
        }
        name = f"{content.slug}-image-{cache.key(shared_copy, inputs)[:10]}{inputs['format']}"
        if kept.read(name) is None:
            try:
                kept.write(name, shared_copy(data, inputs))
            except (OSError, ValueError) as error:  # a mode Pillow cannot turn into RGB
                fix = "save it as an 8-bit PNG or a JPEG and point Image: at that"
                logger.error(
                    "%s: %s cannot be resized (%s); %s",
                    where,
                    static.relative_source_path,
                    error,
                    fix,
                )
                continue
        used[name] = (inputs, static.source_path)
        url = f"{options['image_dir'].strip('/')}/{name}"
        content.shared_image = SimpleNamespace(
            url=url, width=size[0], height=size[1], alt=shown.alt
        )
    _state.update(cache_dir=kept.folder, output_dir=options["image_dir"].strip("/"), used=used)


def publish_post_images(pelican):
    """Copy this build's shared copies into the output (checked against their
    digests as they are read, made again if they changed) and drop unused ones."""
    if _state["cache_dir"] is not None:
        kept, used = cache.Files(_state["cache_dir"]), _state["used"]
        target = Path(pelican.output_path) / _state["output_dir"]
        for name, (inputs, source) in sorted(used.items()):
            data = kept.read(name)
            if data is None:
                data = shared_copy(Path(source).read_bytes(), inputs)
                kept.write(name, data)
            target.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(data)
        kept.keep_only(used)
    # Autoreload runs the handlers again: the next build starts clean.
    _state.update(cache_dir=None, output_dir=None, used={})


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
        getattr(content, "shared_image", None)
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
    # Every post and static file is known, and no page is written yet.
    signals.all_generators_finalized.connect(share_post_images)
    # Output written last: the copies go in after Pelican may have cleaned it.
    signals.finalized.connect(publish_post_images)

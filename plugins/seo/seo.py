"""What a page says about itself in <head>: theme/templates/partials/head_meta.html
prints robots, canonical, feed links, OpenGraph, Twitter and JSON-LD (`tojson`)
from the page's values; this plugin computes only what the page does not hold
(`head_meta()`: canonical URL, noindex, the sharing image, the front page's
posts). URLs are built from the settings' SITEURL, never a dev page's relative
one: a build without an absolute SITEURL has no canonical URL and no og:url.
The JSON-LD author is AUTHOR, with AUTHOR_PROFILE_URL (checked here) as its `url`.

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


def settings_for(settings):
    return {**DEFAULTS, **(settings.get("SEO") or {})}


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


def head_for(context, settings, options):
    """What partials/head_meta.html cannot read off the page being rendered:
    its canonical URL (None without an absolute SITEURL), whether it asks not
    to be indexed, its sharing image (url made absolute) and, on the front
    page's first listing, the posts its JSON-LD lists (else None)."""
    siteurl = settings.get("SITEURL", "")
    content = context.get("article") or context.get("page")
    template = PurePosixPath(str(context.name or "")).stem
    canonical = None
    if is_absolute(siteurl) and template not in options["no_canonical_templates"]:
        canonical = absolute_url(siteurl, page_path(context.get("output_file")))
    image = (
        getattr(content, "shared_image", None)
        or getattr(content, "social_image", None)
        or context.get("site_social_image")
    )
    if image:
        image = SimpleNamespace(**{**vars(image), "url": absolute_url(siteurl, image.url)})
    listing, front_page = context.get("articles_page"), None
    if template == "index" and (listing is None or listing.number == 1):
        front_page = listing.object_list if listing else context.get("articles") or ()
    draft = getattr(content, "status", "published") == "draft"
    return {
        "canonical": canonical,
        "noindex": template in options["noindex_templates"] or draft,
        "image": image,
        "front_page": front_page,
        "options": options,
    }


def add_head_meta(generator):
    """Templates get `head_meta()` and `absolute_url(path)`, bound to the real
    settings (a development page's SITEURL is relative; robots.txt needs the real one)."""
    settings = generator.settings
    options = settings_for(settings)
    generator.env.globals["head_meta"] = pass_context(
        lambda context: head_for(context, settings, options)
    )
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

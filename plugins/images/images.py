"""Every image a post or page shows, published so that it reads well on any screen.

With no configuration, each `<img>` of a post's or page's body (Markdown's
`![alt](…)` and raw `<img>` alike) gets `width` and `height` from its file (so
nothing shifts as it loads, EXIF rotation applied), `decoding="async"`, and
`loading="lazy"` unless it is the body's first image (which may be the page's
largest paint). A raster image wider than the theme's column is also published
in a few widths, as AVIF and WebP in a `<picture>` and as a resized JPEG or PNG
for `src`, with a `sizes` that matches the column. SVG, GIF and animated
images, small images, and any image with the class `original`
(`![…](…){: .original}`) keep their file; they get the attributes only.

Resized files come from the one cache (sitetools/build/cache.py), named by a
key of the image's bytes, the width, the format and this code: a warm build
resizes nothing, and an image two posts show is made once. A post whose images
weigh more than IMAGES["budget"] bytes at the default width gets a warning.
"""

import functools
import logging
import os
import posixpath
import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

from pelican import signals

from sitetools.build import cache
from sitetools.build.builder import BuildError
from sitetools.content.contents import body, contents_of, set_body
from sitetools.content.fences import options_of
from sitetools.content.files import display_path, line_where
from sitetools.content.image_files import encode, facts_of, publish_files, static_file

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Widths (px) of the resized copies; those not below the image's own width are left out.
    "widths": [480, 720, 1080, 1440],
    # The theme's column (main.css: --measure 44rem): an image wider than this is resized.
    "column": 704,
    # The width of the default `src`, for browsers that read no srcset.
    "default_width": 720,
    # How wide the image is shown, for the browser to choose a candidate (main.css's column).
    "sizes": "(min-width: 48rem) 44rem, 92vw",
    # Modern formats offered in <source>, best first, where Pillow can write them.
    "formats": ["avif", "webp"],
    "quality": {"avif": 50, "webp": 75, "jpeg": 80},
    # Bytes a post's images may weigh at the default width before the build warns.
    "budget": 1_000_000,
    # Where the resized copies are published, and kept in CACHE_PATH.
    "output_dir": "img",
    # An image with this class keeps its file, pixel for pixel.
    "keep_class": "original",
}

_RESIZED = {"JPEG", "PNG", "WEBP", "AVIF", "BMP", "TIFF"}  # Pillow formats that get copies
# A PNG that compresses to more bytes a pixel than this is a photo: its copies are JPEG.
PHOTO_BYTES = 1.0


# ---- Pure functions -------------------------------------------------------------


class _ImgTags(HTMLParser):
    def handle_starttag(self, tag, attrs):
        if tag == "img":
            line, column = self.getpos()
            self.found.append(
                (self.starts[line - 1] + column, self.get_starttag_text(), dict(attrs))
            )

    handle_startendtag = handle_starttag


def img_tags(markup):
    """[(offset, raw tag, {attribute: value})] of every <img> in `markup`.
    content_guard has already refused anything a browser would parse otherwise
    (unclosed tags, script, foreign content), so Python's tokenizer agrees with it."""
    parser = _ImgTags(convert_charrefs=True)
    parser.found, parser.starts = [], [0, *(m.end() for m in re.finditer("\n", markup))]
    parser.feed(markup)
    parser.close()
    return parser.found


def candidate_widths(width, options):
    """The widths to publish an image `width` px wide in: none when it fits the column."""
    if width <= int(options["column"]):
        return []
    widths = set(map(int, options["widths"]))
    return sorted({w for w in widths if w < width} | {min(width, max(widths))})


def fallback_format(facts, file_size):
    """The format of the default `src`: PNG for an image with alpha, and for a
    PNG that is not a photo (a screenshot, a chart: under PHOTO_BYTES per pixel
    compressed), which JPEG would blur; else JPEG."""
    photo = file_size > PHOTO_BYTES * facts["width"] * facts["height"]
    return "png" if facts["alpha"] or (facts["format"] == "PNG" and not photo) else "jpeg"


def default_candidate(widths, options):
    """The width of the default `src`: the smallest at least default_width wide."""
    wanted = options["default_width"]
    return next((w for w in widths if w >= wanted), widths[-1])


def attributes_html(attributes):
    """` name="value"` pairs, escaped as HTML attribute values."""
    return "".join(
        f" {name}" if value is None else f' {name}="{escape(str(value), quote=True)}"'
        for name, value in attributes.items()
    )


def srcset(sized):
    return ", ".join(f"{url} {w}w" for w, url in sized)


def image_html(attributes, facts, candidates, first, options):
    """The markup that replaces one <img>: a <picture> when there are `candidates`
    ({format: [(width, url)]}, the fallback format last), else the <img> with
    its dimensions. What the author wrote (alt, title, class, width and height
    both) is kept."""
    img = dict(attributes)
    if not ("width" in img and "height" in img):
        img["width"], img["height"] = facts["width"], facts["height"]
    # The body's first image is often the page's largest paint: fetch it first.
    img.setdefault(*(("fetchpriority", "high") if first else ("loading", "lazy")))
    img.setdefault("decoding", "async")
    if not candidates:
        return f"<img{attributes_html(img)}>"
    *modern, (_, sized) = candidates.items()
    img["src"] = dict(sized)[default_candidate([w for w, _ in sized], options)]
    img["srcset"], img["sizes"] = srcset(sized), options["sizes"]
    sources = "".join(
        f'<source type="image/{name}" srcset="{escape(srcset(urls))}" '
        f'sizes="{escape(options["sizes"])}">'
        for name, urls in modern
    )
    return f"<picture>{sources}<img{attributes_html(img)}></picture>"


def weight_warning(where, weights, budget):
    """The warning for a post whose images weigh more than `budget` bytes, or None.
    `weights` is [(name, bytes)] at the default width."""
    total = sum(size for _, size in weights)
    if total <= budget:
        return None
    heaviest = sorted(weights, key=lambda item: -item[1])[:3]
    listed = ", ".join(f"{name} {weight(size)}" for name, size in heaviest)
    return (
        f"{where}: images: the images weigh {weight(total)} at the default width, "
        f"over the budget of {weight(budget)} (IMAGES budget): {listed}; crop or "
        "compress the heaviest, or split the post"
    )


def weight(size):
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.0f} kB"


# ---- Handlers ------------------------------------------------------------------


def url_from(content, published):
    """The URL of the site path `published`, relative to the page of `content`."""
    page = "/" + (content.url or "")
    folder = page if page.endswith("/") else posixpath.dirname(page)
    return posixpath.relpath("/" + published, folder or "/")


def copies(plan, path, facts):
    """{format: [(width, file name)]} of an image's copies (the fallback last),
    each one's job added to plan.jobs."""
    widths, options = candidate_widths(facts["width"], plan.options), plan.options
    if facts["format"] not in _RESIZED or facts["animated"] or not widths:
        return {}
    made = {}
    for name in [*plan.formats, fallback_format(facts, os.path.getsize(path))]:
        quality = int(options["quality"].get(name, 0))
        for width in widths:
            size = (width, max(1, round(facts["height"] * width / facts["width"])))
            key = cache.key([encode, copies], plan.digest(path), size, name, quality)[:12]
            file = f"{stem_of(path)}-{width}-{key}.{'jpg' if name == 'jpeg' else name}"
            plan.jobs[file] = functools.partial(encode, path, size, name, quality)
            made.setdefault(name, []).append((width, file))
    return made


def stem_of(path):
    """A file name's stem as a URL-safe word."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", Path(path).stem).strip("-")[:60] or "image"


def place(content, plan, problems):
    """Rewrite the <img> tags of one body: (where, {image: its copy at the default
    width, or None for the file itself}) for the weight warning."""
    markup, options = body(content), plan.options
    where, pieces, last, weights, first = display_path(content.source_path), [], 0, {}, True
    for offset, raw, attributes in img_tags(markup):
        static = static_file(attributes.get("src") or "", content, plan.by_source, plan.by_url)
        facts = plan.facts(static.source_path) if static else None
        if isinstance(facts, str):
            src = attributes.get("src", "")
            line = line_where(content.source_path, lambda text, s=src: s in text)
            problems.append(f"{where}:{line}: image: {src} {facts}")
            continue
        if facts is None or facts["width"] is None:
            first = False
            continue
        keep = options["keep_class"] in (attributes.get("class") or "").split()
        made = {} if keep else copies(plan, static.source_path, facts)
        urls = {
            name: [(w, url_from(content, f"{options['output_dir']}/{file}")) for w, file in files]
            for name, files in made.items()
        }
        pieces += [markup[last:offset], image_html(attributes, facts, urls, first, options)]
        last, first = offset + len(raw), False
        sized = dict(made[next(reversed(made))]) if made else {}
        weights[static.source_path] = sized and sized[default_candidate(list(sized), options)]
    set_body(content, "".join([*pieces, markup[last:]]))
    return where, weights


def publish(generators):
    """Give every image of every post and page its attributes and copies, make
    the copies the cache lacks on every CPU, and put them in the output."""
    settings = generators[0].settings
    from PIL import features  # noqa: PLC0415

    options = options_of(settings, "IMAGES", DEFAULTS, logger)
    formats = [name for name in options["formats"] if features.check(name)]
    facts, digest = functools.cache(facts_of), functools.cache(cache.file_digest)
    by_source = generators[0].context.get("static_content") or {}
    by_url = {"/" + s.url.lstrip("/"): s for s in by_source.values()}
    plan = SimpleNamespace(options=options, formats=formats, jobs={}, facts=facts, digest=digest,
                           by_source=by_source, by_url=by_url)  # fmt: skip
    problems = []
    weighed = [
        place(content, plan, problems)
        for content in contents_of(*generators)
        if "<img" in body(content)
    ]
    if problems:
        raise BuildError(problems)
    folder = options["output_dir"]
    sizes, made = publish_files(settings, plan.jobs, folder, folder, "images")
    if failed := [f"images: {name}: {why}" for name, why in sizes.items() if isinstance(why, str)]:
        raise BuildError(failed)
    for where, weights in weighed:
        weighs = [
            (Path(path).name, sizes[copy] if copy else os.path.getsize(path))
            for path, copy in weights.items()
        ]
        if line := weight_warning(where, weighs, options["budget"]):
            logger.warning("%s", line)
    if sizes:
        logger.info("images: resized %d, reused %d", made, len(sizes) - made)


def register():
    # Every source is read and content_guard has judged the raw HTML; no page is
    # written yet, so pages and feeds carry the new markup.
    signals.all_generators_finalized.connect(publish)

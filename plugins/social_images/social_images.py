"""A social image (og:image) for every post: a 1200×630 palette PNG drawn with Pillow.

It shows the site name, the title (wrapped at spaces, in the largest size that
fits) and the tag label (shrunk, then cut with "…", to fit two lines). The
font is committed beside this module and Pillow's basic layout engine is used,
so the pixels depend neither on the machine's fonts nor on libraqm; the PNG has
no timestamp or metadata, so the same inputs give the same bytes.

An image is named by its sitetools.build.cache key (title, label, site name, layout,
font file, this code and the installed libraries): `social/<slug>-<hash10>.png`
can be cached forever, and is drawn only when new, into CACHE_PATH/social_images/
(a sitetools.build.cache.Files: one that does not match its digest is drawn again).
The output gets a copy, never a link: a cache file cut short later must not
change the published site.

A post's or page's own `Image:` is its sharing image instead (no card is drawn).
One larger than the cards, or turned by its EXIF orientation, is shared as a
copy: upright, cut to the cards' 1.91:1 around its centre and scaled down to
their size (never up), as JPEG (PNG when it has transparency), named by its
cache key like the cards and kept beside them. An image of more pixels than
image_max_pixels is refused before it is decoded.
Posts and pages get `social_image`; other pages the context's `site_social_image`.
"""

import functools
import html
import io
import logging
import os
import posixpath
from pathlib import Path
from types import SimpleNamespace

import smartypants
from pelican import signals
from pelican.generators import ArticlesGenerator
from PIL import Image, ImageColor, ImageDraw, ImageFont, ImageOps

from sitetools.build import cache
from sitetools.build.builder import BuildError
from sitetools.build.parallel import parallel_map
from sitetools.build.progress import report
from sitetools.content.contents import contents_of
from sitetools.content.files import display_path, header_line

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Folder under the site root that receives the images.
    "output_dir": "social",
    # Folder under CACHE_PATH that keeps drawn images between builds.
    "cache_dir": "social_images",
    # TrueType font for every line; relative paths are under this plugin's folder.
    "font": "fonts/DejaVuSans-Bold.ttf",
    "width": 1200,
    "height": 630,
    # Space between the text and the image's edges, in pixels.
    "margin": 80,
    # Sizes are tried from largest to smallest, in pixels; the first that fits wins.
    "title_max_size": 76,
    "title_min_size": 30,
    "site_name_size": 34,
    "label_max_size": 32,
    "label_min_size": 22,
    # The site's light palette (theme/static/css/main.css tokens).
    "background": "#fbfbf9",
    "text": "#1c1e21",
    "accent": "#0b5cad",
    "tag": "#7a3d00",
    # A post's own Image: of more pixels than this is refused before it is decoded.
    "image_max_pixels": 40_000_000,
    # The quality of a shared copy of a post's own photo.
    "jpeg_quality": 85,
}

LINE_SPACING = 1.18  # line height as a multiple of the font size
BAR_WIDTH = 18  # the accent bar along the left edge, in pixels
GAP = 36  # between the title and the lines above and below it, in pixels
TEXT_COLOURS = ("accent", "text", "tag")
# Shades per text colour: 3 × 85 + the background fill a PNG palette's 256 entries.
SHADES = 85
# zlib level 3: the smallest file before zlib's slower lazy matching (level 4+
# costs 30-50% more time to save 4 KiB of a 21 KiB image).
PNG_LEVEL = 3

# The options that do not shape a card.
NOT_DRAWN = ("output_dir", "cache_dir", "image_max_pixels", "jpeg_quality")
# This build's images ({name in the cache folder: what makes it again}), and
# how many it made; reset in `finalized`.
_state = {"cache_dir": None, "output_dir": None, "used": {}, "drawn": 0}
# EXIF orientations that turn an image a quarter: its shown width is its height.
_QUARTER_TURNS = {5, 6, 7, 8}


def settings_for(settings):
    return {**DEFAULTS, **(settings.get("SOCIAL_IMAGES") or {})}


def font_path(options):
    return Path(__file__).resolve().parent / options["font"]  # an absolute path stays one


def display_title(title):
    """Plain title text with curly quotes and real dashes."""
    attrs = smartypants.Attr.set1 | smartypants.Attr.w
    return html.unescape(smartypants.smartypants(html.escape(str(title), quote=False), attrs))


@functools.lru_cache(maxsize=128)
def load_font(path, size):
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


def wrap_words(text, measure, max_width):
    """Greedy word wrap into lines no wider than `max_width` by `measure(str)`;
    None when a single word is wider than a line."""
    lines = []
    for word in text.split():
        if measure(word) > max_width:
            return None
        if lines and measure(f"{lines[-1]} {word}") <= max_width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def fit_text(text, font_file, sizes, max_width, *, max_height):
    """(size, lines): the largest of `sizes` at which `text` wraps into the
    box, or None when even the smallest does not fit."""
    for size in sizes:
        lines = wrap_words(text, load_font(font_file, size).getlength, max_width)
        if lines is not None and len(lines) * round(size * LINE_SPACING) <= max_height:
            return size, lines
    return None


def fit_or_cut(text, font_file, sizes, max_width, *, max_height):
    """fit_text, else the longest start of `text` (cut after a word, else
    inside the first) that fits at the smallest size with "…": any text fits."""
    fitted = fit_text(text, font_file, sizes, max_width, max_height=max_height)
    words = text.split()
    starts = [" ".join(words[:n]).rstrip(" /") + " …" for n in range(len(words) - 1, 0, -1)]
    starts += [words[0][:n] + "…" for n in range(len(words[0]) - 1, -1, -1)]
    for start in starts:
        if fitted:
            break
        fitted = fit_text(start, font_file, sizes[-1:], max_width, max_height=max_height)
    return fitted


def layout_of(options):
    """What shapes every image alike: the options that draw, with the font file's digest."""
    layout = {key: options[key] for key in DEFAULTS if key not in NOT_DRAWN}
    return {**layout, "font": cache.file_digest(font_path(options))}


def card_inputs(title, label, site_name, options, layout=None):
    """Everything that shapes one image, as plain values (the hash covers all)."""
    layout = layout or layout_of(options)
    return {
        "title": display_title(title),
        "label": str(label or ""),
        "site_name": str(site_name),
        "layout": layout,
    }


def card_hash(inputs, draw=None):
    """Ten hex digits of the cache key of the image `draw` (render_card) makes
    of `inputs`: an edit to the drawing code or Pillow renames every image."""
    return cache.key(draw or render_card, inputs)[:10]


def _sizes(options, name):
    return range(int(options[f"{name}_max_size"]), int(options[f"{name}_min_size"]) - 1, -2)


def layout_card(inputs, options):
    """Where each line goes: [(x, baseline_y, text, size, colour name)]; raises
    ValueError when the title cannot fit."""
    font_file = font_path(options)
    width, height, margin = options["width"], options["height"], options["margin"]
    left = margin + BAR_WIDTH
    box = width - left - margin
    placed = []

    def place(lines, size, top, colour):
        step = round(size * LINE_SPACING)
        ascent = load_font(font_file, size).getmetrics()[0]
        for index, line in enumerate(lines):
            placed.append((left, top + ascent + index * step, line, size, colour))
        return step * len(lines)

    site_size = int(options["site_name_size"])
    title_top = margin + place([inputs["site_name"]], site_size, margin, "accent") + GAP
    title_bottom = height - margin
    if inputs["label"]:
        sizes = _sizes(options, "label")
        label_box = 2 * round(sizes[0] * LINE_SPACING)
        size, lines = fit_or_cut(inputs["label"], font_file, sizes, box, max_height=label_box)
        label_top = height - margin - len(lines) * round(size * LINE_SPACING)
        place(lines, size, label_top, "tag")
        title_bottom = label_top - GAP
    room = title_bottom - title_top
    fitted = fit_text(inputs["title"], font_file, _sizes(options, "title"), box, max_height=room)
    if fitted is None:
        raise ValueError(
            f"the title does not fit the social image even at {options['title_min_size']} px "
            "(or one word is wider than the image); shorten it"
        )
    size, lines = fitted
    # The title block is centred between the site name and the label.
    block = len(lines) * round(size * LINE_SPACING)
    place(lines, size, title_top + max(0, (room - block) // 2), "text")
    return placed


@functools.lru_cache(maxsize=16)
def palette_for(background, colours):
    """(flat RGB palette, {colour: LUT from coverage 0-255 to palette index}).

    Index 0 is the background; each colour gets SHADES entries stepping from
    just off the background to the colour, which antialiasing blends between."""
    base = ImageColor.getrgb(background)
    palette, tables = list(base), {}
    for colour in colours:
        rgb = ImageColor.getrgb(colour)
        first = len(palette) // 3
        for shade in range(1, SHADES + 1):
            palette += [round(b + (c - b) * shade / SHADES) for b, c in zip(base, rgb, strict=True)]
        tables[colour] = [0] + [first + max(1, round(a * SHADES / 255)) - 1 for a in range(1, 256)]
    return palette, tables


def render_card(inputs, options):
    """PNG bytes of one image; raises ValueError when the title cannot fit.

    Drawn straight into a palette image (a third of RGB's bytes, no
    quantising): each colour's lines as an antialiased coverage mask that a
    lookup table turns into that colour's shades."""
    placed = layout_card(inputs, options)
    size = (int(options["width"]), int(options["height"]))
    palette, tables = palette_for(options["background"], tuple(map(options.get, TEXT_COLOURS)))
    image = Image.new("L", size, 0)  # palette indices; 0 is the background
    image.paste(tables[options["accent"]][255], (0, 0, BAR_WIDTH, size[1]))
    for name in TEXT_COLOURS:
        lines = [
            (x, y, text, load_font(font_path(options), text_size))
            for x, y, text, text_size, colour in placed
            if colour == name
        ]
        if not lines:
            continue
        boxes = [
            (x + left, y + top, x + right, y + bottom)
            for x, y, text, font in lines
            for left, top, right, bottom in [font.getbbox(text, anchor="ls")]
        ]
        left, top = min(box[0] for box in boxes), min(box[1] for box in boxes)
        right, bottom = max(box[2] for box in boxes), max(box[3] for box in boxes)
        coverage = Image.new("L", (right - left, bottom - top), 0)  # as small as the ink
        draw = ImageDraw.Draw(coverage)
        for x, y, text, font in lines:
            draw.text((x - left, y - top), text, font=font, fill=255, anchor="ls")
        # Only covered pixels change, so a line never paints over another's.
        mask = coverage.point([0] + [255] * 255)
        image.paste(coverage.point(tables[options[name]]), (left, top), mask)
    image.putpalette(palette)  # an "L" image with a palette becomes "P"
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=PNG_LEVEL)
    return buffer.getvalue()


def draw(cache_dir, name, inputs, options):
    """Draw one image into the cache folder: None, or why it cannot be drawn."""
    try:
        cache.Files(cache_dir).write(name, render_card(inputs, options))
    except ValueError as error:
        return str(error)


def image_source(content, static_content):
    """The static file of a post's own `Image: {static}/images/x.png`, or None;
    content_guard has checked that the file exists and is an image."""
    value = str(getattr(content, "image", "") or "")
    if not value.startswith("{static}"):
        return None
    target = value.removeprefix("{static}")
    folder = "" if target.startswith("/") else posixpath.dirname(content.relative_source_path)
    return static_content.get(posixpath.normpath(posixpath.join(folder, target.lstrip("/"))))


def image_facts(path, limit):
    """What an image's header says: {"size": [width, height] as shown,
    "orientation", "alpha"}; or, decoding nothing, why it is not shared: more
    pixels than `limit`, or more than Pillow's own limit."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            what = f"is {width}×{height} ({width * height / 1e6:.0f} megapixels)"
            if width * height <= limit:
                # A PNG without EXIF before its pixels is read to its end to look for it.
                orientation = int(image.getexif().get(0x0112, 1) or 1)
                turned = orientation in _QUARTER_TURNS
                size = [height, width] if turned else [width, height]
                alpha = image.has_transparency_data
                return {"size": size, "orientation": orientation, "alpha": alpha}
    except Image.DecompressionBombError as error:
        what = f"cannot be read safely ({error})"
    return (
        f"{what}, more than the {limit / 1e6:g}-megapixel limit for a social image; "
        "save a smaller copy (1200×630 is what is shown) and point Image: at it"
    )


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


def shared_copy(path, inputs):
    """The bytes of the copy `inputs` describe of the image at `path`: upright,
    cut to inputs["box"] and scaled to inputs["size"] (Lanczos), saved as
    inputs["format"] with its colour profile and no other metadata."""
    png = inputs["format"] == ".png"
    with Image.open(path) as image:
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


def own_image(content, static, options, kept, used):
    """The sharing image of a post's own Image: (`static`): the file itself
    when it fits and is upright, else its copy of the cards' size, made now if
    new and listed in `used`; None once the error is logged."""
    facts = image_facts(static.source_path, int(options["image_max_pixels"]))
    line = header_line(content.source_path, "image")
    where = f"{display_path(content.source_path)}:{line}: Image"
    if isinstance(facts, str):
        logger.error("%s: %s %s", where, static.relative_source_path, facts)
        return None
    (width, height), alt = facts["size"], str(content.title)
    plan = share_plan(width, height, int(options["width"]), int(options["height"]))
    if plan is None and facts["orientation"] == 1:  # used as it is
        return SimpleNamespace(url=static.url, width=width, height=height, alt=alt)
    box, size = plan or ((0, 0, width, height), (width, height))  # turned upright only
    inputs = {
        "image": cache.file_digest(static.source_path),
        "box": list(box),
        "size": list(size),
        "format": ".png" if facts["alpha"] else ".jpg",
        "quality": int(options["jpeg_quality"]),
    }
    name = f"{content.slug}-image-{cache.key(shared_copy, inputs)[:10]}{inputs['format']}"
    used[name] = functools.partial(shared_copy, static.source_path, inputs)
    if kept.read(name) is None:
        try:
            kept.write(name, used[name]())
        except (OSError, ValueError) as error:  # a mode Pillow cannot turn into RGB
            fix = "save it as an 8-bit PNG or a JPEG and point Image: at that"
            relative = static.relative_source_path
            logger.error("%s: %s cannot be resized (%s); %s", where, relative, error, fix)
            return None
    url = f"{options['output_dir'].strip('/')}/{name}"
    return SimpleNamespace(url=url, width=size[0], height=size[1], alt=alt)


def in_use(settings):
    """Signals outlive a build: act only for a site whose PLUGINS lists this one."""
    names = [str(plugin).rsplit(".", 1)[-1] for plugin in settings.get("PLUGINS") or ()]
    return "social_images" in names


def make_images(generators):
    """Give every post and page with its own Image: that image, every other
    post its card and the site its own (cards drawn now, on every CPU, if new)."""
    settings, context = generators[0].settings, generators[0].context  # shared by all
    if not in_use(settings):
        return
    options = settings_for(settings)
    if not font_path(options).is_file():
        raise BuildError(
            [f"SOCIAL_IMAGES font: no file at {font_path(options)}; point 'font' at a .ttf file"]
        )
    kept = cache.Files(Path(settings["CACHE_PATH"]) / options["cache_dir"])
    site_name, layout = settings.get("SITENAME", ""), layout_of(options)
    static_content, used = context.get("static_content") or {}, {}

    def job(where, content, slug, title, label):
        inputs = card_inputs(title, label, site_name, options, layout)
        return where, content, f"{slug}-{card_hash(inputs)}.png", inputs

    jobs = [job("SITE_TAGLINE", None, "site", settings.get("SITE_TAGLINE") or site_name, "")]
    for generator in generators:
        for content in contents_of(generator):
            if not content.save_as:  # not written in this build (drafts in production)
                continue
            static = image_source(content, static_content)
            content.social_image = static and own_image(content, static, options, kept, used)
            if not content.social_image and isinstance(generator, ArticlesGenerator):
                tags = " / ".join(tag.name for tag in getattr(content, "tags", None) or ())
                label = getattr(content, "tag_label", None) or tags
                where = f"{content.source_path}: Title"
                jobs.append(job(where, content, content.slug, content.title, label))
    missing = [(name, inputs) for *_, name, inputs in jobs if kept.read(name) is None]
    missing = list(dict(missing).items())  # the same card twice is drawn once
    errors = parallel_map(
        lambda index: draw(kept.folder, *missing[index], options),
        len(missing),
        progress=lambda done, total: report("social images", done, total),
    )
    failed = {name: error for (name, _), error in zip(missing, errors, strict=True) if error}
    problems = [f"{where}: {failed[name]}" for where, _, name, _ in jobs if name in failed]
    if problems:
        raise BuildError(problems)
    output_dir = options["output_dir"].strip("/")
    width, height = int(options["width"]), int(options["height"])
    for _, content, name, inputs in jobs:
        used[name] = functools.partial(render_card, inputs, options)
        alt = f"{inputs['title']} — {inputs['site_name']}"
        alt += f"; tags: {inputs['label']}" if inputs["label"] else ""
        image = SimpleNamespace(url=f"{output_dir}/{name}", width=width, height=height, alt=alt)
        if content is None:
            context["site_social_image"] = image
        else:
            content.social_image = image
    drawn = len(missing)
    _state.update(cache_dir=kept.folder, output_dir=output_dir, used=used, drawn=drawn)


def publish_images(pelican):
    """Copy this build's images into the output, each checked against its
    digest as it is read (made again if it changed since make_images), and
    drop unused ones from the cache."""
    if _state["cache_dir"] is not None:
        kept, used = cache.Files(_state["cache_dir"]), _state["used"]
        target = Path(pelican.output_path) / _state["output_dir"]
        there = set(os.listdir(target)) if target.is_dir() else set()
        target.mkdir(parents=True, exist_ok=True)
        for name in sorted(set(used) - there):
            data = kept.read(name)
            if data is None:
                data = used[name]()
                kept.write(name, data)
            (target / name).write_bytes(data)
        kept.keep_only(used)
        drawn = _state["drawn"]
        logger.info("social_images: drew %d image(s), reused %d", drawn, len(used) - drawn)
    # Autoreload runs the handlers again: the next build starts clean.
    _state.update(cache_dir=None, output_dir=None, used={}, drawn=0)


def register():
    # Every post, page and static file is known (an Image: names one), and no
    # template has rendered yet: they read social_image and site_social_image.
    signals.all_generators_finalized.connect(make_images)
    # Output written last: the images go in after Pelican may have cleaned it.
    signals.finalized.connect(publish_images)

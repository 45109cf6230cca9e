"""A social image (og:image) for every post: a 1200×630 PNG drawn with Pillow.

Each image shows the site name, the post's title (wrapped at spaces, never cut
inside a word, and set in the largest size that fits) and its tag label. The
font is a file committed next to this module, and text goes through Pillow's
basic layout engine, so the pixels do not depend on the machine's fonts or on
whether libraqm is installed. The image is a palette PNG built from its known
colours (no quantising), and carries no timestamp or metadata chunk, so the
same inputs give the same bytes.

An image's name ends in its sitetools.cache key: a hash of everything that
shapes it (title, tag label, site name, font file, layout, the drawing code
and the installed libraries, Pillow among them):
`social/<slug>-<hash10>.png` can be cached forever, and an image is drawn only
when its inputs change. Drawn images are kept in CACHE_PATH/social_images/ and
linked (or copied) into the site.

Articles get `article.social_image` (url relative to the site root, width,
height, alt); the site-wide image for every other page is the context variable
`site_social_image`.
"""

import functools
import hashlib
import html
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import smartypants
from pelican import signals
from PIL import Image, ImageColor, ImageDraw, ImageFont

from sitetools import cache
from sitetools.contents import contents_of
from sitetools.files import link_or_copy
from sitetools.parallel import parallel_map
from sitetools.progress import report

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent

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
    # Title sizes tried from largest to smallest, in pixels; the first that fits wins.
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
    "rule": "#dcdfe3",
}

# Line height as a multiple of the font size.
LINE_SPACING = 1.18
# Width of the accent bar along the left edge, in pixels.
BAR_WIDTH = 18
# The settings that colour text, each drawn in its own shades.
TEXT_COLOURS = ("accent", "text", "tag")
# Shades per text colour between the background and the colour: 3 × 85 + the
# background fill the 256 entries of a PNG palette.
SHADES = 85
# Coverage (0–255) to a paste mask that selects every pixel a glyph touches.
COVERED = [0] + [255] * 255
# zlib level of the PNG. Whole render_card on the benchmark's titles, per image:
# levels 1-3 take 4.3-4.4 ms for 23.5-21.2 KiB; from level 4 zlib switches to
# its slower lazy matching: 5.6 ms at 4, 6.6 ms at 6 (17.0 KiB), 32 ms at 9.
# Level 3 is the smallest file at the fast speed; level 6 would cost 50% more
# time to save 4 KiB of an image that crawlers fetch once.
PNG_LEVEL = 3

# This build's images (names in the cache folder) and how many it drew;
# reset in `finalized`.
_state = {"cache_dir": None, "used": [], "drawn": 0}


class SocialCardError(Exception):
    """An image could not be made; `problems` holds one line per post."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class SocialImage:
    url: str  # relative to the site root, like article.url
    width: int
    height: int
    alt: str


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's SOCIAL_IMAGES dict."""
    return {**DEFAULTS, **(settings.get("SOCIAL_IMAGES") or {})}


def font_path(options):
    path = Path(options["font"])
    return path if path.is_absolute() else HERE / path


@functools.lru_cache(maxsize=16)
def file_digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def display_title(title):
    """Plain title text with curly quotes and real dashes, still plain text."""
    attrs = smartypants.Attr.set1 | smartypants.Attr.w
    return html.unescape(smartypants.smartypants(html.escape(str(title), quote=False), attrs))


@functools.lru_cache(maxsize=128)
def load_font(path, size):
    # The basic layout engine ignores libraqm, so every machine shapes text alike.
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


def wrap_words(text, measure, max_width):
    """Greedy word wrap: lines no wider than `max_width` by `measure(str)`.

    Breaks only at spaces; returns None when a single word is wider than the line.
    """
    lines = []
    current = ""
    for word in text.split():
        if measure(word) > max_width:
            return None
        candidate = f"{current} {word}" if current else word
        if current and measure(candidate) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def fit_text(text, font_file, sizes, max_width, *, max_height=None, max_lines=None):
    """The largest size in `sizes` at which `text` wraps into the box, with its
    lines: (size, lines), or None when even the smallest size does not fit."""
    for size in sizes:
        font = load_font(font_file, size)
        lines = wrap_words(text, font.getlength, max_width)
        if lines is None:
            continue
        if max_lines is not None and len(lines) > max_lines:
            continue
        if max_height is not None and len(lines) * round(size * LINE_SPACING) > max_height:
            continue
        return size, lines
    return None


def card_inputs(title, label, site_name, options):
    """Everything that shapes one image, as plain values (the hash covers all)."""
    layout = {
        key: options[key] for key in sorted(DEFAULTS) if key not in ("output_dir", "cache_dir")
    }
    layout["font"] = file_digest(font_path(options))
    return {
        "title": display_title(title),
        "label": str(label or ""),
        "site_name": str(site_name),
        "layout": layout,
    }


def card_hash(inputs, draw=None):
    """Ten hex digits of the cache key of the image `draw` (render_card) makes
    of `inputs`: the drawing code and Pillow's version are in it, so an edit
    to either renames every image and no cache or browser serves a stale one."""
    return cache.key(draw or render_card, inputs)[:10]


def card_filename(slug, inputs):
    return f"{slug}-{card_hash(inputs)}.png"


def _sizes(largest, smallest):
    return range(int(largest), int(smallest) - 1, -2)


def layout_card(inputs, options):
    """Where each line goes: a list of (x, baseline_y, text, size, colour), or a
    SocialCardError message when the title cannot fit."""
    font_file = font_path(options)
    width, height, margin = options["width"], options["height"], options["margin"]
    text_left = margin + BAR_WIDTH
    text_width = width - text_left - margin
    placed = []

    site_size = int(options["site_name_size"])
    site_font = load_font(font_file, site_size)
    site_ascent, _ = site_font.getmetrics()
    placed.append((text_left, margin + site_ascent, inputs["site_name"], site_size, "accent"))
    title_top = margin + round(site_size * LINE_SPACING) + 36

    title_bottom = height - margin
    label = inputs["label"]
    if label:
        fitted = fit_text(
            label,
            font_file,
            _sizes(options["label_max_size"], options["label_min_size"]),
            text_width,
            max_lines=2,
        )
        if fitted is None:
            return "the tag label is too long for the social image; use fewer or shorter tags"
        label_size, label_lines = fitted
        step = round(label_size * LINE_SPACING)
        label_top = height - margin - step * len(label_lines)
        label_ascent, _ = load_font(font_file, label_size).getmetrics()
        for index, line in enumerate(label_lines):
            placed.append(
                (text_left, label_top + label_ascent + index * step, line, label_size, "tag")
            )
        title_bottom = label_top - 36

    fitted = fit_text(
        inputs["title"],
        font_file,
        _sizes(options["title_max_size"], options["title_min_size"]),
        text_width,
        max_height=title_bottom - title_top,
    )
    if fitted is None:
        return (
            f"the title does not fit the social image even at {options['title_min_size']} px "
            "(or one word is wider than the image); shorten it"
        )
    size, lines = fitted
    step = round(size * LINE_SPACING)
    ascent, _ = load_font(font_file, size).getmetrics()
    block = step * len(lines)
    # Centre the title block in the space between the site name and the label.
    top = title_top + max(0, (title_bottom - title_top - block) // 2)
    for index, line in enumerate(lines):
        placed.append((text_left, top + ascent + index * step, line, size, "text"))
    return placed


@functools.lru_cache(maxsize=16)
def palette_for(background, colours):
    """The image's palette and, per colour, the lookup table from coverage to index.

    Index 0 is the background; each colour in `colours` gets SHADES entries
    that step from just off the background to the colour itself, which is what
    antialiasing blends between. Returns (flat RGB list, {colour: 256-entry LUT}).
    """
    base = ImageColor.getrgb(background)
    palette = list(base)
    tables = {}
    for colour in colours:
        rgb = ImageColor.getrgb(colour)
        first = len(palette) // 3
        for shade in range(1, SHADES + 1):
            palette += [round(b + (c - b) * shade / SHADES) for b, c in zip(base, rgb, strict=True)]
        # Coverage 0 stays background; any other coverage takes its nearest shade.
        tables[colour] = [0] + [
            first + max(1, round(alpha * SHADES / 255)) - 1 for alpha in range(1, 256)
        ]
    return palette, tables


def render_card(inputs, options):
    """PNG bytes of one image. Raises ValueError when the text cannot fit.

    The picture has only a background, a solid bar and text in three colours,
    so it is drawn straight into a palette ("P") image rather than RGB: a third
    of the bytes to compress, and no quantising. Each colour's lines are drawn
    as an antialiased coverage mask, which a lookup table turns into indices of
    that colour's shades.
    """
    placed = layout_card(inputs, options)
    if isinstance(placed, str):
        raise ValueError(placed)
    font_file = font_path(options)
    size = (int(options["width"]), int(options["height"]))
    palette, tables = palette_for(
        options["background"], tuple(options[name] for name in TEXT_COLOURS)
    )
    image = Image.new("L", size, 0)  # palette indices; 0 is the background
    accent = tables[options["accent"]][255]
    image.paste(accent, (0, 0, BAR_WIDTH, size[1]))
    for name in TEXT_COLOURS:
        lines = [
            (x, baseline, text, load_font(font_file, text_size))
            for x, baseline, text, text_size, colour in placed
            if colour == name
        ]
        if not lines:
            continue
        # The lines' ink box, so the mask is as small as the text.
        boxes = [
            (x + left, baseline + top, x + right, baseline + bottom)
            for x, baseline, text, font in lines
            for left, top, right, bottom in [font.getbbox(text, anchor="ls")]
        ]
        left, top = min(box[0] for box in boxes), min(box[1] for box in boxes)
        right, bottom = max(box[2] for box in boxes), max(box[3] for box in boxes)
        coverage = Image.new("L", (right - left, bottom - top), 0)
        draw = ImageDraw.Draw(coverage)
        for x, baseline, text, font in lines:
            draw.text((x - left, baseline - top), text, font=font, fill=255, anchor="ls")
        shades = coverage.point(tables[options[name]])
        # Only covered pixels change, so a line never paints over another's.
        image.paste(shades, (left, top), coverage.point(COVERED))
    image.putpalette(palette)  # an "L" image with a palette becomes "P"
    buffer = io.BytesIO()
    # No pnginfo, no timestamps: the bytes depend on the pixels alone.
    image.save(buffer, format="PNG", optimize=False, compress_level=PNG_LEVEL)
    return buffer.getvalue()


def image_alt(inputs):
    """Alt text that says what the image shows."""
    alt = f"{inputs['title']} — {inputs['site_name']}"
    return f"{alt}; tags: {inputs['label']}" if inputs["label"] else alt


def draw_missing(cache_dir, jobs, options):
    """Draw the images of `jobs` [(name, inputs)] the cache folder lacks, on
    every CPU. Returns {name: why it cannot be drawn} and how many were drawn."""

    def draw(index):
        name, inputs = missing[index]
        try:
            cache.write_atomic(cache_dir / name, render_card(inputs, options))
        except ValueError as error:
            return str(error)
        return None

    missing = list(
        {name: inputs for name, inputs in jobs if not (cache_dir / name).is_file()}.items()
    )
    errors = parallel_map(
        draw, len(missing), progress=lambda done, total: report("social images", done, total)
    )
    failed = {name: error for (name, _), error in zip(missing, errors, strict=True) if error}
    return failed, len(missing) - len(failed)


def make_cards(generator):
    """Give every post its image (drawn now if new) and the site its own."""
    settings = generator.settings
    options = settings_for(settings)
    if not font_path(options).is_file():
        raise SocialCardError(
            [f"SOCIAL_IMAGES font: no file at {font_path(options)}; point 'font' at a .ttf file"]
        )
    cache_dir = Path(settings["CACHE_PATH"]) / options["cache_dir"]
    site_name = settings.get("SITENAME", "")
    # Not those without save_as: not written in this build (drafts in production).
    articles = [article for article in contents_of(generator) if article.save_as]

    def label_of(article):
        label = getattr(article, "tag_label", None)
        if label is None:
            label = " / ".join(tag.name for tag in getattr(article, "tags", None) or ())
        return label

    tagline = settings.get("SITE_TAGLINE") or site_name
    cards = [
        (article, f"{article.source_path}: Title", article.slug, article.title, label_of(article))
        for article in articles
    ] + [(None, "SITE_TAGLINE", "site", tagline, "")]
    jobs = []
    for _, _, slug, title, label in cards:
        inputs = card_inputs(title, label, site_name, options)
        jobs.append((card_filename(slug, inputs), inputs))
    # Drawing is most of the time: the images the cache lacks are drawn ahead.
    failed, drawn = draw_missing(cache_dir, jobs, options)
    problems = [
        f"{where}: {failed[name]}"
        for (_, where, *_), (name, _) in zip(cards, jobs, strict=True)
        if name in failed
    ]
    if problems:
        raise SocialCardError(problems)
    _state.update(cache_dir=cache_dir, used=[name for name, _ in jobs], drawn=drawn)
    for (article, *_), (name, inputs) in zip(cards, jobs, strict=True):
        url = f"{options['output_dir'].strip('/')}/{name}"
        image = SocialImage(url, int(options["width"]), int(options["height"]), image_alt(inputs))
        if article is None:
            generator.context["site_social_image"] = image
        else:
            article.social_image = image


def publish_cards(pelican):
    """Put this build's images into the output and drop unused ones from the cache."""
    cache_dir = _state["cache_dir"]
    if cache_dir is not None:
        options = settings_for(pelican.settings)
        target = Path(pelican.output_path) / options["output_dir"].strip("/")
        for name in _state["used"]:
            if not (target / name).exists():
                link_or_copy(cache_dir / name, target / name)
        for stale in cache_dir.glob("*.png"):
            if stale.name not in _state["used"]:
                stale.unlink()
        used, drawn = len(set(_state["used"])), _state["drawn"]
        logger.info("social_images: drew %d image(s), reused %d", drawn, used - drawn)
    # Autoreload runs the handlers again: the next build starts clean.
    _state.update(cache_dir=None, used=[], drawn=0)


def register():
    # Titles and tag labels are final once the article generator has every post,
    # and templates rendered after it can read article.social_image.
    signals.article_generator_finalized.connect(make_cards)
    # Output written last: the images go in after Pelican may have cleaned it.
    signals.finalized.connect(publish_cards)

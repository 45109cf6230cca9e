"""A social image (og:image) for every post: a 1200×630 palette PNG drawn with Pillow.

It shows the site name, the title (wrapped at spaces, in the largest size that
fits) and the tag label (shrunk, then cut with "…", to fit two lines). The
font is committed beside this module and Pillow's basic layout engine is used,
so the pixels depend neither on the machine's fonts nor on libraqm; the PNG has
no timestamp or metadata, so the same inputs give the same bytes.

An image is named by its sitetools.build.cache key (title, label, site name, layout,
font file, this code and the installed libraries): `social/<slug>-<hash10>.png`
can be cached forever, and is drawn only when new, into CACHE_PATH/social_images/
(image_files.publish_files: one that does not match its digest is drawn again).
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
from pathlib import Path
from types import SimpleNamespace

import smartypants
from pelican import signals
from pelican.generators import ArticlesGenerator
from PIL import Image, ImageColor, ImageDraw, ImageFont

from sitetools.build import cache
from sitetools.build.builder import BuildError
from sitetools.content.contents import contents_of
from sitetools.content.fences import options_of
from sitetools.content.files import display_path, header_line
from sitetools.content.image_files import encode, facts_of, publish_files, static_file

logger = logging.getLogger(__name__)

# The folder of the output that receives the images (output_paths reserves
# it), and the one of CACHE_PATH that keeps them between builds.
OUTPUT_DIR, CACHE_DIR = "social", "social_images"
# The TrueType font of every line, committed beside this module (licence beside it).
FONT = Path(__file__).resolve().parent / "fonts" / "DejaVuSans-Bold.ttf"
DEFAULTS = {
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
NOT_DRAWN = ("image_max_pixels", "jpeg_quality")


def settings_for(settings):
    return options_of(settings, "SOCIAL_IMAGES", DEFAULTS, logger)


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
    words = text.split()
    starts = [" ".join(words[:n]).rstrip(" /") + " …" for n in range(len(words) - 1, 0, -1)]
    starts += [words[0][:n] + "…" for n in range(len(words[0]) - 1, -1, -1)]
    tries = [(text, sizes), *((start, sizes[-1:]) for start in starts)]
    fitted = (fit_text(t, font_file, s, max_width, max_height=max_height) for t, s in tries)
    return next(filter(None, fitted))


def layout_of(options):
    """What shapes every image alike: the options that draw, with the font file's digest."""
    layout = {key: options[key] for key in DEFAULTS if key not in NOT_DRAWN}
    return {**layout, "font": cache.file_digest(FONT)}


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
    width, height, margin = options["width"], options["height"], options["margin"]
    left = margin + BAR_WIDTH
    box = width - left - margin
    placed = []

    def place(lines, size, top, colour):
        step, ascent = round(size * LINE_SPACING), load_font(FONT, size).getmetrics()[0]
        placed.extend(
            (left, top + ascent + n * step, line, size, colour) for n, line in enumerate(lines)
        )
        return step * len(lines)

    site_size = int(options["site_name_size"])
    title_top = margin + place([inputs["site_name"]], site_size, margin, "accent") + GAP
    title_bottom = height - margin
    if inputs["label"]:
        sizes = _sizes(options, "label")
        label_box = 2 * round(sizes[0] * LINE_SPACING)
        size, lines = fit_or_cut(inputs["label"], FONT, sizes, box, max_height=label_box)
        label_top = height - margin - len(lines) * round(size * LINE_SPACING)
        place(lines, size, label_top, "tag")
        title_bottom = label_top - GAP
    room = title_bottom - title_top
    fitted = fit_text(inputs["title"], FONT, _sizes(options, "title"), box, max_height=room)
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
    quantising): each line as an antialiased coverage mask, as small as its
    ink, that a lookup table turns into its colour's shades."""
    size = (int(options["width"]), int(options["height"]))
    palette, tables = palette_for(options["background"], tuple(map(options.get, TEXT_COLOURS)))
    image = Image.new("L", size, 0)  # palette indices; 0 is the background
    image.paste(tables[options["accent"]][255], (0, 0, BAR_WIDTH, size[1]))
    for x, y, text, text_size, colour in layout_card(inputs, options):
        font = load_font(FONT, text_size)
        left, top, right, bottom = font.getbbox(text, anchor="ls")
        coverage = Image.new("L", (right - left, bottom - top), 0)
        ImageDraw.Draw(coverage).text((-left, -top), text, font=font, fill=255, anchor="ls")
        # Only covered pixels change, so a line never paints over another's.
        mask = coverage.point([0] + [255] * 255)
        image.paste(coverage.point(tables[options[colour]]), (x + left, y + top), mask)
    image.putpalette(palette)  # an "L" image with a palette becomes "P"
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=PNG_LEVEL)
    return buffer.getvalue()


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


def own_image(content, static, options):
    """(sharing image, file name, job) of a post's own Image: (`static`): the
    file itself when it fits and is upright (no name, no job), else its copy
    of the cards' size; or why it cannot be shared."""
    facts = facts_of(static.source_path, options["image_max_pixels"])
    if isinstance(facts, str):
        return facts
    (width, height), alt = (facts["width"], facts["height"]), str(content.title)
    plan = share_plan(width, height, options["width"], options["height"])
    if plan is None and facts["orientation"] == 1:  # used as it is
        return SimpleNamespace(url=static.url, width=width, height=height, alt=alt), None, None
    box, size = plan or (None, (width, height))  # turned upright only
    kind, path = "png" if facts["alpha"] else "jpeg", static.source_path
    copy = [size, kind, options["jpeg_quality"], box]
    name = f"{content.slug}-image-{cache.key(encode, cache.file_digest(path), *copy)[:10]}"
    name += ".png" if facts["alpha"] else ".jpg"
    image = SimpleNamespace(url=f"{OUTPUT_DIR}/{name}", width=size[0], height=size[1], alt=alt)
    return image, name, functools.partial(encode, path, *copy)


def card(slug, inputs, options):
    """(sharing image, file name, job) of the card drawn of `inputs`."""
    name = f"{slug}-{card_hash(inputs)}.png"
    alt = f"{inputs['title']} — {inputs['site_name']}"
    alt += f"; tags: {inputs['label']}" if inputs["label"] else ""
    width, height = options["width"], options["height"]
    image = SimpleNamespace(url=f"{OUTPUT_DIR}/{name}", width=width, height=height, alt=alt)
    return image, name, functools.partial(render_card, inputs, options)


def make_images(generators):
    """Give every post and page with its own Image: that image, every other
    post its card and the site its own; draw the new ones on every CPU and
    put them all in the output."""
    settings, context = generators[0].settings, generators[0].context  # shared by all
    options = settings_for(settings)
    site_name, layout = settings.get("SITENAME", ""), layout_of(options)
    jobs, wheres, problems = {}, {}, []

    def add(where, image, name=None, job=None):
        if job:
            jobs[name], wheres[name] = job, where
        return image

    site = card_inputs(settings.get("SITE_TAGLINE") or site_name, "", site_name, options, layout)
    context["site_social_image"] = add("SITE_TAGLINE", *card("site", site, options))
    for generator in generators:
        for content in contents_of(generator):
            content.social_image = None
            if not content.save_as:  # not written in this build (drafts in production)
                continue
            image = str(getattr(content, "image", "") or "")
            if static := static_file(image, content, context.get("static_content") or {}):
                line = header_line(content.source_path, "image")
                where = f"{display_path(content.source_path)}:{line}: Image"
                made = own_image(content, static, options)
                if isinstance(made, str):
                    problems.append(f"{where}: {static.relative_source_path} {made}")
                else:
                    content.social_image = add(where, *made)
            elif isinstance(generator, ArticlesGenerator):
                tags = " / ".join(tag.name for tag in getattr(content, "tags", None) or ())
                label = getattr(content, "tag_label", None) or tags
                inputs = card_inputs(content.title, label, site_name, options, layout)
                content.social_image = add(
                    f"{content.source_path}: Title", *card(content.slug, inputs, options)
                )
    if problems:
        raise BuildError(problems)
    sizes, drawn = publish_files(settings, jobs, CACHE_DIR, OUTPUT_DIR, "social images")
    if failed := [f"{wheres[name]}: {why}" for name, why in sizes.items() if isinstance(why, str)]:
        raise BuildError(failed)
    logger.info("social_images: drew %d image(s), reused %d", drawn, len(sizes) - drawn)


def register():
    # Every post, page and static file is known (an Image: names one), and no
    # template has rendered yet: they read social_image and site_social_image.
    signals.all_generators_finalized.connect(make_images)

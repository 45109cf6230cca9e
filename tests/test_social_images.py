"""Social images: one 1200×630 PNG per post, the same bytes on every build,
drawn again only when what it shows changes."""

import io
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from plugins.social_images import social_images as cards
from sitetools.build.builder import BuildError, build
from tests.conftest import DATA

NAME = re.compile(r"^(?P<slug>[a-z0-9-]+)-(?P<hash>[0-9a-f]{10})\.png$")


def og_images(output, html):
    """{article page: social image path} read from each page's og:image."""
    images = {}
    for page in sorted(Path(output, "posts").glob("*/index.html")):
        soup = html(page.parent, page.name)
        url = soup.select_one('meta[property="og:image"]')["content"]
        images[page] = Path(output) / urlsplit(url).path.lstrip("/")
    return images


def test_every_post_has_a_1200_by_630_png_named_after_its_slug_and_hash(prod_site, html, seed):
    images = og_images(prod_site, html)
    assert len(images) == len(seed["posts"])
    for page, path in images.items():
        assert path.is_file(), f"{page.parent.name}: {path} missing"
        match = NAME.match(path.name)
        assert match and match["slug"] == page.parent.name, path.name
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.size == (1200, 630), f"{path.name}: {image.size}"
            assert not {"tIME", "date:create", "Software"} & set(image.info), image.info


def test_images_are_byte_identical_across_two_builds(site, prod_site, html):
    dev = {path.name: path for path in og_images(site, html).values()}
    prod = {path.name: path for path in og_images(prod_site, html).values()}
    assert dev.keys() == prod.keys(), "the same inputs must give the same names"
    for name, path in prod.items():
        assert path.read_bytes() == dev[name].read_bytes(), f"{name} differs between builds"


def test_the_image_shows_text_on_the_sites_background_colour(prod_site, html):
    path = next(iter(og_images(prod_site, html).values()))
    with Image.open(path) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours, "too many colours to count"
    _, background = max(colours)
    css = (Path(__file__).parent.parent / "theme/static/css/main.css").read_text()
    token = re.search(r"--color-bg:\s*#([0-9a-f]{6})", css)[1]  # the light palette's
    assert background == tuple(bytes.fromhex(token)), f"{background} is not --color-bg"
    dark = sum(n for n, (r, g, b) in colours if r + g + b < 200)
    assert dark > 5000, f"only {dark} dark pixels: no title drawn?"


def _build(content, cache, output):
    return build("publishconf.py", output, {"PATH": str(content), "CACHE_PATH": str(cache)})


def test_a_second_build_reuses_images_and_a_new_title_draws_only_its_own(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(DATA / "sharing", content)
    cache = tmp_path / "cache"
    _build(content, cache, tmp_path / "out1")
    cached = {p.name: p.stat().st_mtime_ns for p in (cache / "social_images").glob("*.png")}
    assert len(cached) == 3, sorted(cached)  # two posts and the site image

    _build(content, cache, tmp_path / "out2")
    again = {p.name: p.stat().st_mtime_ns for p in (cache / "social_images").glob("*.png")}
    assert again == cached, "an unchanged image was drawn again"
    written = sorted(p.name for p in (tmp_path / "out2" / "social").glob("*.png"))
    assert written == sorted(cached)

    post = content / "posts" / "updated-post.md"
    post.write_text(post.read_text().replace("updated later", "updated much later"))
    _build(content, cache, tmp_path / "out3")
    after = {p.name: p.stat().st_mtime_ns for p in (cache / "social_images").glob("*.png")}
    new = set(after) - set(cached)
    assert len(new) == 1 and next(iter(new)).startswith("updated-post-"), new
    assert set(cached) - set(after) == {n for n in cached if n.startswith("updated-post-")}
    for name in set(after) & set(cached):
        assert after[name] == cached[name], f"{name} was drawn again"


def test_a_title_that_cannot_fit_fails_the_build_naming_the_file(tmp_path):
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts" / "wide.md").write_text(
        "Title: " + "W" * 80 + "\nDate: 2026-01-01\nTags: x\nSlug: wide\n\nA body.\n"
    )
    output = tmp_path / "output"
    output.mkdir()
    (output / "keep.txt").write_text("last good build")
    with pytest.raises(BuildError) as failure:
        _build(content, tmp_path / "cache", output)
    problem = next(p for p in failure.value.problems if "wide.md" in p)
    assert "Title" in problem and "shorten" in problem, problem
    assert (output / "keep.txt").read_text() == "last good build"


@pytest.mark.parametrize(
    "label",
    [
        " / ".join(f"tag-number-{n}" for n in range(17)),  # issue 13: many tags
        "x" * 200,  # one tag wider than the image
    ],
)
def test_any_tag_label_fits_the_image_shrunk_or_cut(label):
    options = cards.settings_for({})
    inputs = cards.card_inputs("A title", label, "Site", options)
    placed = [line for line in cards.layout_card(inputs, options) if line[4] == "tag"]
    assert 1 <= len(placed) <= 2, f"the label took {len(placed)} lines"
    assert placed[-1][2].endswith("…"), f"a cut label must say so: {placed[-1][2]!r}"
    assert all(size == options["label_min_size"] for *_, size, _ in placed)
    font = ImageFont.truetype(str(cards.FONT), 22, layout_engine=ImageFont.Layout.BASIC)
    right = options["width"] - options["margin"]
    assert all(x + font.getlength(text) <= right for x, _, text, *_ in placed), placed
    with Image.open(io.BytesIO(cards.render_card(inputs, options))) as image:
        assert image.size == (1200, 630)


def test_a_post_with_seventeen_tags_builds(tmp_path):
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    tags = ", ".join(f"topic-number-{n}" for n in range(17))
    (content / "posts" / "many.md").write_text(
        f"Title: Many tags\nDate: 2026-01-01\nTags: {tags}\nSlug: many\n\nA body.\n"
    )
    output = _build(content, tmp_path / "cache", tmp_path / "output").output
    assert list((output / "social").glob("many-*.png")), "no social image for the post"


@pytest.mark.parametrize(
    ("text", "max_chars", "expected"),
    [
        ("one two three", 7, ["one two", "three"]),
        ("one two three", 13, ["one two three"]),
        ("one two three", 3, None),  # "three" is wider than a line
        ("a bb ccc", 4, ["a bb", "ccc"]),
        ("", 10, []),
    ],
)
def test_wrap_words_breaks_only_between_words(text, max_chars, expected):
    assert cards.wrap_words(text, len, max_chars) == expected


def test_longer_titles_get_smaller_type_and_whole_words():
    font_file = cards.FONT
    sizes = range(76, 29, -2)
    short = "A short title"
    long = " ".join(["Observability"] + ["for", "inference", "deployments"] * 6)
    short_size, short_lines = cards.fit_text(short, font_file, sizes, 1000, max_height=330)
    long_size, long_lines = cards.fit_text(long, font_file, sizes, 1000, max_height=330)
    assert short_size == 76 and short_lines == [short]
    assert long_size < short_size and len(long_lines) > 1
    assert " ".join(long_lines).split() == long.split(), "a word was cut or lost"
    font = ImageFont.truetype(str(font_file), long_size)
    assert all(font.getlength(line) <= 1000 for line in long_lines)


def test_the_hash_covers_every_input():
    options = cards.settings_for({})
    base = cards.card_inputs("Title", "a / b", "Site", options)
    variants = [
        cards.card_inputs("Title!", "a / b", "Site", options),
        cards.card_inputs("Title", "a / c", "Site", options),
        cards.card_inputs("Title", "a / b", "Other site", options),
        cards.card_inputs("Title", "a / b", "Site", {**options, "accent": "#000000"}),
        {**base, "layout": {**base["layout"], "font": "0" * 64}},
    ]
    hashes = {cards.card_hash(base), *(cards.card_hash(v) for v in variants)}
    assert len(hashes) == len(variants) + 1


def test_render_is_deterministic_and_curls_quotes():
    options = cards.settings_for({})
    inputs = cards.card_inputs('It\'s "fine"', "tag", "Site", options)
    assert inputs["title"] == "It’s “fine”"
    first, second = cards.render_card(inputs, options), cards.render_card(inputs, options)
    assert first == second
    with Image.open(io.BytesIO(first)) as image:
        assert image.size == (1200, 630)


# Colours unlike the defaults, so a pass shows the settings are used.
COLOURS = {"background": "#102030", "accent": "#e0a000", "text": "#f4f1ea", "tag": "#40c080"}


def rgb(hex_colour):
    return tuple(bytes.fromhex(hex_colour.lstrip("#")))


@pytest.fixture(scope="module")
def palette_card():
    """A one-line title with a tag label, drawn with COLOURS: (options, inputs, PNG bytes)."""
    options = {**cards.settings_for({}), **COLOURS}
    inputs = cards.card_inputs("Palette", "colours / pixels", "Site name", options)
    return options, inputs, cards.render_card(inputs, options)


def band_colours(image, top, bottom, left=120):
    """{(r, g, b): count} of the pixels in rows top..bottom right of `left`."""
    crop = image.convert("RGB").crop((left, top, image.width, bottom))
    return {colour: count for count, colour in crop.getcolors(maxcolors=1 << 16)}


def near(colour, target, tolerance=2):
    return all(abs(a - b) <= tolerance for a, b in zip(colour, target, strict=True))


def between(colour, start, end, tolerance=2):
    """True when `colour` lies on the line from `start` to `end`, within `tolerance`."""
    span = [b - a for a, b in zip(start, end, strict=True)]
    axis = max(range(3), key=lambda i: abs(span[i]))
    t = (colour[axis] - start[axis]) / span[axis]
    return 0 <= t <= 1 and near(colour, [a + s * t for a, s in zip(start, span, strict=True)])


def test_the_image_is_a_1200_by_630_palette_png_in_the_configured_colours(palette_card):
    _, _, data = palette_card
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "P", (1200, 630))
        assert len(image.getpalette()) // 3 <= 256
        rgb_image = image.convert("RGB")
    background, accent = rgb(COLOURS["background"]), rgb(COLOURS["accent"])
    for corner in [(1199, 0), (1199, 629), (600, 2), (600, 627)]:
        assert rgb_image.getpixel(corner) == background, f"{corner} is not the background"
    for point in [(0, 0), (9, 315), (17, 629)]:
        assert rgb_image.getpixel(point) == accent, f"{point} is not the accent bar"
    assert rgb_image.getpixel((18, 315)) == background, "the bar is wider than 18 px"


def test_each_line_is_drawn_in_its_colour_with_antialiased_edges(palette_card):
    _, _, data = palette_card
    background = rgb(COLOURS["background"])
    with Image.open(io.BytesIO(data)) as image:
        # Site name at the top, the one-line title in the middle, the label at the bottom.
        bands = {
            "accent": band_colours(image, 60, 140),
            "text": band_colours(image, 200, 430),
            "tag": band_colours(image, 480, 570),
        }
    for name, colours in bands.items():
        target = rgb(COLOURS[name])
        ink = {colour: n for colour, n in colours.items() if colour != background}
        assert ink, f"nothing drawn in the {name} band"
        # Glyph interiors are the colour itself; their edges blend it into the background.
        assert max(ink, key=ink.get) == target, f"{name}: most common ink {max(ink, key=ink.get)}"
        strays = [colour for colour in ink if not between(colour, background, target)]
        assert not strays, f"{name} band has colours off its ramp: {strays[:5]}"
        assert len(ink) > 20, f"{name}: only {len(ink)} shades; text is not antialiased"


def test_the_palette_image_matches_an_rgb_drawing_of_the_same_layout(palette_card):
    """Today's look: Pillow drawing the same lines on an RGB image (the old renderer)
    gives the same picture within 2 of 255 per channel."""
    options, inputs, data = palette_card
    reference = Image.new("RGB", (1200, 630), options["background"])
    draw = ImageDraw.Draw(reference)
    draw.rectangle((0, 0, 17, 629), fill=options["accent"])
    for x, baseline, text, size, colour in cards.layout_card(inputs, options):
        font = ImageFont.truetype(str(cards.FONT), size, layout_engine=ImageFont.Layout.BASIC)
        draw.text((x, baseline), text, font=font, fill=options[colour], anchor="ls")
    with Image.open(io.BytesIO(data)) as image:
        difference = ImageChops.difference(image.convert("RGB"), reference)
    assert max(high for _, high in difference.getextrema()) <= 2


def test_the_png_holds_only_the_chunks_that_describe_pixels(palette_card):
    _, inputs, data = palette_card
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    chunks, offset = [], 8
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        chunks.append(data[offset + 4 : offset + 8].decode("ascii"))
        offset += 12 + length
    assert sorted(set(chunks)) == ["IDAT", "IEND", "IHDR", "PLTE"], chunks
    options = {**cards.settings_for({}), **COLOURS}
    assert cards.render_card(inputs, options) == data, "a second render gave other bytes"

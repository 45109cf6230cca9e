"""A post's own `Image:` as its og:image: used as it is up to 1200×630; larger,
shared as an upright copy cut to the cards' 1.91:1 and scaled to 1200×630
(JPEG, or PNG with transparency) in social/, made once through the one cache;
one of more than 40 megapixels stops the build on its header line."""

import json
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from plugins.social_images.social_images import share_plan
from sitetools.build.builder import BuildError, build
from tests.conftest import read_html

SITEURL = "https://blog.test"
BLUE, RED = (0, 0, 255), (255, 0, 0)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1200, 630), None),
        ((800, 400), None),
        ((2400, 1600), ((0, 170, 2400, 1430), (1200, 630))),  # too tall: top and bottom go
        ((4000, 1000), ((1047, 0, 2952, 1000), (1200, 630))),  # too wide: the sides go
        ((1300, 630), ((50, 0, 1250, 630), (1200, 630))),
        ((1600, 400), ((419, 0, 1181, 400), (762, 400))),  # cut to shape, never scaled up
        ((1000, 2000), ((0, 737, 1000, 1262), (1000, 525))),
    ],
)
def test_a_large_image_is_cut_around_its_centre_to_the_cards_shape(size, expected):
    assert share_plan(*size, 1200, 630) == expected


def post(slug, image):
    return textwrap.dedent(f"""\
        Title: {slug.replace("-", " ").capitalize()}
        Date: 2026-02-03 10:00
        Tags: images
        Slug: {slug}
        Summary: A post with its own picture.
        Image: {{static}}/images/{image}

        The body.
        """)


def write_content(content, images, posts):
    (content / "posts").mkdir(parents=True)
    (content / "pages").mkdir()
    (content / "images").mkdir()
    for name, image in images.items():
        image.save(
            content / "images" / name,
            **({"exif": image.info["exif"]} if "exif" in image.info else {}),
        )
    for slug, image in posts.items():
        (content / "posts" / f"{slug}.md").write_text(post(slug, image), encoding="utf-8")
    return content


def turned_photo():
    """A 1600×2400 JPEG whose EXIF says 'turn me a quarter clockwise' (orientation 6):
    shown 2400×1600, the top half (red) on the right, the bottom (blue) on the left."""
    image = Image.new("RGB", (1600, 2400), RED)
    image.paste(BLUE, (0, 1200, 1600, 2400))
    exif = Image.Exif()
    exif[0x0112] = 6
    image.info["exif"] = exif.tobytes()
    return image


def images():
    landscape = Image.new("RGB", (2400, 1600), "teal")
    landscape.paste(RED, (0, 0, 2400, 170))  # the band the cut drops
    logo = Image.new("RGBA", (2400, 1600), (0, 0, 0, 0))
    logo.paste((10, 90, 170, 255), (600, 400, 1800, 1200))
    return {
        "landscape.jpg": landscape,
        "turned.jpg": turned_photo(),
        "logo.png": logo,
        "small.png": Image.new("RGB", (800, 400), "orange"),
    }


POSTS = {
    "landscape": "landscape.jpg",
    "turned": "turned.jpg",
    "logo": "logo.png",
    "small": "small.png",
}


def build_into(base, name, content):
    """A build of `content` into base/<name>, with the cache base/<name>-cache."""
    settings = {"PATH": str(content), "CACHE_PATH": str(base / f"{name}-cache"), "SITEURL": SITEURL}
    return build("pelicanconf.py", base / name, settings).output


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Two cold builds (own caches) and a warm one over the first's cache:
    {name: output}, the base folder and the first cache's files before the warm build."""
    base = tmp_path_factory.mktemp("shared-image")
    content = write_content(base / "content", images(), POSTS)
    outputs = {"cold": build_into(base, "cold", content)}
    outputs["again"] = build_into(base, "again", content)
    kept = base / "cold-cache" / "social_images"
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in kept.iterdir()}
    settings = {"PATH": str(content), "CACHE_PATH": str(base / "cold-cache"), "SITEURL": SITEURL}
    outputs["warm"] = build("pelicanconf.py", base / "warm", settings).output
    return outputs, kept, before


def meta(soup, prop):
    tag = soup.select_one(f'meta[property="{prop}"]')
    assert tag is not None, f"no {prop}"
    return tag["content"]


def shared(output, slug):
    """(og:image URL, (og:image:width, og:image:height), the file it names, JSON-LD image)."""
    soup = read_html(Path(output) / "posts" / slug / "index.html")
    url = meta(soup, "og:image")
    size = (int(meta(soup, "og:image:width")), int(meta(soup, "og:image:height")))
    assert url.startswith(f"{SITEURL}/"), url
    posting = json.loads(soup.select_one('script[type="application/ld+json"]').get_text())
    return url, size, Path(output) / urlsplit(url).path.lstrip("/"), posting.get("image")


@pytest.mark.parametrize("slug", ["landscape", "turned", "logo"])
def test_a_large_image_is_shared_as_a_copy_of_the_cards_size(built, slug):
    outputs, _, _ = built
    url, size, file, json_ld = shared(outputs["cold"], slug)
    assert urlsplit(url).path.startswith(f"/social/{slug}-image-"), url
    assert size == (1200, 630), f"og:image:width/height say {size}"
    assert file.is_file(), f"{url} is not in the output"
    with Image.open(file) as image:
        assert image.size == size, f"{file.name} is {image.size}, og:image says {size}"
        assert image.format == ("PNG" if slug == "logo" else "JPEG"), image.format
        if slug == "logo":
            # A logo of few colours is quantised, as the images plugin's copies are.
            pixels = image.convert("RGBA")
            assert pixels.getpixel((10, 10))[3] == 0, "the transparent corner lost its alpha"
            middle = pixels.getpixel((600, 315))
            assert all(abs(a - b) <= 2 for a, b in zip(middle, (10, 90, 170, 255), strict=True)), (
                f"the logo is not its opaque blue: {middle}"
            )
    assert json_ld == url, "the JSON-LD image is the same copy"


def test_the_copy_is_cut_and_turned_upright(built):
    outputs, _, _ = built
    with Image.open(shared(outputs["cold"], "landscape")[2]) as image:
        top = image.convert("RGB").getpixel((600, 10))
    assert max(abs(a - b) for a, b in zip(top, (0, 128, 128), strict=True)) < 24, (
        f"the red band above the cut is in the copy: {top}"
    )
    with Image.open(shared(outputs["cold"], "turned")[2]) as image:
        left, right = (image.convert("RGB").getpixel((x, 315)) for x in (100, 1100))
    assert left[2] > 200 and left[0] < 60, f"not turned upright: the left is {left}, not blue"
    assert right[0] > 200 and right[2] < 60, f"not turned upright: the right is {right}, not red"


def test_a_small_image_is_used_as_it_is(built):
    outputs, _, _ = built
    url, size, file, json_ld = shared(outputs["cold"], "small")
    assert url == f"{SITEURL}/images/small.png" and size == (800, 400), (url, size)
    assert file.is_file() and json_ld == url
    assert not list((outputs["cold"] / "social").glob("small-image-*")), "no copy of it"


def test_a_warm_build_makes_no_copy_again_and_builds_agree(built):
    outputs, kept, before = built
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in kept.iterdir()}
    assert after == before, "the warm build wrote into the cache again"
    for slug in ("landscape", "turned", "logo"):
        files = [shared(outputs[name], slug)[2] for name in ("cold", "again", "warm")]
        assert len({f.name for f in files}) == 1, files
        assert len({f.read_bytes() for f in files}) == 1, f"{slug}: builds disagree"


def test_an_image_past_the_pixel_limit_stops_the_build_on_its_line(tmp_path):
    huge = Image.new("1", (9000, 5000), 1)
    content = write_content(tmp_path / "content", {"huge.png": huge}, {"huge": "huge.png"})
    with pytest.raises(BuildError) as failed:
        build_into(tmp_path, "output", content)
    wanted = (
        "content/posts/huge.md:6: Image: images/huge.png is 9,000 × 5,000 pixels, more than "
        "the 40,000,000 an image may have (decoding it could exhaust memory); resize it"
    )
    assert any(wanted in problem for problem in failed.value.problems), failed.value.problems

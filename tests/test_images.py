"""Images: every image a post shows has its size, lazy loading after the first,
and, when it is wider than the column, resized AVIF, WebP and JPEG/PNG copies
in a <picture>; the copies come from the one cache; broken, alt-less and
bomb images stop the build (plugins/images, content_guard)."""

import logging
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from bs4 import BeautifulSoup
from PIL import Image, ImageOps

from sitetools.build.builder import BuildError, build
from tests.conftest import run_invoke_bounded, snapshot
from tests.imagery import MARK, png_bomb, write_image_site

POST = "posts/a-post-with-photos/index.html"
SECOND = "posts/another-post-with-the-same-photo/index.html"
LARGE = ("wide-photo.jpg", "photo.png", "rotated.jpg", "dashboard.png")


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """(content, output, cache) of a dev build of the image fixture, built twice:
    the second, warm build's log in `warm_log`."""
    base = tmp_path_factory.mktemp("images")
    content = write_image_site(base / "content")
    settings = {"PATH": str(content), "CACHE_PATH": str(base / "cache")}
    build("pelicanconf.py", base / "output", settings)
    return content, base / "output", base / "cache"


def soup_of(output, page):
    return BeautifulSoup((Path(output) / page).read_text(encoding="utf-8"), "html.parser")


def body_images(output, page=POST):
    return soup_of(output, page).select(".prose img")


def upright_size(path):
    with Image.open(path) as image:
        return ImageOps.exif_transpose(image).size


def source_of(img):
    """The content/images file an <img> shows, from the alt text the fixture gave it."""
    names = {
        "A wide photo": "wide-photo.jpg",
        "A photo in PNG": "photo.png",
        "A rotated photo": "rotated.jpg",
        "A dashboard screenshot": "dashboard.png",
        "Icon": "icon.png",
        "A diagram": "diagram.svg",
        "Exact": "exact.png",
    }
    return names[img["alt"]]


def candidates(img):
    """[(url, width descriptor)] of an <img>'s srcset and its <picture>'s <source>s."""
    sets = [img.get("srcset", "")]
    if img.parent.name == "picture":
        sets += [source["srcset"] for source in img.parent.select("source")]
    found = []
    for srcset in filter(None, sets):
        for part in srcset.split(","):
            url, descriptor = part.split()
            found.append((url, int(descriptor.removesuffix("w"))))
    return found


def published(output, page, url):
    return Path(output) / urlsplit(urljoin("/" + page, url)).path.lstrip("/")


def test_every_image_has_its_size_in_the_aspect_of_its_file(photos):
    content, output, _ = photos
    images = body_images(output)
    assert len(images) == 7, [str(i)[:80] for i in images]
    for img in images:
        name = source_of(img)
        if name.endswith(".svg"):
            width, height = 320, 120  # the fixture's SVG says so
        else:
            width, height = upright_size(content / "images" / name)
        shown = int(img["width"]), int(img["height"])
        assert abs(shown[0] / shown[1] - width / height) < 0.01, (name, shown, (width, height))
        assert img["decoding"] == "async", img


def test_only_the_first_image_is_loaded_eagerly(photos):
    images = body_images(photos[1])
    assert "loading" not in images[0].attrs, images[0]
    assert images[0].get("fetchpriority") == "high", images[0]
    assert not [img for img in images[1:] if "fetchpriority" in img.attrs], images[1:]
    assert all(img.get("loading") == "lazy" for img in images[1:]), images[1:]
    # Each page counts its own first image.
    assert "loading" not in body_images(photos[1], SECOND)[0].attrs


def test_large_images_get_every_format_and_each_candidate_is_published(photos):
    content, output, _ = photos
    large = [img for img in body_images(output) if source_of(img) in LARGE]
    assert len(large) == len(LARGE)
    for img in large:
        picture = img.parent
        assert picture.name == "picture", img
        types = [source["type"] for source in picture.select("source")]
        assert types == ["image/avif", "image/webp"], types
        assert img["sizes"] == picture.source["sizes"] and "44rem" in img["sizes"]
        width, height = upright_size(content / "images" / source_of(img))
        found = candidates(img)
        assert len(found) >= 3 * 3, found
        for url, descriptor in found:
            path = published(output, POST, url)
            assert path.is_file(), f"{url} in {POST} is not in output/"
            with Image.open(path) as copy:
                assert copy.width == descriptor, (url, copy.size)
                assert abs(copy.width / copy.height - width / height) < 0.01, (url, copy.size)
        assert max(d for _, d in found) < width, "no copy as wide as the original"


def test_the_default_src_of_a_large_image_weighs_at_most_40_percent(photos):
    content, output, _ = photos
    for img in body_images(output):
        if source_of(img) in LARGE:
            original = (content / "images" / source_of(img)).stat().st_size
            default = published(output, POST, img["src"])
            assert default.suffix in (".jpg", ".png"), img["src"]
            size = default.stat().st_size
            assert size <= 0.4 * original, (img["src"], size, original)


def test_a_photo_in_png_gets_jpeg_copies_and_a_screenshot_keeps_png(photos):
    by_name = {source_of(img): img for img in body_images(photos[1])}
    assert by_name["photo.png"]["src"].endswith(".jpg"), by_name["photo.png"]["src"]
    assert by_name["dashboard.png"]["src"].endswith(".png"), by_name["dashboard.png"]["src"]


def test_small_vector_and_opted_out_images_keep_their_file(photos):
    _, output, _ = photos
    by_name = {source_of(img): img for img in body_images(output)}
    for name in ("icon.png", "diagram.svg", "exact.png"):
        img = by_name[name]
        assert img.parent.name != "picture" and "srcset" not in img.attrs, img
        assert published(output, POST, img["src"]).name == name, img["src"]
    assert (int(by_name["exact.png"]["width"]), int(by_name["exact.png"]["height"])) == (900, 300)


def test_an_image_with_exif_rotation_is_upright(photos):
    _, output, _ = photos
    img = next(img for img in body_images(output) if source_of(img) == "rotated.jpg")
    assert int(img["width"]) < int(img["height"]), img
    for url, _ in candidates(img):
        with Image.open(published(output, POST, url)) as copy:
            assert copy.height > copy.width, url
            corner = copy.convert("RGB").getpixel((5, 5))
            assert all(abs(a - b) < 40 for a, b in zip(corner, MARK, strict=True)), (url, corner)


def test_an_image_two_posts_show_is_made_once(photos):
    _, output, _ = photos
    first = next(img for img in body_images(output) if source_of(img) == "wide-photo.jpg")
    second = body_images(output, SECOND)[0]
    urls = {urlsplit(urljoin("/" + POST, u)).path for u, _ in candidates(first)}
    assert urls == {urlsplit(urljoin("/" + SECOND, u)).path for u, _ in candidates(second)}
    made = [name for name in os.listdir(output / "img") if name.startswith("wide-photo-")]
    assert len(made) == len(urls), sorted(made)


def test_a_warm_build_resizes_nothing(photos, tmp_path, caplog):
    content, _, cache = photos
    before = {p.name: p.stat().st_mtime_ns for p in (cache / "img").iterdir()}
    with caplog.at_level(logging.INFO):
        build("pelicanconf.py", tmp_path / "out", {"PATH": str(content), "CACHE_PATH": str(cache)})
    assert {p.name: p.stat().st_mtime_ns for p in (cache / "img").iterdir()} == before
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("images:")]
    assert lines and re.fullmatch(r"images: resized 0, reused \d+", lines[-1]), lines
    assert snapshot(tmp_path / "out" / "img") == snapshot(photos[1] / "img")


def small_site(tmp_path, markdown, images=()):
    """A content folder with one post of `markdown` and the named images."""
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "images").mkdir()
    for name, make in images:
        make(content / "images" / name)
    (content / "posts" / "post.md").write_text(
        "Title: Images\nDate: 2024-05-01\nTags: images\nSummary: Images.\n\n" + markdown,
        encoding="utf-8",
    )
    return content


def build_small(tmp_path, content, **settings):
    return build(
        "pelicanconf.py",
        tmp_path / "output",
        {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache"), **settings},
    )


def test_an_img_with_no_alt_stops_the_build_naming_its_line(tmp_path):
    def icon(path):
        Image.new("RGB", (40, 40), "navy").save(path)

    markdown = (
        'Fine: <img src="{static}/images/a.png" alt="">\n\n'
        'Missing: <img src="{static}/images/b.png">\n'
    )
    content = small_site(tmp_path, markdown, [("a.png", icon), ("b.png", icon)])
    with pytest.raises(BuildError) as failure:
        build_small(tmp_path, content)
    report = "\n".join(failure.value.problems)
    assert re.search(r"post\.md:8: body: .*b\.png.* has no alt attribute", report), report
    assert 'alt=""' in report and "a.png" not in report, report


def test_a_decompression_bomb_fails_with_a_message_in_bounded_memory(tmp_path):
    markdown = "![A bomb]({static}/images/bomb.png)\n"
    content = small_site(tmp_path, markdown, [("bomb.png", png_bomb)])
    output = tmp_path / "output"
    run = run_invoke_bounded(
        "build", "--content", str(content), "--output", str(output), memory=1024**3
    )
    assert run.returncode != 0
    said = run.stdout + run.stderr
    assert re.search(r"post\.md:6: .*bomb\.png is 20,000 × 20,000 pixels, more than", said), said
    assert "resize it" in said and "Traceback" not in said, said[-2000:]


def test_a_post_over_the_image_budget_is_named_with_its_heaviest_images(photos, tmp_path):
    content, _, cache = photos
    shutil.copytree(cache, tmp_path / "cache")
    result = build(
        "pelicanconf.py",
        tmp_path / "output",
        {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache"), "IMAGES": {"budget": 1000}},
    )
    found = [w for w in result.warnings if ": images: " in w]
    assert len(found) == 2, result.warnings  # each post is over a budget of 1 KB
    warning = next(w for w in found if "photos.md" in w)
    assert "over the budget of 1 kB (IMAGES budget)" in warning, warning
    # The three heaviest at the default width, heaviest first, as the output has them.
    weights = {}
    for img in body_images(photos[1]):
        weights[source_of(img)] = published(photos[1], POST, img["src"]).stat().st_size
    heaviest = sorted(weights, key=weights.get, reverse=True)[:3]
    named = re.findall(r"([\w-]+\.(?:jpg|png|svg)) \d", warning.split("budget):")[1])
    assert named == heaviest, (named, heaviest)


@pytest.fixture(scope="module")
def photos_prod(photos, tmp_path_factory, prod_siteurl):
    """A production build of the image fixture, sharing the dev build's cache."""
    content, _, cache = photos
    base = tmp_path_factory.mktemp("images-prod")
    shutil.copytree(cache, base / "cache")
    settings = {"PATH": str(content), "CACHE_PATH": str(base / "cache"), "SITEURL": prod_siteurl}
    return build("publishconf.py", base / "output", settings).output


def test_feeds_carry_absolute_urls_for_every_candidate(photos_prod, prod_siteurl):
    # Unsanitised: feedparser drops srcset and <picture> when it sanitises.
    feed = feedparser.parse(str(photos_prod / "feeds" / "all.atom.xml"), sanitize_html=False)
    entry = next(e for e in feed.entries if e.title == "A post with photos")
    html = BeautifulSoup(entry.content[0].value, "html.parser")
    urls = [u for img in html.select("img") for u, _ in candidates(img)]
    urls += [img["src"] for img in html.select("img")]
    assert len(urls) > 30, urls
    for url in urls:
        assert url.startswith(prod_siteurl + "/"), url
        assert (photos_prod / url.removeprefix(prod_siteurl + "/")).is_file(), url


def test_a_decorative_image_with_an_empty_alt_builds_without_a_warning(tmp_path):
    def icon(path):
        Image.new("RGB", (40, 40), "navy").save(path)

    content = small_site(tmp_path, '<img src="{static}/images/a.png" alt="">\n', [("a.png", icon)])
    result = build_small(tmp_path, content)
    assert not [w for w in result.warnings if "a.png" in w], result.warnings
    img = soup_of(tmp_path / "output", "posts/images/index.html").select_one(".prose img")
    assert img["alt"] == "" and (img["width"], img["height"]) == ("40", "40"), img

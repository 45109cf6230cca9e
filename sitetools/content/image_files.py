"""What an image file a post shows is, read from its header: never decoded here;
and the files the image plugins make of them, put in the output through the cache.

content_guard judges every image a post links with it, and the images and
social_images plugins size them from it; they refuse an image with more pixels
than MAX_PIXELS (or their own limit) before anything decodes it, so a
decompression bomb costs a header read.
"""

import io
import os
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from sitetools.build import cache
from sitetools.build.parallel import parallel_each

# What Pelican's reader leaves in a link to a file of the site (it resolves them later).
_MARKERS = ("{static}", "|static|", "{attach}", "|attach|", "{filename}", "|filename|")
# About 7,000 × 7,000: far past any screen, and some 200 MB once decoded.
MAX_PIXELS = 50_000_000
_EXIF_ORIENTATION = 0x0112
_TURNED = {5, 6, 7, 8}  # EXIF orientations that swap width and height
_LENGTH = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*")


def static_file(src, content, by_source, by_url=None):
    """The static file (Pelican's) that an image link of `content` shows: by
    its source path ({static}… and the like) in `by_source`, or by its site
    path in `by_url` ({"/images/x.png": file}); None for another site's image
    or a file not found (the link check reports those)."""
    value = src.strip()
    for marker in _MARKERS:
        if value.startswith(marker):
            path = unquote(re.split(r"[?#]", value[len(marker) :], maxsplit=1)[0])
            base = "" if path.startswith("/") else content.relative_dir.replace(os.sep, "/")
            return by_source.get(posixpath.normpath(posixpath.join(base, path.lstrip("/"))))
    parts = urlsplit(value)
    if by_url is None or parts.scheme or parts.netloc:
        return None
    return by_url.get(unquote(urlsplit(urljoin("/" + content.url, value)).path))


def facts_of(path, max_pixels=MAX_PIXELS):
    """{format, width, height (as shown: EXIF rotation applied), orientation,
    alpha, animated} of an image file; or a string saying what is wrong with it."""
    if Path(path).suffix.lower() == ".svg":
        return svg_facts(path)
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415

    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > max_pixels:
                return too_large(width, height, max_pixels)
            # A PNG without EXIF before its pixels is read to its end to look for it.
            orientation = int(image.getexif().get(_EXIF_ORIENTATION, 1) or 1)
            if orientation in _TURNED:
                width, height = height, width
            animated = bool(getattr(image, "is_animated", False))
            return {"format": image.format, "alpha": image.has_transparency_data,
                    "animated": animated, "width": width, "height": height,
                    "orientation": orientation}  # fmt: skip
    except Image.DecompressionBombError:
        return too_large(*_header_size(path), max_pixels)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        reason = str(error).replace(str(path), Path(path).name)
        return f"is not an image a browser can show ({reason})"


def _header_size(path):
    """Width and height of a PNG from its IHDR, else (0, 0): for the message alone."""
    with open(path, "rb") as handle:
        head = handle.read(24)
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    return 0, 0


def too_large(width, height, max_pixels=MAX_PIXELS):
    size = f"{width:,} × {height:,} pixels" if width else "so many pixels"
    return (
        f"is {size}, more than the {max_pixels:,} an image may have (decoding it could "
        "exhaust memory); resize it: 2,400 pixels wide is plenty for any screen"
    )


def svg_facts(path):
    """An SVG's facts: width and height from its root's width and height, else
    its viewBox (None when it gives neither); or what is wrong with it."""
    from xml.etree import ElementTree  # noqa: PLC0415

    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        return f"is not a well-formed SVG ({error})"
    if root.tag.rsplit("}", 1)[-1] != "svg":
        return "is not an SVG image"
    size = [_LENGTH.fullmatch(root.get(name, "")) for name in ("width", "height")]
    numbers = [float(match.group(1)) for match in size if match]
    if len(numbers) != 2:
        box = (root.get("viewBox") or "").replace(",", " ").split()
        numbers = [float(n) for n in box[2:4] if _LENGTH.fullmatch(n)]
    width, height = (round(n) for n in numbers) if len(numbers) == 2 else (None, None)
    return {"format": "SVG", "alpha": True, "animated": False, "orientation": 1,
            "width": width or None, "height": height or None}  # fmt: skip


def encode(path, size, name, quality, box=None):
    """The bytes of a copy of the image at `path`: upright, its region `box`
    (default: all of it) resized to `size` and saved as `name` (jpeg, png,
    webp, avif) at `quality`, with its colour profile and no other metadata."""
    from PIL import Image, ImageOps  # noqa: PLC0415

    with Image.open(path) as original:
        image, alpha = ImageOps.exif_transpose(original), original.has_transparency_data
        profile = original.info.get("icc_profile")
    image = image.convert("RGBA" if alpha and name != "jpeg" else "RGB")
    few_colours = name == "png" and image.getcolors(256) is not None
    image = image.resize(tuple(size), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    # A screenshot of a few flat colours stays a few: resizing's blended edges
    # would otherwise make a larger file than the original.
    if few_colours:
        image = image.quantize(256, Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    options = {"jpeg": {"quality": quality, "optimize": True, "progressive": True},
               "png": {"optimize": True}}.get(name, {"quality": quality})  # fmt: skip
    options |= {"icc_profile": profile} if profile else {}
    buffer = io.BytesIO()
    image.save(buffer, format=name.upper(), **options)
    return buffer.getvalue()


def _make(name, job, kept, target):
    """Make one file (in a worker): its size, or why it could not be made."""
    try:
        data = job()
    except (OSError, ValueError) as error:
        return str(error)
    kept.write(name, data)
    cache.write_atomic(target / name, data)
    return len(data)


def publish_files(settings, jobs, cache_dir, output_dir, label):
    """Put the file of each job ({name: function of no arguments giving its
    bytes}) in OUTPUT_PATH/`output_dir`: those CACHE_PATH/`cache_dir` holds
    from there, the rest made on every CPU (progress under `label`) and kept
    there, which keeps no other. Returns ({name: size in bytes, or why its job
    failed (its ValueError or OSError)}, how many were made)."""
    kept = cache.Files(Path(settings["CACHE_PATH"]) / cache_dir)
    target = Path(settings["OUTPUT_PATH"]) / output_dir
    sizes, missing = {}, []
    partial = cache.is_partial_build()  # output/ has the kept files: only new ones are written
    for name in jobs:
        if partial and (size := kept.size(name)) is not None:
            sizes[name] = size
        elif (data := kept.read(name)) is None:
            missing.append(name)
        else:
            cache.write_atomic(target / name, data)
            sizes[name] = len(data)
    made = parallel_each(lambda name: _make(name, jobs[name], kept, target), missing, label)
    sizes.update(zip(missing, made, strict=True))
    kept.keep_only(jobs)
    return sizes, len(missing)

"""What an image file a post shows is, read from its header: never decoded here.

content_guard judges every image a post links with it, and the images plugin
sizes them from it; both refuse an image with more pixels than MAX_PIXELS
before anything decodes it, so a decompression bomb costs a header read.
"""

import re
from pathlib import Path

# About 7,000 × 7,000: far past any screen, and some 200 MB once decoded.
MAX_PIXELS = 50_000_000
_EXIF_ORIENTATION = 0x0112
_TURNED = {5, 6, 7, 8}  # EXIF orientations that swap width and height
_LENGTH = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*")


def facts_of(path, max_pixels=MAX_PIXELS):
    """{format, width, height (as shown: EXIF rotation applied), alpha,
    animated} of an image file; or a string saying what is wrong with it."""
    if Path(path).suffix.lower() == ".svg":
        return svg_facts(path)
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415

    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > max_pixels:
                return too_large(width, height, max_pixels)
            if image.getexif().get(_EXIF_ORIENTATION, 1) in _TURNED:
                width, height = height, width
            alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            animated = bool(getattr(image, "is_animated", False))
            return {"format": image.format, "alpha": alpha, "animated": animated,
                    "width": width, "height": height}  # fmt: skip
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
    return {"format": "SVG", "alpha": True, "animated": False,
            "width": width or None, "height": height or None}  # fmt: skip

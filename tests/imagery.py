"""Images for tests, drawn with Pillow: large photo-like JPEGs and PNGs, a
screenshot, an icon, an SVG, a rotated photo and a decompression bomb.

Photo-like means noisy in every channel, so that they weigh what camera
pictures weigh (a few hundred KB per megapixel) and a resized copy's saving is real.
"""

import struct
import zlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter


def photo(width, height, seed=0):
    """A noisy, colourful RGB picture, the same for the same arguments."""
    channels = []
    for index in range(3):
        noise = Image.effect_noise((width // 4, height // 4), 40 + 10 * index + seed)
        noise = noise.resize((width, height), Image.Resampling.BICUBIC)
        grain = Image.effect_noise((width, height), 12)
        channels.append(Image.blend(noise, grain, 0.3).filter(ImageFilter.GaussianBlur(0.6)))
    image = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(image)
    for step in range(12):
        box = (step * width // 14, step * height // 20, step * width // 14 + width // 6,
               step * height // 20 + height // 5)  # fmt: skip
        draw.ellipse(box, outline=(30 * step % 255, 90, 200 - 10 * step), width=8)
    return image


MARK = (230, 20, 20)  # the colour of upright_marked's top-left corner


def upright_marked(width, height):
    """A photo whose top-left corner is a MARK-coloured block: it shows which way is up."""
    image = photo(width, height, 3)
    ImageDraw.Draw(image).rectangle((0, 0, width // 5, height // 5), fill=MARK)
    return image


def screenshot(width, height):
    """A dashboard-like screenshot: a dark bar, panels of antialiased 'text'
    and a shaded chart, which weighs what real screenshots weigh."""
    from PIL import ImageFont

    image = Image.new("RGB", (width, height), (245, 246, 248))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=18)
    draw.rectangle((0, 0, width, 60), fill=(28, 30, 33))
    for row in range(80, height // 2, 30):
        for column in range(40, width - 260, 300):
            draw.text((column, row), f"p99 latency {row * column % 997} ms", font=font,
                      fill=(40 + row % 90, 60, 90))  # fmt: skip
    shade = Image.linear_gradient("L").resize((width, height - height // 2))
    chart = Image.merge("RGB", [shade, shade.transpose(Image.Transpose.FLIP_LEFT_RIGHT), shade])
    noise = Image.effect_noise(chart.size, 20).convert("RGB")
    image.paste(Image.blend(chart, noise, 0.15), (0, height // 2))
    return image


def save_jpeg(image, path, orientation=None, quality=92):
    """Save as JPEG; `orientation` writes that EXIF Orientation tag."""
    options = {"quality": quality}
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif.tobytes()
    image.save(path, "JPEG", **options)
    return Path(path)


def png_bomb(path, width=20_000, height=20_000):
    """A valid PNG of `width` × `height` black pixels that compresses to a few
    hundred KB: decoding it would need width × height bytes of memory."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    packer, row, parts = zlib.compressobj(9), b"\0" * (width + 1), []
    for _ in range(height):
        parts.append(packer.compress(row))
    parts.append(packer.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    data += chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")
    Path(path).write_bytes(data)
    return Path(path)


SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="120" viewBox="0 0 320 120">'
    '<rect x="10" y="10" width="300" height="100" fill="#0b5cad"/></svg>'
)

POST = """\
Title: A post with photos
Date: 2024-05-01
Tags: observability, images
Summary: A post whose photos and screenshot are large.

The first photo, at the top.

![A wide photo]({static}/images/wide-photo.jpg)

A photo saved as PNG.

![A photo in PNG]({static}/images/photo.png)

A phone photo, rotated by its EXIF tag.

![A rotated photo]({static}/images/rotated.jpg)

A screenshot, shown with raw HTML:

<img src="{static}/images/dashboard.png" alt="A dashboard screenshot" class="shot">

A small icon ![Icon]({static}/images/icon.png) and a diagram:

![A diagram]({static}/images/diagram.svg)

A pixel-exact screenshot ![Exact]({static}/images/exact.png){: .original}
"""

SECOND = """\
Title: Another post with the same photo
Date: 2024-05-02
Tags: observability
Summary: The wide photo again.

![The same wide photo]({static}/images/wide-photo.jpg)
"""


def write_image_site(content):
    """A content folder with the two posts above and their images; returns it."""
    images = Path(content) / "images"
    images.mkdir(parents=True, exist_ok=True)
    (Path(content) / "posts").mkdir(exist_ok=True)
    save_jpeg(photo(3000, 2000, 1), images / "wide-photo.jpg")
    photo(2000, 1500, 2).save(images / "photo.png")
    save_jpeg(upright_marked(1600, 2400).transpose(Image.Transpose.ROTATE_90),
              images / "rotated.jpg", orientation=6)  # fmt: skip
    screenshot(2560, 1440).save(images / "dashboard.png")
    screenshot(900, 300).save(images / "exact.png")
    photo(64, 64, 4).save(images / "icon.png")
    (images / "diagram.svg").write_text(SVG, encoding="utf-8")
    (Path(content) / "posts" / "photos.md").write_text(POST, encoding="utf-8")
    (Path(content) / "posts" / "same-photo.md").write_text(SECOND, encoding="utf-8")
    return Path(content)

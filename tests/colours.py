"""WCAG 2 contrast of CSS colours, for the tests that check the palettes."""

from tinycss2.color4 import parse_color


def luminance(css_colour, opaque=False):
    """WCAG relative luminance of a CSS colour. With `opaque`, a colour the
    test cannot read or a translucent one (whose contrast depends on what is
    under it) fails the test."""
    colour = parse_color(css_colour)
    if opaque:
        assert colour is not None, f"{css_colour!r} is not a colour the test can read"
    red, green, blue, alpha = colour.to("srgb")
    if opaque:
        assert alpha == 1, (
            f"{css_colour!r}: a translucent colour's contrast depends on what is under it"
        )

    def linear(channel):
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(first, second, opaque=False):
    """WCAG contrast ratio of two CSS colours (1 to 21)."""
    lighter, darker = sorted((luminance(first, opaque), luminance(second, opaque)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)

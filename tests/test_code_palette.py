"""The syntax-highlighting palettes in main.css meet WCAG AA (4.5:1) against the
code background, in light and in dark mode.

The test reads the tokens from the stylesheet itself with a CSS parser, so a
palette change that breaks AA fails here; it computes contrast with WCAG 2's
formula, written out below.
"""

from pathlib import Path

import pytest
import tinycss2

from tests import colours

CSS = Path(__file__).resolve().parent.parent / "theme" / "static" / "css" / "main.css"
AA = 4.5
BACKGROUND = "--color-code-bg"
TEXT = "--color-code-text"


def rules(nodes):
    return tinycss2.parse_rule_list(nodes, skip_comments=True, skip_whitespace=True)


def declarations(rule):
    return [
        d
        for d in tinycss2.parse_blocks_contents(
            rule.content, skip_comments=True, skip_whitespace=True
        )
        if d.type == "declaration"
    ]


def root_tokens(rule_list):
    """Custom properties declared on :root in a list of rules."""
    tokens = {}
    for rule in rule_list:
        if rule.type == "qualified-rule" and tinycss2.serialize(rule.prelude).strip() == ":root":
            for declaration in declarations(rule):
                if declaration.name.startswith("--"):
                    tokens[declaration.name] = tinycss2.serialize(declaration.value).strip()
    return tokens


@pytest.fixture(scope="module")
def stylesheet():
    return tinycss2.parse_stylesheet(
        CSS.read_text(encoding="utf-8"), skip_comments=True, skip_whitespace=True
    )


@pytest.fixture(scope="module")
def palettes(stylesheet):
    light = root_tokens(stylesheet)
    dark_blocks = [
        rule
        for rule in stylesheet
        if rule.type == "at-rule"
        and rule.lower_at_keyword == "media"
        and "prefers-color-scheme:dark" in tinycss2.serialize(rule.prelude).replace(" ", "")
    ]
    assert len(dark_blocks) == 1, "main.css needs one prefers-color-scheme: dark block"
    dark = {**light, **root_tokens(rules(dark_blocks[0].content))}
    return {"light": light, "dark": dark}


@pytest.fixture(scope="module")
def highlight_colours(stylesheet):
    """{selector: value of `color`} for every rule on .highlight token classes."""
    found = {}
    for rule in stylesheet:
        if rule.type != "qualified-rule":
            continue
        selector = " ".join(tinycss2.serialize(rule.prelude).split())
        if ".highlight ." not in selector:
            continue
        for declaration in declarations(rule):
            if declaration.name == "color":
                found[selector] = tinycss2.serialize(declaration.value).strip()
    return found


def contrast(first, second):
    """Contrast of two palette colours, which must be opaque."""
    return colours.contrast(first, second, opaque=True)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [("#000000", "#ffffff", 21.0), ("#777777", "#ffffff", 4.48), ("#ffffff", "#ffffff", 1.0)],
)
def test_contrast_formula(first, second, expected):
    assert contrast(first, second) == pytest.approx(expected, abs=0.01)


def test_token_rules_use_palette_tokens(highlight_colours, palettes):
    assert len(highlight_colours) >= 10, f"only {len(highlight_colours)} token rules found"
    for selector, value in highlight_colours.items():
        assert value.startswith("var(--code-"), (
            f"{selector}: color {value} is not a --code-* token; put colours in the palettes"
        )
        token = value[len("var(") : -1]
        assert token in palettes["light"], f"{selector}: {token} is not defined on :root"


def test_every_code_token_has_a_dark_value(stylesheet, palettes):
    light = root_tokens(stylesheet)
    dark_only = {k: v for k, v in palettes["dark"].items() if light.get(k) != v}
    missing = [t for t in light if t.startswith("--code-") and t not in dark_only]
    assert not missing, f"tokens with no dark-mode colour: {missing}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_code_colour_meets_aa_on_the_code_background(palettes, scheme):
    palette = palettes[scheme]
    background = palette[BACKGROUND]
    tokens = [TEXT, *sorted(t for t in palette if t.startswith("--code-"))]
    assert len(tokens) > 10, tokens
    failing = {
        token: round(contrast(palette[token], background), 2)
        for token in tokens
        if contrast(palette[token], background) < AA
    }
    assert not failing, f"{scheme}: below {AA}:1 on {background}: {failing}"

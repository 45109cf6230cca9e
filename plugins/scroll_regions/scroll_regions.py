"""Keyboard access to blocks that scroll sideways.

Code blocks and tables keep their lines and columns and scroll inside
themselves on a narrow screen (main.css). A region that scrolls must be
reachable from the keyboard, or a reader without a mouse cannot see its right
side (WCAG 2.1.1; axe-core's scrollable-region-focusable). Whether a block
overflows depends on the reader's screen, so every such block in a body gets
tabindex="0": it takes focus, shows the focus ring, and scrolls with the arrow
keys.
"""

import re

from pelican import signals

from sitetools.contents import contents_of

DEFAULTS = {
    # Elements in a body that may scroll sideways.
    "elements": ["pre", "table"],
}


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's SCROLL_REGIONS dict."""
    return {**DEFAULTS, **(settings.get("SCROLL_REGIONS") or {})}


def focusable_blocks(markup, elements):
    """Add tabindex="0" to each opening tag of `elements` that has no tabindex.

    Text inside code blocks is escaped (&lt;pre&gt;), so only real tags match.
    """
    if not markup or not elements:
        return markup
    names = "|".join(re.escape(name) for name in elements)
    opening = re.compile(rf"<({names})(?=[\s>])(?![^>]*\stabindex\s*=)", re.IGNORECASE)
    return opening.sub(r'<\1 tabindex="0"', markup)


def mark_contents(generator):
    """Make the scrollable blocks of every body the generator read focusable."""
    elements = settings_for(generator.settings)["elements"]
    for content in contents_of(generator):
        if content._content:
            content._content = focusable_blocks(content._content, elements)


def register():
    # Bodies are final once each generator has read every source; templates
    # and feeds render after this.
    signals.article_generator_finalized.connect(mark_contents)
    signals.page_generator_finalized.connect(mark_contents)

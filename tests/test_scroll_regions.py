"""Blocks that may scroll sideways take keyboard focus; nothing else changes."""

import pytest

from plugins.typography.typography import focusable_blocks


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (
            '<div class="highlight"><pre><span></span><code>x\n</code></pre></div>',
            '<div class="highlight"><pre tabindex="0"><span></span><code>x\n</code></pre></div>',
        ),
        ("<table>\n<thead>", '<table tabindex="0">\n<thead>'),
        ('<pre class="x">', '<pre tabindex="0" class="x">'),
        ('<pre tabindex="-1">', '<pre tabindex="-1">'),
        ("<p>Use <code>&lt;pre&gt;</code> and <code>&lt;table&gt;</code></p>", None),
        ("<preface>", None),
        ("<p>a</p>", None),
        ("", None),
    ],
)
def test_focusable_blocks(markup, expected):
    assert focusable_blocks(markup) == (markup if expected is None else expected)


def test_every_code_block_and_table_of_the_site_is_focusable(site, html):
    blocks = 0
    for page in sorted(site.glob("posts/*/index.html")):
        soup = html(page.parent, page.name)
        for block in soup.select("main pre, main table"):
            blocks += 1
            assert block.get("tabindex") == "0", (
                f"{page.relative_to(site)}: {block.name} no tabindex"
            )
    assert blocks > 0, "the seed's posts have code blocks and tables"

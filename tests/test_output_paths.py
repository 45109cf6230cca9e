"""Unit tests for output_paths' pure functions."""

import pytest

from plugins.output_paths.output_paths import reserved_owner, unresolved_links


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<img src="{static}/images/x.png">', [("img", "src", "{static}/images/x.png")]),
        ('<a href="|filename|post.md">x</a>', [("a", "href", "|filename|post.md")]),
        ('<a href=" {attach}f.pdf">x</a>', [("a", "href", " {attach}f.pdf")]),
        ('<img src="/images/x.png">', []),
        ("<pre><code>![x]({static}/images/x.png)</code></pre>", []),
        ('<p>The {filename} marker, written about.</p><a href="/x">x</a>', []),
        ('<a title="{static} in a title" href="/x">x</a>', []),
    ],
)
def test_unresolved_links_are_marker_attributes_only(markup, expected):
    assert unresolved_links(markup) == expected, markup


@pytest.mark.parametrize(
    ("path", "owner"),
    [
        ("sitemap.xml", "the sitemap"),
        ("social/x.png", "the social images"),
        ("socialite/index.html", None),
        ("posts/x/index.html", None),
    ],
)
def test_reserved_paths(path, owner):
    reserved = {"sitemap.xml": "the sitemap", "social/": "the social images"}
    assert reserved_owner(path, reserved) == owner

"""The content objects a Pelican generator holds, named in one place."""

# Every list of Article or Page objects that Pelican's article and page
# generators fill, published or not.
CONTENT_LISTS = (
    "articles",
    "translations",
    "drafts",
    "drafts_translations",
    "hidden_articles",
    "hidden_translations",
    "pages",
    "hidden_pages",
    "draft_pages",
    "draft_translations",
)


def contents_of(*generators):
    """Every article, translation, draft, hidden post and page the generators read, in order."""
    return [
        content
        for generator in generators
        for name in CONTENT_LISTS
        for content in getattr(generator, name, ()) or ()
    ]


# ---- Adapter: a content object's body --------------------------------------------
# Pelican has no public setter for an article's HTML: plugins that rewrite it
# (typography, headings, charts) set `_content`, which `Content.content` and
# `get_content()` read (pelican/contents.py). tests/test_contents_adapter.py
# fails on a Pelican release that stops reading it.


def body(content):
    """The HTML the reader made of a post or page, as plugins have rewritten it so far."""
    return content._content or ""


def set_body(content, markup):
    """Replace a post's or page's HTML, before any page is written."""
    content._content = markup

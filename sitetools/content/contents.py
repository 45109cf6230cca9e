"""The content objects a Pelican generator holds, named in one place."""

from blinker import signal  # Pelican's own signal library

# Every list of Article or Page objects that Pelican's article and page
# generators fill, published or not.
CONTENT_LISTS = tuple(
    "articles translations drafts drafts_translations hidden_articles hidden_translations"
    " pages hidden_pages draft_pages draft_translations".split()
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


# ---- A build stopped before Pelican read its sources ------------------------------
# content_guard sends this when the content folder's walk stops the build before
# Pelican reads anything (a link out of the repository, a named pipe): plugins
# that check what Pelican would have read (data_files, charts) report from the
# sources themselves, so every problem comes in one run. Receivers get the
# settings, `sources` ([SimpleNamespace(source_path, kind, slug, metadata)]) and
# `readable(path)` (whether the walk lets that file be opened), and return
# report lines (`file:line: field: what; fix`).
unread_sources = signal("sitetools.unread_sources")

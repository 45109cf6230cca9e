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

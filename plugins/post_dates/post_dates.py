"""The "Updated" date of a post: `article.updated` (a datetime or None) and
`article.locale_updated` (formatted like the post's date), from `Modified`.

Pelican parses `Modified` into `article.modified`. This plugin decides when it
is worth showing: only when it falls on a later calendar day than `Date` (a
same-day fix is not an update). A `Modified` before `Date` is refused earlier,
with the file and line, by the content_guard plugin.
"""

from pelican import signals

from sitetools.contents import contents_of


def updated_date(published, modified):
    """The date to show as "Updated", or None: `modified` when it is on a later
    day than `published`."""
    if modified is None or published is None:
        return None
    return modified if modified.date() > published.date() else None


def annotate_articles(generator):
    """Every article gets `updated` and `locale_updated` (None without an update)."""
    for article in contents_of(generator):
        article.updated = updated_date(
            getattr(article, "date", None), getattr(article, "modified", None)
        )
        article.locale_updated = (
            article.updated.strftime(article.date_format) if article.updated else None
        )


def register():
    # Dates are parsed and time-zoned once the article generator has every post.
    signals.article_generator_finalized.connect(annotate_articles)

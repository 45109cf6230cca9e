"""The "Updated" date of a post: `article.updated` (a datetime or None) and
`article.locale_updated` (formatted like the post's date), from `Modified`.

Pelican parses `Modified` into `article.modified`. This plugin decides when it
is worth showing: only when it falls on a later calendar day than `Date` (a
same-day fix is not an update). A `Modified` before `Date` is a typo, and stops
the build with the file and the fix.
"""

import logging

from pelican import signals

logger = logging.getLogger(__name__)


def field_line(path, field):
    """The 1-based line of `Field:` in a source file's metadata, or None."""
    prefix = f"{field.lower()}:"
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if line.lower().startswith(prefix):
                    return number
                if not line.strip():
                    return None
    except OSError:
        return None
    return None


def updated_date(published, modified):
    """The date to show as "Updated", or None: `modified` when it is on a later
    day than `published`. Raises ValueError when `modified` comes first."""
    if modified is None or published is None:
        return None
    if modified < published:
        raise ValueError(
            f"Modified ({modified:%Y-%m-%d %H:%M}) is before Date ({published:%Y-%m-%d %H:%M})"
        )
    return modified if modified.date() > published.date() else None


def annotate_articles(generator):
    """Every article gets `updated` and `locale_updated` (None without an update)."""
    for article in (
        *generator.articles,
        *generator.translations,
        *generator.drafts,
        *generator.drafts_translations,
        *generator.hidden_articles,
        *generator.hidden_translations,
    ):
        try:
            article.updated = updated_date(
                getattr(article, "date", None), getattr(article, "modified", None)
            )
            article.locale_updated = (
                article.updated.strftime(article.date_format) if article.updated else None
            )
        except ValueError as error:
            article.updated = article.locale_updated = None
            line = field_line(article.source_path, "Modified")
            logger.error(
                "%s%s: %s: fix the Modified field (the date of the last substantial update)",
                article.relative_source_path,
                f", line {line}" if line else "",
                error,
            )


def register():
    # Dates are parsed and time-zoned once the article generator has every post.
    signals.article_generator_finalized.connect(annotate_articles)

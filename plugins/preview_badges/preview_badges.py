"""The preview lists drafts with the published posts, and marks each draft or
future-dated post with `preview_badge` ("Draft" or "Scheduled"). Production
turns the plugin off: Pelican then writes no draft and, without
WITH_FUTURE_DATES, treats a future-dated post as a draft."""

from datetime import UTC, datetime
from operator import attrgetter

from pelican import signals
from pelican.utils import order_content

from sitetools.content.contents import contents_of

DEFAULTS = {
    "enabled": True,
    # Put drafts in the front page, archives and tag listings of the preview.
    "list_drafts": True,
}


def badge_for(status, date, now):
    """ "Draft" for a draft, "Scheduled" for a post dated after `now`, else None."""
    if status == "draft":
        return "Draft"
    if date and now and date.replace(tzinfo=date.tzinfo or UTC) > now:
        return "Scheduled"
    return None


def mark(generator):
    """Badge every post; in the preview, list drafts with the published posts."""
    settings = generator.settings
    options = {**DEFAULTS, **(settings.get("PREVIEW_BADGES") or {})}
    if not options["enabled"]:
        return
    now = datetime.now(UTC)
    for article in contents_of(generator):
        article.preview_badge = badge_for(article.status, getattr(article, "date", None), now)
    drafts, order_by = list(generator.drafts), settings["ARTICLE_ORDER_BY"]
    # Without a draft URL a listed draft would link to nothing.
    if not (options["list_drafts"] and drafts and settings.get("DRAFT_SAVE_AS")):
        return
    # Moved, not copied: Pelican writes each listed article once, at its own
    # save_as, which for a draft is DRAFT_SAVE_AS.
    generator.articles = order_content([*generator.articles, *drafts], order_by)
    generator.drafts = []
    reverse = generator.context["NEWEST_FIRST_ARCHIVES"]
    generator.dates = sorted(generator.articles, key=attrgetter("date"), reverse=reverse)
    for draft in drafts:
        for tag in getattr(draft, "tags", ()):
            generator.tags[tag] = order_content([*generator.tags[tag], draft], order_by)
    generator.context.update(
        articles=generator.articles,
        drafts=generator.drafts,
        dates=generator.dates,
        tags=list(generator.tags.items()),
    )


def register():
    # The article lists, tags and dates are complete, and nothing is written yet.
    signals.article_generator_finalized.connect(mark)

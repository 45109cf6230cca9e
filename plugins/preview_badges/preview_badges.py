"""Drafts and scheduled posts in the preview, each marked as such.

Development builds (`invoke build`, `invoke serve`) list drafts with the
published posts, and every draft or future-dated post gets a computed
`preview_badge` ("Draft" or "Scheduled") that the card and the article page
show. Production turns the plugin off (publishconf.py): Pelican then writes no
draft (DRAFT_SAVE_AS = "") and, with WITH_FUTURE_DATES = False, treats a
future-dated post as a draft, so neither reaches the public site and no page
there carries a badge.
"""

from datetime import UTC, datetime
from operator import attrgetter

from pelican import signals
from pelican.utils import order_content

from sitetools.contents import contents_of

DEFAULTS = {
    # Off in production: no badge, and drafts stay out of the listings.
    "enabled": True,
    # Put drafts in the front page, archives and tag listings of the preview.
    "list_drafts": True,
    "labels": {"draft": "Draft", "scheduled": "Scheduled"},
}


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's PREVIEW_BADGES dict."""
    return {**DEFAULTS, **(settings.get("PREVIEW_BADGES") or {})}


def badge_for(status, date, now, labels=DEFAULTS["labels"]):
    """ "Draft" for a draft, "Scheduled" for a post dated after `now`, else None."""
    if status == "draft":
        return labels["draft"]
    if date is not None and now is not None and _aware(date) > _aware(now):
        return labels["scheduled"]
    return None


def _aware(when):
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def with_drafts(articles, drafts, order_by):
    """The listing with drafts merged in, in the site's article order."""
    return order_content([*articles, *drafts], order_by)


def mark(generator):
    """Badge every post; in the preview, list drafts with the published posts."""
    options = settings_for(generator.settings)
    # Signals outlive a Pelican run: act only for a site that lists this plugin.
    in_use = any(
        str(name).rsplit(".", 1)[-1] == "preview_badges"
        for name in generator.settings.get("PLUGINS", ())
    )
    if not (in_use and options["enabled"]):
        return
    now = datetime.now(UTC)
    drafts = list(generator.drafts)
    for article in contents_of(generator):
        article.preview_badge = badge_for(
            article.status, getattr(article, "date", None), now, options["labels"]
        )
    # Without a draft URL a listed draft would link to nothing.
    if not (options["list_drafts"] and drafts and generator.settings.get("DRAFT_SAVE_AS")):
        return
    order_by = generator.settings["ARTICLE_ORDER_BY"]
    # Moved, not copied: Pelican writes each listed article once, at its own
    # save_as, which for a draft is DRAFT_SAVE_AS.
    generator.articles = with_drafts(generator.articles, drafts, order_by)
    generator.drafts = []
    generator.dates = sorted(
        generator.articles,
        key=attrgetter("date"),
        reverse=generator.context["NEWEST_FIRST_ARCHIVES"],
    )
    for draft in drafts:
        for tag in getattr(draft, "tags", ()):
            generator.tags[tag] = order_content([*generator.tags[tag], draft], order_by)
    generator.context["articles"] = generator.articles
    generator.context["drafts"] = generator.drafts
    generator.context["dates"] = generator.dates
    generator.context["tags"] = list(generator.tags.items())


def register():
    # The article lists, tags and dates are complete when the article generator
    # finishes, and nothing has been written yet.
    signals.article_generator_finalized.connect(mark)

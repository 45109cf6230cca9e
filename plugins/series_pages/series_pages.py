"""Series pages on top of pelican-series, which groups and orders the parts
(`Series:`, `Series_index:`) into `article.series` but counts drafts and hidden
posts among a published post's parts and writes no page for a series.

Every post in a series gets `series_part` (name, url, number, count, parts),
counting only the parts a reader of that post can open, and each series with a
published part gets a listing page (at series/<slug>/, by the theme's series.html)."""

from pelican import signals

from plugins.content_guard.schema import slug_for

# A series page's address and file; the theme's series.html renders it.
URL, SAVE_AS = "series/{slug}/", "series/{slug}/index.html"


def readable_parts(parts, post):
    """The parts of a series shown on `post`: the published ones, and `post` itself."""
    return [part for part in parts if part is post or part.status == "published"]


def series_part(post, url):
    """What the post page and the card show of a post's series."""
    parts = readable_parts(post.series["all"], post)
    return {
        "name": post.series["name"],
        "url": url,
        "number": parts.index(post) + 1,
        "count": len(parts),
        "parts": parts,
    }


def annotate(generator):
    """Every article in a series gets `series_part`; the generator keeps the
    published series for their pages."""
    settings, generator.series_listings = generator.settings, {}
    for post in generator.articles + generator.drafts + generator.hidden_articles:
        if not isinstance(getattr(post, "series", None), dict):
            continue
        slug = slug_for(post.series["name"], settings)
        post.series_part = series_part(post, URL.format(slug=slug))
        if post.status == "published":
            generator.series_listings[SAVE_AS.format(slug=slug)] = post.series_part


def write_pages(generator, writer):
    """One listing page per series with a published part, its parts in order."""
    template = generator.get_template("series")
    for save_as, part in sorted(getattr(generator, "series_listings", {}).items()):
        parts = readable_parts(part["parts"], None)
        writer.write_file(
            save_as,
            template,
            generator.context,
            relative_urls=generator.settings["RELATIVE_URLS"],
            url=part["url"],
            series={**part, "parts": parts, "count": len(parts)},
            articles=parts,
            page_name=part["url"],
        )


def register():
    # pelican-series (listed before this plugin) sets `article.series` here.
    signals.article_generator_finalized.connect(annotate)
    # Posts are written; the series pages follow with the same writer.
    signals.article_writer_finalized.connect(write_pages)

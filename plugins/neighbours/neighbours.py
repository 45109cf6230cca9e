"""The posts published just before and just after each post.

`article.newer_post` and `article.older_post` (None at either end), among the
published posts in date order. Hidden posts and drafts get neither and are
nobody's neighbour.

The names say the direction in time, so a template never has to guess what
"next" means. The theme links them with the front page's reading order, newest
first: the older post is rel="next" and the newer post rel="prev", as the
listing's "Older posts" page is rel="next".

pelican-neighbors (last released 2021) does the same with `next_article` /
`prev_article`, names that read either way; this is the dozen lines it needs.
"""

from pelican import signals


def newest_first(posts, date=lambda post: post.date, key=lambda post: post.slug):
    """Posts sorted newest first; posts with the same date by key, for a stable order."""
    return sorted(sorted(posts, key=key), key=date, reverse=True)


def neighbours(ordered):
    """For posts ordered newest first: [(post, newer, older), ...]."""
    ordered = list(ordered)
    return [
        (
            post,
            ordered[index - 1] if index > 0 else None,
            ordered[index + 1] if index + 1 < len(ordered) else None,
        )
        for index, post in enumerate(ordered)
    ]


def link_articles(generator):
    """Published posts get their neighbours; hidden posts and drafts get none."""
    for article in (*generator.hidden_articles, *generator.drafts):
        article.newer_post = article.older_post = None
    for article, newer, older in neighbours(newest_first(generator.articles)):
        article.newer_post, article.older_post = newer, older


def register():
    # The published posts are all known once the article generator finishes.
    signals.article_generator_finalized.connect(link_articles)

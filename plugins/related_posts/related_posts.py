"""Related posts: `article.related_posts`, up to `limit` other published posts
ranked by how many tags they share with the post, newest first on ties.

The whole site is done at once from an inverted index, tag -> posts: a post's
candidates are only the posts found under its own tags, so posts that share
nothing are never compared, and the work grows with the tags' sizes rather than
with the square of the number of posts.
"""

from collections import Counter, defaultdict

from pelican import signals

DEFAULTS = {
    # How many related posts an article lists at most.
    "limit": 3,
    # Fewest tags a post must share to count as related.
    "min_shared_tags": 1,
}


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's RELATED_POSTS dict."""
    return {**DEFAULTS, **(settings.get("RELATED_POSTS") or {})}


def tag_index(posts):
    """Inverted index from (key, tags) pairs: {tag: [key, ...]}, each key once per tag."""
    index = defaultdict(list)
    for key, tags in posts:
        for tag in dict.fromkeys(tags):
            index[tag].append(key)
    return index


def rank(key, tags, index, order, *, limit=3, min_shared=1):
    """Keys of the posts most related to `key`: most shared tags first, then by
    `order` ({key: position}, newest post first). Never `key` itself."""
    shared = Counter()
    for tag in dict.fromkeys(tags):
        shared.update(index.get(tag, ()))
    shared.pop(key, None)
    ranked = sorted(
        (other for other, count in shared.items() if count >= min_shared),
        key=lambda other: (-shared[other], order[other]),
    )
    return ranked[:limit]


def related(posts, queries=None, *, limit=3, min_shared=1):
    """{key: [related keys]}: for each (key, tags) of `queries` (default: `posts`),
    the best of `posts`, a list of (key, tags) ordered newest first."""
    posts = list(posts)
    index = tag_index(posts)
    order = {key: position for position, (key, _) in enumerate(posts)}
    return {
        key: rank(key, tags, index, order, limit=limit, min_shared=min_shared)
        for key, tags in (posts if queries is None else queries)
    }


def _entry(article):
    return id(article), [tag.name for tag in getattr(article, "tags", None) or ()]


def link_articles(generator):
    """Every post (hidden posts and drafts too) gets `related_posts`, chosen among
    the published posts."""
    options = settings_for(generator.settings)
    published = sorted(
        sorted(generator.articles, key=lambda a: a.slug), key=lambda a: a.date, reverse=True
    )
    everyone = (*generator.articles, *generator.hidden_articles, *generator.drafts)
    found = related(
        [_entry(a) for a in published],
        [_entry(a) for a in everyone],
        limit=int(options["limit"]),
        min_shared=int(options["min_shared_tags"]),
    )
    by_key = {id(article): article for article in everyone}
    for article in everyone:
        article.related_posts = [by_key[key] for key in found[id(article)]]


def register():
    # Every post and its tags are known once the article generator finishes.
    signals.article_generator_finalized.connect(link_articles)

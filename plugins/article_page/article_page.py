"""What an article page shows about its post, set on every post once the
article generator has read them all: `reading_minutes`, `newer_post` and
`older_post`, `related_posts` and `edit_url`."""

import logging
import math
from collections import defaultdict
from urllib.parse import quote

from pelican import signals

from plugins.post_cards.post_cards import text_tree
from plugins.seo.seo import is_absolute
from sitetools.build.cache import Cache, code_digest
from sitetools.build.options import plugin_options
from sitetools.content.contents import body, contents_of

logger = logging.getLogger(__name__)
# (prose words, code words) per body, kept across builds: the preview computes
# each miss on one CPU.
_counts = Cache("reading-time")

DEFAULTS = {
    "READING_TIME": {
        # Silent reading of English non-fiction averages about 238 words a
        # minute (Brysbaert, 2019); technical prose is a little slower.
        "words_per_minute": 230,
        # Code is read token by token and often twice: a judgement, tune it here.
        "code_words_per_minute": 100,
    },
    # How many related posts an article lists, and the fewest tags they share.
    "RELATED_POSTS": {"limit": 3, "min_shared_tags": 1},
    # Filled with REPO_URL (no trailing slash) and the source path under PATH.
    "EDIT_LINK": {"url_template": "{repo_url}/blob/main/content/{path}"},
}


def site_options(settings):
    """({name: DEFAULTS[name] overlaid with the site's setting `name`}, [problem]):
    one message per unusable setting (a rate must be a positive number, a
    template a string, each key a known one), REPO_URL or url_template."""
    options, problems = {}, []
    for name, defaults in DEFAULTS.items():
        options[name], found = plugin_options(settings, name, defaults)
        problems += found
    repo_url = settings.get("REPO_URL")
    if repo_url and not is_absolute(repo_url):
        problems.append(
            f"REPO_URL must be the repository's web address, such as "
            f"https://github.com/<owner>/<repo>, got {repo_url!r}: fix it in the settings file"
        )
    template = options["EDIT_LINK"]["url_template"]
    try:
        str(template).format(repo_url="https://example.org/repo", path="posts/a.md")
    except (KeyError, IndexError, ValueError) as error:
        problems.append(
            f"EDIT_LINK['url_template'] {template!r} does not format ({error!r}): "
            "use only {repo_url} and {path}, and double any other brace"
        )
    return options, problems


def count_words(markup):
    """(prose words, code words) in an HTML body; code is what sits in <pre>,
    and nothing in script, style or template counts."""
    tree = text_tree(markup, ("script", "style", "template"))
    code = 0
    for block in tree.css(":not(pre) > pre"):
        code += len(block.text().split())
        block.decompose()
    return len(tree.body.text(separator=" ").split()), code


def reading_minutes(prose_words, code_words, words_per_minute, code_words_per_minute):
    """Whole minutes to read, rounded up; at least 1."""
    return max(1, math.ceil(prose_words / words_per_minute + code_words / code_words_per_minute))


def newest_first(posts, date=lambda post: post.date, key=lambda post: post.slug):
    """Posts newest first; posts of the same date by key, for a stable order."""
    return sorted(sorted(posts, key=key), key=date, reverse=True)


def neighbours(ordered):
    """For posts ordered newest first: [(post, newer, older), ...]."""
    ordered = list(ordered)
    return list(zip(ordered, [None, *ordered][:-1], [*ordered, None][1:], strict=True))


def related(posts, queries=None, *, limit=3, min_shared=1):
    """{key: [related keys]} for each (key, tags) of `queries` (default: `posts`):
    the keys of `posts` ((key, tags) pairs, newest first) that share the most
    tags with it, newest first on ties, never itself.

    Each tag is a bit mask of the posts that have it (bit n: the n-th newest).
    A query adds its tags' masks as binary counters, one bit plane per binary
    digit of the count, so a handful of integer operations on masks finds the
    posts that share c tags, whatever the site's size."""
    posts = list(posts)
    masks = defaultdict(int)
    for position, (_key, tags) in enumerate(posts):
        for tag in set(tags):
            masks[tag] |= 1 << position
    found = {}
    for key, tags in posts if queries is None else queries:
        planes = []  # planes[i]: the posts whose count of shared tags has bit i set
        for tag in set(tags):
            carry = masks.get(tag, 0)
            for i, plane in enumerate(planes):
                planes[i], carry = plane ^ carry, plane & carry
            planes += [carry] if carry else []
        picked = []
        for count in range(2 ** len(planes) - 1, max(min_shared, 1) - 1, -1):
            level = -1  # the posts sharing exactly `count` tags
            for i, plane in enumerate(planes):
                level &= plane if count >> i & 1 else ~plane
            while level and len(picked) < limit:
                lowest = level & -level  # the newest of them
                level ^= lowest
                other = posts[lowest.bit_length() - 1][0]
                picked += [other] if other != key else []
        found[key] = picked
    return found


def edit_url(repo_url, relative_path, template=DEFAULTS["EDIT_LINK"]["url_template"]):
    """The edit link of a source file under the content folder, or None without REPO_URL."""
    if not repo_url:
        return None
    path = quote(relative_path.replace("\\", "/"))
    return template.format(repo_url=str(repo_url).rstrip("/"), path=path)


def annotate(generator):
    """Every post (hidden posts and drafts too) gets the page's fields; only
    published posts are neighbours or related posts."""
    settings = generator.settings
    options, problems = site_options(settings)
    for problem in problems:
        logger.error(problem)
    if problems:
        return
    rates, template = options["READING_TIME"], options["EDIT_LINK"]["url_template"]
    articles = contents_of(generator)
    published = newest_first(generator.articles)
    tags = {a: [tag.name for tag in getattr(a, "tags", None) or ()] for a in articles}
    found = related(
        [(article, tags[article]) for article in published],
        [(article, tags[article]) for article in articles],
        limit=int(options["RELATED_POSTS"]["limit"]),
        min_shared=int(options["RELATED_POSTS"]["min_shared_tags"]),
    )
    # The key covers this module's code, and the salt the walker's (post_cards).
    bodies, walker = [body(article) for article in articles], code_digest(text_tree)
    counts = _counts.map(settings, count_words, bodies, salt=walker, label="reading time")
    for article, (prose, code) in zip(articles, counts, strict=True):
        article.reading_minutes = reading_minutes(
            prose, code, rates["words_per_minute"], rates["code_words_per_minute"]
        )
        article.edit_url = edit_url(
            settings.get("REPO_URL"), article.relative_source_path, template
        )
        article.related_posts = found[article]
        article.newer_post = article.older_post = None
    for article, newer, older in neighbours(published):
        article.newer_post, article.older_post = newer, older


def register():
    # Every post, its body, tags and source path are known once the article
    # generator finishes, and nothing has been written yet.
    signals.article_generator_finalized.connect(annotate)

"""Related posts: up to three other posts ranked by shared tags, newest first on
ties, from an inverted index; checked in the pure functions and on the pages
against the seed listing's tags."""

import pytest

from plugins.article_page.article_page import related
from sitetools.build.builder import build
from tests.conftest import copy_data

# Newest first, as the plugin receives them.
POSTS = [
    ("p1", ["llm", "go", "devops"]),
    ("p2", ["llm", "python"]),
    ("p3", ["go", "devops"]),
    ("p4", ["rust"]),
    ("p5", ["llm", "go"]),
    ("p6", ["devops"]),
]


def test_a_tag_given_twice_counts_once():
    posts = [("a", ["x", "x"]), ("b", ["x", "y"]), ("c", ["y"])]
    assert related(posts, min_shared=2) == {"a": [], "b": [], "c": []}
    assert related(posts)["a"] == ["b"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("p1", ["p3", "p5", "p2"]),  # 2 shared (p3 newer than p5), then 1 shared: p2 before p6
        ("p2", ["p1", "p5"]),
        ("p3", ["p1", "p5", "p6"]),
        ("p4", []),  # shares nothing
        ("p6", ["p1", "p3"]),
    ],
)
def test_ranked_by_shared_tags_then_newest(key, expected):
    assert related(POSTS)[key] == expected


def test_limit_and_minimum_shared_tags():
    assert related(POSTS, limit=1)["p1"] == ["p3"]
    assert related(POSTS, min_shared=2)["p1"] == ["p3", "p5"]
    assert related(POSTS, limit=0)["p1"] == []


def test_a_post_is_never_its_own_relation_and_queries_may_be_outside_posts():
    found = related(POSTS, queries=[("hidden", ["rust", "llm"]), ("p4", ["rust"])])
    assert found == {"hidden": ["p1", "p2", "p4"], "p4": []}  # one tag each: newest first


class Key(int):
    """A post key that counts how often the ranking looks it up."""

    lookups = 0

    def __hash__(self):
        Key.lookups += 1
        return int.__hash__(self)


def test_an_unpublished_query_lists_published_posts():
    queries = [("p1", POSTS[0][1]), ("draft", ["rust", "llm"]), ("p4", ["rust"])]
    assert related(POSTS, queries) == {
        "p1": ["p3", "p5", "p2"],
        "draft": ["p1", "p2", "p4"],
        "p4": [],
    }


def test_twenty_thousand_posts_without_comparing_every_pair():
    # Every post shares one tag with 4 others: 2 * 10^8 pairs, but only ~10^5
    # index hits. Comparing every pair looks up every post for every query;
    # the index looks up only the few that share a tag.
    posts = [(Key(n), [f"group-{n // 5}", f"own-{n}"]) for n in range(20_000)]
    Key.lookups = 0
    found = related(posts)
    assert found[7] == [5, 6, 8]
    assert Key.lookups <= 10 * len(posts), f"{Key.lookups} lookups for 20,000 posts"


# -- On the built site ---------------------------------------------------------


def normalise(text):
    return " ".join(text.replace("\u00a0", " ").replace("’", "'").split())


def expected_from_seed(seed, post):
    """The test's own ranking: the seed listing is newest first."""
    others = [
        (len(set(post["tags"]) & set(other["tags"])), position, other["title"])
        for position, other in enumerate(seed["posts"])
        if other is not post
    ]
    ranked = sorted((-shared, position, title) for shared, position, title in others if shared)
    return [normalise(title) for _, _, title in ranked[:3]]


@pytest.fixture(scope="module", params=["dev", "prod"])
def built(request, site, prod_site):
    return {"dev": site, "prod": prod_site}[request.param]


def find_article(output, html, title):
    for card in html(output, "index.html").select("main article.card"):
        if normalise(card.select_one(".card__title").get_text()) == normalise(title):
            href = card.select_one("a.card__link")["href"]
            slug = href.rstrip("/").split("/")[-1]
            return html(output, f"posts/{slug}/index.html")
    raise AssertionError(f"no card titled {title!r}")


def test_related_posts_follow_the_seed_tags(built, html, seed):
    for post in seed["posts"]:
        page = find_article(built, html, post["title"])
        section = page.select_one('main section.related[aria-labelledby="related-title"]')
        expected = expected_from_seed(seed, post)
        if not expected:
            assert section is None, f"{post['title']}: related posts with no shared tag"
            continue
        assert section is not None, f"{post['title']}: no related posts"
        assert section.select_one("#related-title").get_text(strip=True) == "Related posts"
        shown = [normalise(a.get_text()) for a in section.select(".related__item a")]
        assert shown == expected, f"{post['title']}: {shown}"
        for link in section.select(".related__item a"):
            slug = link["href"].rstrip("/").split("/")[-1]
            assert (built / "posts" / slug / "index.html").is_file(), link["href"]


def test_known_post_lists_its_three_closest(site, html, seed):
    # "Verdict, not dashboard" is tagged llm, infrastructure, prometheus: the
    # llm-d post shares two tags, and of the posts that share one (llm), the two
    # newest in the listing follow.
    post = next(p for p in seed["posts"] if p["title"].startswith("Verdict, not dashboard"))
    assert post["tags"] == ["llm", "infrastructure", "prometheus"]
    page = find_article(site, html, post["title"])
    shown = [normalise(a.get_text()) for a in page.select(".related__item a")]
    assert len(shown) == 3
    assert shown[0].startswith("What I learned contributing to llm-d"), shown
    assert shown == expected_from_seed(seed, post)


def test_hidden_posts_are_never_related(reader_site, html):
    shown = [
        a["href"]
        for page in (reader_site / "posts").glob("*/index.html")
        for a in html(page.parent, page.name).select(".related__item a")
    ]
    assert shown, "the reader set shows no related posts"
    assert not [href for href in shown if "hidden-post" in href], shown


def test_retagging_a_post_reranks_with_the_kept_rankings(tmp_path, html):
    # Two builds share one cache: the second must rank the new tags, not the kept ones.
    content = copy_data("reader", tmp_path / "content")
    settings = {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")}

    def related_titles():
        output = build("pelicanconf.py", tmp_path / "output", settings).output
        page = html(output, "posts/two-sections/index.html")
        return [normalise(a.get_text()) for a in page.select(".related__item a")]

    assert "Mostly code" not in related_titles(), "related before it shares a tag"
    post = content / "posts" / "mostly-code.md"
    post.write_text(
        post.read_text(encoding="utf-8").replace("Tags: gamma, delta", "Tags: alpha"),
        encoding="utf-8",
    )
    assert "Mostly code" in related_titles(), "the kept ranking ignored the new tags"

"""Links to a moved post's old URL: the build follows content/redirects.txt
(chains to their end, never round a loop) and links the new URL, in the page
and its feeds, so readers skip the redirect; a link to an old path nothing
redirects still fails the build on its line. `invoke import` does not call a
link "not found" when a redirect of the site, or of the same import, covers it."""

import textwrap
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup

from plugins.redirects.redirects import (
    attribute_spans,
    final_target,
    links_old_path,
    loop_problems,
    old_spellings,
    parse_rules,
    redirect_map,
    redirected_url,
    rewrite_links,
)
from sitetools.authoring.importer import import_blog, plan_import
from sitetools.build.builder import BuildError, build
from tests.conftest import build_site, read_html

OLD = "/2024/03/tuning-autovacuum/"  # where a Hugo blog had the post
NEW = "/posts/tuning-autovacuum/"
SITEURL = "https://blog.test"

RULES_TEXT = f"""\
# moved by an import
{OLD}  {NEW}
/old/first/  /old/second/
/old/second/  {NEW}
"""


def rules_of(text):
    rules, problems = parse_rules(text, "content/redirects.txt")
    assert problems == [], problems
    return rules


# ---- The pure functions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        (OLD, NEW),
        (OLD.rstrip("/"), NEW),
        (f"{OLD}#set-up", f"{NEW}#set-up"),
        (f"{OLD}?utm=x#set-up", f"{NEW}?utm=x#set-up"),
        (f"{SITEURL}{OLD}", f"{SITEURL}{NEW}"),
        (f"{SITEURL}{OLD.rstrip('/')}#set-up", f"{SITEURL}{NEW}#set-up"),
        ("../../2024/03/tuning-autovacuum/", NEW),  # relative to the page /posts/x/
        ("/2024/03/Tuning%2Dautovacuum/", None),  # another path (case matters)
        ("/old/first", NEW),  # a chain, followed to its end
        ("https://elsewhere.example/2024/03/tuning-autovacuum/", None),
        ("#set-up", None),
        ("mailto:me@example.org", None),
        ("http://[broken", None),
        (NEW, None),
    ],
)
def test_an_old_path_in_any_spelling_leads_where_its_redirects_end(href, expected):
    mapping = redirect_map(rules_of(RULES_TEXT))
    assert redirected_url(href, "/posts/x/", mapping, SITEURL) == expected


def test_a_loop_of_redirects_ends_nowhere_and_is_reported_once_with_its_lines():
    rules = rules_of("/a/ /b/\n/b/ /c/\n/c/ /a/\n/into/ /b/\n/d/ /e/\n")
    mapping = redirect_map(rules)
    assert final_target("/into/", mapping) is None, "a loop must not be followed"
    assert final_target("/a", mapping) is None
    assert final_target("/d/", mapping) == "/e/"
    assert loop_problems(rules) == [
        "content/redirects.txt:1: old path '/a/' redirects in a loop, /a/ -> /b/ -> /c/ -> /a/ "
        "(with content/redirects.txt:2, content/redirects.txt:3); point one of these lines "
        "at a page of the site"
    ]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ('<a href="/x/">', [("href", 9, 12, '"')]),
        ("<a HREF='/x/'>", [("href", 9, 12, "'")]),
        ("<a href=/x/>", [("href", 8, 11, "")]),
        ('<a title="a>b" href = "/x/" download>', [("title", 10, 13, '"'), ("href", 23, 26, '"')]),
        ('<a\nclass=k\thref="/x/"/>', [("class", 9, 10, ""), ("href", 17, 20, '"')]),
    ],
)
def test_attribute_spans_follow_the_tokenizer(tag, expected):
    spans = attribute_spans(tag, 0)
    kept = [span for span in spans if span[1] is not None]
    assert [span for span in kept if span[0] != "download"] == expected, spans
    for name, start, end, _quote in kept:
        assert name != "href" or tag[start:end] == "/x/", (tag, start, end)


BODY = f"""<p>Read <a href="{OLD}#set-up" title="It's here">this</a>, \
<A HREF='{SITEURL}/2024/03/tuning-autovacuum'>that</A> and <a href=/old/first>a chain</a>.</p>
<p>Shown: <code>&lt;a href="{OLD}"&gt;</code>, and {OLD} as text.</p>
<pre><code>{OLD} &lt;a href="{OLD}"&gt;</code></pre>
<table><tr><td><a class="k" href="{OLD}">in a table</a></td></tr></table>"""


def test_only_the_hrefs_change_byte_for_byte():
    mapping = redirect_map(rules_of(RULES_TEXT))
    new, left = rewrite_links(BODY, "/posts/x/", mapping, SITEURL)
    assert left == []
    expected = (
        BODY.replace(f'"{OLD}#set-up"', f'"{NEW}#set-up"')
        .replace(f"'{SITEURL}/2024/03/tuning-autovacuum'", f"'{SITEURL}{NEW}'")
        .replace("href=/old/first>", f'href="{NEW}">')
        .replace(f'class="k" href="{OLD}"', f'class="k" href="{NEW}"')
    )
    assert new == expected, "anything but the four hrefs changed"
    soup = BeautifulSoup(new, "html.parser")
    assert soup.select_one("p code").get_text() == f'<a href="{OLD}">', "code text changed"
    assert soup.select_one("pre").get_text() == f'{OLD} <a href="{OLD}">', "pre text changed"


def test_an_href_whose_text_reads_back_otherwise_is_left_and_listed():
    mapping = redirect_map(rules_of(RULES_TEXT))
    # "&copy=" is no character reference in an attribute (a browser keeps it),
    # but reads back otherwise: the link is left as written rather than guessed at.
    markup = f'<a href="{OLD}?a=1&copy=2">x</a>'
    new, left = rewrite_links(markup, "/posts/x/", mapping)
    assert new == markup
    assert left == [f"{OLD}?a=1&copy=2"]


@pytest.mark.parametrize("plain", [False, True], ids=["parse", "spellings-then-parse"])
def test_the_prefilter_finds_every_spelling_and_spares_other_bodies(plain):
    mapping = redirect_map(rules_of(RULES_TEXT + "/caf%C3%A9/ /posts/cafe/\n/a&b/ /posts/ab/\n"))
    spellings = old_spellings(mapping) if plain else None
    for markup in (
        f'<a href="{OLD}">',
        f'<a href="{SITEURL}/2024/03/tuning-autovacuum#x">',
        '<a href="../../old/second">',
        '<a href="/caf%C3%A9/">',
        '<a href="/café">',
        '<a href="/a&amp;b/">',
        f'<map><area href="{OLD}"></map>',
    ):
        assert links_old_path(markup, "/posts/x/", mapping, SITEURL, spellings), markup
    for markup in (
        '<a href="/posts/tuning-autovacuum/">',
        "<p>tuning autovacuum</p>",
        f'<p><code>&lt;a href="{OLD}"&gt;</code> {OLD}</p>',
        "",
    ):
        assert not links_old_path(markup, "/posts/x/", mapping, SITEURL, spellings), markup


def test_past_the_limit_every_body_is_parsed():
    many = "".join(f"/old/{n}/ {NEW}\n" for n in range(100))
    assert old_spellings(redirect_map(rules_of(many))) is None


# ---- A site built with them -----------------------------------------------------------


def post(slug, body, title=None):
    title = title or slug.replace("-", " ").capitalize()
    head = f"Title: {title}\nDate: 2026-01-02 10:00\nTags: postgres\nSlug: {slug}\n"
    return f"{head}Summary: A post about {slug}.\n\n{textwrap.dedent(body)}"


TARGET = """\
    Autovacuum, tuned.

    ## Set up

    The settings.
    """

# Each link's line in linker.md and the URL it must have once built.
LINKS = f"""\
    Read [the post]({OLD}), [its set-up]({OLD}#set-up),
    [without the slash]({OLD.rstrip("/")}) and [on the site]({{siteurl}}{OLD}),
    and [through a chain](/old/first/).

    In code, `{OLD}` stays, and so does this block:

        <a href="{OLD}">shown as code</a>
    """


def write_site(content, redirects, posts):
    (content / "posts").mkdir(parents=True)
    (content / "pages").mkdir()
    (content / "redirects.txt").write_text(redirects, encoding="utf-8")
    for slug, text in posts.items():
        (content / "posts" / f"{slug}.md").write_text(text, encoding="utf-8")
    return content


@pytest.fixture(scope="module")
def moved(tmp_path_factory, prod_siteurl):
    """A production build where linker.md links tuning-autovacuum by its old URL."""
    content = write_site(
        tmp_path_factory.mktemp("moved") / "content",
        RULES_TEXT,
        {
            "tuning-autovacuum": post("tuning-autovacuum", TARGET),
            "linker": post("linker", LINKS.replace("{siteurl}", prod_siteurl)),
        },
    )
    return build_site(tmp_path_factory, "moved-site", "publishconf.py", PATH=str(content))


def test_links_to_an_old_url_are_written_with_the_new_one(moved, prod_siteurl):
    soup = read_html(moved / "posts" / "linker" / "index.html")
    article = soup.select_one(".post__body")
    hrefs = {a.get_text(strip=True): a["href"] for a in article.select("p a[href]")}
    assert hrefs == {
        "the post": NEW,
        "its set-up": f"{NEW}#set-up",
        "without the slash": NEW,
        "on the site": f"{prod_siteurl}{NEW}",
        "through a chain": NEW,
    }, hrefs
    assert article.select_one("p code").get_text() == OLD, "a code span is text, not a link"
    assert f'<a href="{OLD}">shown as code</a>' in article.select_one("pre").get_text()
    target = read_html(moved / "posts" / "tuning-autovacuum" / "index.html")
    assert target.select_one("#set-up"), "the fragment the link keeps is on the new page"


def test_the_feeds_carry_the_new_url_too(moved, prod_siteurl):
    feed = feedparser.parse(str(moved / "feeds" / "all.atom.xml"))
    entry = next(e for e in feed.entries if e.link.endswith("/posts/linker/"))
    links = BeautifulSoup(entry.content[0].value, "html.parser").select("p a[href]")
    hrefs = {a["href"].split("#")[0] for a in links}
    assert hrefs == {f"{prod_siteurl}{NEW}"}, hrefs


def test_the_redirects_still_go_out_as_written(moved):
    rules = [line.split() for line in (moved / "_redirects").read_text("utf-8").splitlines()]
    assert [OLD, NEW, "301"] in rules
    assert ["/old/first/", "/old/second/", "301"] in rules, "a chain is a good line"


def test_an_old_path_nothing_redirects_and_a_loop_fail_the_build(tmp_path):
    content = write_site(
        tmp_path / "content",
        f"{OLD} {NEW}\n/loop/a/ /loop/b/\n/loop/b/ /loop/a/\n",
        {
            "tuning-autovacuum": post("tuning-autovacuum", TARGET),
            "linker": post(
                "linker",
                "Fine: [moved](/2024/03/tuning-autovacuum/).\n\n"
                "Broken: [gone](/2023/01/never-redirected/).\n\n"
                "Round: [a loop](/loop/a/).\n",
            ),
        },
    )
    settings = {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")}
    with pytest.raises(BuildError) as failed:
        build("pelicanconf.py", tmp_path / "output", settings)
    problems = failed.value.problems
    wanted = [
        "content/posts/linker.md:9: link: /2023/01/never-redirected/ is not in the site",
        "content/posts/linker.md:11: link: /loop/a/ is not in the site",
        "content/redirects.txt:2: old path '/loop/a/' redirects in a loop",
    ]
    for line in wanted:
        assert any(line in problem for problem in problems), (line, problems)
    assert not any("linker.md:7:" in problem for problem in problems), "a redirected link failed"
    assert not (tmp_path / "output").exists(), "a failed build writes no output"


# ---- invoke import ----------------------------------------------------------------


def jekyll_blog(folder):
    """A Jekyll blog whose first post links the second by its redirect_from URL
    and a post of an earlier (Hugo) import by that one's old URL."""
    (folder / "_posts").mkdir(parents=True)
    (folder / "_config.yml").write_text("title: Old blog\n", encoding="utf-8")
    (folder / "_posts" / "2024-05-01-checkpoints.md").write_text(
        "---\ntitle: Checkpoints\ntags: [postgres]\n---\n"
        "Tune [autovacuum first](/2024/03/tuning-autovacuum/#set-up), then read\n"
        "[the WAL notes](/notes/wal/) and [relatively](../../../../2024/03/tuning-autovacuum/).\n",
        encoding="utf-8",
    )
    (folder / "_posts" / "2024-05-02-wal.md").write_text(
        "---\ntitle: WAL\ntags: [postgres]\nredirect_from: [/notes/wal/]\n---\nThe log.\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def earlier_import(tmp_path):
    """content/ after a Hugo import: the tuning post and its redirect."""
    return write_site(
        tmp_path / "content",
        f"{OLD} {NEW}\n",
        {"tuning-autovacuum": post("tuning-autovacuum", TARGET)},
    )


def test_a_link_a_redirect_covers_is_not_reported_not_found(tmp_path, earlier_import):
    blog = jekyll_blog(tmp_path / "blog")
    writes, report, _ = plan_import(blog, earlier_import)
    assert not [note for note in report.notes if "not found" in note], report.notes
    text = writes[earlier_import.resolve() / "posts" / "checkpoints.md"]
    assert "[the WAL notes]({filename}/posts/wal.md)" in text, "same import: the post's file"
    assert f"[autovacuum first]({OLD}#set-up)" in text, "left for the build to follow"
    assert f"[relatively]({OLD})" in text, "made root-relative: the post moves"
    assert report.redirected == 2
    shown = report.lines("jekyll", "content")
    assert (
        "Links to an old URL that content/redirects.txt redirects: 2 (the build links the new URL)"
        in shown
    ), shown


def test_without_the_redirect_the_same_link_is_not_found(tmp_path):
    content = write_site(tmp_path / "content", "", {})
    _, report, _ = plan_import(jekyll_blog(tmp_path / "blog"), content)
    missing = [note for note in report.notes if "not found" in note]
    assert len(missing) == 2 and all("2024/03/tuning-autovacuum/" in n for n in missing), missing


def test_an_imported_blog_links_the_moved_post_by_its_new_url(tmp_path, earlier_import):
    import_blog(jekyll_blog(tmp_path / "blog"), earlier_import)
    output = build(
        "pelicanconf.py",
        tmp_path / "output",
        {"PATH": str(earlier_import), "CACHE_PATH": str(tmp_path / "cache")},
    ).output
    page = read_html(Path(output) / "posts" / "checkpoints" / "index.html")
    hrefs = [a["href"] for a in page.select(".post__body a[href]")]
    assert len(hrefs) == 3 and hrefs[0] == f"{NEW}#set-up" and hrefs[2] == NEW, hrefs
    assert hrefs[1].endswith("posts/wal/"), hrefs

"""Redirects: the data file's lines become Netlify's _redirects, the feed aliases
lead to the main feed, and a bad line stops the build naming file, line and fix."""

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import feedparser
import pytest

from plugins.redirects.redirects import feed_rules, parse_rules
from sitetools.build.builder import BuildError
from tests.conftest import DATA, build_site

# What Netlify does with `_redirects`, to read the published file with.
#
# Netlify reads `_redirects` in the publish folder before the [[redirects]] of
# netlify.toml, and the first matching rule wins (Netlify knowledge base, "How
# to configure netlify.toml redirects, headers, and env vars"; docs.netlify.com,
# "Redirects and rewrites", rule processing order). A rule does not fire when a file
# exists at its `from` path unless it is forced ("shadowing"). Netlify matches
# a path with or without its trailing slash.


@dataclass(frozen=True)
class Redirect:
    source: str
    target: str
    status: int


def parse_redirects(text):
    """Rules of a `_redirects` file: `from to [status]` a line, # comments."""
    rules = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2:
            status = int(fields[2].rstrip("!")) if len(fields) > 2 else 301
            rules.append(Redirect(fields[0], fields[1], status))
    return rules


def _slashless(path):
    return path.rstrip("/") or "/"


def redirect_for(rules, path):
    """The first rule whose `from` is `path` (trailing slash ignored), or None."""
    for rule in rules:
        if _slashless(rule.source) == _slashless(path):
            return rule
    return None


def test_good_lines_become_rules():
    rules, problems = parse_rules(
        "# moved\n\n/posts/old/  /posts/new/\n/posts/tmp/ /posts/new/ 302  # for now\n",
        "content/redirects.txt",
    )
    assert problems == []
    assert [(r.source, r.target, r.status, r.origin) for r in rules] == [
        ("/posts/old/", "/posts/new/", 301, "content/redirects.txt:3"),
        ("/posts/tmp/", "/posts/new/", 302, "content/redirects.txt:4"),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/posts/old/", r":1: expected OLD-PATH NEW-PATH \[301\|302\]"),
        ("/a/ /b/ 301 extra", r":1: expected OLD-PATH NEW-PATH"),
        ("posts/old/ /posts/new/", r":1: old path 'posts/old/' must be a path on this site"),
        ("/posts/old/ posts/new/", r":1: new path 'posts/new/' must be a path"),
        ("/posts/* /posts/new/", r":1: old path '/posts/\*' has a wildcard"),
        ("/posts/old/ /posts/new/ 307", r":1: status '307' is not one of 301, 302"),
        ("/posts/old /posts/old/", r":1: old path '/posts/old' redirects to itself"),
    ],
)
def test_bad_lines_are_reported_with_file_and_line(line, message):
    rules, problems = parse_rules(line, "content/redirects.txt")
    assert rules == []
    assert len(problems) == 1, problems
    assert problems[0].startswith("content/redirects.txt:1: ")
    assert re.search(message, problems[0]), problems[0]


@pytest.mark.parametrize(
    ("alias", "target", "version"),
    [
        ("/feed", "/feeds/all.atom.xml", "atom"),
        ("/feed/", "/feeds/all.atom.xml", "atom"),
        ("/atom.xml", "/feeds/all.atom.xml", "atom"),
        ("/rss", "/feeds/all.rss.xml", "rss"),
        ("/rss/", "/feeds/all.rss.xml", "rss"),
    ],
)
def test_production_feed_aliases_lead_to_the_main_feeds(prod_site, alias, target, version):
    rules = parse_redirects((Path(prod_site) / "_redirects").read_text(encoding="utf-8"))
    rule = redirect_for(rules, alias)
    assert rule is not None, f"{alias} is not redirected"
    assert rule.status == 301
    assert rule.target == target, rule
    feed = feedparser.parse(str(Path(prod_site) / rule.target.lstrip("/")))
    assert not feed.bozo and feed.version.startswith(version), f"{alias}: {feed.version}"
    assert feed.entries, f"{alias}: the main feed is empty"


def test_feed_aliases_follow_their_settings_and_skip_unwritten_feeds():
    aliases = {"/rss": "FEED_ALL_RSS", "/feed": "FEED_ALL_ATOM"}
    rules = feed_rules(aliases, {"FEED_ALL_RSS": "f/all.rss", "FEED_ALL_ATOM": None})
    assert [(r.source, r.target) for r in rules] == [("/rss", "/f/all.rss")]


def test_the_dev_build_has_no_feed_aliases(site):
    rules = parse_redirects((Path(site) / "_redirects").read_text(encoding="utf-8"))
    assert rules == [], "the development build writes no feeds to redirect to"


def _content_with(tmp_path, redirects):
    content = tmp_path / "content"
    shutil.copytree(DATA / "hostile", content)
    # content_guard refuses the hostile post's markup; keep its slug, drop the markup.
    (content / "posts" / "markup-in-title.md").write_text(
        "Title: A plain title\nDate: 2026-01-02 10:00\nTags: safe\n"
        "Slug: markup-in-title\nSummary: A plain summary.\n\nA plain body.\n",
        encoding="utf-8",
    )
    (content / "pages").mkdir(exist_ok=True)
    (content / "redirects.txt").write_text(redirects, encoding="utf-8")
    return content


def test_an_old_slug_is_redirected_by_adding_a_line(tmp_path_factory):
    content = _content_with(
        tmp_path_factory.mktemp("redirects-good"),
        "# renamed\n/posts/an-old-title/  /posts/no-summary/\n",
    )
    output = build_site(
        tmp_path_factory, "redirects-good-site", "publishconf.py", PATH=str(content)
    )
    rules = parse_redirects((output / "_redirects").read_text(encoding="utf-8"))
    rule = redirect_for(rules, "/posts/an-old-title")
    assert rule is not None and rule.target == "/posts/no-summary/" and rule.status == 301
    assert (output / "posts" / "no-summary" / "index.html").is_file()


def test_bad_redirects_stop_the_build_and_keep_the_last_good_site(tmp_path_factory):
    content = _content_with(
        tmp_path_factory.mktemp("redirects-bad"),
        "/posts/gone/ /posts/never-written/\n"  # 1: target missing
        "/posts/no-summary/ /posts/markup-in-title/\n"  # 2: old path still a page
        "/posts/x/ /posts/no-summary/ 999\n"  # 3: bad status
        "/feed /posts/no-summary/\n",  # 4: duplicates the feed alias
    )
    base = tmp_path_factory.mktemp("redirects-bad-site")
    output = base / "output"
    output.mkdir()
    (output / "marker.txt").write_text("last good build", encoding="utf-8")
    from sitetools.build.builder import build

    with pytest.raises(BuildError) as failure:
        build("publishconf.py", output, {"PATH": str(content), "CACHE_PATH": str(base / "c")})
    problems = failure.value.problems
    expected = [
        "redirects.txt:1: new path '/posts/never-written/' is not a page of the built site",
        "redirects.txt:2: old path '/posts/no-summary/' is still a page of the site",
        "redirects.txt:3: status '999' is not one of 301, 302",
        "redirects.txt:4: old path '/feed' is already redirected at settings",
    ]
    for line in expected:
        assert any(line in problem for problem in problems), (line, problems)
    assert (output / "marker.txt").read_text(encoding="utf-8") == "last good build"


def test_a_site_that_does_not_list_the_plugin_gets_no_redirects(tmp_path):
    """Signals outlive a Pelican run: after a build with redirects, one in the
    same process whose PLUGINS leaves it out neither checks redirects.txt nor
    writes _redirects."""
    from pelicanconf import PLUGINS
    from sitetools.build.builder import build

    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts" / "a.md").write_text(
        "Title: A post\nDate: 2025-03-01 09:00\nTags: alpha\nSlug: a\nSummary: A post.\n\nText.\n",
        encoding="utf-8",
    )
    (content / "redirects.txt").write_text("/old/ /nowhere/\n", encoding="utf-8")
    checked = {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache-1")}
    with pytest.raises(BuildError, match=r"new path '/nowhere/' is not a page"):
        build("pelicanconf.py", tmp_path / "out-1", checked)
    plugins = [name for name in PLUGINS if name != "redirects"]
    unchecked = {**checked, "CACHE_PATH": str(tmp_path / "cache-2"), "PLUGINS": plugins}
    build("pelicanconf.py", tmp_path / "out-2", unchecked)
    assert not (tmp_path / "out-2" / "_redirects").exists()

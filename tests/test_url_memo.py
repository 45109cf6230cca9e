"""The url_memo plugin: URLs are remembered only while a build writes, and
the site is the same with it as without."""

import pytest
from pelican.contents import Article
from pelican.settings import read_settings

from plugins.url_memo import url_memo
from sitetools.bench import write_corpus
from sitetools.build import build
from tests.conftest import run_python
from tests.test_read_ahead import _files


@pytest.fixture
def article():
    url_memo.install()
    settings = read_settings(None, override={"ARTICLE_URL": "posts/{slug}/"})
    return Article("<p>Body.</p>", {"title": "A", "slug": "first"}, settings=settings)


def test_urls_are_computed_afresh_outside_writing(article):
    url_memo.stop_writing()
    assert article.url == "posts/first/"
    article.slug = "second"
    assert article.url == "posts/second/"


def test_urls_are_remembered_while_writing_and_forgotten_after(article):
    url_memo.start_writing(None)
    try:
        assert article.url == "posts/first/"
        article.slug = "changed-while-writing"
        assert article.url == "posts/first/", "the URL was computed again while writing"
    finally:
        url_memo.stop_writing()
    assert article.url == "posts/changed-while-writing/"
    url_memo.start_writing(None)  # the next build remembers afresh
    try:
        assert article.url == "posts/changed-while-writing/"
    finally:
        url_memo.stop_writing()


def test_the_site_is_the_same_without_it(tmp_path):
    content = write_corpus(tmp_path / "content", 25)
    common = {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")}
    with_memo = build("publishconf.py", tmp_path / "with", common).output
    # Signals stay connected for the life of a process: build without the
    # plugin in a process that never loaded it.
    run_python(
        f"""
        from sitetools.build import build, load_settings
        plugins = [p for p in load_settings("publishconf.py")["PLUGINS"] if p != "url_memo"]
        settings = {{**{common!r}, "PLUGINS": plugins}}
        build("publishconf.py", {str(tmp_path / "without")!r}, settings)
        import sys
        assert "url_memo.url_memo" not in sys.modules, "the plugin was loaded"
        """
    )
    assert _files(with_memo) == _files(tmp_path / "without")

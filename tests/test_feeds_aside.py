"""Feeds written by a forked child while the pages render: the same feeds as
Pelican writes itself, failures reported, and never behind a listener's back."""

import json

import pytest

from sitetools.bench import write_corpus
from sitetools.build import BuildError, build
from sitetools.parallel import available_cpus
from tests.conftest import run_python
from tests.test_read_ahead import _files

POSTS = 30


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("feeds-corpus"), POSTS)


def _child_build(base, content, **overrides):
    """A production build in a fresh process (where it may fork); returns
    what it logged about feeds and its error, if any."""
    out = run_python(
        f"""
        import json
        from sitetools.build import BuildError, build
        from tests.conftest import capture_log_messages
        seen = capture_log_messages()
        settings = {{"PATH": {str(content)!r}, "CACHE_PATH": {str(base / "cache-a")!r},
                     **{overrides!r}}}
        try:
            build("publishconf.py", {str(base / "aside")!r}, settings)
            error = None
        except BuildError as failure:
            error = failure.problems
        print(json.dumps({{"feeds": [m for m in seen if "feeds" in m], "error": error}}))
        """
    )
    return json.loads(out.strip().splitlines()[-1])


def test_feeds_written_aside_are_the_feeds_pelican_writes(corpus, tmp_path):
    report = _child_build(tmp_path, corpus)
    assert report["error"] is None, report["error"]
    if available_cpus() >= 2:
        assert any("feeds in a child process" in m for m in report["feeds"]), report["feeds"]

    # A plugin listening to feed_written: the feeds are then written in the
    # build's own process, where it hears every one.
    out = run_python(
        f"""
        from pelican import signals
        from sitetools.build import build
        heard = []
        def listener(path, **kwargs):
            heard.append(path)
        signals.feed_written.connect(listener)
        settings = {{"PATH": {str(corpus)!r}, "CACHE_PATH": {str(tmp_path / "cache-b")!r}}}
        build("publishconf.py", {str(tmp_path / "serial")!r}, settings)
        print(len(heard))
        """
    )
    feeds = [name for name in _files(tmp_path / "serial") if name.startswith("feeds/")]
    heard = int(out.strip().splitlines()[-1])
    assert heard == len(feeds) > 2, f"the listener heard {heard} of {len(feeds)} feeds"
    assert _files(tmp_path / "serial") == _files(tmp_path / "aside"), "feeds (or pages) differ"


def test_a_feed_that_fails_in_the_child_fails_the_build(corpus, tmp_path):
    # Every tag's feed at one path: Pelican refuses to overwrite it.
    report = _child_build(tmp_path, corpus, TAG_FEED_ATOM="feeds/tag.atom.xml")
    assert report["error"], "the build should have failed"
    assert any("tag.atom.xml" in line for line in report["error"]), report["error"]
    assert not (tmp_path / "aside").exists(), "a failed build wrote an output"
    with pytest.raises(BuildError):  # as it fails when Pelican writes feeds itself
        build(
            "publishconf.py",
            tmp_path / "serial",
            {
                "PATH": str(corpus),
                "CACHE_PATH": str(tmp_path),
                "TAG_FEED_ATOM": "feeds/tag.atom.xml",
            },
        )


def test_a_build_after_one_that_raised_still_writes_its_sitemap(corpus, tmp_path):
    settings = {"PATH": str(corpus), "CACHE_PATH": str(tmp_path)}
    with pytest.raises(BuildError):
        build("publishconf.py", tmp_path / "bad", {**settings, "TAG_FEED_ATOM": "feeds/t.xml"})
    output = build("publishconf.py", tmp_path / "good", settings).output
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    assert sitemap.count("/posts/") == POSTS, "the sitemap is missing after a failed build"

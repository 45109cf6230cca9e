"""SiteBuilder, as the preview uses it (warm=True) and as `invoke build` does:
each rebuild shows the edit, never keeps stale pages, never destroys the last
good output, and a settings change is never served from the content cache."""

import re
import textwrap
from pathlib import Path

import pytest

from sitetools.bench import edit_text, write_corpus
from sitetools.build import ROOT, BuildError, SiteBuilder
from tests.conftest import preview_of_corpus

POSTS = 30


def page(output, slug):
    return (Path(output) / "posts" / slug / "index.html").read_text(encoding="utf-8")


@pytest.fixture(params=[True, False], ids=["preview", "cold"])
def site(request, tmp_path):
    """A 30-post site and the builder that rebuilds it."""
    content = write_corpus(tmp_path / "content", POSTS)
    builder = SiteBuilder(
        "pelicanconf.py",
        tmp_path / "output",
        {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")},
        warm=request.param,
    )
    builder.build()
    return builder, content, tmp_path / "output"


def test_an_edit_shows_in_the_rebuild(site):
    builder, content, output = site
    post = sorted((content / "posts").glob("*.md"))[7]
    post.write_text(edit_text(post.read_text("utf-8"), "first-edit"), "utf-8")
    builder.build(changed=[post])
    assert "first-edit" in page(output, post.stem)
    post.write_text(edit_text(post.read_text("utf-8"), "second-edit"), "utf-8")
    builder.build(changed=[post])
    assert "second-edit" in page(output, post.stem), "the second edit was not rebuilt"
    others = [p for p in sorted((content / "posts").glob("*.md")) if p != post]
    assert all("-edit" not in page(output, p.stem) for p in others)


def test_a_renamed_post_leaves_no_stale_page(site):
    builder, content, output = site
    post = sorted((content / "posts").glob("*.md"))[3]
    text = re.sub(r"^Slug: .*$", "Slug: a-new-name", post.read_text("utf-8"), flags=re.M)
    renamed = post.with_name("a-new-name.md")
    post.unlink()
    renamed.write_text(text, "utf-8")
    builder.build(changed=[post, renamed])
    assert (output / "posts" / "a-new-name" / "index.html").is_file()
    assert not (output / "posts" / post.stem).exists(), "the old URL survived the rename"


def test_a_failed_rebuild_keeps_the_last_good_output(site):
    builder, content, output = site
    builder.wait()  # the last good build's search index is written after its pages
    before = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    post = sorted((content / "posts").glob("*.md"))[5]
    good = post.read_text("utf-8")
    post.write_text(re.sub(r"^Date: .*$", "Date: soon", good, flags=re.M), "utf-8")
    with pytest.raises(BuildError) as failure:
        builder.build(changed=[post])
    assert any(post.name in line for line in failure.value.problems)
    after = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    assert after == before, "a failed build changed output/"
    post.write_text(edit_text(good, "fixed-again"), "utf-8")
    builder.build(changed=[post])
    assert "fixed-again" in page(output, post.stem)


def _settings_file(folder, permalink):
    """A settings file in `folder` that is pelicanconf with one reader setting."""
    path = folder / "benchconf.py"
    path.write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(ROOT)!r})
            from pelicanconf import *
            THEME = {str(ROOT / "theme")!r}
            PLUGIN_PATHS = [{str(ROOT / "plugins")!r}]
            MARKDOWN = {{**MARKDOWN, "extension_configs": {{
                **MARKDOWN["extension_configs"],
                "markdown.extensions.toc": {{"permalink": {permalink}}},
            }}}}
            """
        ),
        "utf-8",
    )
    return path


def test_a_settings_change_is_not_served_from_the_content_cache(tmp_path):
    content = write_corpus(tmp_path / "content", POSTS)
    config = _settings_file(tmp_path, permalink=False)
    builder = SiteBuilder(
        str(config),
        tmp_path / "output",
        {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")},
        warm=True,
    )
    builder.build()
    slug = sorted((content / "posts").glob("*.md"))[0].stem
    assert "headerlink" not in page(tmp_path / "output", slug)
    builder.build(changed=[])  # a warm rebuild: served from the cache
    _settings_file(tmp_path, permalink=True)
    builder.build(changed=[config])
    assert "headerlink" in page(tmp_path / "output", slug), (
        "the new Markdown settings were not applied: the page came from the cache"
    )


def _site_files(output):
    from tests.test_read_ahead import _files

    return _files(output)


def _cold_build(content, base):
    """A full build of `content` by a fresh, cold builder."""
    return SiteBuilder(
        "pelicanconf.py", base / "cold-output", {"PATH": str(content), "CACHE_PATH": str(base)}
    ).build()


@pytest.fixture
def preview(tmp_path):
    return preview_of_corpus(tmp_path, POSTS)


def test_pages_reused_after_an_edit_match_a_full_build(preview, tmp_path):
    builder, content, output = preview
    posts = sorted((content / "posts").glob("*.md"))
    body_edit = posts[4]
    body_edit.write_text(edit_text(body_edit.read_text("utf-8"), "body-only"), "utf-8")
    result = builder.build(changed=[body_edit])
    assert result.reused == POSTS, (
        f"reused {result.reused} pages, expected every other post + About"
    )
    assert "body-only" in page(output, body_edit.stem)
    builder.wait()  # the search index comes just after
    assert _site_files(output) == _site_files(_cold_build(content, tmp_path / "a").output)

    title_edit = posts[9]
    text = re.sub(
        r"^Title: .*$", "Title: Renamed in listings", title_edit.read_text("utf-8"), flags=re.M
    )
    title_edit.write_text(text, "utf-8")
    result = builder.build(changed=[title_edit])
    assert result.reused == 0, "a title shows on other pages: nothing may be reused"
    builder.wait()
    assert _site_files(output) == _site_files(_cold_build(content, tmp_path / "b").output)


def _a_plugin_that_rewrites_pages(*_args, **_kwargs):
    pass


@pytest.mark.parametrize("signal_name", ["content_written", "pelican_finalized"])
def test_no_reuse_when_an_unknown_plugin_may_touch_written_pages(preview, signal_name):
    from pelican import signals

    builder, content, _output = preview
    post = sorted((content / "posts").glob("*.md"))[2]
    post.write_text(edit_text(post.read_text("utf-8"), "listened"), "utf-8")
    signal = signals.signal(signal_name)
    signal.connect(_a_plugin_that_rewrites_pages)
    try:
        result = builder.build(changed=[post])
    finally:
        signal.disconnect(_a_plugin_that_rewrites_pages)
    assert result.reused == 0, f"a page was reused behind a {signal_name} receiver's back"


def test_no_reuse_when_the_output_was_replaced_meanwhile(preview, tmp_path):
    import shutil

    builder, content, output = preview
    builder.wait()  # the first build's search index is still being written into output/
    shutil.copytree(output, tmp_path / "elsewhere")
    shutil.rmtree(output)
    (tmp_path / "elsewhere").rename(output)  # as another build would
    post = sorted((content / "posts").glob("*.md"))[2]
    post.write_text(edit_text(post.read_text("utf-8"), "after-replace"), "utf-8")
    assert builder.build(changed=[post]).reused == 0


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("content/posts/a.md", True),
        ("content/pages/about.md", True),
        ("content/images/chart.png", False),
        ("theme/templates/article.html", False),
        ("pelicanconf.py", False),
        ("elsewhere/posts/a.md", False),
    ],
)
def test_only_content_sources_allow_reuse(tmp_path, relative, expected):
    from sitetools.reuse import only_sources_changed

    assert only_sources_changed([tmp_path / relative], tmp_path / "content") is expected


def test_an_unknown_change_allows_no_reuse(tmp_path):
    from sitetools.reuse import only_sources_changed

    assert not only_sources_changed(None, tmp_path)
    assert not only_sources_changed([], tmp_path)


def test_the_preview_indexes_search_after_serving_and_the_index_is_complete(preview):
    import json

    builder, content, output = preview
    post = sorted((content / "posts").glob("*.md"))[6]
    post.write_text(edit_text(post.read_text("utf-8"), "indexed-later"), "utf-8")
    builder.build(changed=[post])
    assert "indexed-later" in page(output, post.stem), "the page is served before indexing"
    builder.wait()
    entry = json.loads((output / "pagefind" / "pagefind-entry.json").read_text("utf-8"))
    pages = sum(language["page_count"] for language in entry["languages"].values())
    assert pages == POSTS, f"the preview's search index holds {pages} pages"

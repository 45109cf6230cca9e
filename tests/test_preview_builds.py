"""SiteBuilder, as the preview uses it (warm=True) and as `invoke build` does:
each rebuild shows the edit, never keeps stale pages, never destroys the last
good output, and a settings change is never served from the content cache."""

import re
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from sitetools.build.builder import ROOT, BuildError, SiteBuilder
from sitetools.quality.bench import edit_text, write_corpus
from tests.conftest import preview_of_corpus, site_files

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


def _cold_build(content, base):
    """A full build of `content` by a fresh, cold builder."""
    return SiteBuilder(
        "pelicanconf.py", base / "cold-output", {"PATH": str(content), "CACHE_PATH": str(base)}
    ).build()


@pytest.fixture
def preview(tmp_path):
    return preview_of_corpus(tmp_path, POSTS)


def _edit(content, index, token):
    post = sorted((content / "posts").glob("*.md"))[index]
    post.write_text(edit_text(post.read_text("utf-8"), token), "utf-8")
    return post


def test_the_fast_pass_writes_the_edited_and_open_pages_then_the_full_build_matches_a_cold_one(
    preview, tmp_path
):
    builder, content, output = preview
    builder.wait()  # the first build's search index
    before = site_files(output)
    copies = {path: path.stat().st_ino for path in output.glob("posts/*/index.md")}
    cards = {path: path.stat().st_ino for path in output.glob("social/*.png")}
    cached = {path.name: path.read_bytes() for path in (output.parent / "cache").glob("*.pickle")}
    post = _edit(content, 4, "body-only")
    fast = builder.build(changed=[post], first={"about/index.html"})
    kept = {path.name: path.read_bytes() for path in (output.parent / "cache").glob("*.pickle")}
    assert cached and kept == cached, "the fast pass rewrote cache/: the full build saves it"
    assert fast.fast, "the fast pass wrote every page"
    assert f"posts/{post.stem}/index.html" in fast.written, "the edited page was not written"
    assert "about/index.html" in fast.written, "the page open in the browser was not written"
    assert "body-only" in page(output, post.stem), "the fast pass did not show the edit"
    assert len(fast.written) < POSTS / 2, f"the fast pass wrote {len(fast.written)} pages"
    untouched = sorted((content / "posts").glob("*.md"))[9].stem
    path = f"posts/{untouched}/index.html"
    assert site_files(output)[path] == before[path], "a page the fast pass skipped changed"
    rewritten = [path.parent.name for path, inode in copies.items() if path.stat().st_ino != inode]
    assert copies and not rewritten, f"the fast pass wrote the posts' Markdown copies: {rewritten}"
    redrawn = [path.name for path, inode in cards.items() if path.stat().st_ino != inode]
    assert cards and not redrawn, f"the fast pass wrote the social images again: {redrawn}"

    builder.build(changed=[post])
    builder.wait()  # the search index comes just after
    assert site_files(output) == site_files(_cold_build(content, tmp_path / "a").output), (
        "after the full build the preview's site differs from a cold build"
    )


def test_a_title_edit_reaches_the_listings_in_the_full_build(preview, tmp_path):
    builder, content, output = preview
    front = (output / "index.html").read_text("utf-8")
    post = next(p for p in sorted((content / "posts").glob("*.md")) if f"{p.stem}/" in front)
    text = re.sub(r"^Title: .*$", "Title: Renamed in listings", post.read_text("utf-8"), flags=re.M)
    post.write_text(text, "utf-8")
    builder.build(changed=[post], first={"index.html"})
    assert "Renamed in listings" in (output / "index.html").read_text("utf-8"), (
        "the front page open in the browser did not show the new title"
    )
    soup = BeautifulSoup(page(output, post.stem), "html.parser")
    image = soup.select_one("meta[property='og:image']")["content"]
    drawn = output / "social" / image.split("/")[-1]
    assert drawn.is_file(), f"the fast pass left the new title's card unwritten: {drawn.name}"
    builder.build(changed=[post])
    builder.wait()
    assert site_files(output) == site_files(_cold_build(content, tmp_path / "b").output)


def test_a_failed_fast_pass_leaves_the_output_untouched(preview):
    builder, content, output = preview
    builder.wait()
    before = site_files(output)
    post = sorted((content / "posts").glob("*.md"))[5]
    post.write_text(re.sub(r"^Date: .*$", "Date: soon", post.read_text("utf-8"), flags=re.M))
    with pytest.raises(BuildError) as failure:
        builder.build(changed=[post], first={"index.html"})
    assert any(post.name in line for line in failure.value.problems), failure.value.problems
    assert site_files(output) == before, "a failed fast pass changed output/"


class _RewritingPlugin:
    """An unknown plugin that rewrites every page it is told was written."""

    def __init__(self):
        self.seen = 0

    def rewrite(self, path, **_kwargs):
        text = Path(path).read_text("utf-8")
        Path(path).write_text(text.replace("</body>", "<!-- rewritten --></body>"), "utf-8")
        self.seen += 1


def test_an_unknown_plugin_rewriting_pages_never_makes_the_preview_wrong(preview, tmp_path):
    from pelican import signals

    builder, content, output = preview
    plugin = _RewritingPlugin()
    signals.content_written.connect(plugin.rewrite)
    try:
        post = _edit(content, 2, "listened")
        builder.build(changed=[post], first=set())
        assert "<!-- rewritten -->" in page(output, post.stem), "the fast pass skipped the plugin"
        builder.build(changed=[post])
        cold = _cold_build(content, tmp_path / "c").output
    finally:
        signals.content_written.disconnect(plugin.rewrite)
    builder.wait()
    assert site_files(output) == site_files(cold), "the preview differs from a cold build"
    pages = [p for p in output.rglob("*.html")]
    unrewritten = [p for p in pages if b"<!-- rewritten -->" not in p.read_bytes()]
    assert len(unrewritten) < len(pages), "the plugin ran on no page"


def test_another_writer_plugin_makes_the_fast_pass_write_every_page_and_says_so(preview, caplog):
    from pelican import signals
    from pelican.writers import Writer

    builder, content, output = preview

    def their_writer(_pelican):
        return Writer

    signals.get_writer.connect(their_writer)
    try:
        post = _edit(content, 3, "their-writer")
        result = builder.build(changed=[post], first=set())
    finally:
        signals.get_writer.disconnect(their_writer)
    assert "their-writer" in page(output, post.stem)
    assert result.fast, "the full build must follow: the pass left the social images to it"
    assert len(result.written) > POSTS, "another plugin's writer did not write every page"
    assert "another plugin gives Pelican its writer" in caplog.text, "no word of the fallback"


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


@pytest.mark.parametrize(
    ("address", "path"),
    [
        ("/", "index.html"),
        ("/posts/a-post/", "posts/a-post/index.html"),
        ("/about", "about/index.html"),
        ("/page/2/", "page/2/index.html"),
        ("/404.html", "404.html"),
        ("/tags/ml%20ops/", "tags/ml ops/index.html"),
    ],
)
def test_an_open_page_is_known_by_its_output_path(address, path):
    from sitetools.preview.server import page_file

    assert page_file(address) == path


def _listening(state, page):
    """The inbox of an open page, past the news every page gets when it connects."""
    inbox = state.listen(page)
    assert inbox.get_nowait() == ("build", state.token)
    return inbox


def _reloads(inbox):
    """The build tokens an open page was sent (each reloads it), past the other news."""
    news = [inbox.get_nowait() for _ in range(inbox.qsize())]
    return [data for event, data in news if event == "build"]


def test_a_save_reloads_each_open_page_once_the_written_ones_first(preview, capsys):
    from sitetools.preview.server import PreviewState, rebuild

    builder, content, output = preview
    state = PreviewState()
    about = _listening(state, "about/index.html")
    # A listing's later page is written with its first one, in the full build.
    later = _listening(state, "page/2/index.html")
    post = _edit(content, 8, "reloaded")
    assert rebuild(builder, state, changed=[post]), capsys.readouterr().err
    said = capsys.readouterr().out
    assert "Pages rebuilt in" in said, f"no fast pass before the full build: {said!r}"
    about, later = _reloads(about), _reloads(later)
    assert len(about) == 1, "the open About page did not reload exactly once"
    assert len(later) == 1, "a page the fast pass skipped did not reload after the full build"
    assert about != later, "both pages reloaded after the same pass"
    assert "reloaded" in page(output, post.stem)


def test_a_settings_change_is_built_once_in_full(preview, capsys):
    from sitetools.preview.server import PreviewState, rebuild

    builder, _content, _output = preview
    state = PreviewState()
    page_open = _listening(state, "index.html")
    assert rebuild(builder, state, changed=[ROOT / "pelicanconf.py"]), capsys.readouterr().err
    said = capsys.readouterr().out
    assert "Pages rebuilt in" not in said, "a fast pass read every source again for nothing"
    assert said.count("Rebuilt in") == 1, said
    assert len(_reloads(page_open)) == 1, "the open page did not reload once"

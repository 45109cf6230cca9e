"""Search: a Pagefind index built inside every build, of article bodies only,
and a /search/ page that works under a strict CSP and says what to do without
JavaScript."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from plugins.search_index.search_index import (
    ALL_HTML,
    article_folders,
    folders_glob,
    pagefind_command,
    pagefind_env,
    pagefind_executable,
)
from sitetools.build import BuildError, build
from tests.colours import contrast
from tests.conftest import DATA, ROOT, preview_of_corpus

CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data:"
)


def entry(output):
    path = output / "pagefind" / "pagefind-entry.json"
    assert path.is_file(), "no Pagefind index was written"
    return json.loads(path.read_text())


@pytest.mark.parametrize("which", ["site", "prod_site"])
def test_both_builds_index_exactly_the_posts(request, seed, which):
    output = request.getfixturevalue(which)
    pages = sum(lang["page_count"] for lang in entry(output)["languages"].values())
    assert pages == len(seed["posts"]), f"{which}: {pages} pages indexed"
    assert (output / "pagefind" / "pagefind-ui.js").is_file()


def test_reading_only_the_article_folders_changes_nothing_in_the_index(prod_site, tmp_path):
    """The build gives Pagefind only the folders articles are written to; the
    index must be byte for byte what Pagefind makes of the whole site."""
    site = tmp_path / "site"
    shutil.copytree(prod_site, site)
    shutil.rmtree(site / "pagefind")
    options = {"bundle_dir": "whole", "extra_args": []}
    command = pagefind_command(pagefind_executable(), site, options)
    assert "--glob" not in command
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    ours, whole = prod_site / "pagefind", site / "whole"
    names = sorted(p.relative_to(ours) for p in ours.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(whole) for p in whole.rglob("*") if p.is_file())
    for name in names:
        assert (ours / name).read_bytes() == (whole / name).read_bytes(), name


def test_drafts_are_searchable_in_the_preview_only(hostile):
    """Drafts are written to drafts/, outside posts/: the dev build still
    indexes them (two posts and a draft), the production build has no draft."""
    counts = {
        mode: sum(lang["page_count"] for lang in entry(output)["languages"].values())
        for mode, output in hostile.items()
    }
    assert counts == {"dev": 3, "prod": 2}, counts


@pytest.mark.parametrize(
    ("paths", "glob"),
    [
        (["posts/a/index.html", "posts/b/index.html"], "posts/**/*.html"),
        (["posts/a/index.html", "drafts/b/index.html"], "{drafts,posts}/**/*.html"),
        (["/posts/a/index.html"], "posts/**/*.html"),
        (["posts/a/index.html", "a-fr.html"], ALL_HTML),
        (["we{ird}/a/index.html"], ALL_HTML),
        ([], ALL_HTML),
    ],
)
def test_the_glob_covers_every_article_folder_or_the_whole_site(paths, glob):
    assert folders_glob(article_folders(paths)) == glob


def test_an_allocator_setting_of_the_callers_own_wins():
    assert "dirty_decay_ms:0" in pagefind_env({"PATH": "/bin"})["_RJEM_MALLOC_CONF"]
    assert pagefind_env({"_RJEM_MALLOC_CONF": "narenas:1"})["_RJEM_MALLOC_CONF"] == "narenas:1"


def test_only_article_bodies_are_marked_for_the_index(prod_site, html):
    for page in sorted(prod_site.rglob("*.html")):
        if page.is_relative_to(prod_site / "pagefind"):
            continue
        marked = html(page.parent, page.name).select("[data-pagefind-body]")
        is_post = page.parent.parent == prod_site / "posts"
        assert [m.name for m in marked] == (["article"] if is_post else []), page


def test_search_page_loads_its_scripts_and_nobody_else_does(prod_site, prod_siteurl, html):
    soup = html(prod_site, "search/index.html")
    sources = [s["src"] for s in soup.select("head script[src]")]
    assert len(sources) == 2, sources
    assert sources[0] == f"{prod_siteurl}/pagefind/pagefind-ui.js", sources
    assert re.fullmatch(
        rf"{re.escape(prod_siteurl)}/assets/js/search\.[0-9a-f]{{10}}\.js", sources[1]
    ), f"search.js is not loaded under its hashed name: {sources[1]}"
    assert all(s.has_attr("defer") for s in soup.select("head script[src]"))
    for src in sources:
        assert (prod_site / src.removeprefix(prod_siteurl + "/")).is_file(), src
    for page in sorted(prod_site.rglob("*.html")):
        if page.parent.name in ("search", "pagefind"):
            continue
        other = html(page.parent, page.name)
        assert not other.select("script[src]"), f"{page.relative_to(prod_site)} loads a script"
        assert not other.select('link[href*="pagefind"]'), page


def test_no_page_has_inline_styles_or_handlers(prod_site, html):
    for page in sorted(prod_site.rglob("*.html")):
        if page.is_relative_to(prod_site / "pagefind"):
            continue
        soup = html(page.parent, page.name)
        where = page.relative_to(prod_site)
        assert not soup.select("[style]") and not soup.select("style"), f"{where}: inline style"
        handlers = [a for tag in soup.find_all(True) for a in tag.attrs if a.startswith("on")]
        assert not handlers, f"{where}: inline handlers {handlers}"


def test_search_page_says_what_to_do_without_javascript(prod_site, html):
    soup = html(prod_site, "search/index.html")
    fallback = soup.select_one("[data-search-fallback]")
    assert fallback is not None and "JavaScript" in fallback.get_text()
    hrefs = [a["href"].rstrip("/") for a in fallback.select("a")]
    assert any(h.endswith("/tags") for h in hrefs) and any(h.endswith("/archives") for h in hrefs)


def test_search_is_in_the_main_menu_and_current_on_its_page(prod_site, prod_siteurl, html):
    link = html(prod_site, "index.html").select_one(".site-nav a[href$='/search/']")
    assert link is not None and link.get_text(strip=True) == "Search"
    current = html(prod_site, "search/index.html").select_one('.site-nav a[aria-current="page"]')
    assert current is not None and current["href"] == f"{prod_siteurl}/search/"


def test_a_failed_index_fails_the_build_and_keeps_the_last_good_site(tmp_path):
    output = tmp_path / "output"
    output.mkdir()
    (output / "keep.txt").write_text("last good build")
    overrides = {
        "PATH": str(DATA / "sharing"),
        "CACHE_PATH": str(tmp_path / "cache"),
        "SEARCH_INDEX": {"extra_args": ["--no-such-flag"]},
    }
    with pytest.raises(BuildError) as failure:
        build("pelicanconf.py", output, overrides)
    assert any("pagefind exited" in p for p in failure.value.problems), failure.value.problems
    assert (output / "keep.txt").read_text() == "last good build"
    assert not list(tmp_path.glob(".output-*")), "a staging folder was left behind"


@pytest.mark.slow
def test_the_build_needs_no_network(tmp_path):
    """The whole production build, Pagefind included, in a network namespace
    with no interface up."""
    unshare = shutil.which("unshare")
    probe = unshare and subprocess.run([unshare, "-n", "true"], capture_output=True, check=False)
    if not probe or probe.returncode != 0:
        message = "unshare -n is not available here (needs root or user namespaces)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    script = (
        "import sys; from sitetools.build import build; "
        "build('publishconf.py', sys.argv[1], {'PATH': sys.argv[2], 'CACHE_PATH': sys.argv[3]})"
    )
    output = tmp_path / "output"
    result = subprocess.run(
        [
            unshare,
            "-n",
            sys.executable,
            "-c",
            script,
            str(output),
            str(DATA / "sharing"),
            str(tmp_path / "cache"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert entry(output)["languages"], "no index built offline"


@pytest.mark.browser
def test_typing_a_query_shows_the_post_under_a_strict_csp(open_page, prod_site, prod_siteurl):
    title = "How I built Infracost for LLM spend in a day"  # a post in the seed listing
    page = open_page(
        prod_site,
        "/search/",
        origin=prod_siteurl,
        headers={"content-security-policy": CSP},
        viewport={"width": 390, "height": 900},
    )
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.reload()
    assert page.locator("[data-search-fallback]").is_hidden(), "the no-JS message still shows"
    box = page.get_by_role("searchbox")
    if not box.count():
        box = page.locator(".pagefind-ui__search-input")
    box.fill("infracost")
    result = page.locator(".pagefind-ui__result-link").first
    result.wait_for(timeout=10_000)
    assert result.inner_text().replace("\xa0", " ") == title
    href = result.get_attribute("href")
    assert href.rstrip("/").endswith("/posts/infracost-for-llm-spend-in-a-day"), href
    # Excerpts come from the post's prose, not its date, reading time or contents.
    excerpts = " ".join(page.locator(".pagefind-ui__result-excerpt").all_inner_texts())
    for chrome in ("Published", "min read", "Contents", "Link to section"):
        assert chrome not in excerpts, f"{chrome!r} in a search excerpt: {excerpts[:300]}"
    result.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().replace("\xa0", " ") == title
    assert not problems, problems


@pytest.mark.browser
def test_without_javascript_the_search_page_points_to_tags_and_archives(
    open_page, prod_site, prod_siteurl
):
    page = open_page(prod_site, "/search/", origin=prod_siteurl, java_script_enabled=False)
    fallback = page.locator("[data-search-fallback]")
    assert fallback.is_visible()
    assert page.get_by_role("link", name="Browse by tag").is_visible()
    assert page.get_by_role("link", name="Archives by year").is_visible()
    assert page.locator("[data-search-label]").is_hidden(), "a label for no search box shows"


# Axe rules about naming a form field; label-title-only is a best-practice rule
# that a WCAG-tag run (tests/test_browser_quality.py) leaves out.
LABEL_RULES = ["label", "label-title-only", "aria-input-field-name", "color-contrast"]
PLACEHOLDER = """() => {
  const input = document.querySelector("input.pagefind-ui__search-input");
  const style = getComputedStyle(input, "::placeholder");
  return {text: input.placeholder, color: style.color, opacity: style.opacity,
          background: getComputedStyle(input).backgroundColor};
}"""


def _blend(colour, opacity, background):
    """The colour a translucent `colour` shows over `background` (rgb() strings)."""
    fg = [float(v) for v in re.findall(r"[\d.]+", colour)[:3]]
    bg = [float(v) for v in re.findall(r"[\d.]+", background)[:3]]
    mixed = [round(f * opacity + b * (1 - opacity)) for f, b in zip(fg, bg, strict=True)]
    return "rgb({}, {}, {})".format(*mixed)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_search_box_has_a_visible_label(open_page, prod_site, prod_siteurl, scheme):
    page = open_page(prod_site, "/search/", origin=prod_siteurl, color_scheme=scheme)
    box = page.locator("input.pagefind-ui__search-input")
    box.wait_for()
    label = page.locator("label[for]", has_text="Search the posts")
    assert label.is_visible(), "the search box has no visible label"
    assert page.get_by_label("Search the posts").evaluate("e => e.className") == box.evaluate(
        "e => e.className"
    ), "the label names another element"
    assert label.bounding_box()["y"] < box.bounding_box()["y"], "the label is not above the box"
    shown = page.evaluate(PLACEHOLDER)
    placeholder = _blend(shown["color"], float(shown["opacity"]), shown["background"])
    ratio = contrast(placeholder, shown["background"])
    assert ratio >= 4.5, (
        f"{scheme}: placeholder {placeholder} on {shown['background']}: {ratio:.2f}"
    )
    options = {"runOnly": {"type": "rule", "values": LABEL_RULES}, "resultTypes": ["violations"]}
    found = Axe().run(page, options=options).response["violations"]
    assert found == [], [(v["id"], [n["html"] for n in v["nodes"]]) for v in found]
    # The same rules catch a box left with no label: the check above can fail.
    box.evaluate("e => { e.removeAttribute('id'); e.title = 'Search'; }")
    found = Axe().run(page, options=options).response["violations"]
    assert "label-title-only" in [v["id"] for v in found], found


# -- Pagefind starts as soon as the article pages are written ----------------


class _Finished:
    """What the plugin keeps of a Pagefind process it started."""

    def poll(self):
        return 0

    def kill(self):
        pass


class _Articles:
    """What note_article_folders reads of an article generator."""

    def __init__(self, site, save_as_paths):
        self.output_path = str(site)
        self.settings = {"SEARCH_INDEX": {}, "CACHE_PATH": str(Path(site) / "cache")}
        self.articles = [type("Article", (), {"save_as": path})() for path in save_as_paths]


def test_the_index_starts_once_the_last_article_page_is_written(tmp_path, monkeypatch):
    from plugins.search_index import search_index

    started, cleanups = [], []
    monkeypatch.setattr(
        search_index, "start_index", lambda *args: started.append(args) or _Finished()
    )
    monkeypatch.setattr(search_index, "on_failure", cleanups.append)
    monkeypatch.setattr(search_index, "defers_after_swap", lambda: False)
    paths = ["posts/a/index.html", "posts/b/index.html", "posts/c/index.html"]
    search_index.reset()
    search_index.note_article_folders(_Articles(tmp_path, paths))
    for path in ["index.html", *(str(tmp_path / p) for p in paths[:-1])]:
        search_index.start_early(path)
    assert not started, "Pagefind started before every article page was written"
    search_index.start_early(str(tmp_path / paths[-1]))
    assert len(started) == 1, "Pagefind did not start after the last article page"
    site, _options, glob = started[0]
    assert (site, glob) == (str(tmp_path), "posts/**/*.html")
    assert len(cleanups) == 1, "a failed build would leave Pagefind writing into its folder"
    search_index.start_early(str(tmp_path / paths[0]))
    assert len(started) == 1, "Pagefind started twice"
    search_index.reset()


def test_the_preview_never_starts_the_index_early(tmp_path, monkeypatch):
    from plugins.search_index import search_index

    started = []
    monkeypatch.setattr(
        search_index, "start_index", lambda *args: started.append(args) or _Finished()
    )
    monkeypatch.setattr(search_index, "defers_after_swap", lambda: True)
    search_index.reset()
    search_index.note_article_folders(_Articles(tmp_path, ["posts/a/index.html"]))
    search_index.start_early(str(tmp_path / "posts/a/index.html"))
    assert not started, "the preview indexes after the swap, not during the build"
    search_index.reset()


def test_a_build_failing_after_the_index_started_leaves_nothing_behind(tmp_path, monkeypatch):
    import time

    from pelican import signals

    from sitetools.bench import write_corpus

    content = write_corpus(tmp_path / "content", 30)
    processes = []

    def fail_after_the_articles(_generator, **_kwargs):
        plugin = sys.modules["search_index.search_index"]  # as Pelican loaded it
        processes.append((plugin._state["started"] or (None, None))[1])
        raise RuntimeError("a plugin gave up after the article pages")

    signals.article_writer_finalized.connect(fail_after_the_articles)
    try:
        with pytest.raises(BuildError):
            build(
                "publishconf.py",
                tmp_path / "site" / "output",
                {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")},
            )
    finally:
        signals.article_writer_finalized.disconnect(fail_after_the_articles)
    assert processes and processes[0] is not None, "Pagefind had not started early"
    time.sleep(1)  # long enough for a Pagefind left running to write its bundle
    assert processes[0].poll() is not None, "Pagefind still runs after the build failed"
    left = sorted(path.name for path in (tmp_path / "site").iterdir())
    assert left == [], f"a failed build left {left} beside output/"


# -- The last index is reused while the pages it read are the same -----------


def _bundle(output):
    folder = output / "pagefind"
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture
def pagefind_runs(monkeypatch):
    """Counts Pagefind runs in builds made after the first (the plugin as
    Pelican loaded it, from PLUGIN_PATHS)."""
    runs = []

    def watch():
        plugin = sys.modules["search_index.search_index"]
        original = plugin.start_index

        def counting(*args):
            runs.append(args)
            return original(*args)

        monkeypatch.setattr(plugin, "start_index", counting)

    return runs, watch


def test_production_reindexes_only_when_an_article_page_changed(tmp_path, pagefind_runs):
    from sitetools.bench import edit_text, write_corpus

    runs, watch = pagefind_runs
    content = write_corpus(tmp_path / "content", 30)
    overrides = {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")}
    first = build("publishconf.py", tmp_path / "first", overrides).output
    watch()
    about = next((content / "pages").glob("*.md"))
    about.write_text(about.read_text("utf-8") + "\nA page edit.\n", "utf-8")
    same = build("publishconf.py", tmp_path / "same", overrides).output
    assert not runs, "Pagefind ran though no article page changed"
    assert _bundle(same) == _bundle(first), "the kept index differs from the one it stands for"
    post = sorted((content / "posts").glob("*.md"))[6]
    post.write_text(edit_text(post.read_text("utf-8"), "reindexed"), "utf-8")
    edited = build("publishconf.py", tmp_path / "edited", overrides).output
    assert len(runs) == 1, "an edited post did not make a new index"
    assert _bundle(edited) != _bundle(first)


def test_the_preview_reindexes_only_when_an_article_page_changed(tmp_path, pagefind_runs):
    from sitetools.bench import edit_text

    runs, watch = pagefind_runs
    builder, content, _ = preview_of_corpus(tmp_path, 30)
    builder.wait()
    watch()
    about = next((content / "pages").glob("*.md"))
    about.write_text(about.read_text("utf-8") + "\nA page edit.\n", "utf-8")
    builder.build(changed=[about])
    builder.wait()
    assert not runs, "the preview ran Pagefind though no article page changed"
    assert (tmp_path / "output" / "pagefind" / "pagefind-entry.json").is_file()
    post = sorted((content / "posts").glob("*.md"))[6]
    post.write_text(edit_text(post.read_text("utf-8"), "reindexed"), "utf-8")
    builder.build(changed=[post])
    builder.wait()
    assert len(runs) == 1, "an edited post did not make a new index in the preview"

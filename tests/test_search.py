"""Search: a Pagefind index built inside every build, of article bodies only,
and a /search/ page that works under a strict CSP and says what to do without
JavaScript."""

import json
import os
import re
import shutil
import subprocess
import sys
import threading

import pytest
from axe_playwright_python.sync_playwright import Axe

from plugins.search_index.search_index import index_preview, settings_for
from sitetools.build.builder import BuildError, build
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


def test_drafts_are_searchable_in_the_preview_only(hostile):
    """Drafts are written to drafts/, outside posts/: the dev build still
    indexes them (two posts and a draft), the production build has no draft."""
    counts = {
        mode: sum(lang["page_count"] for lang in entry(output)["languages"].values())
        for mode, output in hostile.items()
    }
    assert counts == {"dev": 3, "prod": 2}, counts


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
        "import sys; from sitetools.build.builder import build; "
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


# -- The preview indexes after the swap, beside the output, then renames it in --


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """The preview's builder after its first build of 30 posts, and its index done."""
    builder, content, output = preview_of_corpus(tmp_path_factory.mktemp("preview"), 30)
    builder.wait()
    return builder, content, output


def _news(inbox):
    return [inbox.get_nowait() for _ in range(inbox.qsize())]


def test_the_preview_serves_the_last_index_until_the_new_one_is_whole(preview, monkeypatch):
    from sitetools.preview.server import PreviewState
    from sitetools.quality.bench import edit_text

    builder, content, output = preview
    state = PreviewState()
    monkeypatch.setattr(builder, "on_deferred", state.deferred)
    search_page = state.listen("search/index.html")
    before = entry(output)
    plugin = sys.modules["search_index.search_index"]  # as Pelican loaded it
    gate, original = threading.Event(), plugin.run_pagefind

    def held(*args):
        assert gate.wait(60), "the test never let the index go on"
        return original(*args)

    monkeypatch.setattr(plugin, "run_pagefind", held)
    post = sorted((content / "posts").glob("*.md"))[3]
    post.write_text(edit_text(post.read_text("utf-8"), "reindexed"), "utf-8")
    try:
        builder.build(changed=[post])
        assert entry(output) == before, "the last index was not served while the new one was made"
        assert ("deferred", "running") in _news(search_page), "/search/ was not told"
        late = state.listen("search/index.html")
        assert _news(late)[-1] == ("deferred", "running"), "a page opened meanwhile was not told"
    finally:
        gate.set()
        builder.wait()
    assert _news(search_page) == [("deferred", "done")], "/search/ was not told it is done"
    assert entry(output) != before, "the edited post was not indexed again"
    left = [p.name for p in output.parent.iterdir() if p.name.startswith(".output-")]
    assert not left, f"indexing left {left} beside output/"


def test_from_a_save_to_the_new_index_the_search_page_is_told_the_index_is_older(preview):
    """rebuild() as the preview runs it: /search/ is told before the fast pass
    writes anything, and told it is done only once the full build's index is in."""
    from sitetools.preview.server import PreviewState, rebuild
    from sitetools.quality.bench import edit_text

    builder, content, output = preview
    state = PreviewState()
    builder.on_deferred = state.deferred
    search_page = state.listen("search/index.html")
    _news(search_page)  # what every page gets when it connects
    post = sorted((content / "posts").glob("*.md"))[5]
    post.write_text(edit_text(post.read_text("utf-8"), "told"), "utf-8")
    try:
        assert rebuild(builder, state, changed=[post])
        builder.wait()
    finally:
        builder.on_deferred = lambda _running: None
    news = _news(search_page)
    assert news[0] == ("deferred", "running"), f"told after the save's first build: {news}"
    assert news[-1] == ("deferred", "done"), news
    assert news.count(("deferred", "done")) == 1 or news[-2:] == [("deferred", "done")] * 2, news
    builds = [i for i, (event, _) in enumerate(news) if event == "build"]
    assert builds and max(builds) < news.index(("deferred", "done")), "done before the build"
    assert (
        not state.deferring
        and "told"
        in (output / "posts")
        .joinpath(
            next(
                line[6:].strip()
                for line in post.read_text().splitlines()
                if line.startswith("Slug:")
            ),
            "index.html",
        )
        .read_text()
    )


def test_a_failed_preview_index_keeps_the_last_one_and_leaves_nothing(prod_site, tmp_path):
    site = tmp_path / "output"
    shutil.copytree(prod_site, site)
    before = entry(site)
    options = settings_for({"SEARCH_INDEX": {"extra_args": ["--no-such-flag"]}})
    with pytest.raises(BuildError) as failure:
        index_preview(site, options)
    assert "pagefind exited" in failure.value.problems[0], failure.value.problems
    assert entry(site) == before, "a failed index replaced the last one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"], "a folder was left behind"


@pytest.mark.browser
def test_the_preview_search_page_says_the_index_is_older_then_reloads(open_page, site, tmp_path):
    """reload.js as the preview serves it, with the server's news routed: the
    index is being made, then it is done."""
    from sitetools.preview.server import EVENTS_PATH, RELOAD_JS, RELOAD_PATH, RELOAD_TAG

    copy = shutil.copytree(site, tmp_path / "site")
    search = copy / "search" / "index.html"
    search.write_bytes(search.read_bytes().replace(b"</body>", RELOAD_TAG + b"</body>"))
    index = {"done": False}  # the server's news, each time the page connects again
    answers = []

    def events(route):
        said = "done" if index["done"] else "running"
        answers.append(said)
        body = f"retry: 100\nevent: build\ndata: one\n\nevent: deferred\ndata: {said}\n\n"
        route.fulfill(status=200, body=body, headers={"content-type": "text/event-stream"})

    page = open_page(copy, "/search/", headers={"content-security-policy": CSP})
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route(f"**{EVENTS_PATH}*", events)
    page.route(
        f"**{RELOAD_PATH}", lambda r: r.fulfill(body=RELOAD_JS, content_type="text/javascript")
    )
    with page.expect_navigation(timeout=10_000):
        page.reload()
    note = page.locator("[data-preview-note]")
    # The note shows while the index is being made; "done" reloads the page,
    # which shows no note.
    note.wait_for(state="attached", timeout=5000)
    assert "older than your last save" in note.inner_text()
    assert page.get_by_role("status").count() >= 1
    page.wait_for_timeout(500)  # "running" again on each reconnection: no reload
    assert note.count() == 1, "the page reloaded while the index was still being made"
    with page.expect_navigation(timeout=10_000):
        index["done"] = True
    page.locator(".pagefind-ui__search-input").wait_for(timeout=5000)
    assert note.count() == 0, "the note stays once the index is done"
    assert answers[0] == "running" and "done" in answers, answers
    assert not problems, problems

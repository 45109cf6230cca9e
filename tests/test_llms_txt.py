"""/llms.txt and each post's Markdown (the for_llms plugin): the seed's posts
plus fixture posts with {static}/{filename} links, a draft, a hidden and a
scheduled post, built once per module as the preview and as production."""

import html as html_lib
import http.server
import re
import shutil
import threading
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit

import pytest
from llms_txt import parse_llms_file
from PIL import Image

from plugins.for_llms.for_llms import is_published, llms_txt, markdown_body, resolve_links
from sitetools import netlify
from sitetools.build.builder import load_settings
from sitetools.preview import server as devserver
from tests.conftest import ROOT, build_site, read_html

LINKS_TITLE = "Links to [static] files and other posts"
LINKS_POST = f"""\
Title: {LINKS_TITLE}
Date: 2026-01-05 10:00
Tags: testing, markdown
Slug: links-post
Summary: It's a post whose Markdown links an image
    and another post.

A chart: ![A chart]({{static}}/images/chart.png).

The [snapshot]({{filename}}ttft-llm-provider-benchmark-snapshot.md#what-ttft-measures) and
the [same, from the root]({{filename}}/posts/ttft-llm-provider-benchmark-snapshot.md).
The [chart again][ref], by a reference its definition must keep working for.

[ref]: {{static}}/images/chart.png
"""
UNLISTED = {
    "a-draft": "Status: draft\nDate: 2026-01-01 10:00",
    "a-hidden": "Status: hidden\nDate: 2026-01-02 10:00",
    "a-scheduled": "Date: 2999-01-01 10:00",
}
HEADER_LINE = re.compile(r"^(Title|Date|Tags|Slug|Summary|Status|Modified|Save_as|Url):", re.M)


@pytest.fixture(scope="module")
def fixture_content(tmp_path_factory):
    content = tmp_path_factory.mktemp("llms-content") / "content"
    shutil.copytree(ROOT / "content", content)
    (content / "images").mkdir(exist_ok=True)
    Image.new("RGB", (4, 4), "white").save(content / "images" / "chart.png")
    (content / "posts" / "links-post.md").write_text(LINKS_POST, encoding="utf-8")
    for slug, header in UNLISTED.items():
        (content / "posts" / f"{slug}.md").write_text(
            f"Title: Unlisted {slug}\n{header}\nTags: secret\nSlug: {slug}\n"
            f"Summary: The {slug} post.\n\nThe {slug} body must stay unlisted.\n",
            encoding="utf-8",
        )
    return content


@pytest.fixture(scope="module", params=["pelicanconf.py", "publishconf.py"])
def built(request, tmp_path_factory, fixture_content):
    """(settings, output) of the preview and the production build."""
    config = request.param
    output = build_site(tmp_path_factory, "llms-site", config, PATH=str(fixture_content))
    return load_settings(config, {"PATH": str(fixture_content)}), Path(output)


def published_slugs(content):
    return sorted(
        path.stem
        for path in (content / "posts").glob("*.md")
        if path.stem not in UNLISTED  # each file's name is its post's slug
    )


def site_path(url, page="/"):
    """The output path a link leads to, from the page at `page`."""
    path = urlsplit(urljoin(f"http://site{page}", url)).path
    return path.lstrip("/") + ("index.html" if path.endswith("/") else "")


def normal(text):
    """Text without typography (curly quotes, no-break spaces), spaces collapsed."""
    table = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\xa0": " "})
    return " ".join(html_lib.unescape(text).translate(table).split())


def parsed(output):
    return parse_llms_file((output / "llms.txt").read_text(encoding="utf-8"))


def test_llms_txt_has_site_name_tagline_and_one_link_per_post(built, fixture_content):
    settings, output = built
    llms = parsed(output)
    assert llms.title == settings["SITENAME"], "llms.txt's H1 is not the site's name"
    assert llms.summary == settings["SITE_TAGLINE"], "llms.txt's blockquote is not the tagline"
    assert list(llms.sections) == ["Posts"], f"sections: {list(llms.sections)}"
    links = llms.sections["Posts"]
    slugs = sorted(site_path(link.url).split("/")[1] for link in links)
    assert slugs == published_slugs(fixture_content), f"llms.txt links {slugs}"
    assert len(slugs) == len(set(slugs)), f"a post is listed twice: {slugs}"
    titles = [html_lib.unescape(link.title) for link in links]
    assert LINKS_TITLE in titles, f"the bracketed title is not kept: {titles}"


def test_links_are_absolute_in_production_and_lead_to_the_markdown(built):
    settings, output = built
    for link in parsed(output).sections["Posts"]:
        if settings["SITEURL"]:
            assert link.url.startswith(settings["SITEURL"] + "/posts/"), link.url
        assert link.url.endswith("/index.md"), f"{link.url} is not a post's Markdown"
        assert (output / site_path(link.url)).is_file(), f"{link.url} was not written"


def test_each_summary_is_the_cards_summary(built, html):
    _settings, output = built
    front = html(output, "index.html")
    cards = {
        site_path(card.select_one(".card__title a")["href"]): card
        for card in front.select("article.card")
        if not card.select_one(".badge")
    }
    links = parsed(output).sections["Posts"]
    assert len(cards) == len(links), f"{len(cards)} cards on the front page, {len(links)} links"
    order = [site_path(link.url).replace("index.md", "index.html") for link in links]
    assert order == list(cards), "llms.txt does not list the posts newest first, as the front page"
    for link in links:
        page = site_path(link.url).replace("index.md", "index.html")
        assert page in cards, f"{link.url} has no card on the front page"
        shown = cards[page].select_one(".card__summary").get_text()
        assert link.desc and normal(link.desc) == normal(shown), f"{link.url}: {link.desc!r}"
    assert "It's a post whose Markdown links an image and another post." in [
        link.desc for link in links
    ], "the links post's Summary (two header lines) is not its one-line summary"


def test_markdown_is_clean_and_its_links_work(built):
    settings, output = built
    for link in parsed(output).sections["Posts"]:
        text = (output / site_path(link.url)).read_text(encoding="utf-8")
        title = html_lib.unescape(link.title)
        assert text.startswith(f"# {title}\n\nPublished "), f"{link.url} starts {text[:80]!r}"
        assert not HEADER_LINE.search(text), f"{link.url} keeps a Pelican header line"
        for marker in ("{static}", "{filename}", "|filename|"):
            assert marker not in text, f"{link.url} keeps a {marker} link"
    text = (output / "posts/links-post/index.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)]+)\)|^\[ref\]: (\S+)", text, re.M)
    urls = [one or two for one, two in targets]
    assert len(urls) == 4, f"links in the links post: {urls}"
    for url in urls:
        if settings["SITEURL"]:
            assert url.startswith(settings["SITEURL"] + "/"), f"{url} is not absolute"
        assert (output / site_path(url.split("#")[0])).is_file(), f"{url} leads nowhere"
    assert "index.html#what-ttft-measures" not in text and "/#what-ttft-measures)" in text


def test_each_post_page_links_its_markdown(built):
    _settings, output = built
    for link in parsed(output).sections["Posts"]:
        page = "/" + site_path(link.url).replace("index.md", "")
        soup = read_html(output / page.lstrip("/") / "index.html")
        alternate = soup.select('head link[rel="alternate"][type="text/markdown"]')
        assert len(alternate) == 1, f"{page} has {len(alternate)} Markdown alternates"
        href = alternate[0]["href"]
        assert site_path(href, page) == site_path(link.url), f"{page} links {href}"


def test_drafts_hidden_and_scheduled_posts_appear_in_neither(built):
    _settings, output = built
    listing = (output / "llms.txt").read_text(encoding="utf-8")
    markdown = sorted(p.relative_to(output).as_posix() for p in output.rglob("*.md"))
    for slug in UNLISTED:
        assert slug not in listing, f"llms.txt lists {slug}"
        assert not any(slug in path for path in markdown), f"{slug}'s Markdown was written"
        for page in output.glob(f"*/{slug}/index.html"):  # the preview writes some of them
            soup = read_html(page)
            assert not soup.select('link[type="text/markdown"]'), f"{page} links Markdown"
    assert len(markdown) == len(parsed(output).sections["Posts"]), markdown


def test_the_preview_writes_the_unlisted_pages_it_checks(built):
    """Guards the test above: the preview does write the draft, hidden and
    scheduled pages, so their missing alternate links are checked."""
    settings, output = built
    if settings["SITEURL"]:
        assert not list(output.glob("*/a-draft/index.html")), "production wrote a draft"
        return
    for slug in UNLISTED:
        assert list(output.glob(f"*/{slug}/index.html")), f"the preview did not write {slug}"


@pytest.mark.parametrize(
    ("source", "body"),
    [
        ("Title: A\nDate: 2026-01-01\n\nBody: not a header.", "Body: not a header."),
        ("Title: A\nSummary: one\n    two\n\n# Body", "# Body"),
        ("---\nTitle: A\n---\nBody", "Body"),
        ("\ufeffTitle: A\n\n\nBody\n", "Body"),
        ("No header here.\nSecond: line", "No header here.\nSecond: line"),
    ],
)
def test_markdown_body(source, body):
    assert markdown_body(source) == body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("![x]({static}/images/a.png)", "![x](https://s/images/a.png)"),
        ("[x]({filename}b.md#part)", "[x](https://s/posts/b/#part)"),
        ("[x]({filename}../posts/b.md)", "[x](https://s/posts/b/)"),
        ('<img src="{static}/images/a.png">', '<img src="https://s/images/a.png">'),
        ("[r]: {static}/images/a.png", "[r]: https://s/images/a.png"),
        ("[x]({static}/images/missing.png)", "[x]({static}/images/missing.png)"),
        ("Write `{static}` in Pelican.", "Write `{static}` in Pelican."),
    ],
)
def test_resolve_links(body, expected):
    targets = {"images/a.png": "images/a.png", "posts/b.md": "posts/b/"}
    assert resolve_links(body, "posts", targets, "https://s") == expected


@pytest.mark.parametrize(
    ("status", "date", "expected"),
    [
        ("published", datetime(2026, 1, 1, tzinfo=UTC), True),
        ("published", datetime(2026, 6, 1, tzinfo=UTC), False),
        ("published", datetime(2026, 6, 1), False),
        ("draft", datetime(2026, 1, 1, tzinfo=UTC), False),
        ("hidden", datetime(2026, 1, 1, tzinfo=UTC), False),
    ],
)
def test_is_published(status, date, expected):
    assert is_published(status, date, datetime(2026, 3, 1, tzinfo=UTC)) is expected


def test_llms_txt_escapes_what_would_break_a_link():
    text = llms_txt("Site", "A\n tagline", [("A [b] c", "https://s/x(1).md", "")])
    link = parse_llms_file(text).sections["Posts"][0]
    assert (link.title, link.url) == ("A &#91;b&#93; c", "https://s/x(1%29.md")
    assert parse_llms_file(text).summary == "A tagline"


TYPES = {"llms.txt": "text/plain; charset=utf-8", "index.md": "text/markdown; charset=utf-8"}


def test_netlify_serves_them_as_utf8_text(built):
    _settings, output = built
    config = netlify.load_config()
    for link in [*parsed(output).sections["Posts"][:2], SimpleNamespace(url="/llms.txt")]:
        path = "/" + site_path(link.url)
        wanted = TYPES[path.rsplit("/", 1)[-1]]
        assert netlify.headers_for(config, path).get("content-type") == wanted, path


@pytest.fixture(scope="module")
def preview_types(built):
    """{path: [Content-Type values]} the preview server sends for llms.txt and a post's Markdown."""
    _settings, output = built
    handler = devserver.make_handler(
        devserver.PreviewState(), output, devserver.SiteHeaders(ROOT / "netlify.toml")
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    paths = ["/llms.txt", "/" + site_path(parsed(output).sections["Posts"][0].url)]
    try:
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        found = {}
        for path in paths:
            with urllib.request.urlopen(origin + path, timeout=30) as response:
                found[path] = response.headers.get_all("Content-Type")
        return found
    finally:
        server.shutdown()
        server.server_close()


def test_the_preview_sends_netlifys_content_type_last(preview_types):
    """A browser takes the last Content-Type it is sent (Fetch, "extract a MIME type")."""
    for path, values in preview_types.items():
        assert values[-1] == TYPES[path.rsplit("/", 1)[-1]], f"{path}: {values}"


def test_the_preview_sends_one_content_type(preview_types):
    for path, values in preview_types.items():
        assert len(values) == 1, f"{path}: {values}"


def test_a_site_without_the_plugin_gets_neither(built, tmp_path_factory, fixture_content):
    """Built in the same process as `built`, whose receivers stay connected."""
    plugins = [p for p in load_settings()["PLUGINS"] if p != "for_llms"]
    output = Path(
        build_site(tmp_path_factory, "no-llms", PATH=str(fixture_content), PLUGINS=plugins)
    )
    assert (output / "index.html").is_file() and (output / "posts").is_dir()
    assert not (output / "llms.txt").exists(), "llms.txt was written without the plugin"
    assert not list(output.rglob("*.md")), "Markdown was written without the plugin"
    page = read_html(next((output / "posts").glob("*/index.html")))
    assert not page.select('link[type="text/markdown"]'), "a page links Markdown"

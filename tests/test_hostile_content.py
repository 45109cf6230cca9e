"""Hostile content: every post that would ship broken fails the build with a
line naming the file and the field, no traceback, and output/ untouched; and a
post with an image and no Summary publishes working image URLs.

Each case runs `invoke publish` as the author would, on a small site of its own.
"""

import shutil
from urllib.parse import urlsplit

import feedparser
import pytest
from bs4 import BeautifulSoup
from PIL import Image

from tests.conftest import read_html, run_invoke, snapshot

GOOD_POST = """Title: A good post
Date: 2026-01-02 09:00
Tags: python, data
Slug: good
Summary: A post that builds.

The body of a post that builds.
"""

NO_SUMMARY = """Title: A chart and no summary
Date: 2026-01-03 09:00
Tags: python
Slug: chart

Here is the chart of the results. It has a link to the good post too.

![The chart]({static}/images/chart.png)

See [the good post]({filename}good.md) for more.

## What the chart shows

The line goes up.
"""


def write_site(root, posts, images=()):
    """A content folder with the good post, `posts` ({file name: text or
    bytes}) and PNG images; returns its path."""
    content = root / "content"
    (content / "posts").mkdir(parents=True)
    (content / "images").mkdir()
    (content / "posts" / "good.md").write_text(GOOD_POST, "utf-8")
    for name in images:
        Image.new("RGB", (40, 20), (200, 40, 40)).save(content / "images" / name)
    for name, text in posts.items():
        path = content / "posts" / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return content


def publish(content, output):
    return run_invoke("publish", "--content", str(content), "--output", str(output))


@pytest.fixture(scope="module")
def last_good(tmp_path_factory):
    """A production build of the good post: the output/ every failing build
    must leave as it was."""
    root = tmp_path_factory.mktemp("last-good")
    done = publish(write_site(root, {}), root / "output")
    assert done.returncode == 0, done.stderr
    return root / "output"


def with_header(extra, body="The body.\n", slug="hostile"):
    return f"Title: Hostile\nDate: 2026-01-04 09:00\nTags: python\nSlug: {slug}\n{extra}\n{body}"


# (case, {file: text}, what the report line must hold, extra content set-up)
CASES = [
    (
        "save_as replaces the front page",
        {"hostile.md": with_header("Save_as: index.html\n")},
        ["posts/hostile.md:5: Save_as", "index.html"],
    ),
    (
        "save_as replaces another post",
        {"hostile.md": with_header("Save_as: posts/good/index.html\n")},
        ["posts/hostile.md:5: Save_as", "posts/good/index.html", "good.md"],
    ),
    (
        "save_as replaces the sitemap",
        {"hostile.md": with_header("Save_as: sitemap.xml\n")},
        ["posts/hostile.md:5: Save_as", "sitemap.xml"],
    ),
    (
        "save_as replaces the redirects",
        {"hostile.md": with_header("Save_as: _redirects\n")},
        ["posts/hostile.md:5: Save_as", "_redirects"],
    ),
    (
        "save_as replaces a feed",
        {"hostile.md": with_header("Save_as: feeds/all.atom.xml\n")},
        ["posts/hostile.md:5: Save_as", "feeds/all.atom.xml"],
    ),
    (
        "url leaves the site",
        {"hostile.md": with_header("Url: https://elsewhere.example/x\n")},
        ["posts/hostile.md:5: Url", "not a path inside the site"],
    ),
    (
        "save_as climbs out",
        {"hostile.md": with_header("Save_as: ../../outside.html\n")},
        ["posts/hostile.md:5: Save_as", "not a path inside the site"],
    ),
    ("upper-case extension", {"post.MD": with_header("")}, ["posts/post.MD:1: file", "post.md"]),
    (
        "two titles",
        {"hostile.md": "Title: First\nTitle: Second\nDate: 2026-01-04\nTags: x\n\nBody.\n"},
        ["posts/hostile.md:2: Title", "given twice"],
    ),
    (
        "upper-case Lang reusing a slug",
        {"hostile.md": with_header("Lang: EN\n", slug="good")},
        ["posts/hostile.md:4: Slug", "already used", "good.md"],
    ),
    (
        "Modified before Date across offsets",
        {
            "hostile.md": "Title: T\nDate: 2026-01-05 10:00+02:00\n"
            "Modified: 2026-01-05 09:30+05:00\nTags: x\n\nBody.\n"
        },
        ["posts/hostile.md:3: Modified", "earlier than Date"],
    ),
    (
        "NUL byte in the body",
        {"hostile.md": with_header("", body="A \x00 byte.\n")},
        ["posts/hostile.md:6: encoding", "0x00"],
    ),
    (
        "empty image",
        {"hostile.md": with_header("", body="![x]({static}/images/empty.png)\n")},
        ["posts/hostile.md:6: body", "empty.png", "empty file"],
    ),
    (
        "corrupt image",
        {"hostile.md": with_header("", body="![x]({static}/images/broken.png)\n")},
        ["posts/hostile.md:6: body", "broken.png", "not an image"],
    ),
    (
        "link Pelican cannot resolve",
        {"hostile.md": with_header("", body="[n]({filename}/notes.txt)\n")},
        ["posts/hostile.md:6: body", "{filename}/notes.txt", "unresolved"],
    ),
]


@pytest.mark.parametrize(("case", "posts", "expected"), CASES, ids=[c[0] for c in CASES])
def test_broken_content_fails_loudly_and_keeps_the_last_good_site(
    case, posts, expected, last_good, tmp_path
):
    content = write_site(tmp_path, posts)
    (content / "images" / "empty.png").write_bytes(b"")
    (content / "images" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (content / "notes.txt").write_text("not a post\n", "utf-8")
    output = tmp_path / "output"
    shutil.copytree(last_good, output)
    before = snapshot(output)

    done = publish(content, output)

    said = done.stdout + done.stderr
    assert done.returncode == 1, f"{case}: the build must fail\n{said[-2000:]}"
    assert "Traceback" not in said, f"{case}: a traceback instead of a message\n{said}"
    report = [line.strip() for line in done.stderr.splitlines()]
    assert any(all(part in line for part in expected) for line in report), (
        f"{case}: no report line holds {expected}:\n" + "\n".join(report)
    )
    assert snapshot(output) == before, f"{case}: output/ changed after a failed build"


@pytest.fixture(scope="module")
def no_summary_site(tmp_path_factory):
    """`invoke publish` of a post with an image, a {filename} link and no Summary."""
    root = tmp_path_factory.mktemp("no-summary")
    content = write_site(root, {"chart.md": NO_SUMMARY}, images=["chart.png"])
    done = publish(content, root / "output")
    assert done.returncode == 0, done.stderr
    return root / "output"


def site_file(output, url):
    """The file under `output` an absolute production URL is served from."""
    path = urlsplit(url).path
    target = output / path.lstrip("/")
    return target / "index.html" if path.endswith("/") else target


def test_a_post_without_summary_publishes_working_image_urls(no_summary_site):
    page = read_html(no_summary_site / "posts" / "chart" / "index.html")
    images = page.select("main img")
    assert images, "the chart post shows its image"
    for image in images:
        src = image["src"]
        assert urlsplit(src).scheme == "https", f"{src!r} is not an absolute URL"
        assert site_file(no_summary_site, src).is_file(), f"{src!r} leads to no file"
    link = page.select_one('main a[href*="/posts/good/"]')
    assert link is not None, "the {filename} link became a link to the good post"
    assert site_file(no_summary_site, link["href"]).is_file()


def test_the_card_of_a_post_without_summary_uses_its_opening(no_summary_site):
    front = read_html(no_summary_site / "index.html")
    texts = [card.get_text(" ", strip=True) for card in front.select("article")]
    assert any("Here is the chart of the results." in text for text in texts), texts


def test_no_pelican_link_marker_ships_in_any_file(no_summary_site):
    for path in no_summary_site.rglob("*"):
        if path.suffix in {".html", ".xml", ".json", ".txt"}:
            text = path.read_text("utf-8", errors="replace")
            for marker in ("{static}", "{filename}", "{attach}"):
                assert marker not in text, f"{path.relative_to(no_summary_site)} holds {marker}"


def test_the_feed_entry_of_a_post_without_summary_has_working_images(no_summary_site):
    feed = feedparser.parse((no_summary_site / "feeds" / "all.atom.xml").read_bytes())
    entry = next(e for e in feed.entries if e.link.rstrip("/").endswith("/posts/chart"))
    body = BeautifulSoup(entry.content[0].value, "html.parser")
    sources = [image["src"] for image in body.select("img")]
    assert sources, "the feed carries the chart"
    for src in sources:
        assert site_file(no_summary_site, src).is_file(), f"feed image {src!r} leads nowhere"


def test_raw_html_is_reported_in_the_same_run_as_header_problems(last_good, tmp_path):
    """The header checks stop the build before Pelican reads a post, and raw
    HTML is judged on what Pelican renders: both kinds come in one report."""
    posts = {
        "untitled.md": "Date: 2026-01-04\nTags: x\n\nNo title.\n",
        "scripted.md": with_header("", body="Text.\n\n<script>alert(1)</script>\n"),
    }
    content = write_site(tmp_path, posts)
    done = publish(content, tmp_path / "output")
    assert done.returncode == 1, done.stderr
    report = done.stderr
    assert "posts/untitled.md:1: Title: missing" in report, report
    assert "posts/scripted.md:8: body: <script>" in report, report

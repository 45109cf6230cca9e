"""Every build follows the links: an internal link, image or #fragment a post
holds that leads nowhere, and markup the production Content-Security-Policy
would block, fail `invoke build` and `invoke publish` with one line per
problem (file:line, the target, the fix), and leave output/ as it was."""

import shutil
from pathlib import Path

import pytest
from PIL import Image

from plugins.content_guard.html_policy import allows, csp_sources
from sitetools.build.builder import load_settings
from sitetools.quality.bench import make_post
from sitetools.quality.check import check_links
from tests.conftest import ROOT, read_html, run_invoke, snapshot

OTHER = "battery-analytics-platform-iot-devices"  # a seed post
OTHER_HEADING = "from-a-prediction-question-to-a-platform"  # one of its heading ids


def post(slug, body):
    return (
        f"Title: {slug.replace('-', ' ').capitalize()}\nDate: 2026-11-03 09:00\nTags: python\n"
        f"Slug: {slug}\nSummary: A post about {slug}.\n\n{body}\n"
    )


# Each case: (its line in the post, what the report line must hold).
BROKEN = {
    "relative link": (7, "link: pages/guests.html#intro is not in the site; link the post"),
    "image": (
        9,
        "image: images/chart.png is not in the site; put the file in content/images/ "
        "and write {static}/images/chart.png",
    ),
    "fragment": (11, "has the id 'no-such-heading'; link an id that page has, or drop #no"),
    "fragment on another post": (13, f"(did you mean #{OTHER_HEADING}?)"),
}
BROKEN_BODY = f"""See [the guests](pages/guests.html#intro).

![A chart](images/chart.png)

Jump to [a section](#no-such-heading).

Read [the other post]({{filename}}{OTHER}.md#{OTHER_HEADING[:-1]}).

## A real heading"""

BLOCKED = {
    "external image": (
        7,
        "<img> loads https://example.com/pics/remote.png from another site, which the "
        "site's Content-Security-Policy (img-src in netlify.toml) blocks; download the "
        "image into content/images/ and write {static}/images/remote.png",
    ),
    "iframe": (9, "<iframe> is not allowed in a post (it embeds another site's page"),
    "video from another origin": (11, "<video> is not allowed in a post"),
    "audio from another origin": (13, "<audio> is not allowed in a post"),
}
BLOCKED_BODY = """![A remote picture](https://example.com/pics/remote.png)

<iframe src="https://www.youtube.com/embed/abc"></iframe>

<video src="https://media.example.com/clip.mp4" controls></video>

<audio controls><source src="https://media.example.com/a.mp3"></audio>

<p style="color: red">Red text.</p>

See [the guests](pages/guests.html)."""

GOOD_BODY = f"""Read [the other post]({{filename}}{OTHER}.md#{OTHER_HEADING}), see
[the tags](/tags/), [the archives](/archives/) and [about]({{filename}}/pages/about.md).

![A picture]({{static}}/images/picture.png)

Back to [the section](#a-section).

[![Watch "The talk" on YouTube]({{static}}/images/picture.png)](https://www.youtube.com/watch?v=abc)
[Watch "The talk" on YouTube](https://www.youtube.com/watch?v=abc)

## A section

Text."""


def seed_with(folder, posts):
    """The seed site's content, 15 more posts (two listing pages) and `posts`."""
    content = Path(shutil.copytree(ROOT / "content", folder / "content"))
    for index in range(15):
        made = make_post(index)
        (content / "posts" / f"{made.slug}.md").write_text(made.text, encoding="utf-8")
    (content / "images").mkdir()
    Image.new("RGB", (8, 8), "teal").save(content / "images" / "picture.png")
    for slug, body in posts.items():
        (content / "posts" / f"{slug}.md").write_text(post(slug, body), encoding="utf-8")
    return content


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A good production build into output/, then failing builds over it:
    {name: finished process}, the output folder and its snapshot before."""
    base = tmp_path_factory.mktemp("links-in-build")
    output = base / "output"
    good = seed_with(base / "good", {"links-that-work": GOOD_BODY})
    done = {"good": run_invoke("publish", "--content", good, "--output", output, timeout=300)}
    before = snapshot(output)
    broken = seed_with(base / "broken", {"broken-links": BROKEN_BODY})
    blocked = seed_with(base / "blocked", {"blocked-markup": BLOCKED_BODY})
    no_about = seed_with(base / "no-about", {})
    (no_about / "pages" / "about.md").unlink()
    done["no-about"] = run_invoke(
        "build", "--content", no_about, "--output", base / "no-about-output", timeout=300
    )
    for name, task, content in (
        ("build", "build", broken),
        ("publish", "publish", broken),
        ("blocked", "publish", blocked),
    ):
        done[name] = run_invoke(task, "--content", content, "--output", output, timeout=300)
    return done, output, before


def report(run):
    return [line.strip() for line in run.stderr.splitlines() if ".md:" in line]


def test_the_seed_site_with_good_links_publishes_with_no_false_positive(runs):
    run = runs[0]["good"]
    output = runs[1]
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "link" not in run.stderr, run.stderr[-3000:]
    for page in (
        "index.html",
        "page/2/index.html",
        "tags/python/index.html",
        "search/index.html",
        "404.html",
        "feeds/all.atom.xml",
        "posts/links-that-work/index.html",
    ):
        assert (output / page).is_file(), f"{page} was not written"
    assert list((output / "assets").rglob("*.css")), "no hashed stylesheet"
    siteurl = load_settings("publishconf.py")["SITEURL"]
    assert check_links(output, [siteurl]) == [], "invoke check disagrees with the build"
    soup = read_html(output / "posts" / "links-that-work" / "index.html")
    card = soup.select_one('a[href="https://www.youtube.com/watch?v=abc"] > img')
    assert card is not None, "the link card of the README did not render as a linked image"


@pytest.mark.parametrize("task", ["build", "publish"])
def test_broken_links_fail_the_build_naming_post_line_and_fix(runs, task):
    run = runs[0][task]
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    assert "Traceback" not in run.stdout + run.stderr, run.stderr[-3000:]
    lines = report(run)
    for case, (line, wanted) in BROKEN.items():
        prefix = f"content/posts/broken-links.md:{line}: "
        assert any(prefix in entry and wanted in entry for entry in lines), (
            f"{case}: no line with {prefix!r} and {wanted!r} in:\n" + "\n".join(lines)
        )
    assert len([entry for entry in lines if "broken-links.md" in entry]) == len(BROKEN), lines
    assert not [entry for entry in lines if "broken-links.md" not in entry], "a good post blamed"


@pytest.mark.parametrize("case", sorted(BLOCKED))
def test_markup_the_csp_blocks_fails_with_its_fix(runs, case):
    run = runs[0]["blocked"]
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    assert "Traceback" not in run.stdout + run.stderr, run.stderr[-3000:]
    line, wanted = BLOCKED[case]
    prefix = f"content/posts/blocked-markup.md:{line}: body: "
    assert any(prefix in entry and wanted in entry for entry in report(run)), (
        f"no line with {prefix!r} and {wanted!r} in:\n" + "\n".join(report(run))
    )
    if case != "external image":
        assert any(prefix in e and "link card" in e for e in report(run)), report(run)


def test_raw_html_and_a_broken_link_are_reported_in_one_run_each_once(runs):
    """Raw HTML does not stop the build before the link check: one run names both."""
    run = runs[0]["blocked"]
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    assert "Traceback" not in run.stdout + run.stderr, run.stderr[-3000:]
    lines = report(run)
    for prefix, wanted in (
        ("content/posts/blocked-markup.md:15: body: ", "style"),
        ("content/posts/blocked-markup.md:17: link: ", "pages/guests.html is not in the site"),
    ):
        found = [entry for entry in lines if prefix in entry and wanted in entry]
        assert len(found) == 1, f"{prefix!r} with {wanted!r} not once in:\n" + "\n".join(lines)
    assert len(lines) == len(set(lines)), "a problem was reported twice:\n" + "\n".join(lines)


def test_a_broken_theme_link_is_one_warning_naming_the_setting(runs):
    run = runs[0]["no-about"]
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    warnings = [line for line in (run.stdout + run.stderr).splitlines() if "/about/" in line]
    assert len(warnings) == 1, warnings
    assert "theme or settings link /about/" in warnings[0], warnings
    assert "content/pages/about.md for MAIN_MENU" in warnings[0], warnings


def test_failed_builds_leave_output_unchanged(runs):
    done, output, before = runs
    failed = [name for name, run in done.items() if run.returncode]
    assert failed == ["build", "publish", "blocked"], failed
    assert snapshot(output) == before, "a failed build changed output/"
    assert not list(output.parent.glob(".output-*")), "a staging folder was left"


NETLIFY = """
[[headers]]
  for = "/*"
  [headers.values]
    Content-Security-Policy = "default-src 'none'; img-src 'self' https://img.example.org"
[[headers]]
  for = "/search/*"
  [headers.values]
    Content-Security-Policy = "default-src 'none'; img-src *"
"""


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("{static}/images/x.png", True),
        ("/images/x.png", True),
        ("https://img.example.org/x.png", True),
        ("https://IMG.example.org/x.png", True),
        ("https://example.com/x.png", False),
        ("//cdn.example.com/x.png", False),
        ("http://img.example.org/x.png", False),
    ],
)
def test_image_origins_come_from_the_csp_in_netlify_toml(url, allowed):
    sources = csp_sources(NETLIFY, "img-src")
    assert sources == ["'self'", "https://img.example.org"]
    assert allows(sources, url) is allowed, url


def test_a_directive_the_csp_leaves_out_falls_back_to_default_src():
    assert csp_sources(NETLIFY, "media-src") == ["'none'"]
    assert not allows(["'none'"], "/clip.mp4")
    assert csp_sources("", "img-src") is None, "no policy: nothing to block"

"""Hardening, round 2 (issue 20): the cache, the output and leftovers, and
what the page hides kept out of its Markdown alternate.

Classes covered:
- 7. A cache entry is checked against the digest it ends in: a social
  image cut short (or replaced by a folder, a link out
  of the cache, a FIFO) is made again, with a warning naming it.
- 7. output/ shares no file with cache/: truncating every cache file after a
  good build leaves output/ byte for byte as it was.
- 7. Leftovers of a killed build (SIGKILL midway) are removed by the next good
  build; a live build's staging folder is not, and a link named like a
  leftover is removed itself, never what it points at.
- 7. `invoke serve` on a port in use: one line naming --port, exit 1, no
  traceback, no build.
- 8 (fourth bullet). HTML comments and unused reference definitions (`[//]: #
  (…)`) are not in /posts/<slug>/index.md; the same text in a code span or a
  fence, shown on the page, is; a definition a link uses stays.

Builds run as the author runs them (`invoke publish --content … --output …`,
the cache beside the output), under a memory limit and a timeout.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import (
    DATA,
    ROOT,
    bounded,
    build_site,
    read_html,
    run_invoke_bounded,
    snapshot,
)


def publish(base, content=DATA / "reader"):
    """`invoke publish` of `content` into base/output (its cache: base/cache)."""
    done = run_invoke_bounded(
        "publish", "--content", str(content), "--output", str(base / "output"), timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def cold(tmp_path_factory):
    """A cold production build of tests/data/reader: its folder (output/, cache/)."""
    base = tmp_path_factory.mktemp("cold")
    publish(base)
    return base


@pytest.fixture
def warm(cold, tmp_path):
    """A copy of the cold build's cache/ (links kept as links), to build again with."""
    shutil.copytree(cold / "cache", tmp_path / "cache", symlinks=True)
    return tmp_path


# -- A cache entry is checked against its digest ---------------------------------------


def _truncate(path):
    path.write_bytes(path.read_bytes()[:100])


def _folder(path):
    path.unlink()
    path.mkdir()
    (path / "inside.png").write_bytes(b"not an image")


def _outside_link(path):
    outside = path.parent.parent.parent / "outside.png"
    outside.write_bytes(b"\x89PNG outside the cache")
    path.unlink()
    path.symlink_to(outside)


def _fifo(path):
    path.unlink()
    os.mkfifo(path)


@pytest.mark.parametrize("damage", [_truncate, _folder, _outside_link, _fifo])
def test_a_damaged_cached_social_image_is_drawn_again(cold, warm, damage):
    images = warm / "cache" / "social_images"
    name = sorted(p.name for p in images.glob("*.png"))[0]
    damage(images / name)
    done = publish(warm)
    shipped = warm / "output" / "social" / name
    with Image.open(shipped) as image:
        image.load()  # decodes
    assert shipped.read_bytes() == (cold / "output" / "social" / name).read_bytes(), (
        f"{name} differs from a cold build's"
    )
    assert (images / name).is_file() and not (images / name).is_symlink()
    assert any(name in line for line in done.stderr.splitlines()), f"no note: {done.stderr}"


def test_a_damaged_pickle_and_content_cache_are_made_again(cold, warm):
    _truncate(warm / "cache" / "headings-ids.pickle")
    with open(warm / "cache" / "ArticlesGenerator-Readers", "ab") as handle:
        handle.write(b"tampered")
    done = publish(warm)
    assert "headings-ids.pickle" in done.stderr and "ArticlesGenerator-Readers" in done.stderr
    assert snapshot(warm / "output") == snapshot(cold / "output"), "not the cold build's site"


# -- output/ shares nothing with cache/ ------------------------------------------------


def test_truncating_every_cache_file_after_a_good_build_leaves_output_as_it_was(warm):
    publish(warm)
    before = snapshot(warm / "output")
    cache_files = [p for p in (warm / "cache").rglob("*") if p.is_file()]
    assert any("social_images" in p.parts for p in cache_files), "no social image cached"
    for path in cache_files:
        with open(path, "r+b") as handle:
            handle.truncate(0)
    assert snapshot(warm / "output") == before, "output/ changed with the cache"
    published = {p.stat().st_ino for p in (warm / "output").rglob("*") if p.is_file()}
    assert not published & {p.stat().st_ino for p in cache_files}, "output/ links into cache/"


# -- Leftovers of killed builds --------------------------------------------------------


def _start_build(base, output, content):
    """`invoke build` into base/<output> in its own process group, memory-limited."""
    command = ["build", "--content", str(content), "--output", str(base / output)]
    return subprocess.Popen(
        bounded([sys.executable, "-m", "invoke", *command]),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


def _staging_with_pages(base, process, timeout=120):
    """The staging folder of `process` once it holds a written page (by then
    its lock is held); fails if the build ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for folder in base.glob(f".output-staging-{process.pid}-*"):
            if next(folder.rglob("*.html"), None) is not None:
                return folder
        assert process.poll() is None, f"the build ended first: {process.communicate()}"
        time.sleep(0.005)  # polling for the condition, not a guess at a duration
    raise AssertionError("the build wrote no page in its staging folder")


def test_a_killed_builds_leftovers_go_and_a_live_builds_staging_stays(tmp_path):
    from sitetools.quality.bench import write_corpus

    content = write_corpus(tmp_path / "content", 80)
    base = tmp_path / "site"
    base.mkdir()
    killed = _start_build(base, "output", content)
    killed_staging = _staging_with_pages(base, killed)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.communicate(timeout=60)
    assert killed_staging.is_dir(), "control: the killed build left nothing to clean"
    # A swap that was killed, and a link named like a leftover pointing out.
    (base / ".output-staging-leftover" / "posts").mkdir(parents=True)
    outside = tmp_path / "outside"
    (outside / "keep").mkdir(parents=True)
    (outside / "keep" / "file.txt").write_text("kept", encoding="utf-8")
    (base / ".output-staging-link").symlink_to(outside, target_is_directory=True)

    live = _start_build(base, "other", content)
    try:
        live_staging = _staging_with_pages(base, live)
        os.killpg(live.pid, signal.SIGSTOP)  # a live build, paused mid-way
        done = run_invoke_bounded(
            "build", "--content", str(content), "--output", str(base / "output"), timeout=300
        )
    finally:
        os.killpg(live.pid, signal.SIGCONT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not killed_staging.exists(), "the killed build's staging folder was left"
    assert not (base / ".output-staging-leftover").exists(), "a stale old output was left"
    assert not os.path.lexists(base / ".output-staging-link"), "the link was left"
    assert (outside / "keep" / "file.txt").read_text(encoding="utf-8") == "kept", (
        "the link's target was deleted"
    )
    assert live_staging.is_dir(), "the live build's staging folder was removed"
    _out, err = live.communicate(timeout=300)
    assert live.returncode == 0, err[-3000:]
    assert (base / "other" / "index.html").is_file()
    leftovers = sorted(p.name for p in base.glob(".output-*"))
    assert not leftovers, f"left after every build ended: {leftovers}"


# -- invoke serve on a busy port -------------------------------------------------------


def test_serve_on_a_port_in_use_says_so_in_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_invoke_bounded(
            "serve", "--port", str(port), "--content", str(DATA / "reader"),
            "--output", str(tmp_path / "output"), timeout=60,
        )  # fmt: skip
    assert done.returncode != 0
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "--port" in lines[0] and str(port) in lines[0], lines[0]
    assert not (tmp_path / "output").exists(), "it built before finding the port busy"


# -- What the page hides stays out of index.md -----------------------------------------

COMMENTS_POST = """\
Title: Comments and code
Date: 2026-02-01 10:00
Tags: testing
Slug: comments-and-code

An intro <!-- hidden-inline-comment --> goes on.

[//]: # (hidden-reference-comment)

<!-- hidden-block-comment
over two lines -->

In a code span: `<!-- shown-code-span-comment -->` and `[//]: # (shown-code-span-ref)`.
A [used link][docs] and an [inline one](https://example.org/inline).

```
<!-- shown-fenced-comment -->
[//]: # (shown-fenced-ref)
```

    <!-- shown-indented-comment -->

[docs]: https://example.org/used-reference
[unused]: https://example.org/hidden-unused-reference
"""
MARKERS = [
    "hidden-inline-comment",
    "hidden-reference-comment",
    "hidden-block-comment",
    "hidden-unused-reference",
    "shown-code-span-comment",
    "shown-code-span-ref",
    "shown-fenced-comment",
    "shown-fenced-ref",
    "shown-indented-comment",
]


@pytest.fixture(scope="module")
def commented(tmp_path_factory):
    content = tmp_path_factory.mktemp("comments") / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts" / "comments-and-code.md").write_text(COMMENTS_POST, encoding="utf-8")
    return build_site(tmp_path_factory, "comments-site", "publishconf.py", PATH=str(content))


def test_the_markdown_alternate_shows_what_the_page_shows(commented):
    output = Path(commented)
    page = read_html(output / "posts" / "comments-and-code" / "index.html")
    article = page.find("article")
    visible = article.get_text(" ")
    alternate = (output / "posts" / "comments-and-code" / "index.md").read_text(encoding="utf-8")
    for marker in MARKERS:
        # Control: the markers' names say what the page does with them.
        assert (marker in visible) == marker.startswith("shown-"), f"{marker} on the page"
        assert (marker in alternate) == (marker in visible), (
            f"{marker}: {'shown' if marker in visible else 'hidden'} on the page, "
            f"{'in' if marker in alternate else 'not in'} index.md"
        )
    links = {a["href"] for a in article.find_all("a", href=True)}
    assert "https://example.org/used-reference" in links, "control: the reference link works"
    assert "[docs]: https://example.org/used-reference" in alternate, "a used definition went"
    assert "[used link][docs]" in alternate

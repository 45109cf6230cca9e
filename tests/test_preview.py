"""The preview end to end: `invoke serve` on a copy of the content, a real
Chromium on the page, and the page following every save by itself: an edit
appears, a broken post turns into the error list, the fix brings the page back.
"""

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import ROOT, free_port, stop_process

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLUG = "data-platform-dbt-dagster-argocd"


def wait_for_server(process, port, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"invoke serve exited with {process.returncode}:\n{log.read_text()}")
        if "Preview on" in log.read_text():
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
        time.sleep(0.1)
    pytest.fail(f"invoke serve did not start in {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """`invoke serve` on a free port over a temporary copy of content/."""
    base = tmp_path_factory.mktemp("preview")
    content = base / "content"
    shutil.copytree(ROOT / "content", content)
    output = base / "output"
    port = free_port()
    log = base / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "invoke",
                "serve",
                "--port",
                str(port),
                "--content",
                str(content),
                "--output",
                str(output),
            ],
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1"},
        )
    try:
        wait_for_server(process, port, log)
        yield SimpleNamespace(
            url=f"http://127.0.0.1:{port}", content=content, output=output, log=log
        )
    finally:
        stop_process(process)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    yield context.new_page()
    context.close()


def save(path, text):
    """Save a post as an editor would, and return the moment of the save."""
    Path(path).write_text(text, encoding="utf-8")
    return time.perf_counter()


def test_edit_break_and_fix_a_post_while_the_browser_follows(preview, page, capsys):
    post = preview.content / "posts" / f"{SLUG}.md"
    original = post.read_text(encoding="utf-8")
    title = next(line for line in original.splitlines() if line.startswith("Title:"))[7:]
    page.goto(f"{preview.url}/posts/{SLUG}/")
    assert page.locator("h1").inner_text().replace("\xa0", " ") == title
    assert page.locator('script[src="/__preview/reload.js"]').count() == 1

    # Edit: the new text appears without the test navigating.
    timings = []
    text = original
    for number in range(1, 4):
        marker = f"Preview edit number {number} is on the page."
        text = f"{text.rstrip()}\n\n{marker}\n"
        saved = save(post, text)
        page.get_by_text(marker).wait_for(timeout=20_000)
        timings.append(time.perf_counter() - saved)
    with capsys.disabled():
        shown = ", ".join(f"{t * 1000:.0f} ms" for t in timings)
        print(f"\npreview save-to-browser: {shown} (median {statistics.median(timings):.2f} s)")

    # Break the post: the page turns into the error list, in the site's look.
    broken = text.replace("\nTags:", "\nTag:", 1)
    save(post, broken)
    page.locator("h1", has_text="Build failed").wait_for(timeout=20_000)
    problems = page.locator(".build-errors li").all_inner_texts()
    assert any(f"{SLUG}.md:3: Tag: unknown field; did you mean" in p for p in problems), problems
    border = page.locator(".build-errors li").first.evaluate(
        "e => getComputedStyle(e).borderLeftWidth"
    )
    assert border == "4px", "the error page is not styled by the site's stylesheet"
    assert (preview.output / "posts" / SLUG / "index.html").is_file(), "last good page gone"

    # Fix it: the article comes back with the edits.
    save(post, text)
    page.locator("h1.post__title").wait_for(timeout=20_000)
    assert page.get_by_text("Preview edit number 3 is on the page.").is_visible()

    # The reload script lives in the server only, never in the built files.
    for built in preview.output.rglob("*.html"):
        assert "__preview" not in built.read_text(encoding="utf-8"), built


def test_a_missing_address_gets_the_styled_404_page(preview, page):
    response = page.goto(f"{preview.url}/no/such/page/")
    assert response.status == 404
    assert "not found" in page.locator("h1").inner_text().lower()
    # The 404 page's relative links resolve from the site root, not the address.
    sheets = page.evaluate("[...document.styleSheets].map(s => s.cssRules.length)")
    assert sheets and all(count > 0 for count in sheets), f"stylesheet not loaded: {sheets}"
    home = page.get_by_role("link", name="All posts")
    assert home.get_attribute("href") is not None
    home.click()
    page.wait_for_load_state()
    assert page.locator("main article.card").count() >= 10, page.url

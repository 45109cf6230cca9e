"""The production build in Chromium with exactly the headers netlify.toml
declares: every page loads with no CSP violation, no console error and no failed
request; the search page, when the build has one, finds posts under its policy."""

from pathlib import Path

import pytest

from sitetools.netlify import headers_for, load_config
from tests.conftest import route_site

pytestmark = pytest.mark.browser

# Collected in the page; an init script runs before the page's own code and is
# not subject to the page's CSP, so it sees every violation.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture(scope="module")
def netlify():
    return load_config()


class Watcher:
    """What went wrong while a page loaded: console errors and warnings,
    failed requests, responses with an error status, CSP violations."""

    def __init__(self, page):
        self.page = page
        self.problems = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _failed(self, request):
        # The favicon loads after the load event; going to the next page cancels
        # it (net::ERR_ABORTED). A blocked or refused request fails otherwise
        # (route_site's abort is net::ERR_FAILED, CSP is ERR_BLOCKED_BY_CSP).
        if request.failure == "net::ERR_ABORTED":
            return
        self.problems.append(f"failed: {request.url} {request.failure}")

    def _console(self, message):
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _response(self, response):
        if response.status >= 400 and response.request.resource_type != "document":
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def take(self):
        found = self.problems + self.page.evaluate("window.__violations || []")
        self.problems = []
        return found


def open_site(browser, output, origin, config):
    context = browser.new_context()
    context.add_init_script(LISTEN)
    route_site(context, output, origin, headers=lambda path: headers_for(config, path))
    page = context.new_page()
    return context, page, Watcher(page)


def page_paths(output):
    for file in sorted(Path(output).rglob("*.html")):
        relative = file.relative_to(output).as_posix()
        yield "/" + (
            relative[: -len("index.html")] if relative.endswith("index.html") else relative
        )


def test_every_page_loads_clean_under_the_declared_headers(
    browser, prod_site, prod_siteurl, netlify
):
    context, page, watcher = open_site(browser, prod_site, prod_siteurl, netlify)
    try:
        paths = list(page_paths(prod_site))
        assert len(paths) > 20, paths
        failures = {}
        for path in paths:
            response = page.goto(prod_siteurl + path, wait_until="load")
            sent = response.all_headers().get("content-security-policy", "")
            assert sent == headers_for(netlify, path)["content-security-policy"], path
            assert page.evaluate("document.styleSheets.length") >= 1, f"{path}: no stylesheet"
            found = watcher.take()
            if found:
                failures[path] = found
        assert not failures, failures
    finally:
        context.close()


def test_the_watch_catches_inline_code(browser, tmp_path, netlify):
    """The listener above can fail: inline script and style are reported."""
    (tmp_path / "index.html").write_text(
        '<!doctype html><html lang="en"><head><title>t</title></head>'
        '<body><p style="color: red">x</p><script>document.title = "ran"</script></body></html>',
        encoding="utf-8",
    )
    (tmp_path / "404.html").write_text("<!doctype html><title>404</title>", encoding="utf-8")
    context, page, watcher = open_site(browser, tmp_path, "https://blog.test", netlify)
    try:
        page.goto("https://blog.test/")
        found = watcher.take()
        assert page.title() == "t", "the inline script ran"
        assert any("script-src" in problem for problem in found), found
        assert any("style-src" in problem for problem in found), found
    finally:
        context.close()


def test_search_finds_posts_under_its_policy(browser, prod_site, prod_siteurl, netlify):
    if not (Path(prod_site) / "search" / "index.html").is_file():
        pytest.skip("this build has no search page")
    context, page, watcher = open_site(browser, prod_site, prod_siteurl, netlify)
    try:
        page.goto(prod_siteurl + "/search/")
        field = page.locator("main input[type=search], main input[type=text]").first
        field.fill("kubernetes")
        page.locator("main a[href*='/posts/']").first.wait_for(timeout=10_000)
        assert not watcher.take()
    finally:
        context.close()

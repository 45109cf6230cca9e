"""The preview under attack: a typo in the settings, a content folder moved
away, an editor's save that replaces the file, a flood of live-reload
connections. Each time the preview keeps answering, shows the problem in the
browser with the file and line to fix, and comes back on the next good save.
It also sends the headers netlify.toml gives production, and HEAD agrees with
GET.

The preview runs as the author runs it (sitetools.preview.server.serve in its own
process, on a free 127.0.0.1 port) over a temporary copy of the project, so the
tests may break its pelicanconf.py and content/ freely.
"""

import http.client
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from sitetools.netlify import csp_directives, headers_for, load_config
from sitetools.preview.server import EVENTS_PATH, MAX_LISTENERS, RELOAD_PATH
from tests.conftest import ROOT, free_port, stop_process

pytestmark = pytest.mark.slow

SLUG = "data-platform-dbt-dagster-argocd"
# An image from another origin, which production's CSP (img-src 'self')
# blocks. The build refuses it in a post, so the theme shows it (on the post
# page). Port 1 on the loopback, so nothing would leave the machine even unblocked.
ELSEWHERE = '<img id="elsewhere" src="http://127.0.0.1:1/chart.png" alt="A chart">'
PROJECT_FILES = ("pelicanconf.py", "netlify.toml", "content", "theme", "plugins")


def wait_until(condition, what, timeout=30):
    """Poll `condition` until it returns something true; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.05)


def copy_project(base):
    """The files the site is built from, copied into `base`."""
    base.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, base / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, base / name)
    return base


class Preview:
    """sitetools.preview.server.serve over the project copy in `base`, in a child
    process; its stdout and stderr go to base/serve.log."""

    def __init__(self, base):
        self.base = base
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = base / "serve.log"
        code = textwrap.dedent(
            f"""
            from sitetools.preview.server import serve
            serve({str(base)!r}, {str(base / "pelicanconf.py")!r}, {str(base / "output")!r},
                  port={self.port}, overrides={{"CACHE_PATH": {str(base / "cache")!r}}})
            """
        )
        with self.log.open("w") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-c", code],
                cwd=ROOT,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
            )
        wait_until(self._listening, f"the preview to start; log:\n{self.log_text()}", 90)

    def _listening(self):
        if self.process.poll() is not None:
            pytest.fail(f"the preview exited with {self.process.returncode}:\n{self.log_text()}")
        if "Preview on" not in self.log_text():
            return False
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def log_text(self):
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self):
        stop_process(self.process)

    def request(self, path, method="GET", headers=None):
        """(status, headers as a lower-case dict, body) of one request."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            connection.close()

    def problems(self, path="/"):
        """The error page's problem lines at `path`, or None if it is not shown."""
        status, _, body = self.request(path)
        if status != 500:
            return None
        soup = BeautifulSoup(body, "html.parser")
        return [item.get_text(" ", strip=True) for item in soup.select(".build-errors li")]

    def shows_site(self, path=f"/posts/{SLUG}/"):
        status, _, body = self.request(path)
        return status == 200 and BeautifulSoup(body, "html.parser").select_one("h1.post__title")


def html_pages(output):
    return {p: p.read_bytes() for p in Path(output).rglob("*.html")}


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """The preview over a project copy whose post pages show an image from
    another origin, which production's CSP blocks."""
    base = copy_project(tmp_path_factory.mktemp("hostile-preview"))
    template = base / "theme" / "templates" / "article.html"
    text = template.read_text(encoding="utf-8")
    template.write_text(
        text.replace("{% endblock content %}", f"{ELSEWHERE}\n{{% endblock content %}}")
    )
    server = Preview(base)
    wait_until(server.shows_site, "the first build")
    try:
        yield server
    finally:
        server.stop()


def save(path, text):
    Path(path).write_text(text, encoding="utf-8")


def edit_shows(preview, marker):
    """Save `marker` (one word: typography leaves it alone) into the post and
    wait until its page shows it: proves the watcher still rebuilds."""
    post = preview.base / "content" / "posts" / f"{SLUG}.md"
    save(post, f"{post.read_text(encoding='utf-8').rstrip()}\n\n{marker}\n")
    wait_until(
        lambda: marker.encode() in preview.request(f"/posts/{SLUG}/")[2],
        f"the edit {marker!r} to show",
    )


# ------------------------------------------------------------- settings typos


@pytest.mark.parametrize(
    ("appended", "expected"),
    [
        ("SITENAME = (", "SyntaxError: '(' was never closed"),
        ("  INDENTED = 1", "IndentationError: unexpected indent"),
        ("SITENAME = NOT_DEFINED", "NameError: name 'NOT_DEFINED' is not defined"),
        ("import no_such_module", "ModuleNotFoundError: No module named 'no_such_module'"),
        ("raise SystemExit(3)", "SystemExit: 3"),
    ],
    ids=["syntax", "indent", "name", "import", "exit"],
)
def test_a_settings_error_is_shown_on_every_page_and_the_fix_brings_the_site_back(
    preview, appended, expected
):
    settings = preview.base / "pelicanconf.py"
    good = settings.read_text(encoding="utf-8")
    line = len(good.splitlines()) + 1
    before = html_pages(preview.base / "output")
    logged = len(preview.log_text())
    save(settings, f"{good}{appended}\n")
    try:
        want = [f"pelicanconf.py:{line}: {expected}; fix the settings file"]
        # Under a loaded full suite the first error page seen was now and then
        # the last case's (cause not found): wait for this save's own error.
        problems = wait_until(
            lambda: (shown := preview.problems()) == want and shown, f"the error page: {want}"
        )
        for path in ("/about/", "/tags/", "/no/such/page/"):
            assert preview.problems(path) == problems, f"{path} does not show the settings error"
        log = preview.log_text()[logged:]
        assert f"pelicanconf.py:{line}: {expected}" in log, log
        assert "Traceback" not in log, log
        assert html_pages(preview.base / "output") == before, "a failed build changed output/"
    finally:
        save(settings, good)
    wait_until(preview.shows_site, "the site to come back after the fix")
    edit_shows(preview, f"saved_after_{expected.split(':')[0]}")


def test_a_settings_file_replaced_by_an_editor_save_is_still_watched(preview):
    """Editors often save by writing a new file and renaming it over the old
    one; the watcher must follow the new file."""
    settings = preview.base / "pelicanconf.py"
    good = settings.read_text(encoding="utf-8")
    for text in (f"{good}SITENAME = (\n", good, f"{good}SITENAME = NOT_DEFINED\n", good):
        fresh = settings.with_name(".pelicanconf.py.swp-new")
        save(fresh, text)
        os.replace(fresh, settings)
        if text == good:
            wait_until(preview.shows_site, "the site after a good replacing save")
        else:
            wait_until(preview.problems, "the error page after a bad replacing save")
    # Saved in place now: the watch is on the new file, not the replaced one.
    save(settings, f"{good}SITENAME = (\n")
    try:
        wait_until(preview.problems, "the error page after a save in place")
    finally:
        save(settings, good)
    wait_until(preview.shows_site, "the site after the fix in place")


def test_content_moved_away_then_restored_recovers(preview, tmp_path):
    content = preview.base / "content"
    away = tmp_path / "content-elsewhere"
    logged = len(preview.log_text())
    shutil.move(content, away)
    try:
        problems = wait_until(preview.problems, "the error page")
        assert len(problems) == 1 and problems[0].startswith(
            "content/: the content folder (PATH) does not exist; create it or fix PATH"
        ), problems
        assert "Traceback" not in preview.log_text()[logged:]
    finally:
        # A new folder (a checkout, a restore from backup), not the moved one.
        shutil.copytree(away, content)
        shutil.rmtree(away)
    wait_until(preview.shows_site, "the site after content/ came back")
    edit_shows(preview, "saved_after_content_came_back")


def test_a_broken_settings_file_at_start_serves_the_error_and_recovers(tmp_path):
    base = copy_project(tmp_path / "project")
    settings = base / "pelicanconf.py"
    good = settings.read_text(encoding="utf-8")
    save(settings, good.replace('SITEURL = ""', 'SITEURL = "', 1))
    line = good.splitlines().index('SITEURL = ""') + 1
    server = Preview(base)
    try:
        problems = wait_until(server.problems, "the error page")
        assert len(problems) == 1 and problems[0].startswith(
            f"pelicanconf.py:{line}: SyntaxError:"
        ), problems
        assert problems[0].endswith("fix the settings file"), problems
        log = server.log_text()
        assert f"pelicanconf.py:{line}: SyntaxError:" in log and "Traceback" not in log, log
        save(settings, good)
        wait_until(server.shows_site, "the site after the settings were fixed")
    finally:
        server.stop()


# ---------------------------------------------------------------- headers


def production_headers(preview, path):
    return headers_for(load_config(preview.base / "netlify.toml"), path)


@pytest.mark.parametrize(
    "path",
    ["/", f"/posts/{SLUG}/", "/search/", "/no/such/page/", "/robots.txt", RELOAD_PATH],
)
def test_every_response_carries_the_production_headers(preview, path):
    status, sent, _ = preview.request(path)
    assert status in (200, 404), (path, status)
    expected = production_headers(preview, path)
    assert expected, f"netlify.toml gives {path} no headers"
    for name, value in expected.items():
        if name not in ("content-security-policy", "cache-control"):
            assert sent.get(name) == value, f"{path}: {name} is {sent.get(name)!r}, not {value!r}"
    assert sent["cache-control"] == "no-store", path

    production = csp_directives(expected["content-security-policy"])
    served = csp_directives(sent["content-security-policy"])
    widened = {"script-src", "connect-src", "base-uri", "upgrade-insecure-requests"}
    for directive, sources in production.items():
        if directive not in widened:
            assert served.get(directive) == sources, f"{path}: {directive} differs"
    # Only the reload script and its event stream are added, by exact URL.
    for directive, url in (("script-src", RELOAD_PATH), ("connect-src", EVENTS_PATH)):
        before = production.get(directive, production["default-src"])
        extra = [s for s in served[directive] if s not in before]
        assert extra == [preview.url + url], f"{path}: {directive} adds {extra}"
        assert "'unsafe-inline'" not in served[directive], path


def test_the_headers_follow_an_edit_to_netlify_toml(preview):
    config = preview.base / "netlify.toml"
    good = config.read_text(encoding="utf-8")
    rule = '\n[[headers]]\n  for = "/*"\n  [headers.values]\n    X-Preview-Test = "edited"\n'
    save(config, good + rule)
    try:
        wait_until(
            lambda: preview.request("/")[1].get("x-preview-test") == "edited",
            "the new header from netlify.toml",
        )
    finally:
        save(config, good)
    wait_until(lambda: "x-preview-test" not in preview.request("/")[1], "the header to go")


# ------------------------------------------------------------------- HEAD


def assert_head_agrees(preview, path):
    get_status, get_headers, body = preview.request(path)
    head_status, head_headers, head_body = preview.request(path, "HEAD")
    assert head_status == get_status, path
    assert head_headers["content-length"] == get_headers["content-length"] == str(len(body)), path
    assert head_body == b"", path
    assert head_headers["content-security-policy"] == get_headers["content-security-policy"]
    return get_status


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        (f"/posts/{SLUG}/", 200),
        ("/no/such/page/", 404),
        ("/no-such-file.css", 404),
        ("/robots.txt", 200),
        (RELOAD_PATH, 200),
    ],
)
def test_head_agrees_with_get(preview, path, status):
    assert assert_head_agrees(preview, path) == status


def test_head_agrees_with_get_on_the_error_page(preview):
    settings = preview.base / "pelicanconf.py"
    good = settings.read_text(encoding="utf-8")
    save(settings, f"{good}SITENAME = (\n")
    try:
        wait_until(preview.problems, "the error page")
        assert assert_head_agrees(preview, "/about/") == 500
    finally:
        save(settings, good)
    wait_until(preview.shows_site, "the site after the fix")


# ------------------------------------------------------- live-reload connections


def open_events(preview):
    """A raw live-reload connection, read up to its first event."""
    sock = socket.create_connection(("127.0.0.1", preview.port), timeout=20)
    sock.sendall(f"GET {EVENTS_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{preview.port}\r\n\r\n".encode())
    received = b""
    while b"event: build" not in received:
        chunk = sock.recv(4096)
        assert chunk, "the event stream closed before its first event"
        received += chunk
    return sock


def read_until(sock, wanted):
    """Everything `sock` receives until `wanted` or the end of the stream."""
    received = b""
    while wanted not in received:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return received


def test_live_reload_connections_are_bounded(preview):
    assert MAX_LISTENERS == 8, "the README promises 8"
    extra = 3
    sockets = [open_events(preview) for _ in range(MAX_LISTENERS + extra)]
    try:
        # The oldest are told to stop, then closed by the server.
        for number, sock in enumerate(sockets[:extra]):
            rest = read_until(sock, b"\x00never")
            assert b"event: close" in rest, f"connection {number} was not told to close"
        # The newest stay open: the next build reaches each of them.
        edit_shows(preview, "saved_while_many_pages_listen")
        for number, sock in enumerate(sockets[extra:], start=extra):
            assert b"event: build" in read_until(sock, b"event: build"), number
        assert preview.shows_site(), "the server stopped answering pages"
    finally:
        for sock in sockets:
            sock.close()


# ---------------------------------------------------------------- in Chromium

LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    context.add_init_script(LISTEN)
    yield context.new_page()
    context.close()


@pytest.mark.browser
def test_the_browser_recovers_from_a_settings_typo(preview, page):
    settings = preview.base / "pelicanconf.py"
    good = settings.read_text(encoding="utf-8")
    page.goto(f"{preview.url}/posts/{SLUG}/")
    page.locator("h1.post__title").wait_for()
    save(settings, good.replace('SITEURL = ""', 'SITEURL = "', 1))
    try:
        page.locator("h1", has_text="Build failed").wait_for(timeout=30_000)
        problems = page.locator(".build-errors li").all_inner_texts()
        assert len(problems) == 1 and "pelicanconf.py:" in problems[0], problems
        assert "SyntaxError" in problems[0] and "fix the settings file" in problems[0], problems
    finally:
        save(settings, good)
    # The page reloads itself when the fix is built.
    page.locator("h1.post__title").wait_for(timeout=30_000)
    assert page.locator("#elsewhere").count() == 1
    assert page.evaluate("document.styleSheets.length") >= 1, "the stylesheet was blocked"


@pytest.mark.browser
def test_the_production_csp_applies_in_the_preview(preview, page):
    page.goto(f"{preview.url}/posts/{SLUG}/")
    page.locator("#elsewhere").wait_for(state="attached")
    page.wait_for_function("() => window.__violations.some(v => v.startsWith('img-src'))")
    loaded = page.locator("#elsewhere").evaluate("e => e.naturalWidth")
    assert loaded == 0, "an image from another origin loaded: the preview is laxer than Netlify"
    violations = page.evaluate("window.__violations")
    # The reload script itself is allowed (the typo test sees it reload the page).
    assert page.locator(f'script[src="{RELOAD_PATH}"]').count() == 1
    assert not any(RELOAD_PATH in v or EVENTS_PATH in v for v in violations), violations
    page.wait_for_function(
        "() => performance.getEntriesByType('resource')"
        f".some(e => e.name.endsWith('{RELOAD_PATH}'))"
    )


# ------------------------------------------------------------ pure functions


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:1 'unsafe-inline'",
        "evil.example; script-src *",
        "*",
        "",
        "http://evil.example",
    ],
)
def test_a_hostile_host_header_cannot_widen_the_policy(preview, host):
    _, sent, _ = preview.request("/", headers={"Host": host})
    served = csp_directives(sent["content-security-policy"])
    assert served["script-src"] == [preview.url + RELOAD_PATH], served
    assert served["connect-src"] == [preview.url + EVENTS_PATH], served


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            "default-src 'none'; style-src 'self'; upgrade-insecure-requests",
            "default-src 'none'; style-src 'self'; script-src http://h:1/__preview/reload.js; "
            "connect-src http://h:1/__preview/events",
        ),
        (
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'",
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' "
            "http://h:1/__preview/reload.js; connect-src 'self' http://h:1/__preview/events",
        ),
        ("style-src 'self'", "style-src 'self'"),
    ],
    ids=["none", "self", "unrestricted"],
)
def test_preview_policy_adds_only_the_reload_urls(policy, expected):
    from sitetools.preview.server import preview_policy

    assert preview_policy(policy, "http://h:1") == expected


def test_preview_policy_lets_the_404_page_use_its_root_base():
    from sitetools.preview.server import preview_policy

    policy = "default-src 'none'; base-uri 'none'"
    assert "base-uri 'none'" in preview_policy(policy, "http://h:1")
    assert "base-uri 'self'" in preview_policy(policy, "http://h:1", root_base=True)

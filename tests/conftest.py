"""Site fixtures: each real site is built once per session and shared.

Builds go into pytest's temporary folders with their own cache, so tests never
write into the working tree.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from sitetools.build.builder import build

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
VENDORED_SEED = DATA / "seed-listing.json"


def run_python(code, timeout=300):
    """Run `code` in a fresh interpreter at the project root and return its
    stdout. A fresh process has no thread left by other tests (Playwright's,
    say), so the build may fork workers there as it does in a real run."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def run_invoke(*args, timeout=120, memory=None, background=False):
    """Run `invoke <args>` at the project root, as the author would, without
    colour (under a limit of `memory` bytes when given; as a job in a shell's
    background, which starts with SIGINT ignored, when `background`); returns
    the finished process."""
    command = [sys.executable, "-m", "invoke", *args]
    if background:
        command = ["bash", "-c", '"$@" & wait $!', "bash", *command]
    return subprocess.run(
        bounded(command, memory) if memory else command,
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1"},
    )


# What a bounded run may map: a build of a test site needs a few hundred MiB.
MEMORY_LIMIT = 2 * 1024**3
# Sets the limit, then becomes the command: no preexec_fn, unsafe once tests run threads.
_LIMITED = (
    "import os, resource, sys; limit = int(sys.argv[1]); "
    "resource.setrlimit(resource.RLIMIT_AS, (limit, limit)); os.execv(sys.argv[2], sys.argv[2:])"
)


def bounded(command, memory=MEMORY_LIMIT):
    """`command` (a list) run so that it, and what it starts, may map at most
    `memory` bytes: a runaway fails its test instead of the machine."""
    return [sys.executable, "-c", _LIMITED, str(memory), *command]


def run_invoke_bounded(*args, timeout=120, memory=MEMORY_LIMIT):
    """run_invoke under a memory limit (bytes) and a timeout."""
    return run_invoke(*args, timeout=timeout, memory=memory)


def stop_process(process):
    """Stop a preview as Ctrl+C does; kill it if it does not stop in 10 s."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A good dev build of tests/data/reader in output/, and its snapshot:
    the output a failing build must leave as it was."""
    base = tmp_path_factory.mktemp("last-good")
    content = shutil.copytree(DATA / "reader", base / "content")
    output = base / "output"
    build("pelicanconf.py", output, {"PATH": str(content), "CACHE_PATH": str(base / "cache")})
    return output, snapshot(output)


def capture_log_messages():
    """For code run by run_python: from now on, every message logged at DEBUG
    and up, in the list returned."""
    import logging

    seen = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    logging.getLogger().setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    return seen


def preview_of_corpus(folder, posts):
    """A synthetic corpus of `posts` posts in `folder`/content and the preview's
    builder (SiteBuilder(warm=True)) after its first build into `folder`/output:
    (builder, content, output)."""
    from sitetools.build.builder import SiteBuilder
    from sitetools.quality.bench import write_corpus

    content = write_corpus(folder / "content", posts)
    builder = SiteBuilder(
        "pelicanconf.py",
        folder / "output",
        {"PATH": str(content), "CACHE_PATH": str(folder / "cache")},
        warm=True,
    )
    builder.build()
    return builder, content, folder / "output"


def build_site(tmp_path_factory, name, config="pelicanconf.py", **overrides):
    """Build a site into a fresh temporary folder and return its output path."""
    base = tmp_path_factory.mktemp(name)
    settings = {"CACHE_PATH": str(base / "cache"), **overrides}
    return build(config, base / "output", settings).output


@pytest.fixture(scope="session")
def seed():
    """The author's listing (the seed's listing.json, copied into tests/data)."""
    return json.loads(VENDORED_SEED.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The development build of content/ with the real pelicanconf.py."""
    return build_site(tmp_path_factory, "dev-site")


@pytest.fixture(scope="session")
def prod_site(tmp_path_factory):
    """The production build of content/ with the real publishconf.py."""
    return build_site(tmp_path_factory, "prod-site", "publishconf.py")


@pytest.fixture(scope="session")
def reader_site(tmp_path_factory):
    """tests/data/reader (sections, code, a footnote, Modified dates, a hidden
    post) built with a REPO_URL, so the edit link shows."""
    return build_site(
        tmp_path_factory,
        "reader-site",
        PATH=str(DATA / "reader"),
        REPO_URL="https://github.com/example/blog",
    )


@pytest.fixture(scope="session")
def prod_siteurl():
    from sitetools.build.builder import load_settings

    return load_settings("publishconf.py")["SITEURL"]


def read_html(path):
    return BeautifulSoup(Path(path).read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="session")
def html():
    """Parse a written page: html(output, "posts/x/index.html")."""

    def parse(output, relative):
        path = Path(output) / relative
        assert path.is_file(), f"{relative} was not written"
        return read_html(path)

    return parse


@pytest.fixture
def content_dir(tmp_path):
    """An empty content folder to fill with posts for one test."""
    path = tmp_path / "content"
    (path / "posts").mkdir(parents=True)
    (path / "pages").mkdir()
    return path


def copy_data(name, dest):
    shutil.copytree(DATA / name, dest, dirs_exist_ok=True)
    return dest


# ---- Pages of a built site, by kind --------------------------------------------
# Found from the output alone: the quality tests walk whatever the build wrote,
# so a page kind added later (a search page, a second listing page) is checked
# without editing them.

# Kinds every build of this site must have; "search" only once the site has one.
REQUIRED_KINDS = ("front", "article", "tag", "tags", "archives", "page", "404")
ALL_KINDS = (*REQUIRED_KINDS, "search")


# The first folder of a page's path -> its kind; "page" for anything else.
_FOLDER_KINDS = {"page": "front", "posts": "article", "archives": "archives", "search": "search"}


def kind_of(relative):
    """The page kind of an HTML file, from its path under the output folder
    (None for files that are not pages a reader visits, such as drafts)."""
    parts = Path(relative).parts
    if parts == ("404.html",):
        return "404"
    folders = parts[:-1]
    if parts[-1] != "index.html" or folders[:1] == ("drafts",):
        return None
    if not folders:
        return "front"
    if folders[0] == "tags":
        return "tags" if len(folders) == 1 else "tag"
    return _FOLDER_KINDS.get(folders[0], "page")


def pages_by_kind(output):
    """{kind: [url path, ...]} for every HTML page in `output`, sorted."""
    output = Path(output)
    found = {}
    for file in sorted(output.rglob("*.html")):
        relative = file.relative_to(output).as_posix()
        kind = kind_of(relative)
        if kind is None:
            continue
        url = "/" + relative.removesuffix("index.html")
        found.setdefault(kind, []).append(url)
    return found


def file_for(output, url_path):
    """The file a static host serves for `url_path` (folders -> index.html)."""
    target = Path(output) / unquote(url_path).lstrip("/")
    if url_path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target


def local_target(output, siteurl, page_url, reference):
    """The output file that `reference` (an href/src on the page at `page_url`)
    names, or None when it points at another origin. `siteurl` is the site's
    absolute root ("" for a relative build)."""
    base = (siteurl.rstrip("/") or "http://site.invalid") + page_url
    absolute = urljoin(base, reference.strip())
    parts = urlsplit(absolute)
    if parts.scheme in ("data", "blob"):
        return None
    root = urlsplit(siteurl.rstrip("/") or "http://site.invalid")
    if (parts.scheme, parts.netloc) != (root.scheme, root.netloc):
        return None
    path = parts.path
    if root.path and path.startswith(root.path):
        path = path[len(root.path) :] or "/"
    return file_for(output, path)


def is_same_origin(siteurl, page_url, reference):
    """True when `reference` resolves under `siteurl` (or is inline data)."""
    base = siteurl.rstrip("/") + page_url
    absolute = urljoin(base, reference.strip())
    parts = urlsplit(absolute)
    if parts.scheme in ("data", "blob"):
        return True
    return absolute == siteurl.rstrip("/") or absolute.startswith(siteurl.rstrip("/") + "/")


def chrome_path():
    return os.environ.get("CHROME_PATH") or "/usr/bin/chromium"


# Chromium flags for this machine: no sandbox as root, and no background
# traffic to the outside network (the network is closed here).
CHROME_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def need_tool(found, message):
    """A test needs a machine tool: fail under CI, skip with the reason locally."""
    if not found:
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def java():
    """The Nu HTML Checker runs on Java."""
    need_tool(shutil.which("java"), "No java on PATH: apt-get install default-jre-headless")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser).

    Without a browser: a clear failure under CI, a skip with the reason locally.
    """
    path = chrome_path()
    need_tool(
        os.path.exists(path), f"No Chromium at {path}: apt-get install chromium, or set CHROME_PATH"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROME_ARGS)
        yield chromium
        chromium.close()


def route_site(context, output, origin, headers=None):
    """Answer every request to `origin` from the files in `output`, the way a
    static host would (index.html for folders, 404.html for missing files), with
    `headers` added to each response: a dict for every path, or a function of
    the request path returning one (to serve what netlify.toml declares). Requests
    to any other origin are aborted, so a page that reaches outside the site fails
    its test."""
    output = Path(output)
    origin = origin.rstrip("/")

    def handle(route):
        url = route.request.url
        if not url.startswith(origin + "/") and url != origin:
            return route.abort()
        path = url[len(origin) :].split("?", 1)[0].split("#", 1)[0] or "/"
        target = output / unquote(path).lstrip("/")
        if target.is_dir():
            target = target / "index.html"
        status = 200
        if not target.is_file():
            status, target = 404, output / "404.html"
        extra = headers(path) if callable(headers) else headers
        return route.fulfill(
            status=status,
            body=target.read_bytes(),
            content_type=_content_type(target),
            headers={**(extra or {}), "content-type": _content_type(target)},
        )

    context.route("**/*", handle)


def _content_type(path):
    import mimetypes

    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return (
        f"{kind}; charset=utf-8"
        if kind.startswith("text/") or kind.endswith(("xml", "json", "javascript"))
        else kind
    )


@pytest.fixture
def open_page(browser):
    """open_page(output, path, origin=..., **context options) -> a Playwright page
    showing that built page; the context closes after the test."""
    contexts = []

    def open_(output, path="/", origin="http://blog.test", headers=None, **options):
        context = browser.new_context(**options)
        contexts.append(context)
        route_site(context, output, origin, headers)
        page = context.new_page()
        page.goto(origin + path)
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def sharing_site(tmp_path_factory):
    """Production build of tests/data/sharing: a Modified date, relative links
    and an image in a body, and a long title."""
    return build_site(
        tmp_path_factory, "sharing-prod", "publishconf.py", PATH=str(DATA / "sharing")
    )


@pytest.fixture(scope="session")
def hostile(tmp_path_factory):
    """Dev and production builds of tests/data/hostile: markup in a title, tags
    and summary, plus a draft.

    content_guard refuses this content (tests/test_content_guard.py); here it is
    switched off to prove the theme, feeds and head tags escape on their own."""
    from sitetools.build.builder import load_settings

    plugins = [p for p in load_settings()["PLUGINS"] if p != "content_guard"]
    return {
        mode: build_site(
            tmp_path_factory,
            f"hostile-{mode}",
            config,
            PATH=str(DATA / "hostile"),
            PLUGINS=plugins,
        )
        for mode, config in (("dev", "pelicanconf.py"), ("prod", "publishconf.py"))
    }


@pytest.fixture(scope="session")
def hostile_prod(hostile):
    """Production build of tests/data/hostile."""
    return hostile["prod"]


def page_by_title(output, sitename):
    """{title: relative path} for every article page, read from each <title>."""
    pages = {}
    suffix = f" · {sitename}"
    for path in sorted(Path(output, "posts").glob("*/index.html")):
        pages[read_html(path).title.get_text().removesuffix(suffix)] = path.relative_to(
            output
        ).as_posix()
    return pages


def site_files(output):
    """{relative path: bytes} of every file of a built site, the sitemap's
    <lastmod> (a listing's is the build time) left out."""
    files = {}
    for path in sorted(Path(output).rglob("*")):
        if path.is_file():
            text = path.read_bytes()
            if path.name == "sitemap.xml":
                text = re.sub(rb"<lastmod>[^<]*</lastmod>", b"", text)
            files[path.relative_to(output).as_posix()] = text
    return files


def snapshot(folder):
    """{relative path: sha256} of every file under `folder`: compare two to
    see that a failed build left the last good site as it was."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(Path(folder).rglob("*"))
        if path.is_file()
    }


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def axe_violations(page):
    """axe-core's WCAG 2.2 A/AA violations on a Playwright page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
    options = {"runOnly": {"type": "tag", "values": tags}, "resultTypes": ["violations"]}
    found = Axe().run(page, options=options).response["violations"]
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in found]

"""The preview server behind `invoke serve`.

It serves output/ on 127.0.0.1, watches the sources, rebuilds on every save and
tells open pages to reload through Server-Sent Events. Each open page names
itself when it connects, so a save is built in two passes (see `rebuild`):
the saved posts' pages and the open pages first, then the whole site. The
reload script is a file (no inline script), injected into HTML responses by
the server only, so the built site never carries it. When a rebuild fails,
every HTML request gets the list of problems in the site's look, until the
next good build; that includes an error in the settings file or a missing
content folder, and the watcher never stops: the next good save brings the
site back.

Every response carries the headers netlify.toml gives its path in production
(read again whenever it changes, so an edit to netlify.toml applies at once), with three
changes only the preview needs; see `preview_policy` and `PREVIEW_CACHE`. At
most MAX_LISTENERS pages hold a live-reload connection; a new one closes the
oldest.

Changes to plugins restart the server process, because Python cannot reload an
imported plugin cleanly; open pages reconnect and reload by themselves.
"""

import contextlib
import html
import http.server
import os
import queue
import re
import sys
import threading
import time
import tomllib
import urllib.parse
from pathlib import Path

from . import netlify
from .build import ROOT, BuildError, SiteBuilder

RELOAD_PATH = "/__preview/reload.js"
EVENTS_PATH = "/__preview/events"
RELOAD_TAG = f'<script src="{RELOAD_PATH}" defer></script>'.encode()
WATCHED = ("content", "theme", "plugins", "pelicanconf.py", "publishconf.py")
RESTART_ON = ("plugins", "sitetools")
# Open pages holding a live-reload connection (one server thread each); a new
# page over the limit closes the oldest one's, which is most likely a closed tab.
MAX_LISTENERS = 8
# How often the watcher checks that the folders it watches are still the same
# ones (moved away, put back, replaced by an editor's save), in milliseconds.
TICK_MS = 300
# The preview never lets the browser keep a copy: a rebuilt file keeps its name
# (and, with reproducible builds, its date), so a cached copy would go stale.
PREVIEW_CACHE = "no-store"
CLOSE = object()  # what an inbox receives when its page is over the limit

RELOAD_JS = b"""// Preview only: reload this page when the site has been rebuilt.
(() => {
  let seen = null;
  // The server writes the page open here first when the next save is built.
  const events = new EventSource(
    "/__preview/events?page=" + encodeURIComponent(location.pathname),
  );
  // Too many open pages: the server dropped this one; don't reconnect.
  events.addEventListener("close", () => events.close());
  events.addEventListener("build", (event) => {
    if (seen !== null && event.data !== seen) {
      location.reload();
    }
    seen = event.data;
  });
})();
"""


def stylesheets(output):
    """Site paths of the built theme's stylesheets (found by globbing, so a
    hashed name such as main.3f2a1c.css is found too)."""
    css = Path(output) / "theme" / "css"
    return [f"/theme/css/{path.name}" for path in sorted(css.glob("*.css"))]


def error_page(problems, stylesheet):
    """The page every HTML request gets while the last rebuild is failing.
    `stylesheet` is one site path or a list of them (none: unstyled)."""
    if isinstance(stylesheet, str):
        stylesheet = [stylesheet]
    links = "\n".join(
        f'<link rel="stylesheet" href="{html.escape(href)}">' for href in stylesheet or ()
    )
    items = "\n".join(f"<li><code>{html.escape(line)}</code></li>" for line in problems)
    count = len(problems)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Build failed</title>
{links}
</head>
<body>
<main id="main" class="site-main">
<header class="page-header">
<h1 class="page-header__title">Build failed</h1>
<p class="page-header__tagline">{count} problem{"s" * (count != 1)} stopped the rebuild.
Fix {"them" if count != 1 else "it"} and save: this page reloads by itself.
Nothing in output/ was changed.</p>
</header>
<ul class="build-errors" role="list">
{items}
</ul>
</main>
</body>
</html>
""".encode()


# Chromium and the CSP spec read a host-source with a path ending in a file name
# as that one URL, so these two additions allow the reload script and its event
# stream and nothing else: a post's own <script>, inline or from this origin,
# stays blocked as on Netlify.
def preview_policy(policy, origin, *, root_base=False):
    """The production Content-Security-Policy `policy` as the preview sends it
    for a page served from `origin` (http://host:port): script-src and
    connect-src also allow the reload script and the event stream by their
    exact URLs; upgrade-insecure-requests is left out, since the preview is
    plain HTTP on the loopback address and has no HTTPS to upgrade to; with
    `root_base`, base-uri allows 'self' for the <base href="/"> the preview
    puts into its 404 page (the development build's links are relative)."""
    directives = netlify.csp_directives(policy)
    fallback = directives.get("default-src")
    for name, url in (("script-src", origin + RELOAD_PATH), ("connect-src", origin + EVENTS_PATH)):
        sources = directives.get(name, fallback)
        if sources is not None:  # None: nothing restricts it
            directives[name] = [s for s in sources if s.lower() != "'none'"] + [url]
    directives.pop("upgrade-insecure-requests", None)
    if root_base and "base-uri" in directives:
        directives["base-uri"] = ["'self'"]
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def preview_headers(headers, origin, *, root_base=False):
    """The headers netlify.toml gives a path (`headers`, from
    netlify.headers_for), as the preview sends them."""
    sent = dict(headers)
    if "content-security-policy" in sent:
        sent["content-security-policy"] = preview_policy(
            sent["content-security-policy"], origin, root_base=root_base
        )
    sent["cache-control"] = PREVIEW_CACHE
    return sent


# A Host header as a browser sends it: a name or address, and a port.
HOST = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def page_origin(host_header, fallback):
    """The origin the browser asked (http://localhost:8000 or 127.0.0.1:8000
    alike), or `fallback` when the Host header is missing or malformed."""
    host = (host_header or "").strip()
    return f"http://{host}" if HOST.fullmatch(host) else fallback


class SiteHeaders:
    """netlify.toml's [[headers]], read again whenever the file changes. A file
    that does not parse leaves the last good headers in force, and says so."""

    def __init__(self, path):
        self.path = Path(path)
        self.lock = threading.Lock()
        self.stamp = None
        self.config = {}

    def for_path(self, path):
        try:
            stamp = self.path.stat().st_mtime_ns
        except OSError:
            stamp = None
        with self.lock:
            if stamp != self.stamp:
                self.stamp = stamp
                self._load(stamp)
            config = self.config
        return netlify.headers_for(config, path)

    def _load(self, stamp):
        name = self.path.name
        if stamp is None:
            self.config = {}
            print(f"{name}: not found; the preview sends no site headers", file=sys.stderr)
            return
        try:
            config = netlify.load_config(self.path)
            netlify.header_rules(config)
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError) as error:
            print(
                f"{name}: {error}; fix it and save: until then the preview sends the "
                "headers of the last good version",
                file=sys.stderr,
                flush=True,
            )
            return
        self.config = config


def page_file(url_path):
    """The output path (posts/x/index.html) of a page's address (/posts/x/)."""
    path = urllib.parse.unquote(url_path or "/").lstrip("/")
    if not path or path.endswith("/"):
        return path + "index.html"
    return path if "." in path.rsplit("/", 1)[-1] else path + "/index.html"


class PreviewState:
    """What the server knows about the latest build and the pages listening
    for the next one; shared across threads."""

    def __init__(self, max_listeners=MAX_LISTENERS):
        self.lock = threading.Lock()
        self.token = f"{os.getpid()}-{time.time_ns()}"
        self.problems = []
        self.listeners = {}  # inbox -> output path of its page, oldest first
        self.max_listeners = max_listeners

    def finished(self, problems, pages=None, skip=()):
        """A build ended: every open page reloads, or only those whose output
        path is in `pages` (when given) and not in `skip`."""
        with self.lock:
            self.problems = list(problems)
            self.token = f"{os.getpid()}-{time.time_ns()}"
            listeners = [
                inbox
                for inbox, page in self.listeners.items()
                if (pages is None or page in pages) and page not in skip
            ]
        for listener in listeners:
            listener.put(self.token)

    def open_pages(self):
        """Output paths of the pages holding a live-reload connection."""
        with self.lock:
            return set(self.listeners.values())

    def listen(self, page=None):
        """A new page's inbox and the current build token; over the limit,
        the oldest page's inbox receives CLOSE. `page`: its output path."""
        inbox = queue.Queue()
        with self.lock:
            while len(self.listeners) >= self.max_listeners:
                oldest = next(iter(self.listeners))
                del self.listeners[oldest]
                oldest.put(CLOSE)
            self.listeners[inbox] = page
            return inbox, self.token

    def forget(self, inbox):
        with self.lock:
            self.listeners.pop(inbox, None)


def make_handler(state, output, stylesheet=None, site_headers=None):
    """The request handler; `stylesheet` None: look for the built stylesheet on
    every error page, since a rebuild may rename it. `site_headers`: a
    SiteHeaders whose headers every response carries."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        # A connection that sends nothing (or reads nothing) for this long is
        # closed, so idle sockets cannot hold server threads for ever.
        timeout = 60
        root_base = False  # this response's HTML carries the preview's <base href="/">

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(output), **kwargs)

        def log_message(self, format, *args):  # quiet: the terminal shows builds
            pass

        def end_headers(self):
            if site_headers is not None:
                path = urllib.parse.unquote(urllib.parse.urlsplit(getattr(self, "path", "/")).path)
                host, port = self.server.server_address[:2]
                sent = getattr(self, "headers", None)
                origin = page_origin(sent.get("Host") if sent else None, "")
                headers = preview_headers(
                    site_headers.for_path(path),
                    origin or f"http://{host}:{port}",
                    root_base=self.root_base,
                )
                for name, value in headers.items():
                    self.send_header(name, value)
            else:
                self.send_header("Cache-Control", PREVIEW_CACHE)
            super().end_headers()

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            path = urllib.parse.urlsplit(self.path).path
            if path == RELOAD_PATH:
                return self._send(200, "text/javascript; charset=utf-8", RELOAD_JS)
            if path == EVENTS_PATH:
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                return self._events(page_file(query.get("page", ["/"])[0]))
            if state.problems and self._is_html(path):
                return self._send(
                    500,
                    "text/html; charset=utf-8",
                    self._inject(
                        error_page(
                            state.problems,
                            stylesheets(output) if stylesheet is None else stylesheet,
                        )
                    ),
                )
            target = self.translate_path(path)
            if os.path.isdir(target):
                target = os.path.join(target, "index.html")
                if not path.endswith("/") and os.path.exists(target):
                    self.send_response(301)
                    self.send_header("Location", path + "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
            if target.endswith(".html") or (self._is_html(path) and not os.path.exists(target)):
                return self._html(target)
            return super().do_HEAD() if self.command == "HEAD" else super().do_GET()

        def _is_html(self, path):
            return path.endswith(("/", ".html")) or "." not in path.rsplit("/", 1)[-1]

        def _html(self, target):
            status = 200
            if not os.path.exists(target):
                status, target = 404, os.path.join(output, "404.html")
            try:
                body = Path(target).read_bytes()
            except OSError:
                body, status = b"<!doctype html><title>Not found</title><h1>Not found</h1>", 404
            if status == 404:
                # 404.html is written for the site root; its relative links must
                # resolve from there whatever address was asked for. (Production
                # links are absolute, so only the preview needs this.)
                body = body.replace(b"<head>", b'<head>\n<base href="/">', 1)
                self.root_base = True
            self._send(status, "text/html; charset=utf-8", self._inject(body))

        def _inject(self, body):
            marker = body.rfind(b"</body>")
            return body[:marker] + RELOAD_TAG + body[marker:] if marker >= 0 else body + RELOAD_TAG

        def _send(self, status, content_type, body):
            """A response; to HEAD, the same status and headers without the body."""
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _events(self, page):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            if self.command == "HEAD":
                return
            inbox, token = state.listen(page)
            try:
                while token is not CLOSE:
                    self.wfile.write(f"event: build\ndata: {token}\n\n".encode())
                    self.wfile.flush()
                    # Every 15 s the same token again: a keep-alive.
                    with contextlib.suppress(queue.Empty):
                        token = inbox.get(timeout=15)
                self.wfile.write(b"event: close\ndata: too many open pages\n\n")
                self.wfile.flush()
            except OSError:  # the page went away
                pass
            finally:
                state.forget(inbox)

    return Handler


def _attempt(builder, state, **options):
    """One build; its result, or None when it failed (the problems then go to
    every open page). Nothing a build raises stops the preview: an error in
    the settings file or a missing content folder becomes the one problem on
    the error page."""
    try:
        result = builder.build(**options)
    except BuildError as error:  # content problems, or SettingsError: one line each
        problems = error.problems
    except (Exception, SystemExit) as error:  # a bug of ours: say it, keep serving
        problems = [f"{type(error).__name__}: {' '.join(str(error).split())}"]
    else:
        for line in result.warnings:
            print(f"warning: {line}", file=sys.stderr, flush=True)
        return result
    print(BuildError(problems), file=sys.stderr, flush=True)
    state.finished(problems)
    return None


def rebuild(builder, state, changed=None, root=ROOT):
    """Build after a save (`changed`: the paths saved since the last build).

    First a fast pass writes the saved posts' pages and the pages open in a
    browser, which reload at once; then a full build makes the whole site
    consistent, and reloads the open pages the fast pass did not write.
    Both are all-or-nothing: a failure shows its problems on every page. When
    the first pass had to write every page (a setting changed), it is the only
    one."""
    started = time.perf_counter()
    fresh = set()
    result = None
    if changed and not state.problems:
        result = _attempt(builder, state, changed=changed, first=state.open_pages())
        if result is None:
            return False
        if result.fast:
            fresh = result.written
            state.finished([], pages=fresh)
            print(f"Pages rebuilt in {time.perf_counter() - started:.2f} s", flush=True)
    if (result is None or result.fast) and _attempt(builder, state, changed=changed) is None:
        return False
    print(f"Rebuilt in {time.perf_counter() - started:.2f} s", flush=True)
    state.finished([], skip=fresh)
    return True


def watched_paths(root, content=None):
    """What the preview watches, whether each exists now or not: the sources,
    theme, plugins and settings (`content` replaces root/content when the
    site's content lives elsewhere)."""
    paths = [root / name for name in WATCHED]
    if content is not None:
        paths = [p for p in paths if p != root / "content"] + [Path(content)]
    return paths


def identities(paths):
    """{path: (device, inode) or None when missing}: tells when a watched folder
    or file was moved away, put back or replaced by a new file."""
    found = {}
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            found[path] = None
        else:
            found[path] = (stat.st_dev, stat.st_ino)
    return found


def _changes(paths, stop):
    """watchfiles' batches of changes under `paths` (those that exist), and an
    empty batch every TICK_MS."""
    import watchfiles  # noqa: PLC0415

    if not paths:  # nothing to watch until something comes back
        while not stop.wait(TICK_MS / 1000):
            yield set()
        return
    yield from watchfiles.watch(
        *paths, stop_event=stop, debounce=50, step=20, rust_timeout=TICK_MS, yield_on_timeout=True
    )


def watch(root, builder, state, stop, built=None):
    """Rebuild on every change under the watched paths; restart on code changes.

    `built`: identities() of the watched paths at the last build. A watched
    path that disappears, comes back or is replaced triggers a full rebuild
    and a new watch over what exists then. Nothing stops this loop but `stop`."""
    paths = watched_paths(root, builder.overrides.get("PATH"))
    built = built if built is not None else identities(paths)
    while not stop.is_set():
        armed = identities(paths)
        try:
            for changes in _changes([p for p in paths if armed[p] is not None], stop):
                now = identities(paths)
                if not changes and now == built:
                    continue
                changed = {Path(path) for _, path in changes} if now == built else None
                if changed and any(_top_folder(root, path) in RESTART_ON for path in changed):
                    if any(path.suffix == ".py" for path in changed):
                        print("Plugin code changed: restarting the preview", flush=True)
                        os.execv(sys.executable, [sys.executable, *sys.argv])
                built = now
                rebuild(builder, state, changed, root)
                if now != armed:
                    break  # watch again what exists now
        except Exception as error:  # a watch that failed to start: try again
            print(f"Watching again after: {type(error).__name__}: {error}", file=sys.stderr)
            stop.wait(TICK_MS / 1000)


def _top_folder(root, path):
    try:
        return path.relative_to(root).parts[0]
    except (ValueError, IndexError):
        return None


def serve(root, settings_file, output, *, host="127.0.0.1", port=8000, overrides=None):
    """Build once, then serve and rebuild until interrupted.

    `overrides` are Pelican settings for every build (e.g. PATH for a content
    folder elsewhere); its PATH is watched instead of root/content. Responses
    carry the headers of root/netlify.toml. A first build that fails (even on
    the settings) still starts the server, showing the problems."""
    root = Path(root)
    output = Path(output)
    state = PreviewState()
    # One builder for the preview's life: it keeps what rebuilds can reuse.
    builder = SiteBuilder(settings_file, output, overrides, warm=True)
    built = identities(watched_paths(root, builder.overrides.get("PATH")))
    rebuild(builder, state, root=root)
    output.mkdir(parents=True, exist_ok=True)
    handler = make_handler(state, output, site_headers=SiteHeaders(root / "netlify.toml"))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(root, builder, state, stop, built), daemon=True)
    watcher.start()
    print(f"Preview on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()

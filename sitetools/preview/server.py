"""The preview server behind `invoke serve`.

It serves output/ on 127.0.0.1, rebuilds on every save (see `rebuild`) and
tells open pages to reload through Server-Sent Events; the reload script is a
file injected by the server only, never built into the site. While a rebuild
fails (a post, the settings, a missing content folder), every HTML request gets
the problems in the site's look; the watcher never stops, and the next good
save brings the site back. Every response carries netlify.toml's headers for
its path (read again when it changes), adapted by `preview_policy`. Changes
to plugin code restart the process: Python cannot reload a plugin cleanly.
"""

import contextlib
import functools
import html
import http.server
import io
import os
import queue
import re
import sys
import threading
import time
import tomllib
import urllib.parse
from pathlib import Path

import watchfiles

from sitetools import netlify
from sitetools.build.builder import BuildError, SiteBuilder, file_identity

RELOAD_PATH = "/__preview/reload.js"
EVENTS_PATH = "/__preview/events"
RELOAD_TAG = f'<script src="{RELOAD_PATH}" defer></script>'.encode()
WATCHED = ("content", "theme", "plugins", "pelicanconf.py", "publishconf.py")
RESTART_ON = ("plugins", "sitetools")
# Open pages holding a live-reload connection (a server thread each); a new
# page over the limit closes the oldest one's, most likely a closed tab.
MAX_LISTENERS = 8
# How often (ms) the watcher checks that its folders are still the same ones
# (moved away, put back, replaced by an editor's save).
TICK_MS = 300
# A rebuilt file keeps its name (and, with reproducible builds, its date), so a
# copy kept by the browser would go stale.
PREVIEW_CACHE = "no-store"
CLOSE = ("close", "too many open pages")  # what an inbox receives when its page is over the limit
# A Host header as a browser sends it: a host name or address, and a port.
HOST = re.compile(rf"(?:{netlify.HOST.pattern})(?::[0-9]{{1,5}})?")

# Served to every HTML page the preview sends: reloads it when the site was rebuilt.
RELOAD_JS = Path(__file__).with_name("reload.js").read_bytes()
# What every HTML request gets while the last rebuild is failing.
ERROR_PAGE = Path(__file__).with_name("error_page.html").read_text(encoding="utf-8")


def error_page(problems, output):
    """The page every HTML request gets while the last rebuild is failing,
    styled by the built stylesheets (globbed: their names may be hashed)."""
    css = sorted((Path(output) / "theme" / "css").glob("*.css"))
    links = "".join(f'<link rel="stylesheet" href="/theme/css/{html.escape(p.name)}">' for p in css)
    items = "\n".join(f"<li><code>{html.escape(line)}</code></li>" for line in problems)
    count = len(problems)
    plural, them = ("s", "them") if count != 1 else ("", "it")
    return ERROR_PAGE.format(
        links=links, count=count, plural=plural, them=them, items=items
    ).encode()


def preview_policy(policy, origin, *, root_base=False):
    """The production Content-Security-Policy as the preview sends it from
    `origin`: script-src and connect-src also allow the reload script and event
    stream by exact URL (a path ending in a file name is that one URL, so a
    post's own scripts stay blocked); no upgrade-insecure-requests (plain HTTP
    on loopback); with `root_base`, base-uri 'self' for the 404 page's <base>."""
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


class SiteHeaders:
    """netlify.toml's [[headers]], read again whenever the file changes; one
    that does not parse leaves the last good headers in force, and says so."""

    def __init__(self, path):
        self.path, self.lock, self.stamp, self.config = Path(path), threading.Lock(), None, {}

    def for_path(self, path):
        with self.lock:
            if (stamp := file_identity(self.path, modified=True)) != self.stamp:
                self.stamp, self.config = stamp, self._load()
            return netlify.headers_for(self.config, path)

    def _load(self):
        name = self.path.name
        try:
            netlify.header_rules(config := netlify.load_config(self.path))
            return config
        except FileNotFoundError:
            print(f"{name}: not found; the preview sends no site headers", file=sys.stderr)
            return {}
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError) as error:
            print(f"{name}: {error}; fix it and save: until then the preview sends the "
                  "headers of the last good version", file=sys.stderr, flush=True)  # fmt: skip
            return self.config


def page_file(url_path):
    """The output path (posts/x/index.html) of a page's address (/posts/x/)."""
    path = urllib.parse.unquote(url_path or "/").lstrip("/")
    if not path or path.endswith("/"):
        return path + "index.html"
    return path if "." in path.rsplit("/", 1)[-1] else path + "/index.html"


class PreviewState:
    """The latest build's token and problems, whether the work it deferred
    (the search index) still runs, and the pages listening for news of
    either; shared across threads. A page's inbox gets (event, data) pairs."""

    def __init__(self):
        self.lock = threading.Lock()
        self.token = f"{os.getpid()}-{time.time_ns()}"
        self.problems = []
        self.deferring = False
        self.rebuilding = False
        self.listeners = {}  # inbox -> output path of its page, oldest first

    def finished(self, problems, pages=None, skip=()):
        """A build ended: reload every open page, or those in `pages` (when given) not in `skip`."""
        with self.lock:
            self.problems = list(problems)
            self.token = f"{os.getpid()}-{time.time_ns()}"
            for inbox, page in self.listeners.items():
                if (pages is None or page in pages) and page not in skip:
                    inbox.put(("build", self.token))

    def deferred(self, running):
        """The last build's deferred work started (True) or ended: tell every
        open page. While a rebuild runs, what it defers is still to come: an
        end is not news until then."""
        with self.lock:
            if running or not self.rebuilding:
                self.deferring = running
                for inbox in self.listeners:
                    inbox.put(("deferred", "running" if running else "done"))

    def open_pages(self):
        with self.lock:
            return set(self.listeners.values())

    def listen(self, page=None):
        """A new page's inbox, already holding the current news; over the
        limit, the oldest page's inbox gets CLOSE."""
        inbox = queue.Queue()
        with self.lock:
            while len(self.listeners) >= MAX_LISTENERS:
                (oldest := next(iter(self.listeners))).put(CLOSE)
                del self.listeners[oldest]
            self.listeners[inbox] = page
            inbox.put(("build", self.token))
            if self.deferring:
                inbox.put(("deferred", "running"))
            return inbox

    def forget(self, inbox):
        with self.lock:
            self.listeners.pop(inbox, None)


def make_handler(state, output, site_headers):
    """The request handler: serves `output`, the reload script and events, or the error page."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        # An idle connection is closed after this long, so it cannot hold a thread for ever.
        timeout = 60
        root_base = False  # this response's HTML carries the preview's <base href="/">

        def log_message(self, format, *args):  # quiet: the terminal shows builds
            pass

        def _site_headers(self):
            """netlify.toml's headers for this URL, names in lower case."""
            path = getattr(self, "path", "/")  # none on a malformed request
            return site_headers.for_path(urllib.parse.unquote(urllib.parse.urlsplit(path).path))

        def end_headers(self):
            sent = getattr(self, "headers", None)  # none on a malformed request
            host = ((sent and sent.get("Host")) or "").strip()
            origin = "http://{}:{}".format(*self.server.server_address[:2])
            origin = f"http://{host}" if HOST.fullmatch(host) else origin  # localhost or 127.0.0.1
            for name, value in {**self._site_headers(), "cache-control": PREVIEW_CACHE}.items():
                if name == "content-security-policy":
                    self.send_header(name, preview_policy(value, origin, root_base=self.root_base))
                elif name != "content-type":  # sent once, by guess_type
                    self.send_header(name, value)
            super().end_headers()

        def guess_type(self, path):
            """netlify.toml's Content-Type for this URL, as production sends; else Python's."""
            return self._site_headers().get("content-type") or super().guess_type(path)

        def send_head(self):
            """Headers, and the body as a file (SimpleHTTPRequestHandler sends it to GET only)."""
            url = urllib.parse.urlsplit(self.path)
            if url.path == RELOAD_PATH:
                return self._body(200, "text/javascript; charset=utf-8", RELOAD_JS)
            if url.path == EVENTS_PATH:
                page = urllib.parse.parse_qs(url.query).get("page", ["/"])[0]
                return self._events(page_file(page))
            if state.problems and page_file(url.path).endswith(".html"):
                return self._html(500, error_page(state.problems, output))
            target = self.translate_path(url.path)
            page = os.path.join(target, "index.html") if os.path.isdir(target) else target
            # A folder asked without its slash: SimpleHTTPRequestHandler redirects.
            served = page == target or url.path.endswith("/")
            if served and os.path.isfile(page) and page.endswith(".html"):
                return self._html(200, Path(page).read_bytes())
            if page_file(url.path).endswith(".html") and not os.path.exists(page):
                return self._not_found()
            return super().send_head()

        def _not_found(self):
            # 404.html is written for the site root; its relative links must
            # resolve from there whatever was asked (production links are absolute).
            self.root_base = True
            with contextlib.suppress(OSError):
                page = Path(output, "404.html").read_bytes()
                return self._html(404, page.replace(b"<head>", b'<head>\n<base href="/">', 1))
            return self._html(404, b"<!doctype html><title>Not found</title><h1>Not found</h1>")

        def _html(self, status, body):
            marker = body.rfind(b"</body>")
            body = body[:marker] + RELOAD_TAG + body[marker:] if marker >= 0 else body + RELOAD_TAG
            return self._body(status, "text/html; charset=utf-8", body)

        def _body(self, status, content_type, body):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return io.BytesIO(body)

        def _events(self, page):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            if self.command == "HEAD":
                return
            inbox = state.listen(page)
            try:
                while True:
                    try:  # after 15 s of no news, a comment line (a keep-alive)
                        news = "event: {}\ndata: {}\n\n".format(*inbox.get(timeout=15))
                    except queue.Empty:
                        news = ": keep-alive\n\n"
                    self.wfile.write(news.encode())
                    self.wfile.flush()
                    if news.startswith("event: close"):
                        break
            except OSError:  # the page went away
                pass
            finally:
                state.forget(inbox)
            return None

    return functools.partial(Handler, directory=str(output))


def _attempt(builder, state, **options):
    """One build's result, or None when it failed: its problems (a settings
    error is one line too) then go to every open page. Nothing stops the preview."""
    try:
        result = builder.build(**options)
    except BuildError as error:
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


def rebuild(builder, state, changed=None):
    """Build after a save (`changed`: the paths saved since the last build).

    A fast pass writes the saved posts' pages and the open pages, which reload
    at once; a full build then makes the whole site consistent and reloads the
    other open pages. When the first pass had to write every page (a setting
    changed), it is the only one."""
    # First: an end of the last build's deferred work, from now on, is not news.
    state.rebuilding = True
    state.deferred(True)  # what the full build defers (the search index) is older from now
    started, fresh, result = time.perf_counter(), set(), None
    try:
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
    finally:
        state.rebuilding = False
        if not builder.deferring():
            state.deferred(False)


def identities(paths):
    """{path: file_identity or None when missing}: tells when a watched path
    was moved away, put back or replaced."""
    return {path: file_identity(path) for path in paths}


def watch(root, builder, state, stop, built):
    """Rebuild on every change under the paths of `built` (their identities()
    at the last build); restart on code changes. A path that disappears, comes
    back or is replaced (looked at every TICK_MS) triggers a full rebuild and a
    new watch. Only `stop` ends this."""
    while not stop.is_set():
        armed = identities(built)
        watched = [path for path, found in armed.items() if found is not None]
        try:
            options = {"debounce": 50, "step": 20, "rust_timeout": TICK_MS, "stop_event": stop}
            for changes in watchfiles.watch(*watched, yield_on_timeout=True, **options):
                if (now := identities(built)) == built and not changes:
                    continue
                changed = {Path(path) for _, path in changes} if now == built else None
                code = [p for p in changed or () if p.suffix == ".py" and p.is_relative_to(root)]
                if any(path.relative_to(root).parts[0] in RESTART_ON for path in code):
                    print("Plugin code changed: restarting the preview", flush=True)
                    os.execv(sys.executable, [sys.executable, *sys.argv])
                built = now
                rebuild(builder, state, changed)
                if now != armed:
                    break  # watch again what exists now
        except Exception as error:  # a watch that failed to start: try again
            print(f"Watching again after: {type(error).__name__}: {error}", file=sys.stderr)
            stop.wait(TICK_MS / 1000)


class ServeError(Exception):
    """The preview cannot start; `str()` is one line naming the flag to change."""


def bind(host, port, handler):
    """The preview's HTTP server bound to host:port; ServeError when it cannot be."""
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except (OverflowError, OSError) as error:  # OverflowError: Python's check of the number
        reason = (getattr(error, "strerror", None) or str(error)).rstrip(".")
        other = port + 1 if 1024 <= port < 65535 else 8000
        raise ServeError(
            f"Cannot serve on {host}:{port}: {reason}; choose another port with --port, e.g. "
            f"--port {other} (ports below 1024 need root), or check --host (an address of "
            "this machine, e.g. 127.0.0.1)"
        ) from None
    server.daemon_threads = True
    return server


def serve(root, settings_file, output, *, host="127.0.0.1", port=8000, overrides=None):
    """Bind the port (ServeError if it cannot be: before a build the author
    would wait for), build once, then serve and rebuild until interrupted.
    `overrides` are settings for every build; its PATH is watched instead of
    root/content. A first build that fails (even on the settings) still starts
    the server."""
    root, output, state = Path(root), Path(output), PreviewState()
    server = bind(host, port, make_handler(state, output, SiteHeaders(root / "netlify.toml")))
    stop = threading.Event()
    try:
        # One builder for the preview's life: it keeps what rebuilds can reuse.
        builder = SiteBuilder(
            settings_file, output, overrides, warm=True, on_deferred=state.deferred
        )
        content = Path(builder.overrides.get("PATH", root / "content"))
        # Before the first build: a change meanwhile is seen.
        built = identities([content, *(root / name for name in WATCHED if name != "content")])
        rebuild(builder, state)
        output.mkdir(parents=True, exist_ok=True)
        args = (root, builder, state, stop, built)
        threading.Thread(target=watch, args=args, daemon=True).start()
        print(f"Preview on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()

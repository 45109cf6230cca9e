"""The preview server behind `invoke serve`.

It serves output/ on 127.0.0.1, watches the sources, rebuilds on every save and
tells open pages to reload through Server-Sent Events. The reload script is a
file (no inline script), injected into HTML responses by the server only, so the
built site never carries it. When a rebuild fails, every HTML request gets the
list of problems in the site's look, until the next good build.

Changes to plugins restart the server process, because Python cannot reload an
imported plugin cleanly; open pages reconnect and reload by themselves.
"""

import html
import http.server
import os
import queue
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from .build import BuildError, SiteBuilder

RELOAD_PATH = "/__preview/reload.js"
EVENTS_PATH = "/__preview/events"
RELOAD_TAG = f'<script src="{RELOAD_PATH}" defer></script>'.encode()
WATCHED = ("content", "theme", "plugins", "pelicanconf.py", "publishconf.py")
RESTART_ON = ("plugins", "sitetools")

RELOAD_JS = b"""// Preview only: reload this page when the site has been rebuilt.
(() => {
  let seen = null;
  const events = new EventSource("/__preview/events");
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
    fingerprinted name such as main.3f2a1c.css is found too)."""
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


class PreviewState:
    """What the server knows about the latest build; shared across threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.token = f"{os.getpid()}-{time.time_ns()}"
        self.problems = []
        self.listeners = set()

    def finished(self, problems):
        with self.lock:
            self.problems = list(problems)
            self.token = f"{os.getpid()}-{time.time_ns()}"
            listeners = list(self.listeners)
        for listener in listeners:
            listener.put(self.token)


def make_handler(state, output, stylesheet=None):
    """The request handler; `stylesheet` None: look for the built stylesheet on
    every error page, since a rebuild may rename it."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(output), **kwargs)

        def log_message(self, format, *args):  # quiet: the terminal shows builds
            pass

        def do_GET(self):
            path = urllib.parse.urlsplit(self.path).path
            if path == RELOAD_PATH:
                return self._send(200, "text/javascript; charset=utf-8", RELOAD_JS)
            if path == EVENTS_PATH:
                return self._events()
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
                    self.end_headers()
                    return None
            if target.endswith(".html") or (self._is_html(path) and not os.path.exists(target)):
                return self._html(target)
            return super().do_GET()

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
            self._send(status, "text/html; charset=utf-8", self._inject(body))

        def _inject(self, body):
            marker = body.rfind(b"</body>")
            return body[:marker] + RELOAD_TAG + body[marker:] if marker >= 0 else body + RELOAD_TAG

        def _send(self, status, content_type, body):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _events(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            inbox = queue.Queue()
            with state.lock:
                state.listeners.add(inbox)
                token = state.token
            try:
                while True:
                    self.wfile.write(f"event: build\ndata: {token}\n\n".encode())
                    self.wfile.flush()
                    try:
                        token = inbox.get(timeout=15)
                    except queue.Empty:
                        token = state.token  # keep-alive
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                with state.lock:
                    state.listeners.discard(inbox)

    return Handler


def rebuild(builder, state, changed=None):
    """One build by the preview's builder (`changed`: the paths saved since the
    last one); the result (good or failed) goes to every open page."""
    started = time.perf_counter()
    try:
        result = builder.build(changed=changed)
    except BuildError as error:
        print(error, file=sys.stderr, flush=True)
        state.finished(error.problems)
        return False
    for line in result.warnings:
        print(f"warning: {line}", file=sys.stderr, flush=True)
    print(f"Rebuilt in {time.perf_counter() - started:.2f} s", flush=True)
    state.finished([])
    return True


def watched_paths(root, content=None):
    """What the preview watches: the sources, theme, plugins and settings
    (`content` replaces root/content when the site's content lives elsewhere)."""
    paths = [root / name for name in WATCHED if (root / name).exists()]
    if content is not None:
        paths = [p for p in paths if p != root / "content"] + [Path(content)]
    return paths


def watch(root, builder, state, stop):
    """Rebuild on every change under the watched paths; restart on code changes."""
    import watchfiles  # noqa: PLC0415

    content = builder.overrides.get("PATH")
    paths = watched_paths(root, content)
    for changes in watchfiles.watch(*paths, stop_event=stop, debounce=50, step=20):
        changed = {Path(path) for _, path in changes}
        if any(_top_folder(root, path) in RESTART_ON for path in changed):
            if any(path.suffix == ".py" for path in changed):
                print("Plugin code changed: restarting the preview", flush=True)
                os.execv(sys.executable, [sys.executable, *sys.argv])
        rebuild(builder, state, changed)


def _top_folder(root, path):
    try:
        return path.relative_to(root).parts[0]
    except (ValueError, IndexError):
        return None


def serve(root, settings_file, output, *, host="127.0.0.1", port=8000, overrides=None):
    """Build once, then serve and rebuild until interrupted.

    `overrides` are Pelican settings for every build (e.g. PATH for a content
    folder elsewhere); its PATH is watched instead of root/content."""
    root = Path(root)
    output = Path(output)
    state = PreviewState()
    # One builder for the preview's life: it keeps what rebuilds can reuse.
    builder = SiteBuilder(settings_file, output, overrides, warm=True)
    rebuild(builder, state)
    output.mkdir(parents=True, exist_ok=True)
    handler = make_handler(state, output)
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(root, builder, state, stop), daemon=True)
    watcher.start()
    print(f"Preview on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()

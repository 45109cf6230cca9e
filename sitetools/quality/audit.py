"""Lighthouse on a production build served locally: the code behind `invoke audit`.

The build is served the way a static host does (gzip for text, 404.html for a
missing path); Lighthouse (pinned in tools/audit/package.json) drives Chromium
on the front page, the newest article and its first tag page. Its performance
score is simulated and moves between runs, so the audit reports, never fails.
"""

import functools
import gzip
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser
from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[2]
# Pinned in tools/audit/package.json, not at the root, where Netlify would
# npm-install it before every deploy.
LIGHTHOUSE = ROOT / "tools" / "audit" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME = os.environ.get("CHROME_PATH") or "/usr/bin/chromium"  # Debian's, unless named
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking"
_COMPRESSIBLE = (".html", ".css", ".js", ".xml", ".json", ".svg", ".txt")


class AuditError(Exception):
    """`invoke audit` cannot run; `str()` says what to install or fix."""


def pick_pages(output):
    """[(name, url path)] to audit: the front page, the newest article (the
    front page's first card links to it) and that article's first tag page."""

    def first_link(page, selector):
        markup = (Path(output) / page).read_text(encoding="utf-8")
        if link := LexborHTMLParser(markup).css_first(selector):
            return urlsplit(link.attributes["href"]).path
        raise LookupError(f"no {selector} in {page}")

    article = first_link("index.html", "main .card a[href]")
    tag = first_link(f"{article.strip('/')}/index.html", 'main a[rel~="tag"][href]')
    return [("front page", "/"), ("article", article), ("tag page", tag)]


class StaticHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built folder like the host: gzip for text, 404.html."""

    def send_head(self):
        path = Path(self.translate_path(self.path))
        path = path / "index.html" if path.is_dir() else path
        status, path = (200, path) if path.is_file() else (404, Path(self.directory) / "404.html")
        body, gzipped = path.read_bytes(), "gzip" in self.headers.get("Accept-Encoding", "")
        self.send_response(status)
        self.send_header("Content-Type", self.guess_type(path))
        if gzipped and path.suffix in _COMPRESSIBLE:
            body = gzip.compress(body, mtime=0)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)  # SimpleHTTPRequestHandler sends it to GET, not to HEAD

    def log_message(self, *args):
        pass


def serve_in_background(output, host, port=0):
    """A server for the folder `output` (which may be written later); port 0
    picks a free one, read from `server.server_address`."""
    handler = functools.partial(StaticHandler, directory=str(output))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_lighthouse(url, report_base):
    """Lighthouse on one URL; returns its JSON report (and leaves an HTML one)."""
    command = [str(LIGHTHOUSE), url, "--quiet", "--output=json", "--output=html",
               f"--output-path={report_base}", f"--only-categories={','.join(CATEGORIES)}",
               f"--chrome-flags={CHROME_FLAGS}"]  # fmt: skip
    env = {**os.environ, "CHROME_PATH": CHROME}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    report = Path(f"{report_base}.report.json")
    if done.returncode != 0 or not report.is_file():
        raise RuntimeError(f"Lighthouse failed on {url}:\n{done.stderr[-2000:]}")
    return json.loads(report.read_text(encoding="utf-8"))


def scores(report):
    """The four category scores of a Lighthouse JSON report, out of 100."""
    return {cat: round((report["categories"][cat]["score"] or 0) * 100) for cat in CATEGORIES}


def table(results):
    """The report printed by `invoke audit`: [(page name, url path, scores)]."""
    rows = [[f"{name} {url}", *found.values()] for name, url, found in results]
    return tabulate(rows, ("page", "perf", "a11y", "best", "seo"), "plain")


def audit(host="127.0.0.1", port=0, reports=None):
    """`invoke audit`: `invoke publish` into a scratch folder, its absolute URLs
    pointing at the server on host:port (0: a free port) that serves it, then
    Lighthouse on the pages pick_pages chooses; the table, or AuditError."""
    if not LIGHTHOUSE.exists():
        if not shutil.which("npm"):
            raise AuditError("invoke audit needs Node.js and npm (apt-get install nodejs npm).")
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=LIGHTHOUSE.parents[2], check=True
        )
    if not Path(CHROME).exists():
        raise AuditError(f"No Chromium at {CHROME}: apt-get install chromium, or set CHROME_PATH")
    with tempfile.TemporaryDirectory(prefix="audit-") as scratch:
        output, report_dir = Path(scratch, "output"), Path(reports or scratch).resolve()
        report_dir.mkdir(parents=True, exist_ok=True)
        server = serve_in_background(output, host, port)  # first: the build needs its address
        origin = "http://{}:{}".format(*server.server_address[:2])
        publish = [sys.executable, "-m", "invoke", "publish", "--output", output]
        env = {**os.environ, "SITEURL": origin}  # publishconf.py reads it
        try:
            if subprocess.run(publish, cwd=ROOT, env=env, check=False).returncode:
                raise AuditError("The production build failed; nothing to audit.")
            results = []
            for name, path in pick_pages(output):
                print(f"Lighthouse: {name} {origin}{path}", flush=True)
                base = report_dir / (path.strip("/").replace("/", "-") or "index")
                results.append((name, path, scores(run_lighthouse(origin + path, base))))
        finally:
            server.shutdown()
            server.server_close()
    return table(results) + (f"\nReports in {report_dir}" if reports else "")

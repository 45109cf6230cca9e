"""Lighthouse on a production build served locally: the code behind `invoke audit`.

The site is built with SITEURL pointing at a server on 127.0.0.1, so its
absolute URLs resolve to that server, and served the way a static host does:
gzip for text, 404.html for a missing path. Lighthouse (the npm package pinned
in tools/audit/package.json) drives Debian's Chromium on the front page, the
newest article and that article's first tag page, and this module reads its
JSON reports.

Lighthouse's performance score is simulated and moves from run to run, so the
audit reports; it never fails a build.
"""

import functools
import gzip
import http.server
import json
import os
import re
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

# Debian's Chromium, unless CHROME_PATH names another.
DEFAULT_CHROME = "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking"
_COMPRESSIBLE = (".html", ".css", ".js", ".xml", ".json", ".svg", ".txt")


@dataclass
class PageAudit:
    name: str
    url: str
    scores: dict
    byte_weight: int
    lcp_ms: float
    below_full: list = field(default_factory=list)


def free_port(host):
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def pick_pages(output):
    """[(name, url path)] to audit: the front page, the newest article (the
    front page's first post link) and that article's first tag page."""
    output = Path(output)

    def first_link(page, pattern):
        text = page.read_text(encoding="utf-8")
        main = text[text.find("<main") :]
        for href in re.findall(r'href="([^"]+)"', main):
            path = re.sub(r"^[a-z]+://[^/]+", "", href)
            if re.fullmatch(pattern, path):
                return path
        raise LookupError(f"no link matching {pattern} in {page.relative_to(output)}")

    article = first_link(output / "index.html", r"/posts/[^/]+/")
    tag = first_link(output / article.strip("/") / "index.html", r"/tags/[^/]+/")
    return [("front page", "/"), ("article", article), ("tag page", tag)]


class StaticHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built folder like the host: gzip for text, 404.html."""

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        status = 200
        if not path.is_file():
            status, path = 404, Path(self.directory) / "404.html"
        body = path.read_bytes()
        self.send_response(status)
        self.send_header("Content-Type", self.guess_type(str(path)))
        if path.suffix in _COMPRESSIBLE and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, mtime=0)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve_in_background(output, host, port):
    handler = functools.partial(StaticHandler, directory=str(output))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def chrome_path():
    return os.environ.get("CHROME_PATH") or DEFAULT_CHROME


def run_lighthouse(lighthouse, url, report_base, chrome):
    """Lighthouse on one URL; returns its JSON report (and leaves an HTML one)."""
    command = [
        str(lighthouse),
        url,
        "--quiet",
        "--output=json",
        "--output=html",
        f"--output-path={report_base}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    env = {**os.environ, "CHROME_PATH": chrome}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    report = Path(f"{report_base}.report.json")
    if done.returncode != 0 or not report.is_file():
        raise RuntimeError(f"Lighthouse failed on {url}:\n{done.stderr[-2000:]}")
    return json.loads(report.read_text(encoding="utf-8"))


def summarise(name, url, report):
    """The four scores, byte weight, LCP, and every scored audit below 1."""
    categories = report["categories"]
    audits = report["audits"]
    scores = {cat: round((categories[cat]["score"] or 0) * 100) for cat in CATEGORIES}
    below = []
    for cat in CATEGORIES:
        for ref in categories[cat]["auditRefs"]:
            audit = audits[ref["id"]]
            if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                shown = audit.get("displayValue") or ""
                below.append(f"{cat}: {ref['id']} {audit['score']:.2f} {shown}".rstrip())
    return PageAudit(
        name=name,
        url=url,
        scores=scores,
        byte_weight=int(audits["total-byte-weight"]["numericValue"]),
        lcp_ms=audits["largest-contentful-paint"]["numericValue"],
        below_full=below,
    )


def table(results):
    """The report printed by `invoke audit`."""
    heads = ("page", "perf", "a11y", "best", "seo", "bytes", "LCP")
    rows = [
        (
            f"{r.name} {r.url}",
            *(str(r.scores[c]) for c in CATEGORIES),
            f"{r.byte_weight / 1024:.1f} KiB",
            f"{r.lcp_ms / 1000:.2f} s",
        )
        for r in results
    ]
    widths = [max(len(str(row[i])) for row in (heads, *rows)) for i in range(len(heads))]
    lines = []
    for row in (heads, *rows):
        cells = zip(row, widths, strict=True)
        lines.append(
            "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(cells))
        )
    for result in results:
        for item in result.below_full:
            lines.append(f"  {result.name}: below 100 because of {item}")
    return "\n".join(lines)


def audit_site(output, host, port, *, lighthouse, report_dir, chrome):
    """Serve `output` on host:port and run Lighthouse on the chosen pages."""
    siteurl = f"http://{host}:{port}"
    server = serve_in_background(output, host, port)
    results = []
    try:
        for name, path in pick_pages(output):
            print(f"Lighthouse: {name} {siteurl}{path}", flush=True)
            base = Path(report_dir) / (path.strip("/").replace("/", "-") or "index")
            results.append(
                summarise(name, path, run_lighthouse(lighthouse, siteurl + path, base, chrome))
            )
    finally:
        server.shutdown()
        server.server_close()
    return results

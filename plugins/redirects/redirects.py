"""Netlify's `_redirects`, from `content/redirects.txt` (`OLD NEW [301|302]`
lines, `#` comments) and the feed aliases of the settings. A bad line, a
duplicate, a loop, a target the site lacks or an old path a real file would
shadow stops the build. Netlify reads `_redirects` before netlify.toml.

A post or page that links an old path (a moved post's old URL, as written, with
a #fragment or on SITEURL) links where its redirects end instead, before any
page is written: readers skip the redirect, and the page, its feeds and the
link check all see the new URL. Only bodies that hold an old path are parsed,
as a browser would (justhtml), and only those hrefs change, byte for byte."""

import html
import logging
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, unquote, urljoin, urlsplit

from justhtml import JustHTML
from pelican import signals
from selectolax.lexbor import LexborHTMLParser

from plugins.headings.headings import splice
from sitetools.build.builder import BuildError
from sitetools.content.contents import body, contents_of, set_body
from sitetools.content.files import display_path
from sitetools.quality.check import served

logger = logging.getLogger(__name__)

DEFAULTS = {
    # The data file, relative to the content folder (PATH).
    "file": "redirects.txt",
    # Old feed addresses -> the setting of the feed each leads to, when the build writes it.
    "feed_aliases": {
        "/feed": "FEED_ALL_ATOM",
        "/rss": "FEED_ALL_RSS",
        "/atom.xml": "FEED_ALL_ATOM",
    },
}

FORMAT = "OLD-PATH NEW-PATH [301|302], e.g. /posts/old-slug/ /posts/new-slug/"


class Rule(NamedTuple):
    source: str
    target: str
    status: int
    origin: str  # "file:line" or "settings", for messages


def _slashless(path):
    return path.rstrip("/") or "/"


def _key(url):
    """A site URL as redirect_map keys it: unquoted, no ?query, #fragment or trailing slash."""
    return _slashless(unquote(url.split("#", 1)[0].split("?", 1)[0]))


def _path_problems(source, target):
    for what, value in (("old path", source), ("new path", target)):
        if not value.startswith("/"):
            yield f"{what} {value!r} must be a path on this site starting with /"
        elif "*" in value or "/:" in value:
            yield f"{what} {value!r} has a wildcard or placeholder; list each old URL alone"
    if _slashless(source) == _slashless(target):
        yield f"old path {source!r} redirects to itself"


def parse_rules(text, origin):
    """Lines of a redirects file -> ([Rule], [problem])."""
    rules, problems = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        fields = raw.split("#", 1)[0].split()
        where = f"{origin}:{number}"
        if not fields:
            continue
        if len(fields) not in (2, 3):
            problems.append(f"{where}: expected {FORMAT}; got {raw.strip()!r}")
            continue
        status = fields[2] if len(fields) == 3 else "301"
        found = list(_path_problems(fields[0], fields[1]))
        if status not in ("301", "302"):
            found = [f"status {status!r} is not one of 301, 302; leave it out for 301"]
        problems.extend(f"{where}: {problem}" for problem in found)
        if not found:
            rules.append(Rule(fields[0], fields[1], int(status), where))
    return rules, problems


def feed_rules(aliases, settings):
    """A rule per alias whose feed setting names a feed this build writes."""
    return [
        Rule(alias, "/" + str(settings[name]).lstrip("/"), 301, "settings")
        for alias, name in aliases.items()
        if settings.get(name)
    ]


def redirect_map(rules):
    """{old path, unquoted and without its trailing slash: its rule}, the first
    rule for a path winning (as on Netlify, which matches either spelling)."""
    found = {}
    for rule in rules:
        found.setdefault(_key(rule.source), rule)
    return found


def chain(path, mapping):
    """The rules a visit to `path` follows, in order, and whether they loop."""
    followed, seen = [], set()
    key = _key(path)
    while key in mapping:
        if key in seen:
            return followed, True
        seen.add(key)
        followed.append(mapping[key])
        key = _key(mapping[key].target)
    return followed, False


def final_target(path, mapping):
    """Where the redirects from `path` end (a rule's target as written), or
    None: `path` is not redirected, or its redirects loop."""
    followed, loops = chain(path, mapping)
    return None if loops or not followed else followed[-1].target


def loop_problems(rules):
    """One line per loop of redirects (A -> B -> A), at its first rule in the file."""
    mapping, problems, reported = redirect_map(rules), [], set()
    for rule in mapping.values():
        ring, loops = chain(rule.source, mapping)
        # Reported at the loop's first rule, not at one that only leads into it.
        if not loops or rule.origin in reported or mapping[_key(ring[-1].target)] is not rule:
            continue
        reported.update(each.origin for each in ring)
        steps = " -> ".join([*(each.source for each in ring), ring[0].source])
        others = ", ".join(each.origin for each in ring[1:])
        problems.append(
            f"{rule.origin}: old path {rule.source!r} redirects in a loop, {steps} "
            f"(with {others}); point one of these lines at a page of the site"
        )
    return problems


def site_problems(rules, output):
    """Duplicates; loops; targets missing from the built site (a target that is
    itself redirected counts as where its redirects end); old paths that a file
    there would shadow on Netlify."""

    def on_site(path):  # a file the static host serves for `path`
        file = lambda relative: (Path(output) / relative).is_file()  # noqa: E731
        return served(path.split("#", 1)[0].split("?", 1)[0], file)

    problems, mapping = loop_problems(rules), redirect_map(rules)
    for rule in rules:
        if (first := mapping[_key(rule.source)]) is not rule:
            problems.append(
                f"{rule.origin}: old path {rule.source!r} is already redirected at "
                f"{first.origin}; keep one line"
            )
        followed, loops = chain(rule.target, mapping)
        end = followed[-1].target if followed else rule.target
        if not loops and not on_site(end):
            via = f" (where {rule.target!r} redirects)" if followed else ""
            problems.append(
                f"{rule.origin}: new path {end!r}{via} is not a page of the built site; "
                "check the slug"
            )
        if on_site(rule.source):
            problems.append(
                f"{rule.origin}: old path {rule.source!r} is still a page of the site, "
                "so Netlify would serve it instead of redirecting; remove the line or the page"
            )
    return problems


# ---- Links to an old path lead where its redirects end ---------------------------

# The HTML tokenizer's whitespace (a CR reads as a line feed).
_SPACE = "\t\n\f\r "
# Up to this many spellings of old paths, looking for each in a body is cheaper
# than lexbor's parse of it (3, the feed aliases: 0.02 ms a post; a parse, 0.26);
# past it, every body is parsed.
PLAIN_LIMIT = 64


def redirected_url(href, page, mapping, siteurl=""):
    """The URL a link to `href` on the page at site path `page` should have
    (where the redirects from the path it names end, with its ?query and
    #fragment; on SITEURL if it was), or None: not an old path, or a loop."""
    url, prefix, origin = href.strip(), "", siteurl.rstrip("/")
    if origin and (url == origin or url.startswith((f"{origin}/", f"{origin}#", f"{origin}?"))):
        prefix, url = origin, url[len(origin) :]
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL at all (http://[x)
        return None
    if parts.scheme or parts.netloc or not parts.path:
        return None
    target = final_target(urljoin(page, parts.path), mapping)
    if target is None:
        return None
    new = urlsplit(target)
    query, fragment = parts.query or new.query, parts.fragment or new.fragment
    return prefix + new.path + f"?{query}" * bool(query) + f"#{fragment}" * bool(fragment)


def old_spellings(mapping):
    """Every way a body may spell an old path of `mapping` (unquoted,
    percent-encoded or as written, any with & as &amp;); None past PLAIN_LIMIT."""
    spellings = set()
    for key, rule in mapping.items():
        for spelled in {key, quote(key, safe="/%"), _slashless(rule.source)}:
            spellings |= {spelled, spelled.replace("&", "&amp;")}
    return spellings if len(spellings) <= PLAIN_LIMIT else None


def links_old_path(markup, page, mapping, siteurl="", spellings=None):
    """Whether an <a> or <area> of `markup` links an old path. A body holding
    none of `spellings` (old_spellings) is not parsed; lexbor's fast parse
    spares the rest that link none justhtml's located one."""
    if spellings is not None and not any(spelled in markup for spelled in spellings):
        return False
    return any(
        redirected_url(node.attributes.get("href") or "", page, mapping, siteurl)
        for node in LexborHTMLParser(markup).css("a[href], area[href]")
    )


def attribute_spans(markup, start):
    """[(name, value start, value end, quote)] of the start tag whose "<" is at
    `start`, read by the HTML tokenizer's attribute states (WHATWG 13.2.5.32-39):
    a value-less attribute has (None, None), an unquoted value the quote ""."""

    def past(at, chars, inside=True):  # the first place from `at` (not) in `chars`
        while at < len(markup) and (markup[at] in chars) == inside:
            at += 1
        return at

    spans, at = [], past(start + 1, f"{_SPACE}/>", inside=False)  # past the tag name
    while True:
        at = past(at, f"{_SPACE}/")  # between attributes; a lone "/" is no attribute
        if at >= len(markup) or markup[at] == ">":
            return spans
        name_end = past(at + 1, f"{_SPACE}/>=", inside=False)  # a name's first character is its own
        name, at = markup[at:name_end].lower(), past(name_end, _SPACE)
        if markup[at : at + 1] != "=":
            spans.append((name, None, None, ""))
            continue
        at = past(at + 1, _SPACE)
        quote_mark = markup[at] if markup[at : at + 1] in ("'", '"') else ""
        value_start = at + len(quote_mark)
        at = markup.find(quote_mark, value_start) if quote_mark else past(at, f"{_SPACE}>", False)
        if at < 0:  # the tag never ends
            return spans
        spans.append((name, value_start, at, quote_mark))
        at += len(quote_mark)


def _attribute_text(value, quote_mark):
    """`value` as the text of an attribute value in `quote_mark` (quoted when bare)."""
    mark = quote_mark or '"'
    text = value.replace("&", "&amp;").replace(mark, {'"': "&quot;", "'": "&#39;"}[mark])
    return text if quote_mark else f'"{text}"'


def rewrite_links(markup, page, mapping, siteurl=""):
    """(`markup` with each <a> and <area> href that names an old path changed to
    where its redirects end, [hrefs left as they were]). The elements are those
    a browser builds (justhtml), so markup shown as text in <code> or <pre> is
    no link; only the href's own characters change. An href whose text does not
    read back as the parser's value is left, and listed."""
    tree = JustHTML(markup, fragment=True, sanitize=False, track_node_locations=True)
    edits, left = [], []
    for node in tree.query("a[href], area[href]"):
        href = node.attrs.get("href") or ""
        new = redirected_url(href, page, mapping, siteurl)
        if new is None:
            continue
        at = node.origin_offset
        spans = attribute_spans(markup, at) if at is not None and markup[at : at + 1] == "<" else []
        span = next((each for each in spans if each[0] == "href"), None)
        if span is None or span[1] is None or html.unescape(markup[span[1] : span[2]]) != href:
            left.append(href)
            continue
        edits.append((span[1], span[2], _attribute_text(new, span[3])))
    return splice(markup, edits), left


def site_rules(settings):
    """(rules, problems) of the settings' feed aliases and the redirects file."""
    options = {**DEFAULTS, **(settings.get("REDIRECTS") or {})}
    rules = feed_rules(options["feed_aliases"], settings)
    data_file = Path(settings["PATH"]) / options["file"]
    problems = []
    if data_file.is_file():
        shown = f"{Path(settings['PATH']).name}/{options['file']}"
        found, problems = parse_rules(data_file.read_text(encoding="utf-8"), shown)
        rules += found
    return rules, problems


def follow_old_links(generators):
    """Point every post's and page's links to an old path where its redirects end."""
    settings = generators[0].settings
    rules, _problems = site_rules(settings)  # a bad line is reported once the site is written
    mapping, siteurl = redirect_map(rules), settings["SITEURL"]
    spellings = old_spellings(mapping)
    for content in contents_of(*generators) if mapping else ():
        markup, page = body(content), "/" + (content.url or "")
        if not links_old_path(markup, page, mapping, siteurl, spellings):
            continue
        new, left = rewrite_links(markup, page, mapping, siteurl)
        for href in left:
            logger.warning(
                "%s: link: %s is an old path that redirects, but its markup does not read "
                "back as written, so it was left; write the new URL, %s",
                display_path(content.source_path),
                href,
                redirected_url(href, page, mapping, siteurl),
            )
        if new != markup:
            set_body(content, new)


def write_redirects(pelican):
    """Check every rule against the built site and write `_redirects`."""
    rules, problems = site_rules(pelican.settings)
    problems += site_problems(rules, pelican.output_path)
    if problems:
        raise BuildError(problems)
    lines = ["# Written by the redirects plugin from content/redirects.txt and settings."]
    lines += [f"{rule.source}  {rule.target}  {rule.status}" for rule in rules]
    Path(pelican.output_path, "_redirects").write_text("\n".join(lines) + "\n", encoding="utf-8")


def register():
    # Bodies are final and unwritten: pages, feeds and the link check see new URLs.
    signals.all_generators_finalized.connect(follow_old_links)
    # Targets can only be checked once every page of the site has been written.
    signals.finalized.connect(write_redirects)

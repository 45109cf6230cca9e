"""What raw HTML a post may hold, judged on the HTML its Markdown renders to.

The rendered HTML is parsed the way a browser does (justhtml, a WHATWG HTML5
parser: entities, `<svg/onload>`, `<` in attribute values, foreign content), and
every element, attribute and URL is compared with an allowlist: what Markdown and
its extensions write, plus a few harmless extras. Anything else is a Violation;
so is an image from an origin the production Content-Security-Policy (the one
netlify.toml sends with every page) does not allow, as the browser would block it.
"""

import tomllib
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from justhtml import JustHTML

NETLIFY_TOML = Path(__file__).resolve().parents[2] / "netlify.toml"

# Elements a post may use: text-level and block markup, lists, tables, code,
# footnotes (div, sup, a, ol), definition lists, <details>, figures.
ELEMENTS = frozenset(
    """
    a abbr b bdi bdo blockquote br caption cite code col colgroup dd del details dfn div
    dl dt em figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q rp rt
    ruby s samp small span strong sub summary sup table tbody td tfoot th thead time tr u ul
    var wbr
    """.split()
)

# Attributes any allowed element may carry (the toc, footnote and attr_list
# extensions write id and class; abbr writes title).
GLOBAL_ATTRIBUTES = frozenset({"id", "class", "title", "lang", "dir"})

# Further attributes, per element.
ATTRIBUTES = {
    "a": {"href", "rel", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading", "decoding"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope", "abbr"},
    **dict.fromkeys(("col", "colgroup"), frozenset({"span"})),
    **dict.fromkeys(("blockquote", "q"), frozenset({"cite"})),
    **dict.fromkeys(("del", "ins"), frozenset({"cite", "datetime"})),
    "time": {"datetime"},
    "details": {"open"},
}

# Attributes whose value is a URL, and the schemes such a URL may use. A URL
# with no scheme (a path, `#fragment`, `?query`, or Pelican's `{static}…`,
# `{filename}…`, `{attach}…`) stays on this site and is always allowed.
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
URL_SCHEMES = frozenset({"http", "https", "mailto"})

# Why an element is refused, for the elements people reach for.
REASONS = {
    **dict.fromkeys(("script", "noscript"), "it runs script"),
    **dict.fromkeys(
        ("iframe", "frame", "frameset", "object", "embed", "applet", "portal"),
        "it embeds another site's page or a plugin, which can run script, and the "
        "site's Content-Security-Policy blocks it",
    ),
    **dict.fromkeys(
        ("video", "audio", "source", "track", "picture"),
        "the site's Content-Security-Policy blocks media players in pages",
    ),
    **dict.fromkeys(
        ("form", "input", "button", "select", "textarea"),
        "a form sends what readers type to another address",
    ),
    "template": "it holds markup that script can bring to life",
    "meta": "with http-equiv=refresh it sends readers to another page",
    "base": "it changes where every link on the page goes",
    "link": "it loads a stylesheet or other resource into the page",
    "style": "it restyles the whole site; styles belong in the theme's CSS",
    "svg": "inline SVG can run script; show an .svg file as an image instead",
    "math": "inline MathML can hide markup that runs script",
}

# Parse errors that leave the parser inside a tag, comment or the like at the
# end of the HTML: on the page, the theme's markup after the post would be
# read as part of it, so what the browser sees is not what was checked.
_UNCLOSED = ("eof-in-",)


# Elements a link card replaces (README, "Embeds").
EMBEDS = frozenset({"iframe", "embed", "object", "video", "audio", "source", "track", "picture"})
EMBED_FIX = (
    "link to it instead, with a link card: a linked image from content/images/ and a title "
    'link (README, "Embeds")'
)

# What is wrong and how to fix it, by a Violation's kind.
MESSAGES = {
    "element": "<{tag}> is not allowed in a post ({reason}); {fix}",
    "page": "{attribute}= on <{tag}>: a post cannot set attributes on the page's own <{tag}> "
    "(a browser adds them to it); remove that tag",
    "handler": "{attribute}= on <{tag}> runs script; remove the attribute, or show it as code "
    "in `backticks`",
    "aligned": 'style="{value}" on <{tag}> (a table column aligned with ":" in the rule under '
    "the header) is blocked by the site's Content-Security-Policy; remove the ':' from that rule",
    "style": "style= on <{tag}> is blocked by the site's Content-Security-Policy; put the style "
    "in a class in the theme's CSS and use class=",
    "attribute": "{attribute}= is not allowed on <{tag}>; remove it (allowed: {allowed})",
    "blocked": "<{tag}> loads {value} from another site, which the site's "
    "Content-Security-Policy ({attribute} in netlify.toml) blocks; "
    "download the image into content/images/ and write {{static}}/images/{name}",
    "alt": '<img src="{value}"> has no alt attribute, so a screen reader reads out its file '
    'name; describe the image in alt="…", or write alt="" if it only decorates the page',
    "url": "{attribute}= on <{tag}> is a {scheme}: URL, which can run script or leave the "
    "page; link with https:, http:, mailto: or a path on this site",
    "unclosed": "raw HTML is cut off ({value}: a tag, comment or quoted value is not "
    "closed), so it would swallow the page after it; close it",
}
# Strings that may show a Violation in the Markdown source, most telling first.
NEEDLES = {
    "element": ("<{tag}",),
    "aligned": (":-", "-:", "style="),  # a table's alignment row, |:--|--:|
    **dict.fromkeys(("page", "handler", "style", "attribute"), ("{attribute}=", "{attribute}")),
    "blocked": ("{stripped}", "src="),
    "alt": ("{stripped}", "<img"),
    "url": ("{stripped}", "{scheme}:", "{rest}", "{attribute}="),
    "unclosed": ("<",),
}


def csp_sources(text, directive):
    """The sources the Content-Security-Policy that netlify.toml's `text` sends
    with every page ("/*") allows for `directive` (else default-src), or None
    when it sends none."""
    for rule in tomllib.loads(text).get("headers", []):
        policy = rule.get("values", {}).get("Content-Security-Policy")
        if rule.get("for") == "/*" and policy:
            found = dict(
                (parts[0].lower(), parts[1:])
                for parts in (part.split() for part in policy.split(";"))
                if parts
            )
            return found.get(directive, found.get("default-src", ["*"]))
    return None


def _image_sources():
    try:
        return csp_sources(NETLIFY_TOML.read_text(encoding="utf-8"), "img-src")
    except (OSError, tomllib.TOMLDecodeError):
        return None


# Read once: content_guard keys its cached findings on it too.
IMAGE_SOURCES = _image_sources()


def allows(sources, url):
    """Whether CSP `sources` let a page of this site load `url` (a path on the
    site is 'self'; another origin must be listed, by origin or by scheme)."""
    if sources is None or "*" in sources:
        return True
    parts = urlsplit(url.strip())
    if not parts.netloc:
        return "'self'" in sources
    origin = f"{parts.scheme or 'https'}://{parts.netloc}".lower()
    return f"{parts.scheme}:" in sources or any(s.rstrip("/").lower() == origin for s in sources)


class Violation(NamedTuple):
    """One thing outside the allowlist: its kind is a key of MESSAGES (an element;
    an attribute on the page's own elements, a handler, a table's alignment, a
    style or another attribute; a URL; an image the CSP blocks; an <img> with no
    alt; unclosed HTML); value is the entity-decoded attribute value, or the
    parser's error."""

    kind: str
    tag: str = ""
    attribute: str = ""
    value: str = ""

    def _words(self):
        """What MESSAGES and NEEDLES fill in."""
        rest = self.value.split(":", 1)[-1].strip()
        return {
            **self._asdict(),
            "reason": REASONS.get(self.tag, "it is not on the list of elements a post may use"),
            "fix": EMBED_FIX
            if self.tag in EMBEDS
            else "remove it, or show it as code in `backticks`",
            "name": urlsplit(self.value).path.rsplit("/", 1)[-1] or "picture.png",
            "scheme": url_scheme(self.value),
            "allowed": ", ".join(sorted(GLOBAL_ATTRIBUTES | ATTRIBUTES.get(self.tag, set()))),
            "stripped": self.value.strip(),
            "rest": rest if len(rest) >= 4 else "",
        }

    def message(self):
        """What is wrong and how to fix it."""
        return MESSAGES[self.kind].format(**self._words())

    def needles(self):
        """Strings that may show it in the Markdown source, most telling first."""
        words = self._words()
        return [found for needle in NEEDLES[self.kind] if (found := needle.format(**words))]


def url_scheme(value):
    """The lower-case scheme a browser reads in a URL (the URL Standard: C0
    controls and spaces stripped at the ends, tabs and newlines removed), or ""."""
    value = value.strip("".join(map(chr, range(0x21))))
    value = "".join(ch for ch in value if ch not in "\t\n\r")
    head, colon, _ = value.partition(":")
    if colon and head[:1].isascii() and head[:1].isalpha():
        return (
            head.lower() if all(c.isascii() and (c.isalnum() or c in "+-.") for c in head) else ""
        )
    return ""


def _attribute_kind(tag, name):
    """The kind of Violation an attribute is, or None if it is allowed."""
    if name.startswith("on"):
        return "handler"
    if name == "style":
        return "aligned" if tag in ("th", "td") else "style"
    allowed = name in GLOBAL_ATTRIBUTES or name in ATTRIBUTES.get(tag, ())
    return None if allowed else "attribute"


def _attribute_violation(tag, name, value):
    if kind := _attribute_kind(tag, name):
        return Violation(kind, tag, name, value)
    scheme = url_scheme(value) if name in URL_ATTRIBUTES else ""
    if scheme and scheme not in URL_SCHEMES:
        return Violation("url", tag, name, value)
    if (tag, name) == ("img", "src") and not allows(IMAGE_SOURCES, value):
        return Violation("blocked", tag, "img-src", value)
    return None


# A post's HTML is parsed as part of a page, the way the browser meets it: in
# a <div> in <body>, and not closed, so that a tag or comment it leaves open is
# seen at the end. A fragment parse would drop <body onload=…> and <html …>,
# whose attributes a browser adds to the page's own <body> and <html>.
_PAGE_BEFORE_POST = "<!DOCTYPE html><html><head></head><body><div>"
# The page's own elements: the post may not add attributes to them.
_PAGE_ELEMENTS = frozenset({"html", "head", "body"})


def _walk(node, found):
    for child in getattr(node, "children", None) or ():
        name = getattr(child, "name", "")
        if name.startswith(("#", "!")):  # text, comments, the doctype
            continue
        html = getattr(child, "namespace", None) in (None, "html")
        if html and name in _PAGE_ELEMENTS:
            found.extend(Violation("page", name, a, v or "") for a, v in child.attrs.items())
            _walk(child, found)
            continue
        if not html or name not in ELEMENTS:
            # Inline SVG and MathML are refused whole; so is anything inside a
            # refused element, which goes with it.
            found.append(Violation("element", name))
            continue
        attributes, before = getattr(child, "attrs", None) or {}, len(found)
        for attribute, value in attributes.items():
            if problem := _attribute_violation(name, attribute.lower(), value or ""):
                found.append(problem)
        # Only when nothing worse (script, a blocked source) is wrong with it.
        missing = not any(a.lower() == "alt" for a in attributes)
        if name == "img" and missing and len(found) == before:
            found.append(Violation("alt", "img", "alt", attributes.get("src") or ""))
        _walk(child, found)


def violations(html):
    """Every violation in a post's HTML, in document order, as a tuple."""
    if not html or "<" not in html:
        return ()
    document = JustHTML(_PAGE_BEFORE_POST + html, sanitize=False, collect_errors=True)
    found = []
    _walk(document.root, found)
    unclosed = [e.code for e in document.errors if e.code.startswith(_UNCLOSED)]
    return (*found, *(Violation("unclosed", value=code) for code in unclosed))

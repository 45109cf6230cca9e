"""Every file a build writes comes from one source, and no link in it is left
as the author wrote it.

Pelican lets a post's `Save_as` or `Url` name any path: `index.html` replaced
the front page, another post's path replaced that post, and a build exited 0.
This plugin claims each output path for the one thing that writes it (a post,
a page, a listing, a static file, a feed, or a file another plugin writes at
the end). Posts, pages, static files and feeds are claimed before anything is
written, and two of them on one path stop the build there; a listing page is
claimed as it is written, and a clash then logs an error, which fails the
staged build.

It also reads each page as it is written: a `{static}`, `{filename}` or
`{attach}` link still in an attribute is one Pelican could not resolve, and
would ship as a broken link or image.
"""

import logging
import os
from html.parser import HTMLParser
from pathlib import Path

from pelican import signals

from sitetools.contents import contents_of
from sitetools.files import display_path

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Files and folders that plugins write once the pages are out, and what
    # writes them: no post or page may take their paths.
    "reserved": {
        "sitemap.xml": "the sitemap",
        "_redirects": "the redirects file",
        "_headers": "Netlify's headers file",
        "assets/": "the theme's hashed assets",
        "social/": "the social images",
        "pagefind/": "the search index",
    },
}

# Pelican's intrasite link markers (INTRASITE_LINK_REGEX: {what} or |what|).
_MARKERS = ("static", "filename", "attach", "tag", "category", "index", "author")
_TOKENS = tuple(f"{{{what}}}" for what in _MARKERS) + tuple(f"|{what}|" for what in _MARKERS)
# The attributes Pelican replaces them in (Content._get_intrasite_link_regex).
_URL_ATTRIBUTES = {"href", "src", "poster", "data", "cite", "formaction", "action", "content"}


# ---- Pure functions ---------------------------------------------------------------


class _Attributes(HTMLParser):
    """Collects (tag, attribute, value) for every attribute of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.extend((tag, name, value) for name, value in attrs if value)

    handle_startendtag = handle_starttag


def unresolved_links(markup):
    """[(tag, attribute, value)] for attributes that still start with one of
    Pelican's link markers: links it could not resolve. Text that shows a
    marker (a code block about Pelican) is not a link and is left alone."""
    if not any(token in markup for token in _TOKENS):
        return []
    parser = _Attributes()
    parser.feed(markup)
    parser.close()
    return [
        (tag, name, value)
        for tag, name, value in parser.found
        if name in _URL_ATTRIBUTES and value.strip().startswith(_TOKENS)
    ]


def reserved_owner(path, reserved):
    """What writes `path` at the end of the build, or None."""
    for name, owner in reserved.items():
        if path == name or (name.endswith("/") and path.startswith(name)):
            return owner
    return None


def line_where(source_path, found, header_only=False):
    """The number of the first line of a source for which `found(line)` holds
    (in its header, the lines before the first blank one, if `header_only`),
    or 1."""
    try:
        with open(source_path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if header_only and not line.strip():
                    break
                if found(line):
                    return number
    except OSError:
        pass
    return 1


def writer_of(context):
    """(description, content object or None) of what a written page shows."""
    for key in ("article", "page"):
        content = context.get(key)
        if getattr(content, "source_path", None):
            return content.source_path, content  # shown only in a message
    tag = context.get("tag")
    if tag is not None and context.get("articles_page") is not None:
        return f"the page of tag '{tag}'", None
    name = context.get("page_name") or context.get("template_name")
    return (f"the '{name}' listing" if name else "a listing page"), None


def chose_path(content):
    """Whether a content object's header sets its path (Save_as or Url)."""
    metadata = getattr(content, "metadata", None) or {}
    return "save_as" in metadata or "url" in metadata


def where_in_source(content):
    """`file:line: Field` for the header line that chose a content's path."""
    metadata = getattr(content, "metadata", {}) or {}
    field = next((name for name in ("save_as", "url", "slug") if name in metadata), "title")
    line = line_where(
        content.source_path,
        lambda text: text.split(":", 1)[0].strip().lower() == field,
        header_only=True,
    )
    return f"{display_path(content.source_path)}:{line}: {field.capitalize()}"


# ---- Handlers ---------------------------------------------------------------------

# This build's output paths -> what writes them. Reset when a build starts.
_claims = {}
_state = {"output": None, "reserved": {}}


def settings_for(settings):
    return {**DEFAULTS, **(settings.get("OUTPUT_PATHS") or {})}


def start(pelican):
    _claims.clear()
    _state["output"] = os.path.normpath(pelican.settings["OUTPUT_PATH"])
    _state["reserved"] = dict(settings_for(pelican.settings)["reserved"])


class PathClash(Exception):
    """Raised before anything is written: `problems` has one line each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def claim(path, who, content=None):
    """Record that `who` (a content object when it is one) writes `path`;
    the report line if something else writes it too, else None."""
    first = _claims.get(path)
    if first is None:
        owner = reserved_owner(path, _state["reserved"])
        first = (owner, None) if owner else None
    if first is None or first[0] == who:
        _claims[path] = (who, content)
        return None
    # Name the source whose header chose the path: the post or page, the one
    # with a Save_as or Url line when both are.
    pair = [(content, who), (first[1], first[0])]
    pair.sort(key=lambda item: (item[0] is None, not chose_path(item[0])))
    (culprit, _), (other_content, other) = pair
    if other_content is not None:
        other = where_in_source(other_content)
    if culprit is None:
        return f"{first[0]} and {who} both write {path}; give one of them another path"
    return (
        f"{where_in_source(culprit)}: writes {path}, which {other} writes too; give this "
        "one another Slug (or Save_as and Url) so that every page has its own path"
    )


def claim_planned(generators):
    """Claim, before any page is written, the paths of every post and page,
    and of static files and feeds (written without a per-file signal); raise
    PathClash listing every path two of them share."""
    settings = next((g.settings for g in generators if hasattr(g, "settings")), {})
    problems = []
    for name in ("FEED_ALL_ATOM", "FEED_ALL_RSS"):
        if settings.get(name):
            problems.append(claim(settings[name], "the site's feed"))
    for generator in generators:
        for static in getattr(generator, "staticfiles", ()) or ():
            problems.append(claim(static.save_as, display_path(static.source_path)))
        for tag in getattr(generator, "tags", None) or ():
            for name in ("TAG_FEED_ATOM", "TAG_FEED_RSS"):
                if settings.get(name):
                    path = settings[name].format(slug=tag.slug)
                    problems.append(claim(path, f"the feed of tag '{tag}'"))
    for content in contents_of(*generators):
        if content.save_as:  # an empty save_as is not written (drafts in production)
            problems.append(claim(content.save_as, content.source_path, content))
    problems = [line for line in problems if line]
    if problems:
        raise PathClash(problems)


def check_written(path, context):
    """A page was written: claim its path and look for unresolved links."""
    if _state["output"] is None:
        return
    relative = os.path.relpath(os.path.normpath(path), _state["output"]).replace(os.sep, "/")
    who, content = writer_of(context)
    clash = claim(relative, who, content)
    if clash:
        logger.error(clash)
    try:
        markup = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    for tag, attribute, value in unresolved_links(markup):
        place = relative
        if content is not None:
            wanted = value.strip()
            line = line_where(content.source_path, lambda text, wanted=wanted: wanted in text)
            place = f"{display_path(content.source_path)}:{line}: body"
        logger.error(
            '%s: <%s %s="%s"> in %s was left unresolved: Pelican found no published '
            "file for it; link a file under content/ that this build publishes "
            "(a post that is not a draft, or a file in images/ or extra/)",
            place,
            tag,
            attribute,
            value,
            relative,
        )


def register():
    # Each build claims its paths afresh.
    signals.initialized.connect(start)
    # Static files and feeds have no per-file signal: claim them once every
    # generator knows its files, before anything is written.
    signals.all_generators_finalized.connect(claim_planned)
    # Every page Pelican renders passes here as it is written.
    signals.content_written.connect(check_written)

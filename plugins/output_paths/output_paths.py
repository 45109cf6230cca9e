"""Each output path has one source (a clash fails the build), and every internal
link, image and #fragment leads somewhere (sitetools.quality.check's link check,
made on what this build claims; a {filename} or {static} link is content_guard's
to check, before the build). Every written page is read and parsed once, in
`check_written`: further checks of written HTML belong there."""

import difflib
import logging
import os
from pathlib import Path, PurePosixPath

from pelican import signals

from plugins.content_guard.schema import IMAGE_SUFFIXES, PATH_FIELDS
from sitetools.build import cache
from sitetools.build.builder import BuildError
from sitetools.content.contents import contents_of
from sitetools.content.files import display_path, header_line, line_where
from sitetools.quality.check import Page, broken_links, served

logger = logging.getLogger(__name__)

# What plugins write once the pages are out: no post or page may take these paths.
RESERVED = {
    "sitemap.xml": "the sitemap",
    "_redirects": "the redirects file",
    "_headers": "Netlify's headers file",
    "assets/": "the theme's hashed assets",
    "social/": "the social images",
    "pagefind/": "the search index",
    "llms.txt": "the index for LLMs (for_llms)",
}


def link_problem(tag, url, site_path, fragment, ids):
    """What is wrong with a link that leads nowhere, and the fix."""
    if fragment:
        near = difflib.get_close_matches(fragment, sorted(ids), n=1, cutoff=0.75)
        hint = f" (did you mean #{near[0]}?)" if near else ""
        return (
            f"link: {url}: no heading or element on {site_path.removesuffix('index.html')} "
            f"has the id {fragment!r}{hint}; link an id that page has, or drop #{fragment}"
        )
    name = PurePosixPath(site_path).name or "index.html"
    suffix = PurePosixPath(name).suffix.lower()
    if tag in ("img", "source", "video", "audio") or suffix in IMAGE_SUFFIXES:
        folder = "images" if suffix in IMAGE_SUFFIXES or not suffix else "extra"
        return (
            f"image: {url} is not in the site; put the file in content/{folder}/ "
            f"and write {{static}}/{folder}/{name}"
        )
    if suffix in ("", ".html", ".htm", ".md"):
        return (
            f"link: {url} is not in the site; link the post or page by its source "
            "file, {filename}/posts/<file>.md (so the link follows its URL), or "
            "a path this site writes"
        )
    return (
        f"link: {url} is not in the site; put the file in content/extra/ and "
        f"write {{static}}/extra/{name}"
    )


def reserved_owner(path, reserved=RESERVED):
    """What writes `path` at the end of the build, or None."""
    for name, owner in reserved.items():
        if path == name or (name.endswith("/") and path.startswith(name)):
            return owner
    return None


def where_in_source(content):
    """`file:line: Field` for the header line that chose a content's path."""
    metadata = content.metadata
    field = next((name for name in (*PATH_FIELDS, "slug") if name in metadata), "title")
    line = header_line(content.source_path, field)
    return f"{display_path(content.source_path)}:{line}: {field.capitalize()}"


# This build's output paths -> what writes them: a content object or a description.
_claims = {}
_state = {"output": None}
# Written pages: site path -> (Page, source path of the post or page, or None).
_pages = {}


def start(pelican):
    """Each build claims its paths afresh."""
    _claims.clear()
    _pages.clear()
    _state["output"] = os.path.normpath(pelican.settings["OUTPUT_PATH"])


def claim(path, writer):
    """Record that `writer` writes `path`; the report line if another does too."""
    first = _claims.setdefault(path, reserved_owner(path) or writer)
    if first == writer:
        return None
    # Blame a post or page: the one whose header sets Save_as or Url, else the later.
    culprit, other = sorted(
        [writer, first],
        key=lambda item: (
            isinstance(item, str),
            not set(PATH_FIELDS) & {*getattr(item, "metadata", ())},
        ),
    )
    if isinstance(culprit, str):
        return f"{first} and {writer} both write {path}; give one of them another path"
    return (
        f"{where_in_source(culprit)}: writes {path}, which "
        f"{other if isinstance(other, str) else where_in_source(other)} writes too; give "
        "this one another Slug (or Save_as and Url) so that every page has its own path"
    )


def claim_planned(generators):
    """Claim the paths of every post, page, static file and feed (these have
    no per-file signal) before anything is written; raise on any clash."""
    settings = generators[0].settings
    feeds = [settings.get(name) for name in ("FEED_ALL_ATOM", "FEED_ALL_RSS")]
    problems = [claim(path, "the site's feed") for path in feeds if path]
    for generator in generators:
        for static in getattr(generator, "staticfiles", None) or ():
            problems.append(claim(static.save_as, display_path(static.source_path)))
        for tag in getattr(generator, "tags", None) or ():
            for name in ("TAG_FEED_ATOM", "TAG_FEED_RSS"):
                if settings.get(name):
                    path = settings[name].format(slug=tag.slug)
                    problems.append(claim(path, f"the feed of tag '{tag}'"))
    for content in contents_of(*generators):
        if path := content.save_as:  # an empty one is not written (drafts in production)
            problems.append(claim(path, content))
    if any(problems):
        raise BuildError([line for line in problems if line])


def check_written(path, context):
    """A page was written: claim its path, and parse it for the link check."""
    relative = os.path.relpath(os.path.normpath(path), _state["output"]).replace(os.sep, "/")
    content = next((context[k] for k in ("article", "page") if context.get(k)), None)
    name = context.get("page_name") or context.get("template_name") or "a"
    if clash := claim(relative, content or f"the '{name}' listing"):
        logger.error(clash)
    # One parse (sitetools.quality.check.Page) for every check of a written page.
    page = Page(Path(path).read_text(encoding="utf-8", errors="replace"))
    _pages["/" + relative] = page, getattr(content, "source_path", None)


def check_links(pelican):
    """Every page is written: report each internal link, image and #fragment
    that leads nowhere. One a post or page holds fails the build, on its source
    line; one from the theme or settings (on a page whose source does not hold
    it) is a warning, once for all its pages. A path is in the site when this
    build claimed it or a file is there; what plugins write at the end (reserved)
    counts as there.
    A build that writes only some pages is not checked."""
    pages = dict(_pages)
    _pages.clear()
    if cache.is_partial_build():
        return
    parsed = {page: found for page, (found, _source) in pages.items()}
    output = Path(pelican.output_path)

    def exists(path):  # claimed, reserved, or written by a plugin outside Pelican's writer
        return path in _claims or reserved_owner(path) or (output / path.lstrip("/")).is_file()

    reported, theirs = set(), {}
    for page, tag, _attribute, url, site_path, fragment in broken_links(
        parsed, exists, (pelican.settings.get("SITEURL") or "",)
    ):
        target = parsed.get(served(site_path, exists))
        problem = link_problem(tag, url, site_path, fragment, target.ids if target else ())
        source, needles = pages[page][1], [url, f"#{fragment}"] if fragment else [url]
        line = source and line_where(
            source, lambda text, ns=needles: any(n in text for n in ns), default=None
        )
        if not line:
            theirs.setdefault(f"{site_path}#{fragment}".rstrip("#"), []).append(page)
        elif (where := f"{display_path(source)}:{line}") and (where, problem) not in reported:
            reported.add((where, problem))
            logger.error("%s: %s", where, problem)
    for target, on in theirs.items():
        logger.warning(
            "the theme or settings link %s on %d page%s (%s), which this build does not "
            "write; add what it links to (content/pages/about.md for MAIN_MENU's About), "
            "or remove the link",
            target,
            len(on),
            "s" * (len(on) != 1),
            ", ".join(page.lstrip("/") for page in on[:3]) + (", …" if len(on) > 3 else ""),
        )


def register():
    # Each build claims its paths afresh.
    signals.initialized.connect(start)
    # Every generator knows its files, and nothing is written yet.
    signals.all_generators_finalized.connect(claim_planned)
    # Every page Pelican renders passes here as it is written.
    signals.content_written.connect(check_written)
    # Every page is written: its links can be followed.
    signals.finalized.connect(check_links)

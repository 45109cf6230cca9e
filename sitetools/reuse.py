"""Pages the preview's previous build already rendered, reused when an edit
cannot have changed them.

Pelican renders every page on every build. After the author saves one post,
most pages of a large site come out byte for byte as before. This module
fingerprints what every article and page holds once Pelican has finished
preparing them (right before it writes): the site as a whole (every content
object's title, date, tags, URL, summary and whatever plugins attached,
everything but the bodies) and each object with its body. When the site's
fingerprint is unchanged, an article's or page's own page is reused from the
previous output (a hard link into the new staging folder) if its own
fingerprint is unchanged too. Listings, feeds and every other page are
rendered as usual.

It is only used when it is safe: in a warm builder, after a good build in the
same process into the same output folder, when every changed file is a content
source (no template, setting, plugin or static file), and when every receiver
of `content_written`, the writers' `*_finalized` and `finalized` is known to
leave written pages alone (KNOWN_RECEIVERS: a plugin that rewrote pages would
rewrite a reused one twice). Reused pages are announced on `content_written`
as if written, for the sitemap.
"""

import contextlib
import hashlib
import os
import weakref
from pathlib import Path

from pelican import signals
from pelican.contents import Content
from pelican.utils import get_relative_path, path_to_url, sanitised_join
from pelican.writers import Writer

from .contents import contents_of
from .files import link_or_copy

# What listens to these signals may read or rewrite the written pages, and a
# reused page was already rewritten by last build's: reuse needs to know every
# receiver of them to leave pages alone. Add a plugin's receiver here once it
# is known to only read (or to not touch pages at all).
KNOWN_RECEIVERS = {
    "content_written": {
        "pelican.plugins.sitemap.sitemap.SitemapGenerator.queue_page",
        # Starts Pagefind, which reads pages (never in the preview).
        "search_index.search_index.start_early",
        # Reads each page (for links left unresolved) and claims its path.
        "output_paths.output_paths.check_written",
    },
    "article_writer_finalized": set(),
    "page_writer_finalized": set(),
    "pelican_finalized": {
        "pelican.plugins.sitemap.sitemap.SitemapGenerator.finalize",
        "typography.typography.save_cache",
        "read_ahead.read_ahead.reset",
        "url_memo.url_memo.stop_writing",
        # These write files of their own and only read pages (Pagefind).
        "fingerprint.fingerprint.write_assets",
        "redirects.redirects.write_redirects",
        "social_cards.social_cards.publish_cards",
        "search_index.search_index.index_site",
    },
}
# Our own build machinery (the progress line, joining the feeds' child).
KNOWN_MODULES = ("sitetools.",)

SOURCE_SUFFIXES = {".md", ".markdown", ".mkd", ".mdown", ".rst", ".html", ".htm"}

# Attributes that are not what a page shows: the shared settings and context,
# other objects (named by source instead), and per-build memos.
_NOT_STATE = {"settings", "_context", "translations", "_url_memo", "_content"}


def _stable(value, depth=0):
    """A repr that names other content objects by their source (their own
    repr is an address, new every build: neighbours, related posts)."""
    if isinstance(value, Content):
        return f"<content {value.source_path}>"
    if depth < 4:
        if isinstance(value, dict):
            return (
                "{" + ", ".join(f"{k!r}: {_stable(v, depth + 1)}" for k, v in value.items()) + "}"
            )
        if isinstance(value, (list, tuple)):
            return "[" + ", ".join(_stable(v, depth + 1) for v in value) + "]"
    return repr(value)


def state_of(content):
    """A text of everything a content object holds but its body. An object
    whose repr changes from build to build makes the site look changed: that
    errs on the side of rendering."""
    items = sorted((key, value) for key, value in vars(content).items() if key not in _NOT_STATE)
    translations = sorted(t.source_path for t in getattr(content, "translations", ()) or ())
    return _stable((items, translations))


def _digest(*texts):
    hasher = hashlib.sha256()
    for text in texts:
        hasher.update(text.encode("utf-8", "surrogatepass"))
        hasher.update(b"\x00")
    return hasher.hexdigest()


def fingerprints(generators):
    """(site fingerprint, {source path: own fingerprint}) of a build's content."""
    contents = {content.source_path: content for content in contents_of(*generators)}
    states = {path: state_of(content) for path, content in contents.items()}
    site = _digest(*(f"{path}\x01{states[path]}" for path in sorted(states)))
    own = {
        path: _digest(states[path], str(content._content or ""))
        for path, content in contents.items()
    }
    return site, own


def unchanged_sources(previous, current):
    """Source paths whose page can be reused: none if the site changed."""
    if previous is None or previous[0] != current[0]:
        return set()
    before = previous[1]
    return {path for path, digest in current[1].items() if before.get(path) == digest}


def _receiver_name(receiver):
    function = getattr(receiver, "__func__", receiver)
    return f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', '')}"


def _live(signal):
    """The receivers connected to `signal`, weak references resolved."""
    for reference in list(signal.receivers.values()):
        receiver = reference() if isinstance(reference, weakref.ref) else reference
        if receiver is not None:
            yield receiver


def listeners_only_read():
    """True when every receiver of the signals around written pages is known
    to leave them alone."""
    for signal_name, known in KNOWN_RECEIVERS.items():
        for receiver in _live(signals.signal(signal_name)):
            name = _receiver_name(receiver)
            if name not in known and not name.startswith(KNOWN_MODULES):
                return False
    return True


def only_sources_changed(changed, content_root):
    """True when every changed path is a content source under `content_root`."""
    if not changed:
        return False
    root = Path(content_root).resolve()
    for name in changed:
        path = Path(name).resolve()
        if path.suffix.lower() not in SOURCE_SUFFIXES or root not in path.parents:
            return False
    return True


# Writer.write_file parameters that are not template variables.
_WRITER_PARAMETERS = {"paginated", "template_name", "override_output", "url"}


def reusing_writer(previous_output, unchanged, counter):
    """A Pelican Writer that links the pages of `unchanged` sources from
    `previous_output` instead of rendering them; `counter` counts them."""

    class ReusingWriter(Writer):
        def write_file(self, name, template, context, relative_urls=False, **kwargs):
            content = kwargs.get("article") or kwargs.get("page")
            source = getattr(content, "source_path", None)
            previous = Path(previous_output) / name if name else None
            if (
                source not in unchanged
                or kwargs.get("paginated")
                or kwargs.get("override_output")
                or previous is None
                or not previous.is_file()
            ):
                return super().write_file(name, template, context, relative_urls, **kwargs)
            path = sanitised_join(self.output_path, name)
            if path in self._written_files:  # let Pelican report the clash
                return super().write_file(name, template, context, relative_urls, **kwargs)
            link_or_copy(previous, path)
            self._written_files.add(path)
            counter["reused"] += 1
            local = context.copy()
            local["localsiteurl"] = local.get("localsiteurl", None)
            if relative_urls:
                local["SITEURL"] = local["localsiteurl"] = path_to_url(get_relative_path(name))
            local["output_file"] = name
            local.update({k: v for k, v in kwargs.items() if k not in _WRITER_PARAMETERS})
            signals.content_written.send(path, context=local)
            return None

    return ReusingWriter


class PageReuse:
    """What one warm builder remembers of its last good build."""

    def __init__(self):
        self.previous = None  # fingerprints of the last good build
        self.output_inode = None  # the output folder that build made
        self.pending = None  # fingerprints of the build under way
        self.reused = 0  # pages the last build reused

    def _same_output(self, output):
        try:
            return os.stat(output).st_ino == self.output_inode
        except OSError:
            return False

    @contextlib.contextmanager
    def during_build(self, output, allowed):
        """Fingerprint this build's content; `writer_base()` then gives the
        writer class that reuses pages, when `allowed` and the output folder
        is still the one the last good build made (else None)."""
        usable = allowed and self.previous is not None and self._same_output(output)
        seen = {"generators": (), "current": None}
        counter = {"reused": 0}

        def remember_generators(generators):
            seen["generators"] = generators

        def writer_base():
            seen["current"] = fingerprints(seen["generators"])
            if not (usable and listeners_only_read()):
                return None
            unchanged = unchanged_sources(self.previous, seen["current"])
            return reusing_writer(output, unchanged, counter) if unchanged else None

        signals.all_generators_finalized.connect(remember_generators, weak=False)
        try:
            yield writer_base
        finally:
            signals.all_generators_finalized.disconnect(remember_generators)
            self.reused = counter["reused"]
            self.pending = seen["current"]

    def keep(self, output):
        """The build succeeded and `output` now holds it."""
        self.previous = self.pending
        self.output_inode = os.stat(output).st_ino

    def forget(self):
        """The build failed: render everything next time."""
        self.previous = None
        self.output_inode = None

"""Full-text search: a Pagefind index of the built site.

Pagefind's binary comes from the `pagefind-bin` wheel (requirements.txt), so a
build downloads nothing. It runs on `finalized`, over the folder Pelican has just
written, which under sitetools.build is the staging folder: a failed index fails
the build and output/ keeps the last good site. In the preview the index is
built just after the new output is in place, in the background, so that a
saved post shows at once (a failure there is printed as a warning). Only elements marked
`data-pagefind-body` (the article element in article.html) are indexed.

Pagefind parses every file its glob matches and keeps all it read until it
writes the index, so it is given only the folders that articles are written to
(listings, tag pages and the rest hold no marked element), and its allocator
(jemalloc) is told to hand freed memory back at once. On 1,000 posts this took
its peak RSS from 208 to 162 MiB, for the same index byte for byte.

The search page (theme/templates/search.html) loads the bundle written to
`<site>/pagefind/`.
"""

import json
import logging
import os
import shutil
import subprocess
from pathlib import Path

from pelican import signals

from sitetools import cache
from sitetools.build import defers_after_swap, on_failure, run_after_swap
from sitetools.contents import contents_of
from sitetools.files import link_or_copy

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Turn indexing off (the search page then says search is unavailable).
    "enabled": True,
    # Folder under the site root for the index and Pagefind's scripts.
    "bundle_dir": "pagefind",
    # Seconds before a stuck indexer fails the build.
    "timeout": 120,
    # Extra command-line flags for pagefind, e.g. ["--exclude-selectors", "pre"].
    "extra_args": [],
    # Which files Pagefind reads; None: every HTML file under the top-level
    # folders that articles (and drafts) are written to, or the whole site if
    # one is written at its root. Set it (a Pagefind glob, e.g. "**/*.{html}")
    # if a template other than article.html marks data-pagefind-body.
    "glob": None,
    # Folder under CACHE_PATH that keeps the last index, reused by a build whose
    # pages Pagefind reads are the same.
    "cache_dir": "search_index",
}

ENTRY_FILE = "pagefind-entry.json"
# Pagefind's default: every HTML file.
ALL_HTML = "**/*.{html}"
# Pagefind's binary is built with jemalloc (prefixed, hence the name), which by
# default keeps freed pages for 10 s, longer than an indexing run: returning
# them at once lowers the peak by about 30 MiB for a little system time.
ALLOCATOR_ENV = {"_RJEM_MALLOC_CONF": "dirty_decay_ms:0,muzzy_decay_ms:0"}
_GLOB_SPECIAL = set("*?[]{}(),!<>:\\")

# Per build: the glob worked out once the articles are known.
_EMPTY = {
    "folders": None,  # where the article pages are (None: anywhere)
    "cache_root": None,  # where the last index is kept
    "awaiting": None,  # article pages not written yet
    "site": None,
    "options": None,
    "process": None,  # Pagefind, started early
    "key": None,  # what it reads, for keep_bundle
    "reused": False,  # the kept index was put in place instead
}
_state = dict(_EMPTY)


class SearchIndexError(Exception):
    """Indexing failed; `problems` holds one line per problem."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's SEARCH_INDEX dict."""
    return {**DEFAULTS, **(settings.get("SEARCH_INDEX") or {})}


def pagefind_executable():
    """The binary shipped in the pagefind-bin wheel."""
    try:
        from pagefind_bin import get_executable  # noqa: PLC0415
    except ImportError as error:
        raise SearchIndexError(
            [
                "search_index: the pagefind-bin package is missing; "
                "run `python3 -m pip install -r requirements.txt`"
            ]
        ) from error
    try:
        return Path(get_executable())
    except FileNotFoundError as error:
        raise SearchIndexError(
            [f"search_index: pagefind-bin has no binary here: {error}"]
        ) from error


def article_folders(save_as_paths):
    """The sorted top-level folders these output paths are in; None when there
    are none, one is at the site root, or a folder's name would need escaping
    in a glob (Pagefind then reads the whole site)."""
    folders = set()
    for path in save_as_paths:
        top, sep, _rest = path.lstrip("/").partition("/")
        if not sep or not top or _GLOB_SPECIAL & set(top):
            return None
        folders.add(top)
    return tuple(sorted(folders)) or None


def folders_glob(folders):
    """A Pagefind glob for the HTML files under `folders`; ALL_HTML for None."""
    if not folders:
        return ALL_HTML
    where = folders[0] if len(folders) == 1 else "{" + ",".join(folders) + "}"
    return f"{where}/**/*.html"


def article_glob(save_as_paths):
    """A Pagefind glob for the top-level folders these output paths are in;
    ALL_HTML when article_folders gives none."""
    return folders_glob(article_folders(save_as_paths))


def pagefind_command(executable, site, options, glob=None):
    """The pagefind command line for one site folder."""
    return [
        str(executable),
        "--site",
        str(site),
        "--output-subdir",
        options["bundle_dir"].strip("/"),
        *(["--glob", glob] if glob else []),
        "--quiet",
        *[str(arg) for arg in options["extra_args"]],
    ]


def pagefind_env(environ):
    """The environment Pagefind runs in: ours, with the allocator tuned unless
    the caller tuned it already."""
    return {**ALLOCATOR_ENV, **environ}


def indexed_pages(site, options):
    """Pages in the index, per language, from Pagefind's entry file."""
    entry = Path(site) / options["bundle_dir"].strip("/") / ENTRY_FILE
    data = json.loads(entry.read_text(encoding="utf-8"))
    return {lang: info.get("page_count", 0) for lang, info in data.get("languages", {}).items()}


def start_index(site, options, glob=None):
    """Start Pagefind over `site` (the files `glob` matches, or its default)."""
    command = pagefind_command(pagefind_executable(), site, options, glob)
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=pagefind_env(os.environ),
    )


def finish_index(process, site, options):
    """Wait for the Pagefind `process` over `site`: the pages it indexed, per
    language; raise SearchIndexError with its messages if it failed."""
    try:
        stdout, stderr = process.communicate(timeout=options["timeout"])
    except subprocess.TimeoutExpired as error:
        process.kill()
        process.communicate()
        raise SearchIndexError(
            [f"search_index: pagefind did not finish in {options['timeout']} s"]
        ) from error
    messages = [line.strip() for line in (stderr + stdout).splitlines()]
    messages = [line for line in messages if line]
    if process.returncode != 0:
        raise SearchIndexError(
            [f"search_index: pagefind exited with {process.returncode}", *messages]
        )
    try:
        return indexed_pages(site, options)
    except (OSError, ValueError) as error:
        raise SearchIndexError(
            [f"search_index: pagefind wrote no usable index: {error}"]
        ) from error


def build_index(site, options, glob=None):
    """Run Pagefind over `site` (the files `glob` matches, or its default);
    raise SearchIndexError with its messages if it fails."""
    return finish_index(start_index(site, options, glob), site, options)


# ---- The last index, reused while the pages it read are the same ----------


def index_key(site, folders, options, glob):
    """The sitetools.cache key of the index: Pagefind's command line but the
    site's place, and the path and bytes of every file it reads (the HTML
    files under `folders`), under this code and the installed libraries
    (pagefind-bin among them). Pagefind has no incremental mode, so one
    changed page means a new index."""
    site = Path(site)
    pages = [page for folder in folders for page in sorted((site / folder).rglob("*.html"))]
    return cache.key(
        build_index,
        pagefind_command("pagefind", "", options, glob)[1:],
        *(f"{page.relative_to(site).as_posix()}\0{cache.file_digest(page)}" for page in pages),
    )


def _link_tree(source, target):
    """Hard-link (or copy) every file of `source` into `target`."""
    for path in sorted(source.rglob("*")):
        if path.is_file():
            link_or_copy(path, target / path.relative_to(source))


def reuse_bundle(cache_root, key, site, options):
    """Put the kept index of `key` into `site`; False when there is none."""
    kept = Path(cache_root) / key
    if not kept.is_dir():
        return False
    _link_tree(kept, Path(site) / options["bundle_dir"].strip("/"))
    return True


def keep_bundle(cache_root, key, site, options):
    """Keep the index just written into `site` under `key`, and only it."""
    cache_root = Path(cache_root)
    staging = cache_root / f".{key}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    _link_tree(Path(site) / options["bundle_dir"].strip("/"), staging)
    for old in cache_root.iterdir():
        if old != staging:
            shutil.rmtree(old, ignore_errors=True)
    staging.rename(cache_root / key)


def index_or_reuse(site, options, glob, folders, cache_root):
    """The pages indexed in `site`: the kept index when Pagefind would read
    the same files, else a new one (then kept). Without `folders` (a glob of
    the site's own), always a new one."""
    key = index_key(site, folders, options, glob) if folders else None
    if key and reuse_bundle(cache_root, key, site, options):
        return indexed_pages(site, options)
    pages = build_index(site, options, glob)
    if key:
        keep_bundle(cache_root, key, site, options)
    return pages


def add_bundle_path(generator):
    """Templates get `search_bundle`, the index folder under the site root."""
    generator.env.globals["search_bundle"] = settings_for(generator.settings)["bundle_dir"].strip(
        "/"
    )


def stop(process):
    """Stop a Pagefind process that is no longer wanted."""
    if process is not None and process.poll() is None:
        process.kill()
        process.communicate()


def reset(*_args, **_kwargs):
    """A build starts with no index under way (a plain `pelican` run that
    failed may have left one)."""
    stop(_state["process"])
    _state.update(_EMPTY)


def note_article_folders(generator):
    """Remember where this build writes the pages that carry data-pagefind-body."""
    # The article generator's posts, drafts and hidden posts use article.html.
    paths = [content.save_as for content in contents_of(generator) if content.save_as]
    options = settings_for(generator.settings)
    _state.update(
        folders=article_folders(paths),
        cache_root=Path(generator.settings["CACHE_PATH"]) / options["cache_dir"],
    )
    # Started early and reused only when Pagefind reads the folders we know.
    if options["enabled"] and not options["glob"] and _state["folders"]:
        site = generator.output_path
        _state["awaiting"] = {os.path.normpath(os.path.join(site, path)) for path in paths}
        _state.update(site=site, options=options)


def start_early(path, **_kwargs):
    """Once the last article page is written, start Pagefind on the article
    folders, while Pelican writes the listings, tag pages and the rest: the
    index then costs a production build little more than its own time's
    overlap. Not in the preview, which indexes after the swap."""
    awaiting = _state["awaiting"]
    if not awaiting:
        return
    awaiting.discard(os.path.normpath(path))
    if awaiting or defers_after_swap():
        return
    _state["awaiting"] = None
    site, options, folders = _state["site"], _state["options"], _state["folders"]
    glob = folders_glob(folders)
    key = index_key(site, folders, options, glob)
    if reuse_bundle(_state["cache_root"], key, site, options):
        _state["reused"] = True
        return
    process = start_index(site, options, glob)
    _state.update(process=process, key=key)
    # A build that fails meanwhile deletes the folder Pagefind writes into.
    on_failure(lambda: stop(process))


def index_site(pelican):
    """Index the folder this build wrote (or wait for the index under way)."""
    options = settings_for(pelican.settings)
    site = pelican.output_path
    glob = options["glob"] or folders_glob(_state["folders"])
    state = dict(_state)
    _state.update(_EMPTY)
    if not options["enabled"]:
        return
    # A glob of the site's own reads files we cannot list: never reused.
    folders = None if options["glob"] else state["folders"]
    cache_root = state["cache_root"]
    if state["process"] is not None:
        pages = finish_index(state["process"], site, options)
        keep_bundle(cache_root, state["key"], site, options)
    elif state["reused"]:
        pages = indexed_pages(site, options)
        logger.info("search_index: the pages are unchanged; kept the last index")
    # The preview serves a rebuilt page at once and indexes the site just
    # after (Pagefind reads every page: seconds for a large site).
    elif run_after_swap(lambda output: index_or_reuse(output, options, glob, folders, cache_root)):
        return
    else:
        pages = index_or_reuse(site, options, glob, folders, cache_root)
    logger.info("search_index: indexed %s page(s)", sum(pages.values()))


def register():
    # The search page template reads `search_bundle` when it renders.
    signals.generator_init.connect(add_bundle_path)
    # Each build starts with no index under way.
    signals.initialized.connect(reset)
    # Every article's output path is known, before anything is written.
    signals.article_generator_finalized.connect(note_article_folders)
    # Pagefind starts as soon as the last article page is on disk.
    signals.content_written.connect(start_early)
    # Every HTML file is written by then, still in the staging folder.
    signals.finalized.connect(index_site)

"""Full-text search: a Pagefind index of the built site, by the `pagefind-bin` wheel's binary.

Pagefind indexes only `data-pagefind-body` (article.html's article), so it
reads only the top-level folders articles are written to, with its allocator
returning freed memory at once: 162 MiB peak instead of 208 on 1,000 posts,
for the same index. A production build starts it once the last article page
is written and waits for it on `finalized` (a failure fails the staged build);
the preview runs it after the new output is in place (run_after_swap). The
last index is kept in CACHE_PATH/search_index/ under the sitetools.cache key
of the files it read, and reused while they are the same and match their
digest (a sitetools.cache.Files folder; one that does not is indexed again).
The output gets copies, never links into the cache, and the cache copies of
the output: a cache file changed later cannot change the published site.
"""

import json
import logging
import os
import subprocess
from pathlib import Path

from pelican import signals

from sitetools import cache
from sitetools.build import BuildError, defers_after_swap, on_failure, run_after_swap
from sitetools.contents import contents_of

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
    # Which files Pagefind reads (a Pagefind glob, never reused from the cache);
    # None: the HTML under the folders articles and drafts are written to, or
    # the whole site if one is at its root. Set it if another template marks
    # data-pagefind-body.
    "glob": None,
    # Folder under CACHE_PATH that keeps the last index.
    "cache_dir": "search_index",
}

ENTRY_FILE = "pagefind-entry.json"
ALL_HTML = "**/*.{html}"  # Pagefind's default
# jemalloc (prefixed in Pagefind's build) keeps freed pages for 10 s, longer
# than an indexing run: returning them at once lowers the peak by about 30 MiB.
ALLOCATOR_ENV = {"_RJEM_MALLOC_CONF": "dirty_decay_ms:0,muzzy_decay_ms:0"}
_GLOB_SPECIAL = set("*?[]{}(),!<>:\\")

# Per build, reset on `initialized` and once the index is done.
_EMPTY = {
    "folders": None,  # where the article pages are (None: anywhere)
    "contents": None,  # in the preview: the posts whose folders are worked out after the swap
    "cache_root": None,  # where the last index is kept
    "awaiting": None,  # article pages not written yet
    "site": None,
    "options": None,
    "started": None,  # begin_index's answer, once the article pages are written
}
_state = dict(_EMPTY)


def settings_for(settings):
    return {**DEFAULTS, **(settings.get("SEARCH_INDEX") or {})}


def pagefind_executable():
    """The binary shipped in the pagefind-bin wheel."""
    try:
        from pagefind_bin import get_executable  # noqa: PLC0415

        return Path(get_executable())
    except (ImportError, FileNotFoundError) as error:
        fix = "run `python3 -m pip install -r requirements.txt`"
        raise BuildError([f"search_index: no pagefind binary ({error}); {fix}"]) from error


def article_folders(save_as_paths):
    """The sorted top-level folders of these output paths; None when one is at
    the site root or needs escaping in a glob, or there are none."""
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


def pagefind_command(executable, site, options, glob=None):
    return [
        str(executable),
        *("--site", str(site), "--output-subdir", options["bundle_dir"].strip("/")),
        *(["--glob", glob] if glob else []),
        "--quiet",
        *[str(arg) for arg in options["extra_args"]],
    ]


def pagefind_env(environ):
    """Our environment, with the allocator tuned unless the caller tuned it."""
    return {**ALLOCATOR_ENV, **environ}


def indexed_pages(site, options):
    """Pages in the index, per language, from Pagefind's entry file."""
    entry = Path(site) / options["bundle_dir"].strip("/") / ENTRY_FILE
    data = json.loads(entry.read_text(encoding="utf-8"))
    return {lang: info.get("page_count", 0) for lang, info in data.get("languages", {}).items()}


def start_index(site, options, glob=None):
    return subprocess.Popen(
        pagefind_command(pagefind_executable(), site, options, glob),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=pagefind_env(os.environ),
    )


def finish_index(process, site, options):
    """Wait for Pagefind: the pages it indexed, per language; raise BuildError
    with its messages if it failed."""
    try:
        stdout, stderr = process.communicate(timeout=options["timeout"])
    except subprocess.TimeoutExpired as error:
        stop(process)
        raise BuildError(
            [f"search_index: pagefind did not finish in {options['timeout']} s"]
        ) from error
    if process.returncode != 0:
        messages = [line.strip() for line in (stderr + stdout).splitlines() if line.strip()]
        raise BuildError([f"search_index: pagefind exited with {process.returncode}", *messages])
    try:
        return indexed_pages(site, options)
    except (OSError, ValueError) as error:
        raise BuildError([f"search_index: pagefind wrote no usable index: {error}"]) from error


def stop(process):
    """Stop a Pagefind process that is no longer wanted."""
    if process is not None and process.poll() is None:
        process.kill()
        process.communicate()


def index_key(site, folders, options, glob):
    """The sitetools.cache key of the index: Pagefind's command line but the
    site's place, and the path and bytes of every HTML file under `folders`
    (Pagefind has no incremental mode: one changed page means a new index)."""
    site = Path(site)
    pages = [page for folder in folders for page in sorted((site / folder).rglob("*.html"))]
    return cache.key(
        finish_index,
        pagefind_command("pagefind", "", options, glob)[1:],
        *(f"{page.relative_to(site).as_posix()}\0{cache.file_digest(page)}" for page in pages),
    )


def reuse_bundle(cache_root, key, site, options):
    """Copy the kept index of `key` into `site` if it matches its digest;
    False when there is none (or it did not match)."""
    files = cache.Files(cache_root).read_folder(key)
    if files is None:
        return False
    bundle = Path(site) / options["bundle_dir"].strip("/")
    for relative, data in files.items():
        (bundle / relative).parent.mkdir(parents=True, exist_ok=True)
        (bundle / relative).write_bytes(data)
    return True


def keep_bundle(cache_root, key, site, options):
    """Keep a copy of the index just written into `site` under `key`, and only it."""
    bundle = Path(site) / options["bundle_dir"].strip("/")
    files = {
        path.relative_to(bundle).as_posix(): path.read_bytes()
        for path in sorted(bundle.rglob("*"))
        if path.is_file()
    }
    kept = cache.Files(cache_root)
    kept.write_folder(key, files)
    kept.keep_only([key])


def begin_index(site, options, glob, folders, cache_root):
    """(key, None) once the kept index of `key` is put in place (Pagefind would
    read the same files), else (key, Pagefind started); key is None (never
    reused) without `folders`."""
    key = index_key(site, folders, options, glob) if folders else None
    if key and reuse_bundle(cache_root, key, site, options):
        return key, None
    return key, start_index(site, options, glob)


def end_index(site, options, glob, folders, cache_root, *, started=None):
    """The pages indexed in `site`, per language, once begin_index's work (done
    now unless `started` holds its answer) is done; a new index is kept."""
    key, process = started or begin_index(site, options, glob, folders, cache_root)
    if process is None:
        logger.info("search_index: the pages are unchanged; kept the last index")
        return indexed_pages(site, options)
    pages = finish_index(process, site, options)
    if key:
        keep_bundle(cache_root, key, site, options)
    return pages


def add_bundle_path(generator):
    """Templates get `search_bundle`, the index folder under the site root."""
    bundle = settings_for(generator.settings)["bundle_dir"].strip("/")
    generator.env.globals["search_bundle"] = bundle


def reset(*_args, **_kwargs):
    """No index under way (a plain `pelican` run that failed may have left one)."""
    stop((_state["started"] or (None, None))[1])
    _state.update(_EMPTY)


def folders_of(contents):
    """article_folders of the pages these posts, drafts and hidden posts are written to."""
    return article_folders([content.save_as for content in contents if content.save_as])


def note_article_folders(generator):
    """Remember where this build writes the pages that carry data-pagefind-body
    (posts, drafts and hidden posts, all from article.html). The preview, which
    indexes after the swap (or not at all after a fast pass), asks them then."""
    contents = contents_of(generator)
    options = settings_for(generator.settings)
    cache_root = Path(generator.settings["CACHE_PATH"]) / options["cache_dir"]
    _state.update(cache_root=cache_root, contents=contents)
    if defers_after_swap():
        return
    paths = [content.save_as for content in contents if content.save_as]
    folders = article_folders(paths)
    _state.update(folders=folders, contents=None)
    if options["enabled"] and not options["glob"] and folders:
        site = generator.output_path
        awaiting = {os.path.normpath(os.path.join(site, path)) for path in paths}
        _state.update(awaiting=awaiting, site=site, options=options)


def start_early(path, **_kwargs):
    """Once the last article page is written (not in the preview), put the
    kept index in place or start Pagefind, while Pelican writes the rest."""
    awaiting = _state["awaiting"]
    if not awaiting:
        return
    awaiting.discard(os.path.normpath(path))
    if awaiting or defers_after_swap():
        return
    _state["awaiting"] = None
    site, options, folders = _state["site"], _state["options"], _state["folders"]
    started = begin_index(site, options, folders_glob(folders), folders, _state["cache_root"])
    _state["started"] = started
    if started[1] is not None:
        # A build that fails meanwhile deletes the folder Pagefind writes into.
        on_failure(lambda: stop(started[1]))


def index_site(pelican):
    """Index the folder this build wrote (or wait for the index under way)."""
    options = settings_for(pelican.settings)
    site = pelican.output_path
    state = dict(_state)
    _state.update(_EMPTY)
    if not options["enabled"]:
        return

    def index(output, started=None):
        folders = state["folders"]
        if state["contents"] is not None:
            folders = folders_of(state["contents"])
        folders = None if options["glob"] else folders
        glob = options["glob"] or folders_glob(folders)
        return end_index(output, options, glob, folders, state["cache_root"], started=started)

    # The preview serves a rebuilt page at once and indexes the site just after
    # (Pagefind reads every page: seconds for a large site).
    if state["started"] is None and run_after_swap(index):
        return
    pages = index(site, started=state["started"])
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

"""Pelican's content cache, carried from one build to the next.

Pelican keeps what its readers made of each source (CACHE_CONTENT, "reader"
layer) and checks each file against it by the md5 of its bytes, so a build
reads again only the sources that changed. What Pelican cannot tell is whether
the cache was written under other settings, by other plugin code or with other
libraries. So its key is sitetools.cache's, of the settings, of the project's
code (the settings files, sitetools and every folder of PLUGIN_PATHS) and of
the installed libraries: every build made through sitetools.build removes the
key on file before Pelican runs and writes it again once the build succeeded,
and loads the cache only when its own key is the one on file. A build that
fails midway, or runs under other settings in the same folder, leaves none.
"""

import os
from pathlib import Path

from . import cache

ROOT = Path(__file__).resolve().parent.parent
KEY_FILE = "content-cache.key"

# Settings that change between builds without changing what the readers make
# of a source: where output and cache go, the cache's own switches.
VOLATILE_SETTINGS = {"OUTPUT_PATH", "CACHE_PATH", "LOAD_CONTENT_CACHE", "CACHE_CONTENT",
                     "DELETE_OUTPUT_DIRECTORY"}  # fmt: skip

# What a carried cache needs: Pelican keeps each reader result with the md5 of
# its source, uncompressed (a build then loads it in a fraction of a second).
CACHE_SETTINGS = {
    "CACHE_CONTENT": True,
    "CONTENT_CACHING_LAYER": "reader",
    "CHECK_MODIFIED_METHOD": "md5",
    "GZIP_CACHE": False,
}


def code_files(settings, root=ROOT):
    """The project's Python code that runs in a build, in a stable order."""
    folders = [Path(__file__).parent, *(root / path for path in settings.get("PLUGIN_PATHS", ()))]
    return sorted(root.glob("*.py")) + sorted(p for f in folders for p in Path(f).rglob("*.py"))


def cache_key(settings, root=ROOT):
    """The cache key a carried content cache must have been written under."""
    stable = {k: v for k, v in settings.items() if k not in VOLATILE_SETTINGS}
    files = code_files(settings, Path(root))
    return cache.key(files, stable, [os.path.relpath(p, root) for p in files])


def prepare(settings, root=ROOT):
    """Before a build: switch Pelican's content cache on in `settings` and
    remove the key on file. Returns (this build's key, whether the cache on
    disk was written under it). The caller sets LOAD_CONTENT_CACHE."""
    current = cache_key(settings, root)
    path = Path(settings["CACHE_PATH"]) / KEY_FILE
    try:
        matches = path.read_text(encoding="utf-8") == current
        path.unlink()
    except OSError:
        matches = False
    settings.update(CACHE_SETTINGS)
    return current, matches


def record(settings, current):
    """After a good build: the cache on disk was written under `current`."""
    cache.write_atomic(Path(settings["CACHE_PATH"]) / KEY_FILE, current.encode("utf-8"))

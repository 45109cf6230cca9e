"""Pelican's content cache, carried from one build to the next.

Pelican can keep what its readers made of each source (CACHE_CONTENT with the
"reader" layer) and check each file against it by the md5 of its bytes, so a
build reads again only the sources that changed: Markdown and Pygments are the
largest cost of a cold build. What Pelican cannot tell is whether the cache was
written under other settings, by other plugin code or with another version of
Markdown or Pygments, and then it would serve stale pages.

So every build made through sitetools.build removes the fingerprint file next
to the cache before Pelican runs and writes it again once the build succeeded:
a digest of the settings, of the project's Python code and of the installed
packages. A build loads the cache only when its own fingerprint is the one on
file. A build that fails midway, after Pelican may have rewritten part of the
cache, leaves no fingerprint behind, and neither does a build under other
settings that shares the cache folder (the preview and production do).
"""

import hashlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FINGERPRINT_FILE = "content-cache.fingerprint"

# Settings that change from one build to the next without changing what the
# readers make of a source: the staging folder, where the cache is (a CI
# restores it elsewhere), the cache's own switches.
VOLATILE_SETTINGS = frozenset(
    {"OUTPUT_PATH", "CACHE_PATH", "LOAD_CONTENT_CACHE", "CACHE_CONTENT", "DELETE_OUTPUT_DIRECTORY"}
)

# The project's code that runs during a build, besides the settings files.
CODE_FOLDERS = ("plugins", "sitetools")

# What a carried cache needs: Pelican keeps each reader result with the md5 of
# its source, uncompressed (a build then loads it in a fraction of a second).
CACHE_SETTINGS = {
    "CACHE_CONTENT": True,
    "CONTENT_CACHING_LAYER": "reader",
    "CHECK_MODIFIED_METHOD": "md5",
    "GZIP_CACHE": False,
}


def _stable(value):
    """A JSON stand-in for a setting's value that is the same in every process:
    functions and classes by name, sets sorted, no memory addresses."""
    if isinstance(value, (set, frozenset)):
        return sorted(map(repr, value))
    if isinstance(value, bytes):
        return value.hex()
    name = getattr(value, "__qualname__", None) or type(value).__qualname__
    module = getattr(value, "__module__", None) or type(value).__module__
    text = repr(value)
    return f"{module}.{name}" if " at 0x" in text else f"{module}.{name}:{text}"


def settings_digest(settings):
    """Digest of the settings that can change what a reader makes of a source."""
    stable = {key: value for key, value in settings.items() if key not in VOLATILE_SETTINGS}
    text = json.dumps(stable, sort_keys=True, default=_stable, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_digest(root=ROOT, folders=CODE_FOLDERS):
    """Digest of the settings files and every Python file of `folders`."""
    root = Path(root)
    files = sorted(root.glob("*.py"))
    for folder in folders:
        files += sorted((root / folder).rglob("*.py"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def packages_digest():
    """Digest of the Python version and every installed distribution's version,
    from the names of the metadata folders on sys.path (`Markdown-3.7.dist-info`):
    reading each one's metadata would take a tenth of a second."""
    names = []
    for entry in sys.path:
        try:
            listing = os.listdir(entry or ".")
        except OSError:
            continue
        names += [name for name in listing if name.endswith((".dist-info", ".egg-info"))]
    text = "\n".join([sys.version, *sorted(names)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(settings, root=ROOT):
    """What must be the same for a cache to be carried into this build."""
    parts = {
        "settings": settings_digest(settings),
        "code": code_digest(root),
        "packages": packages_digest(),
    }
    return json.dumps(parts, sort_keys=True)


def _fingerprint_path(settings):
    return Path(settings["CACHE_PATH"]) / FINGERPRINT_FILE


def prepare(settings, root=ROOT):
    """Before a build: switch Pelican's content cache on in `settings`, and
    remove the fingerprint on file. Returns (this build's fingerprint, whether
    the cache on disk was written under it). The caller sets
    LOAD_CONTENT_CACHE."""
    current = fingerprint(settings, root)
    path = _fingerprint_path(settings)
    try:
        matches = path.read_text(encoding="utf-8") == current
        path.unlink()
    except OSError:
        matches = False
    settings.update(CACHE_SETTINGS)
    return current, matches


def record(settings, current):
    """After a good build: the cache on disk was written under `current`."""
    path = _fingerprint_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(current, encoding="utf-8")
    os.replace(tmp, path)

"""The one cache: every value kept between builds is a pure function of its key.

A key digests the inputs, the source of the module defining the computing
function (found from the function itself) and every installed library's
version, so an edited plugin or a `pip install` misses old entries: there is
no version constant to bump. `Cache(name).map(...)` keeps results in
CACHE_PATH/<name>.pickle; larger files are named by `key(...)`. Pelican's own
content cache is loaded only under such a key too (`prepare`, `record`).
"""

import contextlib
import functools
import hashlib
import inspect
import json
import os
import pickle
import sys
from pathlib import Path

from pelican import signals

from .parallel import parallel_map
from .progress import report

ROOT = Path(__file__).resolve().parent.parent
KEY_FILE = "content-cache.key"
# Settings that change between builds without changing what the readers make of a source.
VOLATILE_SETTINGS = {"OUTPUT_PATH", "CACHE_PATH", "LOAD_CONTENT_CACHE", "CACHE_CONTENT",
                     "DELETE_OUTPUT_DIRECTORY"}  # fmt: skip
# Pelican's reader cache, checked by each source's md5, uncompressed (it loads fast).
CACHE_SETTINGS = {"CACHE_CONTENT": True, "CONTENT_CACHING_LAYER": "reader",
                  "CHECK_MODIFIED_METHOD": "md5", "GZIP_CACHE": False}  # fmt: skip
# What a cache file that is missing, cut short or written by other code raises.
UNREADABLE = (OSError, EOFError, ValueError, TypeError, AttributeError, ImportError,
              pickle.UnpicklingError)  # fmt: skip
_caches = []
# Read once a build: the code that runs is the code loaded when the build started.
_sources = {}  # module path -> source digest
_codes = {}  # function -> code digest
_build = {"partial": False}


@functools.cache
def versions():
    """Digest of Python's version and every installed distribution's metadata
    folder name (`Markdown-3.7.dist-info`): reading each metadata is slow."""
    names = []
    for entry in sys.path:
        try:
            names += [
                n for n in os.listdir(entry or ".") if n.endswith((".dist-info", ".egg-info"))
            ]
        except OSError:
            continue
    return _digest("\n".join([sys.version, *sorted(names)]))


def file_digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def code_digest(code):
    """Digest of a source file (a path), or of a function's or module's name and module source."""
    if isinstance(code, str | Path):
        return file_digest(code)
    code = inspect.unwrap(getattr(code, "func", code))  # partials, decorators
    if code not in _codes:
        path = getattr(getattr(code, "__code__", None), "co_filename", None)
        path = path or getattr(code, "__file__", None)
        if path not in _sources:
            try:
                _sources[path] = file_digest(path)
            except (OSError, TypeError):  # built in: its library's version decides
                _sources[path] = ""
        _codes[code] = _digest(f"{getattr(code, '__qualname__', '')}\0{_sources[path]}")
    return _codes[code]


def _stable(value):
    """The same text in every process: no memory addresses, sets sorted."""
    if isinstance(value, set | frozenset):
        return sorted(map(repr, value))
    if isinstance(value, bytes):
        return value.hex()
    name = getattr(value, "__qualname__", None) or type(value).__qualname__
    module = getattr(value, "__module__", None) or type(value).__module__
    text = repr(value)
    return f"{module}.{name}" if " at 0x" in text else f"{module}.{name}:{text}"


def _digest(data):
    if isinstance(data, tuple | list) and all(isinstance(x, bytes | str) for x in data):
        # Texts and file bytes hashed as they are: JSON would escape them first.
        data = "\0".join([type(data).__name__, *map(_digest, data)])
    elif not isinstance(data, bytes | str):
        data = json.dumps(data, sort_keys=True, default=_stable, ensure_ascii=False)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def key(code, *inputs):
    """Hex key of what `code` (function, module, file, or a list) computes from `inputs`."""
    codes = code if isinstance(code, list | tuple) else [code]
    return _combine([versions(), *map(code_digest, codes)], inputs)


def _combine(code_parts, inputs):
    return _digest("\0".join([*code_parts, *map(_digest, inputs)]))


def write_atomic(path, data):
    """Write bytes to `path` whole or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class Cache:
    """function(text) results by key, saved as CACHE_PATH/<name>.pickle."""

    def __init__(self, name):
        self.name = name
        self.path = None  # the file `entries` were loaded from
        self.entries, self.used, self.dirty = {}, set(), False
        _caches.append(self)

    def map(self, settings, function, texts, salt="", label=None):
        """[function(text) for text in texts]: cached ones from the cache, the rest on every CPU."""
        path = os.path.join(settings["CACHE_PATH"], f"{self.name}.pickle")
        if path != self.path:
            self.path, self.dirty, self.used, self.entries = path, False, set(), {}
            with contextlib.suppress(*UNREADABLE), open(path, "rb") as handle:
                entries = pickle.load(handle)  # an unreadable cache is a cache miss
                self.entries = entries if isinstance(entries, dict) else {}
        code = "\0".join([versions(), code_digest(function), _digest(salt), ""])
        keys = [_digest(code + _digest(text)) for text in texts]
        missing = {k: text for k, text in zip(keys, texts, strict=True) if k not in self.entries}
        todo = list(missing.items())
        if todo:
            results = parallel_map(
                lambda index: function(todo[index][1]),
                len(todo),
                progress=(lambda done, total: report(label, done, total)) if label else None,
            )
            self.entries.update(zip((k for k, _ in todo), results, strict=True))
            self.dirty = True
        self.used.update(keys)
        return [self.entries[k] for k in keys]

    def get(self, settings, function, text, salt=""):
        return self.map(settings, function, [text], salt)[0]

    def save(self):
        """Write (and keep) only the entries this build used, if anything changed."""
        if self.path is not None and (self.dirty or len(self.used) != len(self.entries)):
            self.entries = {k: self.entries[k] for k in self.used if k in self.entries}
            write_atomic(self.path, pickle.dumps(self.entries, protocol=pickle.HIGHEST_PROTOCOL))
            self.dirty = False
        self.used = set()


def content_key(settings, root=ROOT):
    """The key of Pelican's content cache: the settings, the project's Python
    (settings files, sitetools, PLUGIN_PATHS) and the libraries."""
    root = Path(root)
    folders = [Path(__file__).parent, *(root / p for p in settings.get("PLUGIN_PATHS", ()))]
    files = sorted(root.glob("*.py")) + sorted(p for f in folders for p in f.rglob("*.py"))
    stable = {k: v for k, v in settings.items() if k not in VOLATILE_SETTINGS}
    return key(files, stable, [os.path.relpath(p, root) for p in files])


def prepare(settings, root=ROOT):
    """Before a build: switch Pelican's content cache on and remove the key on
    file; (this build's key, whether the cache on disk was written under it)."""
    current, path = content_key(settings, root), Path(settings["CACHE_PATH"]) / KEY_FILE
    try:
        matches = path.read_text(encoding="utf-8") == current
        path.unlink()
    except OSError:
        matches = False
    settings.update(CACHE_SETTINGS)
    return current, matches


def record(settings, current):
    """After a good build: the content cache on disk was written under `current`."""
    write_atomic(Path(settings["CACHE_PATH"]) / KEY_FILE, current.encode("utf-8"))


def partial_build():
    """This build writes only some pages (the preview's fast pass): keep every
    entry and save none; the full build after it saves what the site uses."""
    _build["partial"] = True


def is_partial_build():
    """Whether this build writes only some pages (see partial_build)."""
    return _build["partial"]


def _start_build(_pelican):
    _sources.clear()
    _codes.clear()
    _build["partial"] = False
    for each in _caches:
        each.used = set()


def _save_all(_pelican):
    for each in _caches:
        if not _build["partial"]:
            each.save()


# Each build records afresh what it uses, and saves it when it is done.
signals.initialized.connect(_start_build)
signals.finalized.connect(_save_all)

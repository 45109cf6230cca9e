"""The one cache: every value kept between builds is a pure function of its key.

A key is a digest of all that decides the value, found without a hand-kept list:

- the inputs: the text and the options it was computed with (`salt`);
- the code: the source bytes of the module that defines the function, found
  from the function object itself (a lambda or a closure counts as its
  module's), and the function's name;
- the libraries: Python's version and the name and version of every installed
  distribution (`versions()`).

An edited plugin or a `pip install` therefore misses the old entries instead
of answering with what the old code computed: a `cache/` carried from an older
build (Netlify keeps it between deploys) cannot make a wrong site, and there is
no version constant to bump by hand.

`Cache(name).map(settings, function, texts, salt)` keeps results in
CACHE_PATH/<name>.pickle, computes the missing ones on every CPU
(sitetools.parallel), keeps them in memory for the preview's next build, and
saves only the entries the build used. Files too large for a pickle (social
images, the search index) are named by `key(...)` instead.
"""

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

_caches = []

# What a cache file that is missing, cut short or written by other code raises.
UNREADABLE = (OSError, EOFError, ValueError, TypeError, AttributeError, ImportError,
              pickle.UnpicklingError)  # fmt: skip


@functools.cache
def versions():
    """Digest of Python's version and every installed distribution's name and
    version, from the metadata folders on sys.path (`Markdown-3.7.dist-info`):
    reading each one's metadata would take a tenth of a second."""
    names = []
    for entry in sys.path:
        try:
            listing = os.listdir(entry or ".")
        except OSError:
            continue
        names += [name for name in listing if name.endswith((".dist-info", ".egg-info"))]
    return _digest("\n".join([sys.version, *sorted(names)]))


# Source digests of the modules that define cached functions, read once per
# build: the code that runs is the code loaded when the build started.
_sources = {}


def file_digest(path):
    """Digest of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def code_digest(code):
    """Digest of the code `code` stands for: the path of a source file (read
    now), or a function or module (its module's source, read once a build,
    and its name)."""
    if isinstance(code, str | Path):
        return file_digest(code)
    code = inspect.unwrap(getattr(code, "func", code))  # partials, decorators
    name = getattr(code, "__qualname__", "")
    code_object = getattr(code, "__code__", None)
    path = getattr(code_object, "co_filename", None) or getattr(code, "__file__", None)
    if path not in _sources:
        try:
            _sources[path] = file_digest(path)
        except (OSError, TypeError):  # built in: its library's version decides
            _sources[path] = ""
    return _digest(f"{name}\0{_sources[path]}")


def _stable(value):
    """A stand-in for a value that is the same in every process: functions and
    classes by name, sets sorted, no memory addresses."""
    if isinstance(value, set | frozenset):
        return sorted(map(repr, value))
    if isinstance(value, bytes):
        return value.hex()
    name = getattr(value, "__qualname__", None) or type(value).__qualname__
    module = getattr(value, "__module__", None) or type(value).__module__
    text = repr(value)
    return f"{module}.{name}" if " at 0x" in text else f"{module}.{name}:{text}"


def _digest(data):
    if not isinstance(data, bytes):
        if not isinstance(data, str):
            data = json.dumps(data, sort_keys=True, default=_stable, ensure_ascii=False)
        data = data.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def key(code, *inputs):
    """The key of a value computed by `code` (a function, a module or a source
    file, or a list of them) from `inputs` (texts, bytes, or plain values such
    as settings), under the installed libraries. A hex digest."""
    codes = code if isinstance(code, list | tuple) else [code]
    return _combine([versions(), *map(code_digest, codes)], inputs)


def _combine(code_parts, inputs):
    return _digest("\0".join([*code_parts, *map(_digest, inputs)]))


def load_pickle(path, default=None):
    """What `path` holds, or `default` when it is missing or unreadable: a
    cache that cannot be read is a cache miss."""
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except UNREADABLE:
        return default


def write_atomic(path, data):
    """Write bytes to `path` whole or not at all (a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class Cache:
    """function(text) results by key, saved as CACHE_PATH/<name>.pickle."""

    def __init__(self, name):
        self.name = name
        self.entries = {}
        self.used = set()
        self.path = None
        self.dirty = False
        _caches.append(self)

    def _load(self, settings):
        path = os.path.join(settings["CACHE_PATH"], f"{self.name}.pickle")
        if path != self.path:
            self.path, self.dirty, self.used = path, False, set()
            entries = load_pickle(path, {})
            self.entries = entries if isinstance(entries, dict) else {}

    def map(self, settings, function, texts, salt="", label=None):
        """[function(text) for text in texts], from the cache where it can; the
        missing ones computed on every CPU."""
        self._load(settings)
        code = [versions(), code_digest(function)]
        keys = [_combine(code, (text, salt)) for text in texts]
        missing = dict(zip(keys, texts, strict=True))
        todo = [(k, text) for k, text in missing.items() if k not in self.entries]
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
        """function(text), from the cache where it can (one text, in-process)."""
        return self.map(settings, function, [text], salt)[0]

    def save(self):
        """Write the entries this build used, if that changed anything; keep
        only those in memory too."""
        if self.path is None:
            return
        if self.dirty or len(self.used) != len(self.entries):
            self.entries = {k: self.entries[k] for k in self.used if k in self.entries}
            write_atomic(self.path, pickle.dumps(self.entries, protocol=pickle.HIGHEST_PROTOCOL))
            self.dirty = False
        self.used = set()


def _start_build(_pelican):
    _sources.clear()
    for cache in _caches:
        cache.used = set()


def _save_all(_pelican):
    for cache in _caches:
        cache.save()


# Each build records afresh what it uses, and saves it when it is done.
signals.initialized.connect(_start_build)
signals.finalized.connect(_save_all)

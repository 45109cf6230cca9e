"""Results of a function of one text, kept across builds and computed on every CPU.

Several plugins parse every post body with BeautifulSoup (heading ids and the
table of contents, section anchors, word counts): a few milliseconds a body,
seconds for a thousand, on every build. A `TextMemo` keeps each result under
the hash of its text (and of the options it was computed with) in a pickle
under CACHE_PATH, so a build computes only the texts it has not seen (on
every CPU, through sitetools.parallel), and the preview's process keeps them
in memory between rebuilds. Each build keeps only the entries it used.

A key also holds a `code_stamp`: the hash of the source file that computes the
results, the versions of the libraries it calls and Python's. A cache carried
over from an older build (Netlify keeps cache/ between deploys) then misses
after an edited plugin or an upgraded library, instead of answering with what
the old code computed.
"""

import functools
import hashlib
import os
import pickle
import platform
from importlib import metadata
from pathlib import Path

from pelican import signals

from .parallel import parallel_map
from .progress import report

_memos = []


# What a cache file that is missing, cut short or written by other code raises.
UNREADABLE = (OSError, EOFError, ValueError, TypeError, AttributeError, ImportError,
              pickle.UnpicklingError)  # fmt: skip


def load_pickle(path, default=None):
    """What `path` holds, or `default` when it is missing or unreadable: a
    cache that cannot be read is a cache miss."""
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except UNREADABLE:
        return default


def save_pickle(path, data):
    """Write `data` to `path` whole or not at all (a temporary file, then a rename)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as handle:
        pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


@functools.cache
def code_stamp(source, packages=()):
    """What decides a cached result besides its text and options: the bytes of
    `source` (the module that computes it), the installed version of each
    distribution in `packages`, and Python's version. A hex digest."""
    digest = hashlib.sha256(f"Python {platform.python_version()}".encode())
    digest.update(Path(source).read_bytes())
    for package in packages:
        digest.update(f"\x00{package} {metadata.version(package)}".encode())
    return digest.hexdigest()


class TextMemo:
    """function(text) results by text, saved as CACHE_PATH/<name>.pickle.

    `source` is the file of the code that computes them (pass `__file__`) and
    `packages` the distributions whose version can change a result: both are
    part of every key (`code_stamp`)."""

    def __init__(self, name, source, packages=()):
        self.name = name
        self.source = str(source)
        self.packages = tuple(packages)
        self.entries = {}
        self.used = set()
        self.path = None
        self.dirty = False
        _memos.append(self)

    def _load(self, settings):
        path = os.path.join(settings["CACHE_PATH"], f"{self.name}.pickle")
        if path == self.path:
            return
        self.path, self.dirty = path, False
        self.entries, self.used = load_pickle(path, {}), set()

    def key(self, text, salt):
        stamp = code_stamp(self.source, self.packages)
        key = f"{stamp}\x00{salt}\x00{text}"
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

    def map(self, settings, function, texts, salt="", label=None):
        """[function(text) for text in texts], from the memo where it can."""
        self._load(settings)
        keys = [self.key(text, salt) for text in texts]
        missing = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in self.entries:
                missing.setdefault(key, text)
        if missing:
            todo = list(missing.items())
            results = parallel_map(
                lambda index: function(todo[index][1]),
                len(todo),
                progress=(lambda done, total: report(label, done, total)) if label else None,
            )
            for (key, _), result in zip(todo, results, strict=True):
                self.entries[key] = result
            self.dirty = True
        self.used.update(keys)
        return [self.entries[key] for key in keys]

    def get(self, settings, function, text, salt=""):
        """function(text), from the memo where it can (one text, in-process)."""
        self._load(settings)
        key = self.key(text, salt)
        self.used.add(key)
        if key not in self.entries:
            self.entries[key] = function(text)
            self.dirty = True
        return self.entries[key]

    def start_build(self):
        self.used = set()

    def save(self):
        """Write the entries this build used, if that changed anything; keep
        only those in memory too."""
        if self.path is None:
            return
        if self.dirty or len(self.used) != len(self.entries):
            self.entries = {key: self.entries[key] for key in self.used if key in self.entries}
            save_pickle(self.path, self.entries)
            self.dirty = False


def _start_build(_pelican):
    for memo in _memos:
        memo.start_build()


def _save_all(_pelican):
    for memo in _memos:
        memo.save()


# Each build records afresh what it uses, and saves it when it is done.
signals.initialized.connect(_start_build)
signals.finalized.connect(_save_all)

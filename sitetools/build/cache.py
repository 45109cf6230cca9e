"""The one cache: every value kept between builds is a pure function of its key.

A key digests the inputs, the source of the module defining the computing
function (found from the function itself) and every installed library's
version, so an edited plugin or a `pip install` misses old entries: there is
no version constant to bump. `Cache(name).map(...)` keeps results in
CACHE_PATH/<name>.pickle; larger files are named by `key(...)` in a
`Files(folder)`. Pelican's own content cache is loaded only under such a key
too (`prepare`, `record`).

Nothing on disk is trusted as it is: Netlify restores cache/ from an archive,
and a person or a full disk can cut a file short. Every file is written with
the digest of its name and bytes at its end (Pelican's own files: in the key
file), and read only when it matches; one that does not is deleted, made
again, and named in a warning. A link, a folder or any other
thing where a file should be is a mismatch too, and is never followed.
"""

import contextlib
import functools
import hashlib
import importlib.metadata
import inspect
import json
import logging
import os
import pickle
import secrets
import shutil
import stat
import sys
from pathlib import Path

from pelican import signals

from sitetools.content.files import display_path

from .parallel import parallel_each, switched_off

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
KEY_FILE = "content-cache.key"
# Pelican's reader-layer cache files (<Generator>-Readers); their digests are in KEY_FILE.
PELICAN_FILES = "*-Readers"
DIGEST_SIZE = 64  # a hex sha256, at the end of every file write_checked writes
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
_build = {"partial": False}


@functools.cache
def versions():
    """Digest of Python's version and every installed distribution's name and
    version, read once a process: the code it runs is the code it loaded."""
    names = sorted(f"{d.name}=={d.version}" for d in importlib.metadata.distributions())
    return _digest("\n".join([sys.version, *names]))


def file_digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def code_digest(code):
    """Digest of a source file (a path), or of a function's or module's name and module source."""
    if isinstance(code, str | Path):
        return file_digest(code)
    code = inspect.unwrap(getattr(code, "func", code))  # partials, decorators
    path = getattr(getattr(code, "__code__", None), "co_filename", None)
    source = _loaded_source(path or getattr(code, "__file__", None))
    return _digest(f"{getattr(code, '__qualname__', '')}\0{source}")


@functools.cache
def _loaded_source(path):
    """Digest of a loaded module's file, read once a process, as versions() is: the
    preview restarts when plugin code changes. "" for code built in (no file):
    its library's version decides."""
    try:
        return file_digest(path)
    except (OSError, TypeError):
        return ""


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
    return _digest("\0".join([versions(), *map(code_digest, codes), *map(_digest, inputs)]))


def write_atomic(path, data):
    """Write bytes to `path` whole or not at all. The temporary file is new
    (O_EXCL), so a link planted at its name is never written through, and a
    link at `path` is replaced, not followed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        with os.fdopen(os.open(tmp, flags, 0o666), "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_regular(path):
    """The bytes of `path` if it is a regular file, a link at its end not
    followed (and a FIFO not waited on); else None."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        with os.fdopen(os.open(path, flags), "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            return handle.read()
    except OSError:
        return None


def _seal(name, data):
    """The digest a cache file `name` ends in: of its name (its key) and bytes."""
    return hashlib.sha256(name.encode("utf-8", "surrogatepass") + b"\0" + data).hexdigest().encode()


def discard(path):
    """Remove whatever is at `path` (a file, a link, a folder: never what a link points at)."""
    with contextlib.suppress(FileNotFoundError):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


def _checked(path, data, digest):
    """`data` if `digest` is its seal; else None (a miss), the file gone and,
    unless there was nothing at all, a warning."""
    if data is not None and digest == _seal(path.name, data):
        return data
    old = Path(f"{path}.sha256")  # the format before the digest moved into the file
    if os.path.lexists(path) and not old.exists():
        logger.warning(
            "%s: not a regular file matching the digest kept with it: cut short, "
            "changed or replaced since written; made again", display_path(path),
        )  # fmt: skip
    with contextlib.suppress(OSError):
        discard(path)
        discard(old)
    return None


def read_checked(path):
    """The bytes of the cache file `path` if they match the digest they end in
    (see write_checked); else None, as _checked says."""
    blob = read_regular(path)
    return _checked(Path(path), blob and blob[:-DIGEST_SIZE], blob and blob[-DIGEST_SIZE:])


def write_checked(path, data):
    """Write a cache file, the digest of its name and bytes at its end, whole or
    not at all; what was at `path` (even a folder) is replaced."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    write_atomic(path, data + _seal(Path(path).name, data))


def _off(name):
    """Whether the bench turned this cache off: all of them ("cache"), or "cache:<name>"."""
    return switched_off("cache") or switched_off(f"cache:{name}")


class Files:
    """Files kept between builds in one folder of CACHE_PATH, each named by
    its key and checked against the digest it ends in when read."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def read(self, name):
        """The bytes of entry `name`, or None (made again by the caller)."""
        return None if _off(self.folder.name) else read_checked(self.folder / name)

    def write(self, name, data):
        write_checked(self.folder / name, data)

    def size(self, name):
        """The size of entry `name` unread (so unchecked), or None when there is none."""
        with contextlib.suppress(OSError):
            if not _off(self.folder.name) and (size := os.stat(self.folder / name).st_size):
                return size - DIGEST_SIZE if size > DIGEST_SIZE else None
        return None

    def keep_only(self, names):
        """Remove every entry but `names`; temporary files of a
        write under way stay."""
        with contextlib.suppress(OSError):  # no folder yet, or one that cannot be cleaned
            for name in set(os.listdir(self.folder)) - set(names):
                if not name.endswith(".tmp"):
                    discard(self.folder / name)


class Unkept(tuple):
    """A result that is not a function of its input alone (a timeout, a missing
    program): Cache.map returns it and keeps none, so the next build tries again."""


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
            data = None if _off(self.name) else read_checked(path)
            with contextlib.suppress(*UNREADABLE):  # an unreadable cache is a cache miss
                self.entries = pickle.loads(data) if data is not None else {}  # save's dict
        code = "\0".join([versions(), code_digest(function), _digest(salt), ""])
        keys = [_digest(code + _digest(text)) for text in texts]
        fresh = {}  # a hit asks nothing of the workers
        if todo := {k: text for k, text in zip(keys, texts, strict=True) if k not in self.entries}:
            results = parallel_each(function, list(todo.values()), label)
            fresh = dict(zip(todo, results, strict=True))
            self.entries.update((k, v) for k, v in fresh.items() if not isinstance(v, Unkept))
            self.dirty = True
        self.used.update(keys)
        return [self.entries[k] if k in self.entries else fresh[k] for k in keys]

    def get(self, settings, function, text, salt=""):
        return self.map(settings, function, [text], salt)[0]

    def save(self):
        """Write (and keep) only the entries this build used, if anything changed: a warm
        build rewrites no cache file (Netlify's cache, and the tests, hold it to that)."""
        if self.path is not None and (self.dirty or len(self.used) != len(self.entries)):
            self.entries = {k: self.entries[k] for k in self.used if k in self.entries}
            write_checked(self.path, pickle.dumps(self.entries, protocol=pickle.HIGHEST_PROTOCOL))
            self.dirty = False
        self.used = set()


def content_key(settings, root=ROOT):
    """The key of Pelican's content cache: the settings, the project's Python
    (settings files, sitetools, PLUGIN_PATHS) and the libraries."""
    root = Path(root)
    folders = [Path(__file__).parents[1], *(root / p for p in settings.get("PLUGIN_PATHS", ()))]
    files = sorted(root.glob("*.py")) + sorted(p for f in folders for p in f.rglob("*.py"))
    stable = {k: v for k, v in settings.items() if k not in VOLATILE_SETTINGS}
    return key(files, stable, [os.path.relpath(p, root) for p in files])


def prepare(settings, root=ROOT):
    """Before a build: switch Pelican's content cache on and remove the key
    file; (this build's key, whether the cache on disk was written under it
    and each of its files still matches the digest `record` kept in the key
    file). One that does not is deleted with a warning, as is anything but a
    regular file there (Pelican would write through a link)."""
    folder = Path(settings["CACHE_PATH"])
    current = content_key(settings, root)
    kept, *files = (read_regular(folder / KEY_FILE) or b"").decode("ascii", "replace").split("\n")
    digests, matches = dict(line.partition(" ")[::2] for line in files), kept == current
    with contextlib.suppress(OSError):
        discard(folder / KEY_FILE)
    for path in folder.glob(PELICAN_FILES):
        # Under another key Pelican reads nothing of it, and rewrites it.
        if matches or not stat.S_ISREG(os.lstat(path).st_mode):
            digest = digests.get(path.name, "").encode()
            matches = _checked(path, read_regular(path), digest) is not None and matches
    settings.update(CACHE_SETTINGS)
    return current, matches


def record(settings, current):
    """After a good build: the content cache on disk was written under
    `current`, and its files are these (the key file holds their digests)."""
    folder = Path(settings["CACHE_PATH"])
    files = {path.name: read_regular(path) for path in folder.glob(PELICAN_FILES)}
    seals = [
        f"{name} {_seal(name, data).decode()}" for name, data in files.items() if data is not None
    ]
    write_atomic(folder / KEY_FILE, "\n".join([current, *seals]).encode("ascii"))


def partial_build(partial=True):
    """This build writes only some pages (the preview's fast pass; SiteBuilder sets
    it before Pelican starts and clears it after): keep every entry and save none,
    and leave output/'s kept files (social images, Markdown copies) as they are;
    the full build after it saves and writes what the site uses."""
    _build["partial"] = partial


def is_partial_build():
    """Whether this build writes only some pages (see partial_build)."""
    return _build["partial"]


def _start_build(_pelican):
    for each in _caches:
        each.used = set()


def _save_all(_pelican):
    for each in _caches:
        if not _build["partial"]:
            each.save()


# Each build records afresh what it uses, and saves it when it is done.
signals.initialized.connect(_start_build)
signals.finalized.connect(_save_all)

"""Read every article and page before Pelican asks for it, on every CPU.

Pelican reads its sources one after another, and reading (Markdown, Pygments)
is half of a cold build. On the first read of a build this plugin lists the
sources that Pelican's content cache cannot answer, reads them with Pelican's
own reader objects in forked worker processes, and hands each result back when
Pelican reads that file. Everything after the read (metadata defaults,
signals, caching, errors) still happens in Pelican, in order, so the site is
the same; a source a worker could not read is read again by Pelican, which
reports the problem as usual.
"""

import contextlib
import logging
import os

from pelican import signals
from pelican.log import FilteredMessage
from pelican.utils import file_suffix

from sitetools.parallel import CapturedLogs, parallel_map, worker_count
from sitetools.progress import report

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Worker processes; 0 uses every CPU the build may run on.
    "workers": 0,
    # Below this many sources to read, forking costs more than it saves.
    "min_files": 24,
}

# Per build: the generators whose sources are read ahead, and the results.
_state = {"generators": [], "results": {}, "started": False}


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's READ_AHEAD dict."""
    return {**DEFAULTS, **(settings.get("READ_AHEAD") or {})}


def read_captured(read, path):
    """(content, metadata, log records) of one source, or None if it failed.

    Runs in a worker: what the read logs is kept, not printed."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    captured = CapturedLogs()
    root.handlers = [captured]
    root.setLevel(min(level, logging.WARNING) or logging.WARNING)
    try:
        content, metadata = read(path)
    except Exception:  # Pelican reads it again and reports it in the parent
        return None
    finally:
        root.handlers, root.level = handlers, level
    return content, metadata, captured.records


def sources_to_read(generator, kind):
    """(reader, absolute path) for each source of `generator` that neither of
    Pelican's content caches holds; `kind` is "ARTICLE" or "PAGE"."""
    settings = generator.settings
    jobs = []
    for relative in sorted(
        generator.get_files(settings[f"{kind}_PATHS"], exclude=settings[f"{kind}_EXCLUDES"])
    ):
        reader = generator.readers.readers.get(file_suffix(relative))
        if reader is None or generator.get_cached_data(relative, None) is not None:
            continue
        path = os.path.abspath(os.path.join(generator.path, relative))
        if generator.readers.get_cached_data(path, None) is None:
            jobs.append((reader, path))
    return jobs


def _read_from_results(reader, original, path):
    result = _state["results"].pop(path, None)
    if result is None:
        return original(path)
    content, metadata, records = result
    for record in records:
        # Through the logger's filters, as if logged here; Pelican's filter
        # raises on a message it drops as a repeat.
        with contextlib.suppress(FilteredMessage):
            logging.getLogger(record.name).handle(record)
    return content, metadata


def _wrap_readers(generator):
    for reader in generator.readers.readers.values():
        if "read" in vars(reader):  # already wrapped
            continue
        original = reader.read

        def read(path, reader=reader, original=original):
            return _read_from_results(reader, original, path)

        # An instance attribute, so that the reader keeps its class (Pelican
        # names the `reader` metadata after it).
        reader.read = read
        reader._read_ahead_original = original


def read_all(jobs, options):
    """Read `jobs` on worker processes; {path: result} for those that worked."""
    workers, least = int(options["workers"]), int(options["min_files"])
    processes = worker_count(workers, len(jobs), least)
    if processes < 2:  # Pelican reads them itself, just as fast
        return {}
    logger.debug("Reading %d sources ahead on %d processes", len(jobs), processes)
    results = parallel_map(
        lambda index: read_captured(jobs[index][0]._read_ahead_original, jobs[index][1]),
        len(jobs),
        workers=processes,
        min_items=least,
        progress=lambda done, total: report("reading sources", done, total),
    )
    return {path: result for (_, path), result in zip(jobs, results, strict=True) if result}


# ------------------------------------------------------------------ handlers


def reset(*_args, **_kwargs):
    """A new build starts with nothing read ahead."""
    _state.update(generators=[], results={}, started=False)


def remember_articles(generator):
    _state["generators"].append((generator, "ARTICLE"))
    _wrap_readers(generator)


def remember_pages(generator):
    _state["generators"].append((generator, "PAGE"))
    _wrap_readers(generator)


def start(generator, **_kwargs):
    """On the build's first read: read every uncached source ahead."""
    if _state["started"]:
        return
    _state["started"] = True
    options = settings_for(generator.settings)
    jobs = [job for known, kind in _state["generators"] for job in sources_to_read(known, kind)]
    if len(jobs) >= int(options["min_files"]):
        try:
            _state["results"] = read_all(jobs, options)
        except Exception as error:  # e.g. a setting that cannot be pickled
            logger.debug("Reading ahead failed, Pelican reads one by one: %s", error)


def register():
    # Each build starts clean, even after one that failed midway.
    signals.initialized.connect(reset)
    # Generators exist before any source is read: note whose sources to read.
    signals.article_generator_init.connect(remember_articles)
    signals.page_generator_init.connect(remember_pages)
    # The first read of a build (a cache miss) starts reading everything else.
    signals.article_generator_preread.connect(start)
    signals.page_generator_preread.connect(start)
    # Nothing read ahead outlives its build.
    signals.finalized.connect(reset)

"""Markdown sources read on every CPU when a build has many to read.

On Pelican's documented `readers_init` signal this plugin gives it a subclass
of its MarkdownReader. On the build's first read, the sources Pelican's
content cache lacks are read by that reader in forked workers, and Pelican gets
each result when it asks for that file. A source whose reading logged a
warning or failed is read again by Pelican itself, which reports it as usual.
"""

import logging
import os

from pelican import readers as pelican_readers
from pelican import signals
from pelican.generators import ArticlesGenerator

from sitetools.build.builder import ProblemCollector
from sitetools.build.parallel import parallel_map, worker_count
from sitetools.build.progress import report

logger = logging.getLogger(__name__)

DEFAULTS = {
    "workers": 0,  # worker processes; 0 uses every CPU the build may run on
    "min_files": 24,  # below this many sources to read, forking costs more than it saves
}

# Per build: the generators whose sources are still to read ahead, the results by path.
_build = {"generators": [], "results": {}}


class ReadAhead:
    """Mixed into the Markdown reader class registered for an extension (Pelican's,
    or a plugin's such as pelican-yaml-metadata's): answers from the workers' results first."""

    def read(self, source_path):
        result = _build["results"].pop(source_path, None)
        return result if result is not None else super().read(source_path)

    def read_quietly(self, source_path):
        """(content, metadata), or None if reading logged a problem or failed."""
        heard = ProblemCollector()
        logging.getLogger().addHandler(heard)
        try:
            result = super().read(source_path)
        except Exception:  # Pelican reads it again and reports it
            return None
        finally:
            logging.getLogger().removeHandler(heard)
        return None if heard.errors or heard.warnings else result


def sources_to_read(generator):
    """(reader, absolute path) of each Markdown source of `generator` that
    Pelican's content cache does not hold."""
    kind = "ARTICLE" if isinstance(generator, ArticlesGenerator) else "PAGE"
    settings = generator.settings
    paths = generator.get_files(settings[f"{kind}_PATHS"], exclude=settings[f"{kind}_EXCLUDES"])
    jobs, unwrapped = [], None
    for relative in sorted(paths):
        reader = generator.readers.readers.get(os.path.splitext(relative)[1][1:])
        path = os.path.abspath(os.path.join(generator.path, relative))
        if isinstance(reader, ReadAhead) and not generator.readers.get_cached_data(path, None):
            jobs.append((reader, path))
        elif isinstance(reader, pelican_readers.MarkdownReader):
            unwrapped = type(reader).__name__
    if unwrapped:  # a plugin registered its reader after this one wrapped the one before
        logger.info(
            "Markdown read on one CPU: %s was registered after parallel_markdown", unwrapped
        )
    return jobs


def read_all(jobs, options):
    """{path: (content, metadata)} of the `jobs` the workers read well."""
    least = int(options["min_files"])
    processes = worker_count(int(options["workers"]), len(jobs), least)
    if processes < 2:  # Pelican reads them as fast
        return {}
    logger.debug("Reading %d Markdown sources on %d processes", len(jobs), processes)
    results = parallel_map(
        lambda index: jobs[index][0].read_quietly(jobs[index][1]),
        len(jobs),
        workers=processes,
        min_items=least,
        progress=lambda done, total: report("reading sources", done, total),
        switch="markdown-pool",
    )
    return {path: result for (_, path), result in zip(jobs, results, strict=True) if result}


def use_our_reader(readers):
    """Wrap the reader class registered for each Markdown extension, whichever
    plugin registered it before this one (pelican-yaml-metadata's, or Pelican's)."""
    for extension, reader_class in list(readers.reader_classes.items()):
        if issubclass(reader_class, pelican_readers.MarkdownReader) and not issubclass(
            reader_class, ReadAhead
        ):
            # Named like Pelican's: Pelican names an article's `reader` after its class.
            wrapped = type("MarkdownReader", (ReadAhead, reader_class), {})
            readers.reader_classes[extension] = wrapped


def reset(*_args, **_kwargs):
    _build.update(generators=[], results={})


def remember(generator):
    _build["generators"].append(generator)


def read_ahead(generator, **_kwargs):
    """On the build's first read: read every uncached Markdown source."""
    known, _build["generators"] = _build["generators"], []
    if known:
        options = {**DEFAULTS, **(generator.settings.get("PARALLEL_MARKDOWN") or {})}
        _build["results"] = read_all([job for g in known for job in sources_to_read(g)], options)


def register():
    # Pelican's documented place to give it a reader class for an extension.
    signals.readers_init.connect(use_our_reader)
    # Each build starts clean, even after one that failed midway; nothing read outlives it.
    signals.initialized.connect(reset)
    signals.finalized.connect(reset)
    # Generators exist before any source is read: note whose sources to read.
    signals.article_generator_init.connect(remember)
    signals.page_generator_init.connect(remember)
    # The first read of a build starts reading everything else.
    signals.article_generator_preread.connect(read_ahead)
    signals.page_generator_preread.connect(read_ahead)

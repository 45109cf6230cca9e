"""All-or-nothing Pelican builds.

Pelican writes straight into its output folder and logs, rather than raises,
most problems it meets, so a plain run can exit 0 with posts missing or leave a
half-written site behind. `build()` runs Pelican into a staging folder beside
the output, collects every error logged during the run, and swaps the staging
folder in only when there were none: `output/` always holds the last good build.

The preview's builder can also make a fast pass (`SiteBuilder.build(first=…)`):
Pelican reads and prepares the whole site as usual, but writes only the pages
asked for and those of the changed sources, through a Writer subclass given on
Pelican's `get_writer` signal; every other file is linked from the last good
output. A full build follows it, which makes the whole site consistent.
"""

import contextlib
import copy
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from . import content_cache, progress
from .netlify import url_problem

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


class BuildError(Exception):
    """A build met problems; `problems` holds one line per problem."""

    def __init__(self, problems):
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {line}" for line in self.problems)
        super().__init__(f"Build failed with {count} problem{'s' * (count != 1)}:\n{lines}")


class SettingsError(BuildError):
    """The settings cannot be loaded: a broken settings file, a bad SITEURL,
    no content folder. `str()` is one line naming the file or setting and the
    fix; as a BuildError, whatever reports a failed build reports it too."""

    def __init__(self, line):
        self.problems = [line]
        Exception.__init__(self, line)


@dataclass
class BuildResult:
    output: Path
    seconds: float
    warnings: list = field(default_factory=list)
    # Output paths (relative, e.g. posts/x/index.html) of the pages Pelican
    # wrote; in a fast pass the rest came from the last good output.
    written: set = field(default_factory=set)
    fast: bool = False  # a fast pass: only `written` pages are new


class _ProblemCollector(logging.Handler):
    """Keeps every warning and error logged while Pelican runs."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.errors = []
        self.warnings = []

    def emit(self, record):
        message = record.getMessage()
        error = record.exc_info[1] if record.exc_info else None
        if error is None and record.levelno >= logging.ERROR:
            # Pelican logs "Could not process <file>" from inside its `except`
            # and keeps the exception out of the record unless DEBUG is set:
            # the exception being handled is the reason.
            error = sys.exc_info()[1]
        if error is not None:
            message = f"{message}: {reason(error)}"
        target = self.errors if record.levelno >= logging.ERROR else self.warnings
        target.append(" ".join(message.split()))


def reason(error):
    """Why a source could not be read, in words an author can act on."""
    if isinstance(error, RecursionError):
        return (
            "lists or quotes nested too deep for the Markdown reader; "
            "flatten the deepest nesting (RecursionError)"
        )
    return f"{type(error).__name__}: {error}"


def shown_path(path, root=ROOT):
    """A path as the author would type it: relative to the project root (the
    settings file's folder, where one is known) when it is under it."""
    path, root = Path(path), Path(root)
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _settings_values(path):
    """The UPPER_CASE names a settings file defines; SettingsError if running
    it fails, naming the file and line."""
    from pelican.settings import get_settings_from_file  # noqa: PLC0415

    from .netlify import SiteUrlError  # noqa: PLC0415

    fix = "fix the settings file"
    try:
        return get_settings_from_file(str(path))
    except SyntaxError as error:
        where = shown_path(error.filename or path, path.parent)
        raise SettingsError(
            f"{where}:{error.lineno}: {type(error).__name__}: {error.msg}; {fix}"
        ) from None
    except SiteUrlError as error:
        raise SettingsError(f"{shown_path(path, path.parent)}: {error}") from None
    except (Exception, SystemExit) as error:  # whatever the settings code raised: say where
        frames = [
            frame
            for frame in traceback.extract_tb(error.__traceback__)
            if Path(frame.filename).parent == path.parent
        ]
        where = (
            f"{shown_path(frames[-1].filename, path.parent)}:{frames[-1].lineno}"
            if frames
            else path
        )
        raise SettingsError(f"{where}: {type(error).__name__}: {error}; {fix}") from None


def load_settings(config="pelicanconf.py", overrides=None):
    """Pelican settings from a config file under the project root, with overrides.

    Raises SettingsError, one line naming the file or setting and the fix,
    when the file is missing or broken or names no content folder.
    """
    from pelican.settings import DEFAULT_CONFIG, read_settings  # noqa: PLC0415

    path = Path(config)
    if not path.is_absolute():
        path = ROOT / path
    if not path.is_file():
        raise SettingsError(
            f"{shown_path(path, path.parent)}: no such settings file; check the file name"
        )
    overrides = dict(overrides or {})
    values = _settings_values(path)
    content = overrides.get("PATH") or values.get("PATH", DEFAULT_CONFIG["PATH"])
    # Pelican's rule: relative to the settings file.
    content = Path(os.path.normpath(path.parent / content))
    if not content.is_dir():
        fix = (
            "create it or give another folder"
            if "PATH" in overrides
            else f"create it or fix PATH in {path.name}"
        )
        raise SettingsError(
            f"{shown_path(content, path.parent)}/: the content folder (PATH) does not exist; {fix}"
        )
    where = shown_path(path, path.parent)
    try:
        settings = read_settings(str(path), override=overrides)
    except Exception as error:  # Pelican's own checks of the values
        raise SettingsError(
            f"{where}: {type(error).__name__}: {error}; fix the settings file"
        ) from None
    siteurl = settings.get("SITEURL") or ""  # empty: relative URLs (development)
    problem = url_problem(siteurl) if siteurl else None
    if problem:
        raise SettingsError(
            f"{where}: SITEURL={siteurl!r} is not a site address ({problem}); "
            "set it to the site's full URL, e.g. https://blog.example.org"
        )
    # Pelican's Markdown reader adds to this dict in place, and a settings file
    # that imports another (publishconf) shares it with every later build of
    # the process: each build gets its own.
    settings["MARKDOWN"] = copy.deepcopy(settings["MARKDOWN"])
    return settings


def _swap_in(staging: Path, output: Path, background=False):
    """Replace `output` by `staging` with two renames on one file system; the
    old output is deleted afterwards, in a thread when `background` is set."""
    previous = None
    if output.exists():
        previous = Path(tempfile.mkdtemp(prefix=".output-previous-", dir=output.parent))
        previous.rmdir()
        output.rename(previous)
    staging.rename(output)
    if previous is not None:
        if background:
            threading.Thread(target=shutil.rmtree, args=(previous, True), daemon=True).start()
        else:
            shutil.rmtree(previous, ignore_errors=True)


@contextlib.contextmanager
def _showing_progress(stream):
    """Feed Pelican's signals for one build to a status line on `stream`."""
    from pelican import signals  # noqa: PLC0415

    bar = progress.Progress(stream)
    receivers = {
        signals.article_generator_preread: lambda _sender, **_: bar.step("reading sources"),
        signals.page_generator_preread: lambda _sender, **_: bar.step("reading pages"),
        signals.all_generators_finalized: lambda _sender, **_: bar.update("running plugins"),
        signals.content_written: lambda _sender, **_: bar.step("writing pages"),
        signals.feed_written: lambda _sender, **_: bar.step("writing feeds"),
        # Pelican prints its summary right after: leave it a clean line.
        signals.finalized: lambda _sender, **_: bar.close(),
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver, weak=False)
    progress.install(bar)
    try:
        yield bar
    finally:
        progress.install(None)
        for signal, receiver in receivers.items():
            signal.disconnect(receiver)
        bar.close()


@contextlib.contextmanager
def _hearing_repeated_warnings():
    """Pelican's loggers drop a warning they logged before in this process (its
    LimitFilter), but the preview builds many times in one process and each
    build must report its own. While a build runs, their filter is off through
    Pelican's LimitLogger.disable_filter(), also for the loggers of plugins
    loaded by then (`initialized`); enable_filter() puts it back after."""
    from pelican import signals  # noqa: PLC0415
    from pelican.log import LimitLogger  # noqa: PLC0415

    switched = {}

    def switch_off(*_args, **_kwargs):
        # A copy: the preview's other threads may make loggers meanwhile.
        loggers = dict(logging.Logger.manager.loggerDict).values()
        for each in [logging.getLogger(), *loggers]:
            if isinstance(each, LimitLogger) and id(each) not in switched:
                each.disable_filter()
                switched[id(each)] = each

    switch_off()
    try:
        with _connected(signals.initialized, switch_off):
            yield
    finally:
        for each in switched.values():
            each.enable_filter()


def selective_writer(names, sources, used):
    """A Pelican Writer class that writes only the output paths `names` and
    the pages of the source paths `sources`, and no feeds; `used` (a dict) is
    marked when Pelican makes one. A listing split into pages is written when
    its first page is asked for."""
    from pelican.writers import Writer  # noqa: PLC0415

    class SelectiveWriter(Writer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            used["writer"] = True

        def write_file(self, name, *args, **kwargs):
            source = getattr(kwargs.get("article") or kwargs.get("page"), "source_path", None)
            if name in names or (source and os.path.realpath(source) in sources):
                return super().write_file(name, *args, **kwargs)
            return None

        def write_feed(self, *_args, **_kwargs):
            return None

    return SelectiveWriter


@contextlib.contextmanager
def _connected(signal, receiver):
    signal.connect(receiver, weak=False)
    try:
        yield
    finally:
        signal.disconnect(receiver)


def fill_from(previous: Path, staging: Path):
    """Link every file of `previous` that `staging` lacks into `staging`
    (hard links: nothing is copied, and `previous` is never written to)."""
    for folder, _dirs, files in os.walk(previous):
        target = os.path.join(staging, os.path.relpath(folder, previous))
        os.makedirs(target, exist_ok=True)
        present = set(os.listdir(target))
        for name in files:
            if name not in present:
                source, dest = os.path.join(folder, name), os.path.join(target, name)
                try:
                    os.link(source, dest)
                except OSError:  # another file system
                    shutil.copy2(source, dest)


# Work that plugins leave until the new output is in place: the queue of the
# preview build under way, else None.
_after_swap = {"queue": None}


def run_after_swap(work):
    """For plugins with slow work on the finished site (a search index): in a
    preview build, run `work(output)` in the background once the new output is
    in place, so that the author sees the page at once, and return True;
    anywhere else return False, and the plugin does the work now, inside the
    staged build. A failure in the background is printed as a warning."""
    queue = _after_swap["queue"]
    if queue is None:
        return False
    queue.append(work)
    return True


def defers_after_swap():
    """True in a preview build, where run_after_swap would queue work."""
    return _after_swap["queue"] is not None


# What plugins ask to be undone if the build under way fails: run before its
# staging folder is deleted (a helper process still writing into it, say).
_on_failure = []


def on_failure(cleanup):
    """Call `cleanup()` if the build under way fails."""
    _on_failure.append(cleanup)


def _clean_up_failure():
    while _on_failure:
        try:
            _on_failure.pop()()
        except Exception as error:  # the build has failed already; say so and go on
            print(f"warning: cleaning up a failed build: {error}", file=sys.stderr, flush=True)


def _run_deferred(works, output):
    for work in works:
        try:
            work(output)
        except Exception as error:  # the page is served; say what is missing
            print(f"warning: after the rebuild: {error}", file=sys.stderr, flush=True)


def _invalidates_cache(path):
    """A change that can alter what Pelican's readers make of the sources:
    settings and plugin code."""
    return Path(path).suffix == ".py"


class SiteBuilder:
    """Builds one site again and again: the preview keeps one for its life.

    `build()` is all-or-nothing like the module-level `build()`; `changed`
    names the files that changed since the last call (None: unknown).

    Every build keeps Pelican's content cache of read sources, and loads it
    when it was written under the same settings, code and packages
    (sitetools.content_cache). With `warm=True` (the preview) that cache is
    also trusted after a failed build in this process, unless settings or
    plugin code changed; plugins' slow work on the finished site runs after
    the swap (run_after_swap), and the old output is deleted in the
    background.
    """

    def __init__(self, config="pelicanconf.py", output=None, overrides=None, warm=False):
        self.config = config
        self.overrides = dict(overrides or {})
        self.output = Path(output) if output else None
        self.warm = warm
        self._cache_trusted = False
        self._built = False  # output/ holds a good build of this builder
        self._background = None  # the previous preview build's deferred work

    def wait(self):
        """Wait for the work the last preview build left running."""
        if self._background is not None:
            self._background.join()
            self._background = None

    def _trusted_in_process(self, changed):
        """The content cache this process's last build left is valid for this one."""
        return (
            self._cache_trusted
            and changed is not None
            and not any(_invalidates_cache(path) for path in changed)
        )

    def build(self, changed=None, first=None):
        """Build the site; raise BuildError and leave the output alone on problems.

        `first` (output paths such as posts/x/index.html) asks for a fast
        pass: only those pages and the pages of the `changed` sources are
        written, every other file is the last good build's. Without a last
        good build of this builder, or when its content cache cannot be
        trusted (settings changed), the build is a full one: see
        `BuildResult.fast`."""
        from pelican import Pelican, signals  # noqa: PLC0415

        settings = load_settings(self.config, self.overrides)
        trusted = self.warm and self._trusted_in_process(changed)
        # Pelican's content cache: from this process's last build (the preview)
        # or from any earlier build made under the same key.
        cache_key, carried = content_cache.prepare(settings)
        settings["LOAD_CONTENT_CACHE"] = settings["LOAD_CONTENT_CACHE"] and (trusted or carried)
        output, staging = self._staging(settings)
        # Only worth it when the cache spares reading every source again.
        fast = first is not None and self._built and trusted and output.is_dir()
        used = {}
        sources = {os.path.realpath(path) for path in changed or ()}
        written = set()

        def note_written(path, **_kwargs):
            written.add(Path(os.path.relpath(path, staging)).as_posix())

        def writer_for(_pelican):
            return selective_writer(set(first), sources, used) if fast else None

        collector = _ProblemCollector()
        root_logger = logging.getLogger()
        root_logger.addHandler(collector)
        started = time.perf_counter()
        _on_failure.clear()
        pelican = None
        try:
            deferred = _after_swap["queue"] = [] if self.warm else None
            with (
                _hearing_repeated_warnings(),
                _showing_progress(sys.stdout),
                _connected(signals.get_writer, writer_for),
                _connected(signals.content_written, note_written),
            ):
                pelican = Pelican(settings)
                pelican.run()
        except Exception as error:  # a plugin or Pelican itself gave up
            problems = getattr(error, "problems", None) or [f"{type(error).__name__}: {error}"]
            collector.errors.extend(problems)
            _finish_failed_run(pelican)
        finally:
            root_logger.removeHandler(collector)
            _after_swap["queue"] = None

        # After a good build the content cache on disk matches these settings;
        # a failed build leaves it as trustworthy as it was when loaded.
        self._cache_trusted = self.warm and (not collector.errors or settings["LOAD_CONTENT_CACHE"])
        if collector.errors:
            _clean_up_failure()
            shutil.rmtree(staging, ignore_errors=True)
            raise BuildError(collector.errors)
        _on_failure.clear()
        content_cache.record(settings, cache_key)
        self.wait()  # the last build's background work writes into output/
        fast = fast and self._fill_if_selective(used, output, staging)
        _swap_in(staging, output, background=self.warm)
        self._built = True
        if deferred and not fast:  # after a fast pass, the full build does that work
            self._background = threading.Thread(
                target=_run_deferred, args=(deferred, output), daemon=True
            )
            self._background.start()
        return BuildResult(
            output, time.perf_counter() - started, collector.warnings, written, fast=fast
        )

    def _staging(self, settings):
        """(output folder, a new staging folder beside it that Pelican writes into)."""
        output = Path(self.output or settings["OUTPUT_PATH"]).resolve()
        output.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".output-staging-", dir=output.parent))
        settings["OUTPUT_PATH"] = str(staging)
        settings["DELETE_OUTPUT_DIRECTORY"] = False
        return output, staging

    @staticmethod
    def _fill_if_selective(used, output, staging):
        """After a fast pass: link the pages it did not write from `output`;
        False (and say why) when Pelican wrote them all with another writer."""
        if not used:
            logger.warning(
                "The preview wrote every page: another plugin gives Pelican its writer "
                "(get_writer), so the edited page could not be written first"
            )
            return False
        fill_from(output, staging)
        return True


def build(config="pelicanconf.py", output=None, overrides=None):
    """Build the site into `output` (default: the settings' OUTPUT_PATH).

    Raises BuildError listing every problem; `output` is then left untouched.
    """
    return SiteBuilder(config, output, overrides).build()


def _finish_failed_run(pelican):
    """Send Pelican's `finalized` for a run that raised midway, so that plugins
    which start afresh there (pelican-sitemap forgets its Pelican instance)
    are ready for the next build in this process. What they write goes into
    the staging folder, which is deleted; what they log or raise is moot, and
    work they would leave until after the swap is dropped."""
    if pelican is None:  # stopped before any generator ran
        return
    from pelican import signals  # noqa: PLC0415

    logging.disable(logging.CRITICAL)
    _after_swap["queue"] = []
    try:
        for receiver in signals.finalized.receivers_for(pelican):
            with contextlib.suppress(Exception):  # the build has failed already
                receiver(pelican)
    finally:
        logging.disable(logging.NOTSET)


def clean_stale_staging(parent: Path):
    """Remove staging folders left by a build that was killed midway."""
    for stale in parent.glob(".output-*-*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)

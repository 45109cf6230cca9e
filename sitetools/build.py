"""All-or-nothing Pelican builds.

Pelican writes straight into its output folder and logs, rather than raises,
most problems it meets, so a plain run can exit 0 with posts missing or leave a
half-written site behind. `build()` runs Pelican into a staging folder beside
the output, collects every error logged during the run, and swaps the staging
folder in only when there were none: `output/` always holds the last good build.
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
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from . import content_cache, progress
from .feeds_aside import feeds_aside
from .feeds_aside import usable as feeds_aside_usable
from .netlify import url_problem
from .reuse import PageReuse, only_sources_changed

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
    reused: int = 0  # pages linked unchanged from the previous build


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
def _providing_writer(reuse_writer, aside):
    """Give Pelican our writer for this build: the page-reusing one when the
    preview can reuse pages, with feeds written aside when that is safe."""
    from pelican import signals  # noqa: PLC0415
    from pelican.writers import Writer  # noqa: PLC0415

    def writer_for(_pelican):
        base = (reuse_writer() if reuse_writer else None) or Writer
        if feeds_aside_usable():
            return aside.writer_class(base)
        return None if base is Writer else base

    signals.get_writer.connect(writer_for, weak=False)
    try:
        yield
    finally:
        signals.get_writer.disconnect(writer_for)


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
    (sitetools.content_cache). With `warm=True` (the preview) the builder
    keeps more of what a rebuild can reuse: that cache is also trusted after
    a failed build in this process, unless settings or plugin code changed; the pages
    of posts an edit cannot have changed (sitetools.reuse); and the old output
    is deleted in the background.
    """

    def __init__(self, config="pelicanconf.py", output=None, overrides=None, warm=False):
        self.progress_stream = None  # where the status line goes (default stdout)
        self.config = config
        self.overrides = dict(overrides or {})
        self.output = Path(output) if output else None
        self.warm = warm
        self._cache_trusted = False
        self._reuse = PageReuse()
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

    def build(self, changed=None):
        """Build the site; raise BuildError and leave the output alone on problems."""
        from pelican import Pelican  # noqa: PLC0415
        from pelican.log import LimitFilter  # noqa: PLC0415

        settings = load_settings(self.config, self.overrides)
        trusted = self.warm and self._trusted_in_process(changed)
        reuse_pages = trusted and only_sources_changed(changed, settings["PATH"])
        # Pelican's content cache: from this process's last build (the preview)
        # or from any earlier build made under the same fingerprint.
        fingerprint, carried = content_cache.prepare(settings)
        settings["LOAD_CONTENT_CACHE"] = trusted or carried
        output = Path(self.output or settings["OUTPUT_PATH"]).resolve()
        output.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".output-staging-", dir=output.parent))
        settings["OUTPUT_PATH"] = str(staging)
        settings["DELETE_OUTPUT_DIRECTORY"] = False

        # Pelican drops repeated warnings for the life of the process; a new build
        # must hear them again.
        LimitFilter._raised_messages.clear()
        collector = _ProblemCollector()
        root_logger = logging.getLogger()
        root_logger.addHandler(collector)
        started = time.perf_counter()
        _on_failure.clear()
        try:
            deferred = _after_swap["queue"] = [] if self.warm else None
            reusing = self._reuse.during_build(output, reuse_pages) if self.warm else nullcontext()
            with (
                _showing_progress(self.progress_stream or sys.stdout),
                reusing as reuse_writer,
                feeds_aside() as aside,
                _providing_writer(reuse_writer, aside),
            ):
                Pelican(settings).run()
        except Exception as error:  # a plugin or Pelican itself gave up
            problems = getattr(error, "problems", None) or [f"{type(error).__name__}: {error}"]
            collector.errors.extend(problems)
        finally:
            root_logger.removeHandler(collector)
            _after_swap["queue"] = None

        # After a good build the content cache on disk matches these settings;
        # a failed build leaves it as trustworthy as it was when loaded.
        self._cache_trusted = self.warm and (not collector.errors or settings["LOAD_CONTENT_CACHE"])
        if collector.errors:
            _clean_up_failure()
            shutil.rmtree(staging, ignore_errors=True)
            self._reuse.forget()
            _forget_failed_run()
            raise BuildError(collector.errors)
        _on_failure.clear()
        content_cache.record(settings, fingerprint)
        self.wait()  # the last build's background work writes into output/
        _swap_in(staging, output, background=self.warm)
        if self.warm:
            self._reuse.keep(output)
            if deferred:
                self._background = threading.Thread(
                    target=_run_deferred, args=(deferred, output), daemon=True
                )
                self._background.start()
        return BuildResult(
            output,
            time.perf_counter() - started,
            collector.warnings,
            reused=self._reuse.reused if self.warm and reuse_pages else 0,
        )


def build(config="pelicanconf.py", output=None, overrides=None):
    """Build the site into `output` (default: the settings' OUTPUT_PATH).

    Raises BuildError listing every problem; `output` is then left untouched.
    """
    return SiteBuilder(config, output, overrides).build()


def _forget_failed_run():
    """Reset plugin state that a failed run leaves behind in this process.

    pelican-sitemap remembers the Pelican instance it started with and resets
    only in `finalized`, which a failed run never reaches; every later build in
    the same process (the preview after a broken save) would then skip
    sitemap.xml. Our own plugins start each run clean by themselves.
    """
    try:
        from pelican.plugins.sitemap import sitemap  # noqa: PLC0415
    except ImportError:
        return
    sitemap.generator._main_pelican = None
    sitemap.generator.page_queue = []


def clean_stale_staging(parent: Path):
    """Remove staging folders left by a build that was killed midway."""
    for stale in parent.glob(".output-*-*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)

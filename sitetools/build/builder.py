"""All-or-nothing Pelican builds.

Pelican logs, rather than raises, most problems and writes straight into its
output, so a plain run can exit 0 with posts missing or leave a half-written
site. `build()` runs Pelican into a staging folder, collects every error
logged, and swaps the staging folder in only when there were none.

The preview's fast pass (`SiteBuilder.build(first=…)`) prepares the whole site
but writes only the pages asked for and those of the changed sources, through a
Writer subclass given on Pelican's `get_writer` signal, and its files are
renamed over their old copies in the output. A full build follows it.

Each build holds a lock (flock) on its staging folder, and on the old output
while it deletes it, until it is done; the lock goes when the process dies, so
the next build removes the `.output-staging-*` and `.output-previous-*`
folders a killed build left (and no live build's).
"""

import contextlib
import copy
import fcntl
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

from sitetools.netlify import url_problem

from . import cache, progress
from .parallel import switched_off

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
# Per build: work plugins leave until the new output is in place (a list in a
# preview build, else None), the folders of the old output the preview carries
# into the new one, and cleanups to run if the build fails.
_after_swap = {"queue": None, "keep": []}
_on_failure = []


class BuildError(Exception):
    """A build met problems; `problems` holds one line per problem."""

    def __init__(self, problems):
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {line}" for line in self.problems)
        super().__init__(f"Build failed with {count} problem{'s' * (count != 1)}:\n{lines}")


class SettingsError(BuildError):
    """The settings cannot be loaded; `str()` is one line naming the file or setting and the fix."""

    def __init__(self, line):
        self.problems = [line]
        Exception.__init__(self, line)


@dataclass
class BuildResult:
    output: Path
    seconds: float
    warnings: list = field(default_factory=list)
    written: set = field(default_factory=set)  # output paths (posts/x/index.html) Pelican wrote
    fast: bool = False  # a fast pass: only `written` pages are new, the rest the last build's


class ProblemCollector(logging.Handler):
    """Keeps every warning and error logged while Pelican runs, but those the
    settings' LOG_FILTER names ((level, message template or text) pairs)."""

    def __init__(self, ignored=()):
        super().__init__(level=logging.WARNING)
        self.errors, self.warnings = [], []
        self.ignored = {tuple(pair) for pair in ignored}

    def emit(self, record):
        message = record.getMessage()
        if {(record.levelno, record.msg), (record.levelno, message)} & self.ignored:
            return
        error = record.exc_info[1] if record.exc_info else None
        if error is None and record.levelno >= logging.ERROR:
            # Pelican logs "Could not process <file>" inside its `except` and
            # leaves the exception out of the record: that exception is the reason.
            error = sys.exc_info()[1]
        if isinstance(error, RecursionError):
            message += ": lists or quotes nested too deep for the Markdown reader; "
            message += "flatten the deepest nesting (RecursionError)"
        elif error is not None:
            message += f": {type(error).__name__}: {error}"
        target = self.errors if record.levelno >= logging.ERROR else self.warnings
        target.append(" ".join(message.split()))


def shown_path(path, root=ROOT):
    """`path` relative to `root` when it is under it, as the author would type it."""
    path, root = Path(path), Path(root)
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _settings_values(path):
    """The names a settings file defines; SettingsError naming the file and line if it fails."""
    from pelican.settings import get_settings_from_file  # noqa: PLC0415

    from sitetools.netlify import SiteUrlError  # noqa: PLC0415

    try:
        return get_settings_from_file(str(path))
    except SiteUrlError as error:
        raise SettingsError(f"{shown_path(path, path.parent)}: {error}") from None
    except (Exception, SystemExit) as error:  # whatever the settings code raised: say where
        if isinstance(error, SyntaxError):
            where = f"{shown_path(error.filename or path, path.parent)}:{error.lineno}"
            error = f"{type(error).__name__}: {error.msg}"
        else:
            frames = traceback.extract_tb(error.__traceback__)
            ours = [frame for frame in frames if Path(frame.filename).parent == path.parent]
            where = (
                f"{shown_path(ours[-1].filename, path.parent)}:{ours[-1].lineno}" if ours else path
            )
            error = f"{type(error).__name__}: {error}"
        raise SettingsError(f"{where}: {error}; fix the settings file") from None


def load_settings(config="pelicanconf.py", overrides=None):
    """Pelican settings from a config file under the project root, with overrides;
    SettingsError when the file is missing or broken or names no content folder."""
    from pelican.settings import DEFAULT_CONFIG, read_settings  # noqa: PLC0415

    path = ROOT / config  # an absolute `config` stays itself
    where = shown_path(path, path.parent)
    if not path.is_file():
        raise SettingsError(f"{where}: no such settings file; check the file name")
    overrides = dict(overrides or {})
    values = _settings_values(path)
    # Pelican's rule: relative to the settings file.
    content = overrides.get("PATH") or values.get("PATH", DEFAULT_CONFIG["PATH"])
    content = Path(os.path.normpath(path.parent / content))
    if not content.is_dir():
        fix = "give another folder" if "PATH" in overrides else f"fix PATH in {path.name}"
        raise SettingsError(
            f"{shown_path(content, path.parent)}/: the content folder (PATH) does not exist; "
            f"create it or {fix}"
        )
    try:
        settings = read_settings(str(path), override=overrides)
    except Exception as error:  # Pelican's own checks of the values
        raise SettingsError(
            f"{where}: {type(error).__name__}: {error}; fix the settings file"
        ) from None
    siteurl = settings.get("SITEURL") or ""  # empty: relative URLs (development)
    if problem := siteurl and url_problem(siteurl):
        raise SettingsError(
            f"{where}: SITEURL={siteurl!r} is not a site address ({problem}); "
            "set it to the site's full URL, e.g. https://blog.example.org"
        )
    # Pelican's Markdown reader adds to this dict in place, and a settings file
    # importing another shares it with every later build: each build gets its own.
    settings["MARKDOWN"] = copy.deepcopy(settings["MARKDOWN"])
    return settings


@contextlib.contextmanager
def _connected(receivers):
    """Pelican signals connected to their receivers ({signal: receiver}) for a while."""
    for signal, receiver in receivers.items():
        signal.connect(receiver, weak=False)
    try:
        yield
    finally:
        for signal, receiver in receivers.items():
            signal.disconnect(receiver)


@contextlib.contextmanager
def _showing_progress(stream):
    """Feed Pelican's signals for one build to a status line on `stream`."""
    from pelican import signals  # noqa: PLC0415

    bar = progress.Progress(stream)
    progress.install(bar)
    try:
        with _connected(
            {
                signals.article_generator_preread: lambda _s, **_: bar.step("reading sources"),
                signals.page_generator_preread: lambda _s, **_: bar.step("reading pages"),
                signals.all_generators_finalized: lambda _s, **_: bar.update("running plugins"),
                signals.content_written: lambda _s, **_: bar.step("writing pages"),
                signals.feed_written: lambda _s, **_: bar.step("writing feeds"),
                # Pelican prints its summary right after: leave it a clean line.
                signals.finalized: lambda _s, **_: bar.close(),
            }
        ):
            yield
    finally:
        progress.install(None)
        bar.close()


@contextlib.contextmanager
def _hearing_repeated_warnings():
    """Each build reports its own warnings: Pelican's LimitFilter drops one
    logged before in this process, so it is off while a build runs
    (LimitLogger.disable_filter()), also for plugins' loggers made by `initialized`."""
    from pelican import signals  # noqa: PLC0415
    from pelican.log import LimitLogger  # noqa: PLC0415

    switched = {}

    def switch_off(*_args, **_kwargs):
        # A copy: the preview's other threads may make loggers meanwhile.
        for each in [logging.getLogger(), *dict(logging.Logger.manager.loggerDict).values()]:
            if isinstance(each, LimitLogger) and id(each) not in switched:
                each.disable_filter()
                switched[id(each)] = each

    switch_off()
    try:
        with _connected({signals.initialized: switch_off}):
            yield
    finally:
        for each in switched.values():
            each.enable_filter()


def file_identity(path):
    """(device, inode) of the file at `path`, links followed, or None if there is none:
    one stat where realpath would look at every folder of the path."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def selective_writer(names, sources, used):
    """A Writer class that writes only the output paths `names` and the pages
    of the sources whose file_identity is in `sources`, and no feeds; it marks
    `used` when made."""
    from pelican.writers import Writer  # noqa: PLC0415

    class SelectiveWriter(Writer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            used["writer"] = True
            cache.partial_build()

        def write_file(self, name, *args, **kwargs):
            source = getattr(kwargs.get("article") or kwargs.get("page"), "source_path", None)
            if name in names or (source and file_identity(source) in sources):
                return super().write_file(name, *args, **kwargs)
            return None

        def write_feed(self, *_args, **_kwargs):
            return None

    return SelectiveWriter


def move_into(staging: Path, output: Path):
    """Rename every file of a good fast pass's `staging` over its place in
    `output`: a rename per file it wrote, where a full staging folder would
    need a link per file of the site (0.56 CPU-seconds at 1,000 posts)."""
    for folder, _dirs, files in os.walk(staging):
        target = os.path.join(output, os.path.relpath(folder, staging))
        os.makedirs(target, exist_ok=True)
        for name in files:
            os.replace(os.path.join(folder, name), os.path.join(target, name))
    shutil.rmtree(staging)


def run_after_swap(work):
    """In a preview build, queue `work(output)` to run in the background once
    the new output is in place, and return True; elsewhere return False (the
    plugin does the work now, inside the staged build)."""
    if _after_swap["queue"] is None:
        return False
    _after_swap["queue"].append(work)
    return True


def keep_across_swap(relative):
    """In a preview build, carry the old output's folder `relative` into the
    new output (unless the build wrote one), so that it is served until the
    work queued by run_after_swap replaces it."""
    _after_swap["keep"].append(relative)


def defers_after_swap():
    """True in a preview build, where run_after_swap would queue work."""
    return _after_swap["queue"] is not None


def on_failure(cleanup):
    """Call `cleanup()` if the build under way fails, before its staging folder goes."""
    _on_failure.append(cleanup)


def _run_all(works, what, *args):
    """Run each work; a failure is printed as a warning, since it can stop nothing now."""
    for work in works:
        try:
            work(*args)
        except Exception as error:  # the work can stop nothing now
            print(f"warning: {what}: {error}", file=sys.stderr, flush=True)


class SiteBuilder:
    """Builds one site again and again: the preview keeps one for its life.

    Pelican's content cache is loaded when written under this build's key
    (sitetools.build.cache.prepare). With `warm=True` (the preview) it is also
    trusted after a failed build in this process unless Python code changed,
    plugins' slow work runs after the swap, and old output goes in the background.
    """

    def __init__(self, config="pelicanconf.py", output=None, overrides=None, warm=False, *,
                 on_deferred=None):  # fmt: skip
        self.config = config
        # on_deferred(True) when a build's deferred work starts, (False) when it has ended.
        self.on_deferred = on_deferred or (lambda _running: None)
        self.overrides = dict(overrides or {})
        self.output = Path(output) if output else None
        self.warm = warm
        self._cache_trusted = False
        self._built = False  # output/ holds a good build of this builder
        self._background = None  # the previous preview build's deferred work

    def deferring(self):
        """Whether the work the last preview build deferred still runs."""
        return self._background is not None and self._background.is_alive()

    def wait(self):
        """Wait for the work the last preview build left running."""
        if self._background is not None:
            self._background.join()
            self._background = None

    def build(self, changed=None, first=None):
        """Build the site; raise BuildError and leave the output alone on problems.

        `changed`: files changed since the last call (None: unknown). `first`
        (output paths) asks for a fast pass, made only with a last good build
        and a trusted content cache (see `BuildResult.fast`)."""
        settings = load_settings(self.config, self.overrides)
        output = Path(self.output or settings["OUTPUT_PATH"]).resolve()
        output.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_folders(output.parent)
        staging, lock = claim_folder(output.parent, STAGING)
        try:
            return self._build_into(settings, output, staging, changed, first)
        finally:
            os.close(lock)

    def _build_into(self, settings, output, staging, changed, first):
        from pelican import Pelican, signals  # noqa: PLC0415

        collector = ProblemCollector(settings.get("LOG_FILTER") or ())
        logging.getLogger().addHandler(collector)  # from here: cache.prepare warns too
        try:
            # Settings and plugin code can change what Pelican's readers make of the sources.
            trusted = self.warm and self._cache_trusted and changed is not None
            trusted = trusted and not any(Path(path).suffix == ".py" for path in changed)
            key, carried = cache.prepare(settings)
        except BaseException:
            logging.getLogger().removeHandler(collector)
            shutil.rmtree(staging, ignore_errors=True)
            raise
        carried = carried and not switched_off("content-cache")
        settings["LOAD_CONTENT_CACHE"] = settings["LOAD_CONTENT_CACHE"] and (trusted or carried)
        settings.update(OUTPUT_PATH=str(staging), DELETE_OUTPUT_DIRECTORY=False)
        # Only worth it when the cache spares reading every source again.
        fast = first is not None and self._built and trusted and output.is_dir()
        fast = fast and not switched_off("fast-pass")
        sources = {file_identity(path) for path in changed or ()} - {None}
        used, written, prefix = {}, set(), str(staging) + os.sep

        def note_written(path, **_kwargs):  # relpath would cost more than the rest of this
            written.add(
                path[len(prefix) :] if path.startswith(prefix) else os.path.relpath(path, staging)
            )

        def writer_for(_pelican):
            return selective_writer(set(first), sources, used) if fast else None

        started = time.perf_counter()
        _on_failure.clear()
        deferred = _after_swap["queue"] = [] if self.warm else None
        kept = _after_swap["keep"] = []
        pelican = None
        try:
            with (
                _hearing_repeated_warnings(),
                _showing_progress(sys.stdout),
                _connected({signals.get_writer: writer_for, signals.content_written: note_written}),
            ):
                pelican = Pelican(settings)
                pelican.run()
        except Exception as error:  # a plugin or Pelican itself gave up
            collector.errors += getattr(error, "problems", None) or [
                f"{type(error).__name__}: {error}"
            ]
            _finish_failed_run(pelican)
        finally:
            logging.getLogger().removeHandler(collector)
            _after_swap["queue"] = None

        # A failed build leaves the cache on disk as trustworthy as it was when loaded.
        self._cache_trusted = self.warm and (not collector.errors or settings["LOAD_CONTENT_CACHE"])
        if collector.errors:
            _run_all(reversed(_on_failure), "cleaning up a failed build")
            _on_failure.clear()
            shutil.rmtree(staging, ignore_errors=True)
            raise BuildError(collector.errors)
        _on_failure.clear()
        cache.record(settings, key)
        fast = self._put_in_place(staging, output, fast, used, deferred=deferred, kept=kept)
        seconds = time.perf_counter() - started
        return BuildResult(output, seconds, collector.warnings, written, fast=fast)

    def _put_in_place(self, staging, output, fast, used, *, deferred, kept):
        """Put a good build in place: a fast pass's files over those of `output`,
        else the whole staging folder instead of it (with the `kept` folders of
        `output` moved in), and start deferred work."""
        self.wait()  # the last build's background work writes into output/
        if fast and not used:
            logger.warning(
                "The preview wrote every page: another plugin gives Pelican its writer "
                "(get_writer), so the edited page could not be written first"
            )
        fast = fast and bool(used)
        if fast:
            move_into(staging, output)
        else:
            for relative in kept:
                old, new = output / relative, staging / relative
                if old.is_dir() and not old.is_symlink() and not new.exists():
                    new.parent.mkdir(parents=True, exist_ok=True)
                    old.rename(new)
            _replace(staging, output, background=self.warm)
        self._built = True
        if deferred and not fast:  # after a fast pass, the full build does that work

            def run_deferred():
                try:
                    _run_all(deferred, "after the rebuild", output)
                finally:
                    self.on_deferred(False)

            self.on_deferred(True)
            self._background = threading.Thread(target=run_deferred, daemon=True)
            self._background.start()
        return fast


def build(config="pelicanconf.py", output=None, overrides=None):
    """Build the site into `output` (default: OUTPUT_PATH); BuildError leaves it untouched."""
    return SiteBuilder(config, output, overrides).build()


def _replace(staging: Path, output: Path, background=False):
    """Replace `output` by `staging` with two renames; the old output is
    deleted afterwards, in a thread when `background` is set, locked (see
    lock_folder) from before it is renamed until it is gone."""
    previous = None
    if output.exists():
        lock = lock_folder(output)  # None for a link: its target is never deleted
        previous = Path(tempfile.mkdtemp(prefix=f"{PREVIOUS}{os.getpid()}-", dir=output.parent))
        previous.rmdir()
        output.rename(previous)
    staging.rename(output)
    if previous is None:
        return

    def delete():
        try:
            if previous.is_symlink():
                previous.unlink()
            else:
                shutil.rmtree(previous, ignore_errors=True)
        finally:
            if lock is not None:
                os.close(lock)

    if background:
        threading.Thread(target=delete, daemon=True).start()
    else:
        delete()


def _finish_failed_run(pelican):
    """Send `finalized` for a run that raised midway, so plugins that start
    afresh there (pelican-sitemap) are ready for the next build; what they
    write goes to the doomed staging folder, what they log or defer is moot."""
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


STAGING = ".output-staging-"
PREVIOUS = ".output-previous-"


def lock_folder(path):
    """An open descriptor holding an exclusive flock on the folder `path` (a
    link at its end not followed), or None when another process holds one or
    it is no folder. The lock lasts until the descriptor is closed or the
    process ends, however it ends."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Still the folder at `path`: not removed (or replaced) meanwhile.
        same = os.path.samestat(os.lstat(path), os.fstat(descriptor))
    except OSError:
        same = False
    if not same:
        os.close(descriptor)
        return None
    return descriptor


def claim_folder(parent: Path, prefix):
    """A new folder `<parent>/<prefix><pid>-<random>` and the lock_folder
    descriptor that marks it as this build's (made anew if another build's
    clean-up took it between its making and its locking)."""
    for _attempt in range(100):
        path = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))
        lock = lock_folder(path)
        if lock is not None:
            return path, lock
    raise OSError(f"{parent}: could not make and lock a {prefix}* folder")


def remove_stale_folders(parent: Path):
    """Remove the staging and old output folders in `parent` that no live
    build holds (a killed build's); a link named like one is removed itself,
    never what it points at. Returns the names removed."""
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith((STAGING, PREVIOUS)):
            continue
        path = Path(entry.path)
        if entry.is_symlink():
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(entry.name)
            continue
        lock = lock_folder(path) if entry.is_dir(follow_symlinks=False) else None
        if lock is None:  # a live build's, or not a folder
            continue
        try:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(entry.name)
        finally:
            os.close(lock)
    return removed

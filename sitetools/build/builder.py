"""All-or-nothing Pelican builds.

Pelican logs, rather than raises, most problems and writes straight into its
output, so a plain run can exit 0 with posts missing or leave a half-written
site. `build()` runs Pelican into a staging folder, collects every error
logged, and swaps the staging folder in only when there were none.

The preview's fast pass (`SiteBuilder.build(first=…)`) prepares the whole site
but writes only the pages asked for and those of the changed sources, through a
Writer subclass given on Pelican's `get_writer` signal, and its files are
renamed over their old copies in the output. A full build follows it.

A build's staging folder, and the old output while it is deleted, are folders
named for its process (`.output-staging-<pid>-*`): the next build removes
those of a process that no longer runs (a killed build's), and no live build's.
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
from pathlib import Path
from typing import NamedTuple

from sitetools.netlify import url_problem

from . import cache, progress
from .parallel import switched_off

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
# Per build: work plugins leave until the new output is in place (a list in a
# preview build, else None), and the folders of the old output the preview
# carries into the new one.
_after_swap = {"queue": None, "keep": []}


class BuildError(Exception):
    """A build met problems; `problems` holds one line per problem."""

    def __init__(self, problems):
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {line}" for line in self.problems)
        super().__init__(f"Build failed with {count} problem{'s' * (count != 1)}:\n{lines}")


class SettingsError(BuildError):
    """The settings cannot be loaded: its one problem, naming the file or
    setting and the fix, is its `str()`."""

    def __str__(self):
        return self.problems[0]


class BuildResult(NamedTuple):
    output: Path
    seconds: float
    warnings: list
    written: set  # output paths (posts/x/index.html) Pelican wrote
    fast: bool  # a fast pass: only `written` pages are new, the rest the last build's


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


def _settings_problem(path, error, overrides):
    """One line saying where and why loading the settings file `path` failed, and the fix."""
    from pelican.settings import DEFAULT_CONFIG, get_settings_from_file  # noqa: PLC0415

    from sitetools.netlify import SiteUrlError  # noqa: PLC0415

    here = path.parent
    frames = [
        f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).parent == here
    ]
    if isinstance(error, SiteUrlError):
        return f"{shown_path(path, here)}: {error}"
    if not frames and isinstance(error, ValueError) and "path containing the content" in str(error):
        # Pelican's rule: relative to the settings file.
        content = overrides.get("PATH") or get_settings_from_file(str(path)).get("PATH")
        content = here / (content or DEFAULT_CONFIG["PATH"])
        fix = "give another folder" if "PATH" in overrides else f"fix PATH in {path.name}"
        return (
            f"{shown_path(os.path.normpath(content), here)}/: the content folder (PATH) "
            f"does not exist; create it or {fix}"
        )
    where, reason = shown_path(path, here), error
    if isinstance(error, SyntaxError):
        where, reason = f"{shown_path(error.filename or path, here)}:{error.lineno}", error.msg
    elif frames:  # the settings code raised: say on which line
        where = f"{shown_path(frames[-1].filename, here)}:{frames[-1].lineno}"
    return f"{where}: {type(error).__name__}: {reason}; fix the settings file"


# Settings no longer read (issue 17): plugins' dicts whose options are now fixed, and
# the deleted Markdown process pool's switch. Set, each would be ignored.
RETIRED = "FEEDS FOR_LLMS OUTPUT_PATHS PARALLEL_MARKDOWN SEO SERIES_PAGES TYPOGRAPHY".split()


def load_settings(config="pelicanconf.py", overrides=None):
    """Pelican settings from a config file under the project root, with overrides;
    SettingsError when the file is missing or broken or names no content folder."""
    from pelican.settings import read_settings  # noqa: PLC0415

    path = ROOT / config  # an absolute `config` stays itself
    where = shown_path(path, path.parent)
    if not path.is_file():
        raise SettingsError([f"{where}: no such settings file; check the file name"])
    overrides = dict(overrides or {})
    try:
        settings = read_settings(str(path), override=dict(overrides))
    except (Exception, SystemExit) as error:  # the settings code's or Pelican's checks'
        raise SettingsError([_settings_problem(path, error, overrides)]) from None
    if retired := [name for name in RETIRED if name in settings]:
        names = ", ".join(retired)
        raise SettingsError(
            [f"{where}: {names}: no longer read (the option is fixed, or gone); delete it"]
        )
    siteurl = settings.get("SITEURL") or ""  # empty: relative URLs (development)
    if problem := siteurl and url_problem(siteurl):
        raise SettingsError(
            [
                f"{where}: SITEURL={siteurl!r} is not a site address ({problem}); "
                "set it to the site's full URL, e.g. https://blog.example.org"
            ]
        )
    # Pelican's Markdown reader adds to this dict in place, and a settings file
    # importing another shares it with every later build: each build gets its own.
    settings["MARKDOWN"] = copy.deepcopy(settings["MARKDOWN"])
    return settings


def _progress_receivers(bar):
    """Pelican's signals for one build, fed to its status line `bar`."""
    from pelican import signals  # noqa: PLC0415

    return [
        (signals.article_generator_preread, lambda _s, **_: bar.step("reading sources")),
        (signals.page_generator_preread, lambda _s, **_: bar.step("reading pages")),
        (signals.all_generators_finalized, lambda _s, **_: bar.update("running plugins")),
        (signals.content_written, lambda _s, **_: bar.step("writing pages")),
        (signals.feed_written, lambda _s, **_: bar.step("writing feeds")),
        # Pelican prints its summary right after: leave it a clean line.
        (signals.finalized, lambda _s, **_: bar.close()),
    ]


def _hear_repeated_warnings(*_args, **_kwargs):
    """Each build reports its own warnings: Pelican's LimitFilter drops one
    logged before in this process, so it is taken off every Pelican logger
    when a build starts (LimitLogger.disable_filter()), plugins' included."""
    from pelican.log import LimitLogger  # noqa: PLC0415

    # A copy: the preview's other threads may make loggers meanwhile.
    for each in [logging.getLogger(), *dict(logging.Logger.manager.loggerDict).values()]:
        if isinstance(each, LimitLogger):
            each.disable_filter()


def disconnect_plugins(plugins=ROOT / "plugins"):
    """Pelican's signals outlive a build, and so does each receiver a plugin's
    register() connected: disconnect them all (ours in `plugins`, and Pelican's
    namespace plugins), so that Pelican connects those the next settings list
    in their order, as in a fresh process: a plugin they leave out does nothing,
    and the others run in the order PLUGINS gives."""
    from blinker import ANY, NamedSignal  # noqa: PLC0415
    from pelican import signals  # noqa: PLC0415

    for signal in [s for s in vars(signals).values() if isinstance(s, NamedSignal)]:
        for receiver in list(signal.receivers_for(ANY)):
            source = Path(getattr(getattr(receiver, "__code__", None), "co_filename", ""))
            module = getattr(receiver, "__module__", None) or ""
            if source.is_relative_to(plugins) or module.startswith("pelican.plugins."):
                signal.disconnect(receiver)


def file_identity(path, modified=False):
    """(device, inode) of the file at `path` (and its mtime, if `modified`),
    links followed, or None if there is none: the same file under any of its
    names, and a new file at the same name (an editor's save) as another."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino, stat.st_mtime_ns)[: 2 + modified]


def selective_writer(names, sources, used):
    """A Writer class that writes only the output paths `names` and the pages
    of the sources whose file_identity is in `sources`, and no feeds; it marks
    `used` when made."""
    from pelican.writers import Writer  # noqa: PLC0415

    class SelectiveWriter(Writer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            used["writer"] = True

        def write_file(self, name, *args, **kwargs):
            source = getattr(kwargs.get("article") or kwargs.get("page"), "source_path", None)
            if name in names or (source and file_identity(source) in sources):
                return super().write_file(name, *args, **kwargs)
            return None

        def write_feed(self, *_args, **_kwargs):
            return None

    return SelectiveWriter


def run_after_swap(work, keep=None):
    """In a preview build, queue `work(output)` to run in the background once
    the new output is in place, carry the old output's folder `keep` into the
    new one (unless the build wrote one) to be served until then, and return
    True; elsewhere return False (the plugin does the work now, inside the
    staged build)."""
    if _after_swap["queue"] is None:
        return False
    _after_swap["queue"].append(work)
    _after_swap["keep"] += [keep] if keep else []
    return True


class SiteBuilder:
    """Builds one site again and again: the preview keeps one for its life.

    Pelican's content cache is loaded when written under this build's key
    (sitetools.build.cache.prepare). With `warm=True` (the preview) it is also
    trusted after a failed build in this process unless Python code changed,
    and plugins' slow work runs after the swap.
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
        collector = ProblemCollector(settings.get("LOG_FILTER") or ())
        logging.getLogger().addHandler(collector)  # from here: cache.prepare warns too
        with contextlib.ExitStack() as this_build:
            this_build.callback(logging.getLogger().removeHandler, collector)
            staging = this_build.enter_context(staged_folder(output.parent))
            return self._build_into(
                settings, output, staging, collector, changed=changed, first=first
            )

    def _build_into(self, settings, output, staging, collector, *, changed, first):
        from pelican import Pelican, signals  # noqa: PLC0415

        # Settings and plugin code can change what Pelican's readers make of the sources.
        trusted = self.warm and self._cache_trusted and changed is not None
        trusted = trusted and not any(Path(path).suffix == ".py" for path in changed)
        key, carried = cache.prepare(settings)
        carried = carried and not switched_off("content-cache")
        settings["LOAD_CONTENT_CACHE"] = settings["LOAD_CONTENT_CACHE"] and (trusted or carried)
        settings.update(OUTPUT_PATH=str(staging), DELETE_OUTPUT_DIRECTORY=False)
        # Only worth it when the cache spares reading every source again.
        fast = first is not None and self._built and trusted and output.is_dir()
        fast = fast and not switched_off("fast-pass")
        sources = {file_identity(path) for path in changed or ()} - {None}
        used, written = {}, set()

        def note_written(path, **_kwargs):
            written.add(os.path.relpath(path, staging))

        def writer_for(_pelican):
            return selective_writer(set(first), sources, used) if fast else None

        started = time.perf_counter()
        deferred = _after_swap["queue"] = [] if self.warm else None
        kept = _after_swap["keep"] = []
        bar, pelican = progress.Progress(sys.stdout), None
        progress.install(bar)
        ours = [(signals.initialized, _hear_repeated_warnings), (signals.get_writer, writer_for),
                (signals.content_written, note_written)]  # fmt: skip
        try:
            with contextlib.ExitStack() as connected:  # for this build only
                for signal, receiver in ours + _progress_receivers(bar):
                    connected.enter_context(signal.connected_to(receiver))
                _hear_repeated_warnings()
                disconnect_plugins()
                cache.partial_build(fast)
                pelican = Pelican(settings)
                pelican.run()
        except Exception as error:  # a plugin or Pelican itself gave up
            collector.errors += getattr(error, "problems", None) or [
                f"{type(error).__name__}: {error}"
            ]
            # Plugins that start afresh in `finalized` (pelican-sitemap) are then ready for
            # the next build; what they write, log or defer now is moot.
            logging.disable(logging.CRITICAL)
            _after_swap["queue"] = []
            for receiver in signals.finalized.receivers_for(pelican) if pelican else ():
                with contextlib.suppress(Exception):  # the build has failed already
                    receiver(pelican)
            logging.disable(logging.NOTSET)
        finally:
            cache.partial_build(False)
            _after_swap["queue"] = None
            progress.install(None)
            bar.close()

        # A failed build leaves the cache on disk as trustworthy as it was when loaded.
        self._cache_trusted = self.warm and (not collector.errors or settings["LOAD_CONTENT_CACHE"])
        if collector.errors:
            raise BuildError(collector.errors)
        cache.record(settings, key)
        if fast and not used:
            logger.warning(
                "The preview wrote every page: another plugin gives Pelican its writer "
                "(get_writer), so the edited page could not be written first"
            )
        # Even with another plugin's writer the pass left the kept files (social images,
        # Markdown copies) to the full build: its files go over output/ and that build follows.
        fast = self._put_in_place(staging, output, fast, deferred, kept)
        return BuildResult(output, time.perf_counter() - started, collector.warnings, written, fast)

    def _put_in_place(self, staging, output, fast, deferred, kept):
        """A fast pass's files over those of `output`, else the whole staging
        folder instead of it (with the `kept` folders of `output` moved in);
        then start the deferred work."""
        self.wait()  # the last build's background work writes into output/
        if fast:  # a rename per file written: a swap would need a link per file of the site
            shutil.copytree(staging, output, copy_function=os.replace, dirs_exist_ok=True)
        else:
            for relative in kept:
                old, new = output / relative, staging / relative
                if old.is_dir() and not old.is_symlink() and not new.exists():
                    new.parent.mkdir(parents=True, exist_ok=True)
                    old.rename(new)
            _replace(staging, output)
        self._built = True
        if deferred and not fast:  # after a fast pass, the full build does that work
            self.on_deferred(True)
            work = threading.Thread(target=self._run, args=(deferred, output), daemon=True)
            self._background = work
            work.start()
        return fast

    def _run(self, deferred, output):
        for work in deferred:
            try:
                work(output)
            except Exception as error:  # the work can stop nothing now
                print(f"warning: after the rebuild: {error}", file=sys.stderr, flush=True)
        self.on_deferred(False)


def build(config="pelicanconf.py", output=None, overrides=None):
    """Build the site into `output` (default: OUTPUT_PATH); BuildError leaves it untouched."""
    return SiteBuilder(config, output, overrides).build()


STAGING = ".output-staging-"


@contextlib.contextmanager
def staged_folder(parent: Path):
    """A new folder `<parent>/.output-staging-<pid>-<random>`, removed after
    unless renamed away meanwhile; while this process runs, no build removes it."""
    path = Path(tempfile.mkdtemp(prefix=f"{STAGING}{os.getpid()}-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _replace(staging: Path, output: Path):
    """Replace `output` by `staging` with two renames: the old output goes over
    an empty staged folder of its own, deleted with it."""
    with staged_folder(output.parent) as previous:
        with contextlib.suppress(FileNotFoundError):
            output.replace(previous)
        staging.rename(output)


def _runs(pid):
    """Whether process `pid` runs (one that cannot be signalled does, as another user's)."""
    try:
        os.kill(int(pid), 0)
    except PermissionError:
        return True
    except (ValueError, OSError):
        return False
    return True


def remove_stale_folders(parent: Path):
    """Remove the staging folders in `parent` whose process has ended (a killed
    build's); a link named like one is removed itself, never what it points at."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(parent):
            owner = entry.name.removeprefix(STAGING).split("-")[0]
            if entry.name.startswith(STAGING) and (entry.is_symlink() or not _runs(owner)):
                with contextlib.suppress(OSError):
                    cache.discard(entry.path)

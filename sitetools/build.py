"""All-or-nothing Pelican builds.

Pelican writes straight into its output folder and logs, rather than raises,
most problems it meets, so a plain run can exit 0 with posts missing or leave a
half-written site behind. `build()` runs Pelican into a staging folder beside
the output, collects every error logged during the run, and swaps the staging
folder in only when there were none: `output/` always holds the last good build.
"""

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class BuildError(Exception):
    """A build met problems; `problems` holds one line per problem."""

    def __init__(self, problems):
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {line}" for line in self.problems)
        super().__init__(f"Build failed with {count} problem{'s' * (count != 1)}:\n{lines}")


@dataclass
class BuildResult:
    output: Path
    seconds: float
    warnings: list = field(default_factory=list)


class _ProblemCollector(logging.Handler):
    """Keeps every warning and error logged while Pelican runs."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.errors = []
        self.warnings = []

    def emit(self, record):
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message}: {record.exc_info[1]}"
        target = self.errors if record.levelno >= logging.ERROR else self.warnings
        target.append(" ".join(message.split()))


def load_settings(config="pelicanconf.py", overrides=None):
    """Pelican settings from a config file under the project root, with overrides."""
    from pelican.settings import read_settings  # noqa: PLC0415

    path = Path(config)
    if not path.is_absolute():
        path = ROOT / path
    return read_settings(str(path), override=dict(overrides or {}))


def _swap_in(staging: Path, output: Path):
    """Replace `output` by `staging` with two renames on one file system."""
    previous = None
    if output.exists():
        previous = Path(tempfile.mkdtemp(prefix=".output-previous-", dir=output.parent))
        previous.rmdir()
        output.rename(previous)
    staging.rename(output)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)


def build(config="pelicanconf.py", output=None, overrides=None):
    """Build the site into `output` (default: the settings' OUTPUT_PATH).

    Raises BuildError listing every problem; `output` is then left untouched.
    """
    from pelican import Pelican  # noqa: PLC0415
    from pelican.log import LimitFilter  # noqa: PLC0415

    settings = load_settings(config, overrides)
    output = Path(output or settings["OUTPUT_PATH"]).resolve()
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
    try:
        Pelican(settings).run()
    except Exception as error:  # a plugin or Pelican itself gave up
        problems = getattr(error, "problems", None) or [f"{type(error).__name__}: {error}"]
        collector.errors.extend(problems)
    finally:
        root_logger.removeHandler(collector)

    if collector.errors:
        shutil.rmtree(staging, ignore_errors=True)
        _forget_failed_run()
        raise BuildError(collector.errors)
    _swap_in(staging, output)
    return BuildResult(output, time.perf_counter() - started, collector.warnings)


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

"""Author tasks: `invoke --list` shows them all.

Settings are read from the invoke collection's config below (host, port, the
settings files), so nothing about a machine is hard-coded in a task body.
"""

import shutil
import sys
from pathlib import Path

from invoke import Collection, Exit, task

ROOT = Path(__file__).resolve().parent

CONFIG = {
    "site": {
        "settings": "pelicanconf.py",
        "publish_settings": "publishconf.py",
        "output": "output",
        "host": "127.0.0.1",
        "port": 8000,
    },
}


def _build(c, settings_file):
    from sitetools.build import BuildError, build  # noqa: PLC0415

    try:
        result = build(settings_file, ROOT / c.site.output)
    except BuildError as error:
        print(error, file=sys.stderr)
        raise Exit("The last good site is still in output/.", code=1) from None
    for line in result.warnings:
        print(f"warning: {line}", file=sys.stderr)
    print(f"Built {result.output.relative_to(ROOT)}/ in {result.seconds:.2f} s")
    return result


@task
def build(c):
    """Build the development site into output/ (relative URLs, drafts visible)."""
    _build(c, c.site.settings)


@task
def publish(c):
    """Build the production site into output/ with publishconf.py."""
    _build(c, c.site.publish_settings)


@task(help={"host": "Address to bind (default 127.0.0.1)", "port": "Port (default 8000)"})
def serve(c, host=None, port=None):
    """Preview at http://127.0.0.1:8000, rebuilding and reloading on every save."""
    from sitetools.devserver import serve as run_server  # noqa: PLC0415

    run_server(
        root=ROOT,
        settings_file=c.site.settings,
        output=ROOT / c.site.output,
        host=host or c.site.host,
        port=int(port or c.site.port),
    )


@task
def clean(c):
    """Remove output/, the build cache and leftover staging folders."""
    for name in (c.site.output, "cache"):
        shutil.rmtree(ROOT / name, ignore_errors=True)
    for leftover in ROOT.glob(".output-*-*"):
        shutil.rmtree(leftover, ignore_errors=True)


@task(help={"args": "Extra arguments passed to pytest, e.g. -k cards"})
def test(c, args=""):
    """Run the whole test suite."""
    c.run(f"{sys.executable} -m pytest {args}", pty=False)


@task(
    help={
        "posts": "Posts in the synthetic corpus (default 1000)",
        "runs": "Runs of each contender (default 3)",
        "json": "Print the report as JSON instead of a table",
        "seed": "Seed of the synthetic corpus (default 7)",
    }
)
def bench(c, posts=1000, runs=3, json=False, seed=7):
    """Time our builds and the preview against vanilla Pelican on a synthetic corpus."""
    import json as json_module  # noqa: PLC0415

    from sitetools.bench import format_table, run_benchmark  # noqa: PLC0415

    report = run_benchmark(
        int(posts), int(runs), int(seed), log=lambda line: print(line, file=sys.stderr)
    )
    print(json_module.dumps(report, indent=2) if json else format_table(report))


@task
def lint(c):
    """Check code style and formatting with ruff."""
    c.run(f"{sys.executable} -m ruff check .")
    c.run(f"{sys.executable} -m ruff format --check .")


# Every @task in this module, with the config above; a new task needs no edit here.
ns = Collection.from_module(sys.modules[__name__], config=CONFIG)

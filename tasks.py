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


def _output(c, output=None):
    return Path(output).resolve() if output else ROOT / c.site.output


def _overrides(output, content=None):
    """Settings for a build into `output`: its cache beside it (as cache/ is
    beside output/), and another content folder when one is given."""
    overrides = {"CACHE_PATH": str(Path(output).parent / "cache")}
    if content:
        overrides["PATH"] = str(Path(content).resolve())
    return overrides


def _shown(path):
    path = Path(path)
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _build(c, settings_file, content=None, output=None):
    from sitetools.build.builder import BuildError, SettingsError, build  # noqa: PLC0415

    output = _output(c, output)
    try:
        result = build(settings_file, output, _overrides(output, content))
    except SettingsError as error:  # one line; nothing was built
        raise Exit(str(error), code=1) from None
    except BuildError as error:
        print(error, file=sys.stderr)
        raise Exit(f"The last good site is still in {_shown(output)}/.", code=1) from None
    for line in result.warnings:
        print(f"warning: {line}", file=sys.stderr)
    print(f"Built {_shown(result.output)}/ in {result.seconds:.2f} s")
    return result


BUILD_HELP = {
    "content": "Content folder to build instead of content/",
    "output": "Folder to build into instead of output/",
}


@task(help=BUILD_HELP)
def build(c, content=None, output=None):
    """Build the development site into output/ (relative URLs, drafts visible)."""
    _build(c, c.site.settings, content, output)


@task(help=BUILD_HELP)
def publish(c, content=None, output=None):
    """Build the production site into output/ with publishconf.py."""
    _build(c, c.site.publish_settings, content, output)


@task(
    help={
        "host": "Address to bind (default 127.0.0.1)",
        "port": "Port (default 8000)",
        **BUILD_HELP,
    }
)
def serve(c, host=None, port=None, content=None, output=None):
    """Preview at http://127.0.0.1:8000, rebuilding and reloading on every save."""
    from sitetools.preview.server import ServeError  # noqa: PLC0415
    from sitetools.preview.server import serve as run_server  # noqa: PLC0415

    port = port or c.site.port
    try:
        port = int(port)
    except ValueError:
        raise Exit(f"--port {port}: not a number; use a port from 1 to 65535", code=1) from None
    output = _output(c, output)
    try:
        run_server(
            root=ROOT,
            settings_file=c.site.settings,
            output=output,
            host=host or c.site.host,
            port=port,
            overrides=_overrides(output, content),
        )
    except ServeError as error:  # one line: the port or host cannot be used
        raise Exit(str(error), code=1) from None


@task(
    help={
        "title": "The post's title, in quotes",
        "tags": "Comma-separated tags, in card order: --tags llm,python",
        "summary": "One line for the card (optional)",
        "content": "Content folder to write into instead of content/",
    }
)
def new(c, title, tags="", summary="", content=None):
    """Write a new draft post in content/posts/<slug>.md and print its path."""
    from sitetools.authoring.newpost import PostExists, new_post  # noqa: PLC0415
    from sitetools.build.builder import SettingsError, load_settings  # noqa: PLC0415

    try:
        settings = load_settings(c.site.settings)
    except SettingsError as error:
        raise Exit(str(error), code=1) from None
    root = Path(content).resolve() if content else Path(settings["PATH"])
    folder = root / settings["ARTICLE_PATHS"][0]
    try:
        path = new_post(
            title,
            tags,
            folder,
            settings,
            summary=summary or None,
            # Slugs are taken by posts in every article folder and subfolder.
            search=[root / articles for articles in settings["ARTICLE_PATHS"]],
            note=lambda line: print(f"note: {line}", file=sys.stderr),
        )
    except (PostExists, ValueError) as error:
        raise Exit(f"Not written: {error}", code=1) from None
    except OSError as error:  # the folder cannot be written
        raise Exit(f"Not written: {error.strerror}: {error.filename}", code=1) from None
    print(_shown(path))


@task(
    name="import",
    help={
        "source": "Top folder of the blog to import (its repository checkout)",
        "from": "Its generator: hugo, jekyll, astro, eleventy or pelican (default: detected)",
        "content": "Content folder to import into instead of content/",
        "tags": "Tags for every post that has none, comma-separated (e.g. notes)",
    },
)
def import_(c, source, from_=None, content=None, tags=""):
    """Import another blog's posts, images and old URLs; never overwrites a file."""
    from sitetools.authoring.importer import FORMATS, ImportRefused, import_blog  # noqa: PLC0415
    from sitetools.build.builder import SettingsError, load_settings  # noqa: PLC0415

    if any(ord(character) < 32 for character in tags):
        raise Exit("--tags: a line break or control character would start another header line", 1)
    if from_ and from_ not in FORMATS:
        raise Exit(f"--from {from_}: not a format here; use one of {', '.join(FORMATS)}", 1)
    try:
        root = Path(content).resolve() if content else Path(load_settings(c.site.settings)["PATH"])
        report, kind = import_blog(source, root, from_, tags)
    except SettingsError as error:
        raise Exit(str(error), code=1) from None
    except ImportRefused as error:
        print("\n".join(error.problems), file=sys.stderr)
        raise Exit("Nothing imported: nothing was written.", code=1) from None
    except OSError as error:  # a folder that cannot be read or written
        raise Exit(f"Import stopped: {error.strerror}: {error.filename}", code=1) from None
    print("\n".join(report.lines(kind, _shown(root))))


@task(help={"output": "Built site to check instead of output/"})
def check(c, output=None):
    """Check the built site: valid HTML, internal links and #fragments, feeds."""
    from sitetools.build.builder import SettingsError, load_settings  # noqa: PLC0415
    from sitetools.quality import check as checks  # noqa: PLC0415

    output = _output(c, output)
    if not output.is_dir():
        raise Exit(f"Nothing to check: {_shown(output)}/ does not exist; run invoke build", 1)
    try:
        siteurl = load_settings(c.site.publish_settings)["SITEURL"]
    except SettingsError as error:
        raise Exit(str(error), code=1) from None
    lines, failures = checks.check_site(output, [siteurl])
    print("\n".join(lines))
    if failures:
        raise Exit(f"invoke check: {failures} failures in {_shown(output)}/", code=1)


@task
def clean(c):
    """Remove output/, the build cache and leftover staging folders."""
    from sitetools.build.builder import remove_stale_folders  # noqa: PLC0415

    for name in (c.site.output, "cache"):
        shutil.rmtree(ROOT / name, ignore_errors=True)
    remove_stale_folders(ROOT)


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
        "ablate": "Instead: each piece of speed code turned off in turn, against it on",
        "switches": "With --ablate: only these, comma-separated (e.g. fast-pass,cache:typography)",
    }
)
def bench(c, posts=1000, runs=3, json=False, seed=7, *, ablate=False, switches=""):
    """Time our builds and the preview against vanilla Pelican on a synthetic corpus;
    with --ablate, what turning off each piece of speed code costs."""
    from sitetools.quality.bench import bench as run_bench  # noqa: PLC0415

    chosen = [name for name in switches.split(",") if name]
    print(run_bench(int(posts), int(runs), int(seed), ablate=ablate, switches=chosen, as_json=json))


@task
def lint(c):
    """Check code style and formatting with ruff."""
    c.run(f"{sys.executable} -m ruff check .")
    c.run(f"{sys.executable} -m ruff format --check .")


@task(
    help={
        "port": "Port for the local server on the preview host (default: a free one)",
        "reports": "Folder to keep Lighthouse's HTML and JSON reports in (default: discarded)",
    }
)
def audit(c, port=None, reports=None):
    """Lighthouse on the front page, an article and a tag page of a production build."""
    from sitetools.quality import audit as lighthouse  # noqa: PLC0415

    try:
        print(lighthouse.audit(c.site.host, int(port or 0), reports))
    except lighthouse.AuditError as error:
        raise Exit(str(error), code=1) from None


# Every @task in this module, with the config above; a new task needs no edit here.
ns = Collection.from_module(sys.modules[__name__], config=CONFIG)

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
    import os  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    from sitetools import audit as lighthouse  # noqa: PLC0415
    from sitetools.build import BuildError, build  # noqa: PLC0415

    binary = ROOT / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        if not shutil.which("npm"):
            raise Exit("invoke audit needs Node.js and npm (apt-get install nodejs npm).", code=1)
        with c.cd(str(ROOT)):
            c.run("npm ci --no-audit --no-fund", pty=False)
    chrome = lighthouse.chrome_path()
    if not Path(chrome).exists():
        raise Exit(f"No Chromium at {chrome}: apt-get install chromium, or set CHROME_PATH", code=1)
    host = c.site.host
    port = int(port or lighthouse.free_port(host))
    siteurl = f"http://{host}:{port}"
    with tempfile.TemporaryDirectory(prefix="audit-") as scratch:
        tmp = Path(scratch)
        # publishconf.py reads SITEURL from the environment: absolute URLs must
        # point at the local server.
        saved = os.environ.get("SITEURL")
        os.environ["SITEURL"] = siteurl
        try:
            built = build(
                c.site.publish_settings, tmp / "output", {"CACHE_PATH": str(tmp / "cache")}
            )
        except BuildError as error:
            print(error, file=sys.stderr)
            raise Exit("The production build failed; nothing to audit.", code=1) from None
        finally:
            if saved is None:
                os.environ.pop("SITEURL", None)
            else:
                os.environ["SITEURL"] = saved
        report_dir = Path(reports).resolve() if reports else tmp / "reports"
        report_dir.mkdir(parents=True, exist_ok=True)
        results = lighthouse.audit_site(
            built.output, host, port, lighthouse=binary, report_dir=report_dir, chrome=chrome
        )
    print(lighthouse.table(results))
    if reports:
        print(f"Reports in {report_dir}")


# Every @task in this module, with the config above; a new task needs no edit here.
ns = Collection.from_module(sys.modules[__name__], config=CONFIG)

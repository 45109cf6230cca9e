"""Full-text search: a Pagefind index of the built site, by the `pagefind-bin` wheel's binary.

Pagefind runs once a build, after every page is written. A production build
runs it on its staging folder at `finalized`, so a failed index fails the build
and leaves the last good output alone. The preview runs it after the new output
is in place (run_after_swap), into a folder beside the output that is renamed in
only once Pagefind is done: /search/ never reads a half-written index. Until
then the preview serves the last index (kept across the swap), and says so on
/search/ (sitetools/preview/reload.js, told by the server that deferred work runs).
"""

import subprocess
from pathlib import Path

from pelican import signals

from sitetools.build.builder import BuildError, run_after_swap, staged_folder

DEFAULTS = {
    # Folder under the site root for the index and Pagefind's scripts.
    "bundle_dir": "pagefind",
    # Seconds before a stuck indexer fails the build.
    "timeout": 120,
    # Extra command-line flags for pagefind, e.g. ["--exclude-selectors", "pre"].
    "extra_args": [],
}


def settings_for(settings):
    return {**DEFAULTS, **(settings.get("SEARCH_INDEX") or {})}


def run_pagefind(site, options, bundle):
    """Index `site` into `bundle` by the pagefind-bin wheel's binary; BuildError
    with Pagefind's messages when it fails or runs past the timeout (an exit
    status of 0 means Pagefind wrote the whole bundle)."""
    try:
        from pagefind_bin import get_executable  # noqa: PLC0415

        command = [str(get_executable()), "--site", str(site), "--output-path", str(bundle)]
    except (ImportError, FileNotFoundError) as error:
        fix = "run `python3 -m pip install -r requirements.txt`"
        raise BuildError([f"search_index: no pagefind binary ({error}); {fix}"]) from error
    command += ["--quiet", *map(str, options["extra_args"])]
    seconds = options["timeout"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired as error:
        raise BuildError([f"search_index: pagefind did not finish in {seconds} s"]) from error
    if done.returncode != 0:
        messages = [line.strip() for line in (done.stderr + done.stdout).splitlines()]
        problem = f"search_index: pagefind exited with {done.returncode}"
        raise BuildError([problem, *filter(None, messages)])


def index_preview(output, options):
    """The preview's index of `output`, made beside it and renamed into place
    (the old one out first) only when complete."""
    bundle = Path(output) / options["bundle_dir"]
    with staged_folder(Path(output).parent) as folder:
        run_pagefind(output, options, folder / "bundle")
        if bundle.is_dir() and not bundle.is_symlink():
            bundle.rename(folder / "old")
        (folder / "bundle").rename(bundle)


def add_bundle_path(generator):
    """Templates get `search_bundle`, the index folder under the site root."""
    generator.env.globals["search_bundle"] = settings_for(generator.settings)["bundle_dir"]


def index_site(pelican):
    """Index the site this build wrote: now, or in the preview after the swap."""
    options = settings_for(pelican.settings)
    if run_after_swap(lambda output: index_preview(output, options), options["bundle_dir"]):
        return
    run_pagefind(pelican.output_path, options, Path(pelican.output_path) / options["bundle_dir"])


def register():
    # The search page template reads `search_bundle` when it renders.
    signals.generator_init.connect(add_bundle_path)
    # Every HTML file is written by then, still in the staging folder.
    signals.finalized.connect(index_site)

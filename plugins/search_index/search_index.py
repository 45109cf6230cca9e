"""Full-text search: a Pagefind index of the built site.

Pagefind's binary comes from the `pagefind-bin` wheel (requirements.txt), so a
build downloads nothing. It runs on `finalized`, over the folder Pelican has just
written, which under sitetools.build is the staging folder: a failed index fails
the build and output/ keeps the last good site. In the preview the index is
built just after the new output is in place, in the background, so that a
saved post shows at once (a failure there is printed as a warning). Only elements marked
`data-pagefind-body` (the article element in article.html) are indexed.

The search page (theme/templates/search.html) loads the bundle written to
`<site>/pagefind/`.
"""

import json
import logging
import subprocess
from pathlib import Path

from pelican import signals

from sitetools.build import run_after_swap

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Turn indexing off (the search page then says search is unavailable).
    "enabled": True,
    # Folder under the site root for the index and Pagefind's scripts.
    "bundle_dir": "pagefind",
    # Seconds before a stuck indexer fails the build.
    "timeout": 120,
    # Extra command-line flags for pagefind, e.g. ["--exclude-selectors", "pre"].
    "extra_args": [],
}

ENTRY_FILE = "pagefind-entry.json"


class SearchIndexError(Exception):
    """Indexing failed; `problems` holds one line per problem."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's SEARCH_INDEX dict."""
    return {**DEFAULTS, **(settings.get("SEARCH_INDEX") or {})}


def pagefind_executable():
    """The binary shipped in the pagefind-bin wheel."""
    try:
        from pagefind_bin import get_executable  # noqa: PLC0415
    except ImportError as error:
        raise SearchIndexError(
            [
                "search_index: the pagefind-bin package is missing; "
                "run `python3 -m pip install -r requirements.txt`"
            ]
        ) from error
    try:
        return Path(get_executable())
    except FileNotFoundError as error:
        raise SearchIndexError(
            [f"search_index: pagefind-bin has no binary here: {error}"]
        ) from error


def pagefind_command(executable, site, options):
    """The pagefind command line for one site folder."""
    return [
        str(executable),
        "--site",
        str(site),
        "--output-subdir",
        options["bundle_dir"].strip("/"),
        "--quiet",
        *[str(arg) for arg in options["extra_args"]],
    ]


def indexed_pages(site, options):
    """Pages in the index, per language, from Pagefind's entry file."""
    entry = Path(site) / options["bundle_dir"].strip("/") / ENTRY_FILE
    data = json.loads(entry.read_text(encoding="utf-8"))
    return {lang: info.get("page_count", 0) for lang, info in data.get("languages", {}).items()}


def build_index(site, options):
    """Run Pagefind over `site`; raise SearchIndexError with its messages if it fails."""
    command = pagefind_command(pagefind_executable(), site, options)
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=options["timeout"],
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise SearchIndexError(
            [f"search_index: pagefind did not finish in {options['timeout']} s"]
        ) from error
    messages = [line.strip() for line in (result.stderr + result.stdout).splitlines()]
    messages = [line for line in messages if line]
    if result.returncode != 0:
        raise SearchIndexError(
            [f"search_index: pagefind exited with {result.returncode}", *messages]
        )
    try:
        return indexed_pages(site, options)
    except (OSError, ValueError) as error:
        raise SearchIndexError(
            [f"search_index: pagefind wrote no usable index: {error}"]
        ) from error


def add_bundle_path(generator):
    """Templates get `search_bundle`, the index folder under the site root."""
    generator.env.globals["search_bundle"] = settings_for(generator.settings)["bundle_dir"].strip(
        "/"
    )


def index_site(pelican):
    """Index the folder this build wrote."""
    options = settings_for(pelican.settings)
    if not options["enabled"]:
        return
    # The preview serves a rebuilt page at once and indexes the site just
    # after (Pagefind reads every page: seconds for a large site).
    if run_after_swap(lambda output: build_index(output, options)):
        return
    pages = build_index(pelican.output_path, options)
    logger.info("search_index: indexed %s page(s)", sum(pages.values()))


def register():
    # The search page template reads `search_bundle` when it renders.
    signals.generator_init.connect(add_bundle_path)
    # Every HTML file is written by then, still in the staging folder.
    signals.finalized.connect(index_site)

"""Netlify's `_redirects`, from `content/redirects.txt` (`OLD NEW [301|302]`
lines, `#` comments) and the feed aliases of the settings. A bad line, a
duplicate, a target the site lacks or an old path a real file would shadow
stops the build. Netlify reads `_redirects` before netlify.toml."""

import logging
from pathlib import Path
from typing import NamedTuple

from pelican import signals

from sitetools.build.builder import BuildError

logger = logging.getLogger(__name__)

DEFAULTS = {
    # The data file, relative to the content folder (PATH).
    "file": "redirects.txt",
    # Old feed addresses -> the setting of the feed each leads to, when the
    # build writes it. A plain list of addresses leads to FEED_ALL_ATOM.
    "feed_aliases": {
        "/feed": "FEED_ALL_ATOM",
        "/rss": "FEED_ALL_RSS",
        "/atom.xml": "FEED_ALL_ATOM",
    },
    "default_status": 301,
}

FORMAT = "OLD-PATH NEW-PATH [301|302], e.g. /posts/old-slug/ /posts/new-slug/"


class Rule(NamedTuple):
    source: str
    target: str
    status: int
    origin: str  # "file:line" or "settings", for messages


def _slashless(path):
    return path.rstrip("/") or "/"


def _path_problems(source, target):
    for what, value in (("old path", source), ("new path", target)):
        if not value.startswith("/"):
            yield f"{what} {value!r} must be a path on this site starting with /"
        elif "*" in value or "/:" in value:
            yield f"{what} {value!r} has a wildcard or placeholder; list each old URL alone"
    if _slashless(source) == _slashless(target):
        yield f"old path {source!r} redirects to itself"


def parse_rules(text, origin, default_status=DEFAULTS["default_status"]):
    """Lines of a redirects file -> ([Rule], [problem])."""
    rules, problems = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        fields = raw.split("#", 1)[0].split()
        where = f"{origin}:{number}"
        if not fields:
            continue
        if len(fields) not in (2, 3):
            problems.append(f"{where}: expected {FORMAT}; got {raw.strip()!r}")
            continue
        status = fields[2] if len(fields) == 3 else str(default_status)
        found = list(_path_problems(fields[0], fields[1]))
        if status not in ("301", "302"):
            found = [f"status {status!r} is not one of 301, 302; leave it out for 301"]
        problems.extend(f"{where}: {problem}" for problem in found)
        if not found:
            rules.append(Rule(fields[0], fields[1], int(status), where))
    return rules, problems


def feed_rules(aliases, settings, status=DEFAULTS["default_status"]):
    """A rule per alias whose feed setting names a feed this build writes."""
    if not hasattr(aliases, "items"):
        aliases = dict.fromkeys(aliases, "FEED_ALL_ATOM")
    return [
        Rule(alias, "/" + str(settings[name]).lstrip("/"), status, "settings")
        for alias, name in aliases.items()
        if settings.get(name)
    ]


def site_problems(rules, output):
    """Duplicates; targets missing from the built site; old paths that a file
    there would shadow on Netlify."""

    def served(path):
        target = Path(output) / path.split("#", 1)[0].split("?", 1)[0].lstrip("/")
        return target.is_file() or (target / "index.html").is_file()

    seen, problems = {}, []
    for rule in rules:
        first = seen.setdefault(_slashless(rule.source), rule)
        if first is not rule:
            problems.append(
                f"{rule.origin}: old path {rule.source!r} is already redirected at "
                f"{first.origin}; keep one line"
            )
        if not served(rule.target):
            problems.append(
                f"{rule.origin}: new path {rule.target!r} is not a page of the built site; "
                "check the slug"
            )
        if served(rule.source):
            problems.append(
                f"{rule.origin}: old path {rule.source!r} is still a page of the site, "
                "so Netlify would serve it instead of redirecting; remove the line or the page"
            )
    return problems


def write_redirects(pelican):
    """Check every rule against the built site and write `_redirects`."""
    settings = pelican.settings
    options = {**DEFAULTS, **(settings.get("REDIRECTS") or {})}
    status = int(options["default_status"])
    rules = feed_rules(options["feed_aliases"], settings, status)
    data_file = Path(settings["PATH"]) / options["file"]
    problems = []
    if data_file.is_file():
        shown = f"{Path(settings['PATH']).name}/{options['file']}"
        found, problems = parse_rules(data_file.read_text(encoding="utf-8"), shown, status)
        rules += found
    problems += site_problems(rules, pelican.output_path)
    if problems:
        raise BuildError(problems)
    lines = ["# Written by the redirects plugin from content/redirects.txt and settings."]
    lines += [f"{rule.source}  {rule.target}  {rule.status}" for rule in rules]
    Path(pelican.output_path, "_redirects").write_text("\n".join(lines) + "\n", encoding="utf-8")


def register():
    # Targets can only be checked once every page of the site has been written.
    signals.finalized.connect(write_redirects)

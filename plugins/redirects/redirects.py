"""Netlify's `_redirects` file, written at build time from a data file.

An old URL is redirected by adding one line to `content/redirects.txt`:

    /posts/old-slug/   /posts/new-slug/

(an optional third field is the status, 301 or 302; `#` starts a comment). The
feed aliases come from settings, each naming the feed setting it follows:
/feed and /atom.xml lead to the main Atom feed (FEED_ALL_ATOM), /rss to the
main RSS feed (FEED_ALL_RSS). Every line is checked: a bad line, a
duplicate, a target that is not in the built site, or an old URL that a real
file would shadow stops the build with the file, the line and the fix.

Netlify reads `_redirects` before the [[redirects]] of netlify.toml, so the
rules here come first; netlify.toml keeps none.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from pelican import signals

logger = logging.getLogger(__name__)

DEFAULTS = {
    # The data file, relative to the content folder (PATH).
    "file": "redirects.txt",
    # Old feed addresses and the setting of the feed each leads to, when the
    # build writes that feed. A plain list of addresses leads to FEED_ALL_ATOM.
    "feed_aliases": {
        "/feed": "FEED_ALL_ATOM",
        "/rss": "FEED_ALL_RSS",
        "/atom.xml": "FEED_ALL_ATOM",
    },
    # Status when a line gives none: moved for good.
    "default_status": 301,
}

ALLOWED_STATUS = (301, 302)
FORMAT = "OLD-PATH NEW-PATH [301|302], e.g. /posts/old-slug/ /posts/new-slug/"


@dataclass(frozen=True)
class Rule:
    source: str
    target: str
    status: int
    origin: str  # "file:line" or "settings", for messages


class RedirectsError(Exception):
    """The redirects data is wrong; `problems` holds one line per problem."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's REDIRECTS dict."""
    return {**DEFAULTS, **(settings.get("REDIRECTS") or {})}


def _path_problem(value, what):
    if not value.startswith("/"):
        return f"{what} {value!r} must be a path on this site starting with /"
    if "*" in value or "/:" in value:
        return f"{what} {value!r} has a wildcard or placeholder; list each old URL on its own line"
    return None


def parse_rules(text, origin, default_status=DEFAULTS["default_status"]):
    """Lines of a redirects file -> ([Rule], [problem]). Pure: no file access."""
    rules, problems = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{origin}:{number}"
        fields = line.split()
        if len(fields) not in (2, 3):
            problems.append(f"{where}: expected {FORMAT}; got {raw.strip()!r}")
            continue
        source, target = fields[0], fields[1]
        status = default_status
        if len(fields) == 3:
            if not fields[2].isdigit() or int(fields[2]) not in ALLOWED_STATUS:
                problems.append(
                    f"{where}: status {fields[2]!r} is not one of "
                    f"{', '.join(map(str, ALLOWED_STATUS))}; leave it out for 301"
                )
                continue
            status = int(fields[2])
        found = [
            problem
            for problem in (_path_problem(source, "old path"), _path_problem(target, "new path"))
            if problem
        ]
        if _slashless(source) == _slashless(target):
            found.append(f"old path {source!r} redirects to itself")
        if found:
            problems.extend(f"{where}: {problem}" for problem in found)
            continue
        rules.append(Rule(source, target, status, where))
    return rules, problems


def feed_rules(aliases, settings, status=DEFAULTS["default_status"]):
    """The feed aliases as rules: each alias leads to the feed its setting
    names, and none is written for a feed the site does not write."""
    if not hasattr(aliases, "items"):
        aliases = dict.fromkeys(aliases, "FEED_ALL_ATOM")
    rules = []
    for alias, setting in aliases.items():
        feed_path = settings.get(setting)
        if feed_path:
            rules.append(Rule(alias, "/" + str(feed_path).lstrip("/"), status, "settings"))
    return rules


def _slashless(path):
    return path.rstrip("/") or "/"


def duplicate_problems(rules):
    """One problem per old path that appears twice (trailing slash ignored)."""
    seen, problems = {}, []
    for rule in rules:
        key = _slashless(rule.source)
        if key in seen:
            problems.append(
                f"{rule.origin}: old path {rule.source!r} is already redirected at "
                f"{seen[key].origin}; keep one line"
            )
        else:
            seen[key] = rule
    return problems


def _served(output, path):
    """Whether a static host would answer `path` with a file from `output`."""
    target = Path(output) / path.split("#", 1)[0].split("?", 1)[0].lstrip("/")
    return target.is_file() or (target / "index.html").is_file()


def site_problems(rules, output):
    """Targets must exist in the built site; old paths must not (a file there
    would shadow the redirect on Netlify)."""
    problems = []
    for rule in rules:
        if not _served(output, rule.target):
            problems.append(
                f"{rule.origin}: new path {rule.target!r} is not a page of the built site; "
                "check the slug"
            )
        if _served(output, rule.source):
            problems.append(
                f"{rule.origin}: old path {rule.source!r} is still a page of the site, "
                "so Netlify would serve it instead of redirecting; remove the line or the page"
            )
    return problems


def render(rules):
    """The text of Netlify's `_redirects` file."""
    lines = ["# Written by the redirects plugin from content/redirects.txt and settings."]
    lines += [f"{rule.source}  {rule.target}  {rule.status}" for rule in rules]
    return "\n".join(lines) + "\n"


def write_redirects(pelican):
    """Check every rule against the built site and write `_redirects`."""
    settings = pelican.settings
    options = settings_for(settings)
    status = int(options["default_status"])
    rules = feed_rules(options["feed_aliases"], settings, status)
    data_file = Path(settings["PATH"]) / options["file"]
    problems = []
    if data_file.is_file():
        shown = f"{Path(settings['PATH']).name}/{options['file']}"
        found, problems = parse_rules(data_file.read_text(encoding="utf-8"), shown, status)
        rules += found
    problems += duplicate_problems(rules)
    problems += site_problems(rules, pelican.output_path)
    if problems:
        raise RedirectsError(problems)
    Path(pelican.output_path, "_redirects").write_text(render(rules), encoding="utf-8")
    logger.debug("redirects: wrote %d rules", len(rules))


def register():
    # Targets can only be checked once every page of the site has been written.
    signals.finalized.connect(write_redirects)

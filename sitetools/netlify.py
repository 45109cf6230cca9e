"""What Netlify does with our configuration, in plain functions.

The build uses `site_url()` to pick the site's address from Netlify's build
environment; the preview (and the tests) send the headers that `netlify.toml`
gives a path, as Netlify would. Each function follows Netlify's own
implementation or documentation, cited where it decides something.
"""

import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "netlify.toml"

# Netlify's read-only build variables (docs.netlify.com, "Build environment
# variables"): CONTEXT names the deploy context, URL is the site's main address,
# DEPLOY_PRIME_URL the address of this context (deploy-preview-N--site.netlify.app
# for a pull request, branch--site.netlify.app for a branch deploy).
PREVIEW_CONTEXTS = ("deploy-preview", "branch-deploy")


class SiteUrlError(ValueError):
    """An environment variable holds something that is not a site address."""


def site_url(environ, default):
    """The production SITEURL for this build, without a trailing slash.

    An explicit SITEURL wins; otherwise Netlify's production context uses URL
    and its preview contexts use DEPLOY_PRIME_URL, so a preview's links and
    feeds point at the preview; anywhere else, `default`.
    """
    context = environ.get("CONTEXT", "")
    for name, applies in (
        ("SITEURL", True),
        ("URL", context == "production"),
        ("DEPLOY_PRIME_URL", context in PREVIEW_CONTEXTS),
    ):
        value = (environ.get(name) or "").strip()
        if applies and value:
            return _checked_url(name, value)
    return default.rstrip("/")


# A host name's labels (RFC 1123), an IPv4 address, or an IPv6 one in brackets.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\]")


def url_problem(value):
    """What keeps `value` from being a site's address, or None when it is one:
    http(s), a host, an optional port and path; no spaces, user, query or
    fragment, which would end up in every link and feed."""
    try:
        parts = urlsplit(value)
        host = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
    except ValueError as error:  # urlsplit's own refusals: a bad port, a bad IPv6
        return str(error)
    checks = (
        (
            any(char.isspace() or not char.isprintable() for char in value),
            "it has a space or control character",
        ),
        (parts.scheme not in ("http", "https"), "it does not start with https:// or http://"),
        (not parts.hostname, "it names no host"),
        ("@" in parts.netloc, "it holds a user name"),
        (not _HOST.fullmatch(host), f"'{parts.netloc}' is not a host name"),
        (parts.query or parts.fragment or "?" in value or "#" in value, "it has a ? or #"),
    )
    return next((why for failed, why in checks if failed), None)


def _checked_url(name, value):
    problem = url_problem(value)
    if problem:
        where = "the environment" if name == "SITEURL" else "Netlify's build environment"
        fix = (
            "set it to the site's full URL, e.g. https://blog.example.org, or unset it"
            if name == "SITEURL"
            else "set SITEURL to the site's full URL, e.g. https://blog.example.org"
        )
        raise SiteUrlError(
            f"{name}={value!r} from {where} is not a site address ({problem}); {fix}"
        )
    return value.rstrip("/")


def load_config(path=CONFIG):
    """netlify.toml as a dict."""
    with open(path, "rb") as handle:
        return tomllib.load(handle)


# ---------------------------------------------------------------------------
# Headers
#
# How a `for` pattern matches, and how a multi-line value is folded, follow
# Netlify's header parser (netlify/build, packages/headers-parser/src/
# for_regexp.ts and normalize.ts). How several matching rules combine follows
# Netlify's implementation of its custom-headers engine (netlify/primitives,
# packages/headers/src/lib/headersForPath.ts, also used by the Netlify CLI):
# every rule whose `for` matches the path applies, in file order, and a header
# set by a later rule replaces the same header set by an earlier one; values
# are not concatenated. The same rule is documented for one path repeated in
# netlify.toml (headers-parser/src/merge.ts: "the later one overrides (does
# not concatenate) any earlier ones"). Netlify's custom-headers page does not
# spell out the case of two different patterns; keep a rule that narrows
# another one (the search page's CSP) after the rule it narrows.
# ---------------------------------------------------------------------------


def for_regex(pattern):
    """The regular expression Netlify builds from a `for` pattern."""
    parts = [part.rstrip() for part in pattern.strip().split("/")]
    pieces = []
    for part in filter(None, parts):
        if part.startswith(":"):
            pieces.append("([^/]+)")  # a placeholder: one path segment
        elif part == "*":
            pieces.append("?(.*)")  # a standalone splat: the rest, or nothing
        elif "*" in part:
            pieces.append(part.replace("*", "(.*)"))
        else:
            pieces.append(re.escape(part))
    return re.compile(f"^/{'/'.join(pieces)}/?$", re.IGNORECASE)


def fold_value(value):
    """A header value as Netlify sends it: a multi-line TOML string or a list
    becomes one line, its parts joined by ", "."""
    if isinstance(value, list):
        return ", ".join(str(item).strip() for item in value)
    return ", ".join(re.split(r"\s*,\s*", str(value).strip()))


def header_rules(config):
    """[(for pattern, compiled regex, {name: value})] in file order."""
    rules = []
    for rule in config.get("headers", []):
        values = {name.strip(): fold_value(value) for name, value in rule["values"].items()}
        rules.append((rule["for"], for_regex(rule["for"]), values))
    return rules


def headers_for(config, path):
    """The custom headers Netlify sends for `path` (a URL path, no query)."""
    merged = {}
    for _pattern, regex, values in header_rules(config):
        if regex.match(path):
            merged.update(values)  # a later rule replaces the same header
    # Header names that differ only in case stay two keys in Netlify's engine
    # and go out as two fields, which HTTP reads as one comma-joined field.
    combined = {}
    for name, value in merged.items():
        key = name.lower()
        combined[key] = f"{combined[key]}, {value}" if key in combined else value
    return combined


def csp_directives(policy):
    """A Content-Security-Policy value as {directive: [sources]}."""
    directives = {}
    for chunk in policy.split(";"):
        words = chunk.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives

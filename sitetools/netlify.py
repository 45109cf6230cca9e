"""What Netlify does with our configuration, in plain functions: the site's
address from Netlify's build environment (for publishconf.py), and the headers
netlify.toml gives a path (for the preview and the tests)."""

import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

CONFIG = Path(__file__).resolve().parent.parent / "netlify.toml"

# The variable holding each Netlify deploy context's own address
# (docs.netlify.com, "Build environment variables").
CONTEXT_URL = {"production": "URL", "deploy-preview": "DEPLOY_PRIME_URL",
               "branch-deploy": "DEPLOY_PRIME_URL"}  # fmt: skip


class SiteUrlError(ValueError):
    """An environment variable holds something that is not a site address."""


def site_url(environ, default):
    """The production SITEURL, without a trailing slash: SITEURL if set, else
    Netlify's URL in production and DEPLOY_PRIME_URL in a preview context (so
    a preview's links and feeds point at the preview), else `default`."""
    for name in filter(None, ("SITEURL", CONTEXT_URL.get(environ.get("CONTEXT", "")))):
        if not (value := (environ.get(name) or "").strip()):
            continue
        if problem := url_problem(value):
            where = "the environment" if name == "SITEURL" else "Netlify's build environment"
            raise SiteUrlError(
                f"{name}={value!r} from {where} is not a site address ({problem}); set SITEURL"
                " to the site's full URL, e.g. https://blog.example.org"
                + (", or unset it" if name == "SITEURL" else "")
            )
        return value.rstrip("/")
    return default.rstrip("/")


# A host name's labels (RFC 1123), an IPv4 address, or an IPv6 one in brackets.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\]")


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
        (not value.isprintable() or " " in value, "it has a space or control character"),
        (parts.scheme not in ("http", "https"), "it does not start with https:// or http://"),
        (not parts.hostname, "it names no host"),
        ("@" in parts.netloc, "it holds a user name"),
        (not HOST.fullmatch(host), f"'{parts.netloc}' is not a host name"),
        (parts.query or parts.fragment or "?" in value or "#" in value, "it has a ? or #"),
    )  # fmt: skip
    return next((why for failed, why in checks if failed), None)


def load_config(path=CONFIG):
    """netlify.toml as a dict."""
    return tomllib.loads(Path(path).read_text(encoding="utf-8"))


# Headers as Netlify sends them. A `for` pattern and a multi-line value are read
# as Netlify's parser does (netlify/build, packages/headers-parser: for_regexp.ts,
# normalize.ts); every rule whose `for` matches applies, in file order, a later
# one replacing the same header of an earlier one, values not concatenated
# (netlify/primitives, packages/headers/src/lib/headersForPath.ts). Keep a rule
# that narrows another (the search page's CSP) after the rule it narrows.


def for_regex(pattern):
    """The regular expression Netlify builds from a `for` pattern."""
    pieces = []
    for part in filter(None, (part.rstrip() for part in pattern.strip().split("/"))):
        if part.startswith(":"):
            pieces.append("([^/]+)")  # a placeholder: one path segment
        elif part == "*":
            pieces.append("?(.*)")  # a standalone splat: the rest, or nothing
        else:  # Netlify escapes only a part without a splat
            pieces.append(part.replace("*", "(.*)") if "*" in part else re.escape(part))
    return re.compile(f"^/{'/'.join(pieces)}/?$", re.IGNORECASE)


def _folded(value):
    """A multi-line TOML string or a list as one line, its parts joined by ", "."""
    parts = value if isinstance(value, list) else str(value).split(",")
    return ", ".join(str(part).strip() for part in parts)


def header_rules(config):
    """[(for pattern, compiled regex, {name: value})] in file order."""
    return [
        (
            rule["for"],
            for_regex(rule["for"]),
            {k.strip(): _folded(v) for k, v in rule["values"].items()},
        )
        for rule in config.get("headers", [])
    ]


def headers_for(config, path):
    """The custom headers Netlify sends for `path` (a URL path, no query)."""
    merged = {}
    for _pattern, regex, values in header_rules(config):
        if regex.match(path):
            merged.update(values)
    # Names that differ only in case go out as two fields, which HTTP reads as
    # one comma-joined field.
    combined = {}
    for name, value in merged.items():
        key = name.lower()
        combined[key] = f"{combined[key]}, {value}" if key in combined else value
    return combined


def csp_directives(policy):
    """A Content-Security-Policy value as {directive: [sources]}."""
    return {words[0].lower(): words[1:] for words in map(str.split, policy.split(";")) if words}

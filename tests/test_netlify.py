"""netlify.toml, read with tomllib: build settings, every header and cache rule,
and the emulation of Netlify's header matching that the browser tests rely on."""

import hashlib
import re
import sys
from pathlib import Path

import pytest

from sitetools.netlify import (
    SiteUrlError,
    csp_directives,
    for_regex,
    header_rules,
    headers_for,
    load_config,
    site_url,
)

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"
TWO_YEARS = 2 * 365 * 24 * 3600


@pytest.fixture(scope="module")
def config():
    return load_config()


# --- site_url: which address a build links to -------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "https://default.test"),
        ({"CONTEXT": "production", "URL": "https://blog.example.org"}, "https://blog.example.org"),
        (
            {
                "CONTEXT": "deploy-preview",
                "URL": "https://blog.example.org",
                "DEPLOY_PRIME_URL": "https://deploy-preview-7--blog.netlify.app",
            },
            "https://deploy-preview-7--blog.netlify.app",
        ),
        (
            {
                "CONTEXT": "branch-deploy",
                "URL": "https://blog.example.org",
                "DEPLOY_PRIME_URL": "https://drafts--blog.netlify.app/",
            },
            "https://drafts--blog.netlify.app",
        ),
        (
            {
                "CONTEXT": "deploy-preview",
                "SITEURL": "https://pinned.example.org/",
                "DEPLOY_PRIME_URL": "https://deploy-preview-7--blog.netlify.app",
            },
            "https://pinned.example.org",
        ),
        # A production build never takes the preview address, nor the reverse.
        (
            {"CONTEXT": "production", "DEPLOY_PRIME_URL": "https://main--blog.netlify.app"},
            "https://default.test",
        ),
        ({"CONTEXT": "deploy-preview", "URL": "https://blog.example.org"}, "https://default.test"),
        ({"SITEURL": "  "}, "https://default.test"),
    ],
)
def test_site_url_follows_netlify_context(environ, expected):
    assert site_url(environ, default="https://default.test/") == expected


def test_site_url_rejects_an_address_without_scheme():
    with pytest.raises(SiteUrlError, match=r"SITEURL='blog\.example\.org'.*full URL"):
        site_url({"SITEURL": "blog.example.org"}, default="https://default.test")


def test_publishconf_takes_the_preview_address(monkeypatch):
    from sitetools.build.builder import load_settings

    monkeypatch.delenv("SITEURL", raising=False)
    monkeypatch.setenv("CONTEXT", "deploy-preview")
    monkeypatch.setenv("URL", "https://blog.example.org")
    monkeypatch.setenv("DEPLOY_PRIME_URL", "https://deploy-preview-3--blog.netlify.app")
    settings = load_settings("publishconf.py")
    assert settings["SITEURL"] == "https://deploy-preview-3--blog.netlify.app"
    assert settings["FEED_DOMAIN"] == settings["SITEURL"], "feeds must point at the preview too"


# --- the emulation: Netlify's matching and combining rules -------------------


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        # Cases from Netlify's own tests of its header engine.
        ("/", "/", True),
        ("/", "/placeholder", False),
        ("/*", "/", True),
        ("/*", "/placeholder", True),
        ("/static-path/*", "/static-path", True),
        ("/static-path/*", "/static-path/placeholder", True),
        ("/:placeholder/index.html", "/placeholder/index.html", True),
        ("/:placeholder/index.html", "/a/b/index.html", False),
        ("/directory/*/test.html", "/directory/placeholder/test.html", True),
        # Ours.
        ("/search/*", "/search/", True),
        ("/search/*", "/search/index.html", True),
        # Netlify's regex for "/x/*" is ^/x/?(.*)/?$: it also matches "/xy".
        # No path of ours starts like one of our folders (checked on the built site).
        ("/search/*", "/searching/", True),
        ("/search/*", "/posts/search/", False),
        ("/pagefind/fragment/*", "/pagefind/fragment/en_1a2b3c4.pf_fragment", True),
        ("/pagefind/fragment/*", "/pagefind/pagefind.js", False),
    ],
)
def test_for_pattern_matching(pattern, path, matches):
    assert bool(for_regex(pattern).match(path)) is matches


def _rules(*rules):
    return {"headers": [{"for": pattern, "values": values} for pattern, values in rules]}


def test_every_matching_rule_applies_and_a_later_one_replaces_a_header():
    config = _rules(
        ("/*", {"X-A": "site", "X-B": "site"}),
        ("/narrow/*", {"X-B": "narrow"}),
        ("/other/*", {"X-B": "other"}),
    )
    assert headers_for(config, "/narrow/page/") == {"x-a": "site", "x-b": "narrow"}
    assert headers_for(config, "/elsewhere/") == {"x-a": "site", "x-b": "site"}


def test_rule_order_decides_which_value_wins():
    narrow_last = _rules(("/*", {"X-B": "site"}), ("/narrow/*", {"X-B": "narrow"}))
    narrow_first = _rules(("/narrow/*", {"X-B": "narrow"}), ("/*", {"X-B": "site"}))
    assert headers_for(narrow_last, "/narrow/")["x-b"] == "narrow"
    assert headers_for(narrow_first, "/narrow/")["x-b"] == "site"


def test_names_differing_in_case_go_out_as_two_fields():
    config = _rules(("/*", {"Cache-Control": "a"}), ("/x/*", {"cache-control": "b"}))
    assert headers_for(config, "/x/") == {"cache-control": "a, b"}


def test_a_multi_line_value_is_folded_onto_one_line():
    config = _rules(("/*", {"Cache-Control": "public,\n  max-age=0,\n  must-revalidate"}))
    assert headers_for(config, "/")["cache-control"] == REVALIDATE


# --- netlify.toml itself ------------------------------------------------------


def test_build_settings(config):
    build = config["build"]
    assert build["command"] == "invoke publish", "Netlify must run the checked production build"
    assert build["publish"] == "output"
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    pinned = build["environment"]["PYTHON_VERSION"]
    assert pinned == running, f"Netlify builds with Python {pinned}, the tests run {running}"
    for context in ("production", "deploy-preview", "branch-deploy"):
        assert config["context"][context]["command"] == "invoke publish", context
    assert "redirects" not in config, "redirects belong in content/redirects.txt"


def test_node_version_is_pinned(config):
    # The build-cache plugin runs on Netlify's Node: pinned, an LTS (even) line.
    pinned = config["build"]["environment"].get("NODE_VERSION")
    assert pinned, "NODE_VERSION is not pinned: the plugin would run on Netlify's default"
    assert re.fullmatch(r"\d+", pinned) and int(pinned) % 2 == 0 and int(pinned) >= 20, pinned


PAGES = ["/", "/posts/some-post/", "/tags/llm/", "/about/", "/404.html", "/archives/"]
SEARCH = ["/search/", "/search/index.html", "/pagefind/pagefind-worker.js"]


@pytest.mark.parametrize("path", PAGES + SEARCH + ["/feeds/all.atom.xml", "/assets/css/x.css"])
def test_every_path_gets_the_security_headers(config, path):
    headers = headers_for(config, path)
    hsts = headers["strict-transport-security"]
    max_age = re.search(r"max-age=(\d+)", hsts)
    assert max_age and int(max_age.group(1)) >= TWO_YEARS, hsts
    assert "includeSubDomains" in hsts
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["x-frame-options"] == "DENY"
    features = dict(item.strip().split("=", 1) for item in headers["permissions-policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "display-capture"):
        assert features.get(feature) == "()", f"{path}: {feature} is not turned off"
    assert all(value == "()" for value in features.values()), features


@pytest.mark.parametrize("path", PAGES + SEARCH)
def test_content_security_policy(config, path):
    policy = headers_for(config, path)["content-security-policy"]
    assert "," not in policy, f"{path}: more than one policy"
    csp = csp_directives(policy)
    assert csp["default-src"] == ["'none'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    sources = [source for values in csp.values() for source in values]
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "https:", "http:"):
        assert unsafe not in sources, f"{path}: {unsafe} in {policy}"
    if path in SEARCH:
        assert csp["script-src"] == ["'self'", "'wasm-unsafe-eval'"], policy
        assert csp["connect-src"] == ["'self'"], policy
        assert csp["img-src"] == ["'self'", "data:"], policy
    else:
        assert "script-src" not in csp, f"{path}: scripts are allowed outside search: {policy}"
        assert "connect-src" not in csp, policy
        assert csp["img-src"] == ["'self'"], policy


@pytest.mark.parametrize(
    ("path", "cache"),
    [
        ("/", REVALIDATE),
        ("/posts/some-post/", REVALIDATE),
        ("/search/", REVALIDATE),
        ("/feeds/all.atom.xml", REVALIDATE),
        ("/feeds/all.rss.xml", REVALIDATE),
        ("/feeds/tag-llm.atom.xml", REVALIDATE),
        ("/sitemap.xml", REVALIDATE),
        ("/theme/css/main.css", REVALIDATE),
        ("/assets/css/main.0123456789.css", IMMUTABLE),
        ("/social/some-post-0123456789.png", IMMUTABLE),
        ("/pagefind/fragment/en_1a2b3c4.pf_fragment", IMMUTABLE),
        ("/pagefind/index/en_1a2b3c4.pf_index", IMMUTABLE),
        ("/pagefind/filter/en_1a2b3c4.pf_filter", IMMUTABLE),
        # Pagefind's entry files keep their names from build to build.
        ("/pagefind/pagefind.js", REVALIDATE),
        ("/pagefind/pagefind-ui.js", REVALIDATE),
        ("/pagefind/pagefind-ui.css", REVALIDATE),
        ("/pagefind/pagefind-entry.json", REVALIDATE),
        ("/pagefind/pagefind-worker.js", REVALIDATE),
        ("/pagefind/wasm.en.pagefind", REVALIDATE),
        ("/pagefind/pagefind.en_39a9447ed1.pf_meta", REVALIDATE),
    ],
)
def test_cache_rules(config, path, cache):
    assert headers_for(config, path)["cache-control"] == cache, [
        pattern for pattern, regex, _ in header_rules(config) if regex.match(path)
    ]


# --- the built site against the cache rules ----------------------------------

_HASH_IN_NAME = re.compile(r"[._-]([0-9a-f]{7,64})\.[A-Za-z0-9_]+$")


def test_nothing_unhashed_is_cached_as_immutable(config, prod_site):
    immutable = []
    for file in sorted(Path(prod_site).rglob("*")):
        if not file.is_file():
            continue
        path = "/" + file.relative_to(prod_site).as_posix()
        if "immutable" not in headers_for(config, path)["cache-control"]:
            continue
        immutable.append(path)
        found = _HASH_IN_NAME.search(file.name)
        assert found, f"{path} is cached as immutable but its name carries no hash"
        if path.startswith("/assets/"):
            digest = hashlib.sha256(file.read_bytes()).hexdigest()
            assert digest.startswith(found.group(1)), f"{path}: name hash is not its content's"
    assert any(path.startswith("/assets/css/main.") for path in immutable), immutable


def test_only_search_files_get_the_search_policy(config, prod_site):
    site_policy = headers_for(config, "/")["content-security-policy"]
    for file in sorted(Path(prod_site).rglob("*")):
        path = "/" + file.relative_to(prod_site).as_posix()
        if file.is_file() and not path.startswith(("/search/", "/pagefind/")):
            assert headers_for(config, path)["content-security-policy"] == site_policy, path

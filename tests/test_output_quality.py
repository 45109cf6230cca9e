"""Static quality gates over the whole production output: the critical path
fits the first round trip, nothing needs a script, nothing comes from another
origin, images keep their space, and two builds of the same sources are
byte-identical. Every failure names the page and the figure.

The checks are pure functions of a parsed page, each shown to catch a bad
snippet first, then run over every page the build wrote.
"""

import difflib
import gzip
import os
import re
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup

from tests.conftest import (
    REQUIRED_KINDS,
    ROOT,
    file_for,
    is_same_origin,
    local_target,
    pages_by_kind,
    read_html,
)

# The first round trip of a new TCP connection carries ten segments: ~14 KiB.
CRITICAL_PATH_BUDGET = 14 * 1024

_JS_TYPES = {"", "text/javascript", "application/javascript", "module"}
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?['"]?([^'")\s;]+)""")
_FONT_FACE = re.compile(r"@font-face\s*{([^}]*)}", re.S)
# Resource-loading <link> relations; canonical, alternate, prev/next are links.
_RESOURCE_RELS = {
    "stylesheet",
    "preload",
    "modulepreload",
    "prefetch",
    "preconnect",
    "dns-prefetch",
    "icon",
    "apple-touch-icon",
    "mask-icon",
    "manifest",
}


def gz_size(data):
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def is_executable(script):
    return (script.get("type") or "").strip().lower() in _JS_TYPES


def blocking_scripts(soup):
    """Scripts that stop the parser: executable, and neither async, defer nor a module."""
    return [
        s
        for s in soup.find_all("script")
        if is_executable(s)
        and (s.get("type") or "").lower() != "module"
        and not s.has_attr("async")
        and not s.has_attr("defer")
    ]


def inline_scripts(soup):
    """Executable scripts written into the page (JSON-LD is data, not script)."""
    return [s for s in soup.find_all("script") if is_executable(s) and not s.has_attr("src")]


def render_blocking_stylesheets(soup):
    return [
        link
        for link in soup.find_all("link", href=True)
        if "stylesheet" in (link.get("rel") or [])
        and (link.get("media") or "all").strip().lower() != "print"
    ]


def resource_references(soup):
    """(element, attribute, url) for everything the page itself loads."""
    found = []
    for link in soup.find_all("link", href=True):
        if _RESOURCE_RELS & {rel.lower() for rel in link.get("rel") or []}:
            found.append((link, "href", link["href"]))
    for tag, attribute in (
        ("script", "src"),
        ("img", "src"),
        ("source", "src"),
        ("iframe", "src"),
        ("video", "src"),
        ("video", "poster"),
        ("audio", "src"),
        ("track", "src"),
        ("embed", "src"),
        ("object", "data"),
        ("input", "src"),
    ):
        for element in soup.find_all(tag, attrs={attribute: True}):
            found.append((element, attribute, element[attribute]))
    for element in soup.find_all(["img", "source"], srcset=True):
        for candidate in element["srcset"].split(","):
            if candidate.strip():
                found.append((element, "srcset", candidate.split()[0]))
    return found


def css_references(css_text):
    """Every url() and @import in a stylesheet."""
    return [m.group(2) for m in _CSS_URL.finditer(css_text)] + [
        m.group(1) for m in _CSS_IMPORT.finditer(css_text)
    ]


def font_face_sources(css_text):
    """The font file a browser fetches per @font-face: the first url() in src."""
    sources = []
    for block in _FONT_FACE.findall(css_text):
        first = _CSS_URL.search(block)
        if first:
            sources.append(first.group(2))
    return sources


def images_without_dimensions(soup):
    bad = []
    for img in soup.find_all("img"):
        sizes = [img.get("width", ""), img.get("height", "")]
        if not all(str(value).strip().isdigit() and int(value) > 0 for value in sizes):
            bad.append(img)
    return bad


def short(element):
    return " ".join(str(element).split())[:160]


# ---- The checks catch what they should ----------------------------------------


@pytest.mark.parametrize(
    ("snippet", "blocking"),
    [
        ('<script src="/a.js"></script>', 1),
        ("<script>document.title = 'x'</script>", 1),
        ('<script src="/a.js" defer></script>', 0),
        ('<script src="/a.js" async></script>', 0),
        ('<script type="module" src="/a.js"></script>', 0),
        ('<script type="application/ld+json">{"@type": "Blog"}</script>', 0),
    ],
)
def test_blocking_script_check(snippet, blocking):
    soup = BeautifulSoup(f"<head>{snippet}</head>", "html.parser")
    assert len(blocking_scripts(soup)) == blocking, snippet


@pytest.mark.parametrize(
    ("snippet", "foreign"),
    [
        ('<link rel="stylesheet" href="https://cdn.example/x.css">', 1),
        ('<link rel="preconnect" href="https://fonts.example">', 1),
        ('<script src="//cdn.example/x.js"></script>', 1),
        ('<img src="https://img.example/a.png" width="1" height="1" alt="">', 1),
        ('<img srcset="/a.png 1x, https://img.example/a.png 2x" alt="">', 1),
        ('<link rel="stylesheet" href="https://blog.example/theme/css/main.css">', 0),
        ('<link rel="stylesheet" href="../theme/css/main.css">', 0),
        ('<link rel="canonical" href="https://elsewhere.example/">', 0),
        ('<a href="https://elsewhere.example/">a link to read later</a>', 0),
        ('<img src="data:image/gif;base64,R0lGOD" width="1" height="1" alt="">', 0),
    ],
)
def test_foreign_resource_check(snippet, foreign):
    soup = BeautifulSoup(snippet, "html.parser")
    refs = resource_references(soup)
    outside = [url for _, _, url in refs if not is_same_origin("https://blog.example", "/", url)]
    assert len(outside) == foreign, (snippet, outside)


def test_css_checks_find_imports_fonts_and_urls():
    css = """@import url("https://fonts.example/css");
    @font-face { font-family: A; src: url(/f/a.woff2) format("woff2"), url(/f/a.woff); }
    .x { background: url('https://img.example/b.png'); }"""
    assert font_face_sources(css) == ["/f/a.woff2"]
    assert set(css_references(css)) == {
        "https://fonts.example/css",
        "/f/a.woff2",
        "/f/a.woff",
        "https://img.example/b.png",
    }


@pytest.mark.parametrize(
    ("snippet", "bad"),
    [
        ('<img src="/a.png" alt="">', 1),
        ('<img src="/a.png" width="640" alt="">', 1),
        ('<img src="/a.png" width="auto" height="480" alt="">', 1),
        ('<img src="/a.png" width="640" height="480" alt="">', 0),
    ],
)
def test_image_dimension_check(snippet, bad):
    soup = BeautifulSoup(snippet, "html.parser")
    assert len(images_without_dimensions(soup)) == bad, snippet


# ---- Over the whole production output --------------------------------------------


@pytest.fixture(scope="module")
def prod_pages(prod_site):
    return pages_by_kind(prod_site)


def every_page(prod_site, prod_pages):
    for kind, urls in prod_pages.items():
        for url in urls:
            yield kind, url, read_html(file_for(prod_site, url))


def test_the_build_has_every_page_kind(prod_pages):
    missing = [kind for kind in REQUIRED_KINDS if kind not in prod_pages]
    assert not missing, f"the production build has no page of kind {missing}"


def critical_path(output, siteurl, page_url, soup):
    """[(what, url, gzip bytes)] for the HTML and everything that blocks its
    first render: stylesheets (with their @imports), their fonts, preloaded
    fonts, and parser-blocking scripts."""
    parts = [("html", page_url, gz_size(file_for(output, page_url).read_bytes()))]
    missing = []

    def add(what, base_url, reference):
        target = local_target(output, siteurl, base_url, reference)
        if target is None or not target.is_file():
            missing.append(f"{what} {reference}")
            return None
        parts.append((what, reference, gz_size(target.read_bytes())))
        return target

    def add_stylesheet(base_url, reference):
        target = add("stylesheet", base_url, reference)
        if target is None:
            return
        css = target.read_text(encoding="utf-8")
        css_url = "/" + target.relative_to(output).as_posix()
        for imported in (m.group(1) for m in _CSS_IMPORT.finditer(css)):
            add_stylesheet(css_url, imported)
        for font in font_face_sources(css):
            add("font", css_url, font)

    for link in render_blocking_stylesheets(soup):
        add_stylesheet(page_url, link["href"])
    for link in soup.find_all("link", href=True, attrs={"as": "font"}):
        if "preload" in (link.get("rel") or []):
            add("font", page_url, link["href"])
    for script in blocking_scripts(soup):
        if script.has_attr("src"):
            add("script", page_url, script["src"])
    return parts, missing


def test_critical_path_of_front_page_and_every_article_fits_14_kib(
    prod_site, prod_siteurl, prod_pages
):
    report, failures = [], []
    for kind in ("front", "article"):
        for url in prod_pages[kind]:
            soup = read_html(file_for(prod_site, url))
            parts, missing = critical_path(prod_site, prod_siteurl, url, soup)
            total = sum(size for _, _, size in parts)
            detail = ", ".join(f"{what} {ref} {size} B" for what, ref, size in parts)
            report.append(f"{url}: {total} B")
            if missing:
                failures.append(f"{url}: critical resources not in the output: {missing}")
            if total > CRITICAL_PATH_BUDGET:
                failures.append(
                    f"{url}: critical path {total} B gzipped > {CRITICAL_PATH_BUDGET} B ({detail})"
                )
    assert not failures, "\n".join(failures)
    print("critical path (gzip):", "; ".join(report))


def test_no_page_needs_a_script_to_be_read(prod_site, prod_pages):
    failures = []
    for kind, url, soup in every_page(prod_site, prod_pages):
        head = soup.find("head")
        for script in blocking_scripts(head) if head else []:
            failures.append(f"{url}: render-blocking script in <head>: {short(script)}")
        for script in inline_scripts(soup):
            failures.append(f"{url}: inline script (CSP forbids it): {short(script)}")
        main = soup.select_one("main")
        heading = main.find("h1") if main else None
        if heading is None or not heading.get_text(strip=True):
            failures.append(f"{url} ({kind}): no <h1> with text in the HTML's <main>")
        if kind in ("front", "tag"):
            cards = main.select(".card") if main else []
            if not cards:
                failures.append(f"{url} ({kind}): no post cards in the HTML")
        if kind == "article":
            words = len(main.get_text(" ", strip=True).split()) if main else 0
            if words < 100:
                failures.append(f"{url}: only {words} words of the article are in the HTML")
    assert not failures, "\n".join(failures)


def test_no_page_loads_anything_from_another_origin(prod_site, prod_siteurl, prod_pages):
    assert prod_siteurl.startswith("https://"), f"production SITEURL {prod_siteurl!r}"
    failures = []
    for _, url, soup in every_page(prod_site, prod_pages):
        for element, attribute, reference in resource_references(soup):
            if not is_same_origin(prod_siteurl, url, reference):
                failures.append(f"{url}: <{element.name} {attribute}={reference!r}>")
    for css_file in sorted(prod_site.rglob("*.css")):
        css_url = "/" + css_file.relative_to(prod_site).as_posix()
        for reference in css_references(css_file.read_text(encoding="utf-8")):
            if not is_same_origin(prod_siteurl, css_url, reference):
                failures.append(f"{css_url}: url({reference})")
    assert not failures, "resources from another origin:\n" + "\n".join(failures)


def test_every_image_has_width_and_height(prod_site, prod_pages):
    failures = [
        f"{url}: {short(img)}"
        for _, url, soup in every_page(prod_site, prod_pages)
        for img in images_without_dimensions(soup)
    ]
    assert not failures, "images without width and height:\n" + "\n".join(failures)


# ---- Determinism ------------------------------------------------------------------

_BUILD = "import sys; from sitetools.build.builder import build; build('publishconf.py', sys.argv[1], {'CACHE_PATH': sys.argv[2]})"  # noqa: E501


def build_in_fresh_process(base, timezone):
    """A production build in its own Python process, so no state a plugin keeps
    between runs (a clock read at import, a cache) is shared with another build."""
    env = {**os.environ, "TZ": timezone}
    output, cache = base / "output", base / "cache"
    done = subprocess.run(
        [sys.executable, "-c", _BUILD, str(output), str(cache)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"build in {timezone} failed:\n{done.stderr[-3000:]}"
    return output


def first_difference(one, other):
    """'line N: ... / ...' for text, 'byte N' for binary."""
    try:
        left = one.decode("utf-8").splitlines()
        right = other.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        at = next(
            (i for i, (a, b) in enumerate(zip(one, other, strict=False)) if a != b),
            min(len(one), len(other)),
        )
        return f"byte {at} (sizes {len(one)} and {len(other)})"
    for number, (a, b) in enumerate(zip(left, right, strict=False), start=1):
        if a != b:
            return f"line {number}:\n  first:  {a[:300]}\n  second: {b[:300]}"
    return (
        f"line {min(len(left), len(right)) + 1}: one file is longer "
        + "".join(difflib.unified_diff(left, right, lineterm="", n=0))[:300]
    )


@pytest.mark.slow
def test_two_production_builds_are_byte_identical(tmp_path_factory):
    # Build in two time zones 26 hours apart (POSIX TZ strings: UTC-12 and UTC+14,
    # no tzdata needed), one after the other, so seconds apart: anything that
    # leaks the build's clock, date or zone into a file shows up.
    first = build_in_fresh_process(tmp_path_factory.mktemp("repro-a"), "WEST+12")
    second = build_in_fresh_process(tmp_path_factory.mktemp("repro-b"), "EAST-14")

    def files(root):
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}

    names_one, names_two = files(first), files(second)
    assert names_one == names_two, (
        f"the builds wrote different files: only in the first {sorted(names_one - names_two)}, "
        f"only in the second {sorted(names_two - names_one)}"
    )
    assert len(names_one) > 20, f"only {len(names_one)} files built"
    differing = [
        n for n in sorted(names_one) if (first / n).read_bytes() != (second / n).read_bytes()
    ]
    assert not differing, (
        f"{len(differing)} of {len(names_one)} files differ between two builds of the same "
        f"sources ({', '.join(differing[:10])}); first: {differing[0]}, "
        + first_difference(
            (first / differing[0]).read_bytes(), (second / differing[0]).read_bytes()
        )
    )
    for name in sorted(names_one):
        data = (first / name).read_bytes()
        for leaked in (str(first.parent), str(tmp_path_factory.getbasetemp()), str(ROOT)):
            assert leaked.encode() not in data, f"{name} contains the machine path {leaked}"

"""Fingerprinted theme assets: hashed names from content, pages linking them, and
stylesheets whose font references follow the fonts' hashed names."""

import hashlib
from pathlib import Path

import pytest

from plugins.hashed_assets.hashed_assets import (
    AssetError,
    asset_url,
    build_manifest,
    hashed_name,
    rewrite_css_urls,
)
from tests.conftest import ROOT

THEME_CSS = ROOT / "theme" / "static" / "css" / "main.css"


@pytest.mark.parametrize(
    ("relpath", "digest", "expected"),
    [
        ("css/main.css", "1a2b3c", "css/main.1a2b3c.css"),
        ("fonts/inter.var.woff2", "ff00", "fonts/inter.var.ff00.woff2"),
        ("LICENSE", "ab", "LICENSE.ab"),
    ],
)
def test_hashed_name(relpath, digest, expected):
    assert hashed_name(relpath, digest) == expected


def test_css_urls_point_at_hashed_files_and_leave_the_rest():
    manifest = {"fonts/a.woff2": "fonts/a.123.woff2", "img/x.svg": "img/x.456.svg"}
    css = (
        '@font-face { src: url("../fonts/a.woff2?v=1#f") format("woff2"); }\n'
        ".i { background: url(../img/x.svg); }\n"
        ".d { background: url(data:image/png;base64,AA==); }\n"
        ".e { background: url('https://cdn.example/y.png'); }\n"
        ".m { background: url(../img/missing.svg); }"
    )
    out = rewrite_css_urls(css, "css/main.css", manifest)
    assert 'url("../fonts/a.123.woff2?v=1#f")' in out
    assert "url(../img/x.456.svg)" in out
    assert "url(data:image/png;base64,AA==)" in out
    assert "url('https://cdn.example/y.png')" in out
    assert "url(../img/missing.svg)" in out


def test_a_font_change_renames_the_stylesheet_that_uses_it():
    css = b'@font-face { src: url("../fonts/a.woff2"); }'
    before, _ = build_manifest({"css/main.css": css, "fonts/a.woff2": b"one"})
    after, outputs = build_manifest({"css/main.css": css, "fonts/a.woff2": b"two"})
    assert before["fonts/a.woff2"] != after["fonts/a.woff2"]
    assert before["css/main.css"] != after["css/main.css"]
    sheet = outputs[after["css/main.css"]].decode()
    assert after["fonts/a.woff2"].split("/")[-1] in sheet


def test_the_same_content_keeps_its_name():
    first, _ = build_manifest({"js/search.js": b"x"})
    second, _ = build_manifest({"js/search.js": b"x"})
    assert first == second


def test_an_unknown_asset_names_itself_and_the_known_ones():
    with pytest.raises(AssetError, match=r'asset\("css/mian.css"\).*known: css/main.css'):
        asset_url({"css/main.css": "css/main.1.css"}, "assets", "css/mian.css")


def _stylesheet_hrefs(soup):
    """The theme's stylesheets; Pagefind's own (on the search page) is not ours."""
    return [
        link["href"]
        for link in soup.select('link[rel="stylesheet"]')
        if "/pagefind/" not in link["href"]
    ]


@pytest.mark.parametrize("build", ["site", "prod_site"])
def test_every_page_links_the_hashed_stylesheet(build, request, html, prod_siteurl):
    output = Path(request.getfixturevalue(build))
    css = THEME_CSS.read_bytes()
    digest = hashlib.sha256(css).hexdigest()
    pages = sorted(output.rglob("index.html"))
    assert len(pages) > 20
    for page in pages:
        relative = page.relative_to(output).as_posix()
        hrefs = _stylesheet_hrefs(html(output, relative))
        assert len(hrefs) == 1, f"{relative}: {hrefs}"
        href = hrefs[0]
        name = href.rsplit("/", 1)[-1]
        assert name == f"main.{digest[:10]}.css", f"{relative}: {href} is not main.css's hash"
        if build == "prod_site":
            assert href == f"{prod_siteurl}/assets/css/{name}", href
            target = output / "assets" / "css" / name
        else:  # relative links: the dev preview resolves them from the page
            target = (page.parent / href).resolve()
        assert target.is_file(), f"{relative}: {href} leads nowhere"
        assert target.read_bytes() == css, f"{relative}: {href} is not the theme's stylesheet"


def test_the_assets_folder_holds_only_hashed_files(prod_site):
    for file in (Path(prod_site) / "assets").rglob("*"):
        if file.is_file():
            digest = hashlib.sha256(file.read_bytes()).hexdigest()[:10]
            assert f".{digest}." in file.name, f"{file.name} is not named by its content"


def test_production_publishes_no_unhashed_theme_copy(prod_site, site):
    # Pages link the hashed copies only; Pelican's plain copy would publish
    # files nothing links to. The preview keeps it for its error page.
    assert not (Path(prod_site) / "theme").exists(), "output/theme/ is published"
    assert (Path(site) / "theme" / "css" / "main.css").is_file(), "the preview lost theme/"


def test_every_theme_file_has_a_hashed_copy_in_production(prod_site):
    static = ROOT / "theme" / "static"
    published = {p.name for p in (Path(prod_site) / "assets").rglob("*") if p.is_file()}
    for source in sorted(p for p in static.rglob("*") if p.is_file()):
        relative = source.relative_to(static).as_posix()
        stem, _, ext = source.name.rpartition(".")
        copies = [name for name in published if name.startswith(stem + ".")]
        copies = [name for name in copies if name.endswith("." + ext)]
        assert copies, f"theme/static/{relative} has no copy under assets/"

"""output_paths fixes each post's URL and output path before writing (and
writes no file itself): the site must be byte for byte the one Pelican writes
without it."""

import pytest

from sitetools.build import build, load_settings
from tests.conftest import DATA, site_files


@pytest.mark.parametrize(
    ("config", "content"),
    [("publishconf.py", None), ("pelicanconf.py", DATA / "hostile")],
    ids=["production, real content", "preview, drafts and pages"],
)
def test_fixed_urls_write_the_same_site(config, content, tmp_path):
    plugins = load_settings(config)["PLUGINS"]
    assert "output_paths" in plugins, "the site uses output_paths"
    if content:  # the hostile set is refused by content_guard, on purpose
        plugins = [name for name in plugins if name != "content_guard"]
    overrides = {"PATH": str(content)} if content else {}
    sites = {}
    for name, used in (("with", plugins), ("without", [p for p in plugins if p != "output_paths"])):
        settings = {**overrides, "PLUGINS": used, "CACHE_PATH": str(tmp_path / f"cache-{name}")}
        sites[name] = site_files(build(config, tmp_path / name, settings).output)
    assert sites["with"].keys() == sites["without"].keys(), "the same files"
    differ = [path for path in sites["with"] if sites["with"][path] != sites["without"][path]]
    assert not differ, f"pages differ with output_paths: {differ[:5]}"

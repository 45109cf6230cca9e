"""Pelican's signals outlive a build: a plugin that a later site in the same
process does not list must not act on it, and acts again once listed."""

from pelicanconf import PLUGINS
from sitetools.build.builder import build

# Each plugin and a file only it writes.
WRITES = {"for_llms": "llms.txt", "redirects": "_redirects", "social_images": "social"}


def test_a_plugin_left_out_of_plugins_writes_nothing_and_is_back_when_listed(tmp_path):
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts" / "a.md").write_text(
        "Title: A post\nDate: 2025-03-01 09:00\nTags: alpha\nSlug: a\nSummary: A post.\n\nText.\n",
        encoding="utf-8",
    )
    every = {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")}
    fewer = {**every, "PLUGINS": [name for name in PLUGINS if name not in WRITES]}
    for name, settings in (("all", every), ("fewer", fewer), ("again", every)):
        build("pelicanconf.py", tmp_path / name, settings)
    for plugin, written in WRITES.items():
        assert (tmp_path / "all" / written).exists(), f"{plugin} wrote no {written}"
        assert not (tmp_path / "fewer" / written).exists(), (
            f"{plugin} wrote {written} for a site whose PLUGINS leaves it out"
        )
        assert (tmp_path / "again" / written).exists(), f"{plugin} did not come back when listed"

"""Pelican's signals outlive a build: a plugin that a later site in the same
process does not list must not act on it, acts again once listed, and the
plugins run in the order PLUGINS gives whatever was built before."""

from pathlib import Path

from blinker import ANY
from pelican import signals

from pelicanconf import PLUGINS
from sitetools.build.builder import ROOT, build

# Each plugin and a file only it writes.
WRITES = {"for_llms": "llms.txt", "redirects": "_redirects", "social_images": "social"}


def one_post_site(tmp_path):
    """Settings for a site of one post, in `tmp_path`."""
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts" / "a.md").write_text(
        "Title: A post\nDate: 2025-03-01 09:00\nTags: alpha\nSlug: a\nSummary: A post.\n\nText.\n",
        encoding="utf-8",
    )
    return {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")}


def test_a_plugin_left_out_of_plugins_writes_nothing_and_is_back_when_listed(tmp_path):
    every = one_post_site(tmp_path)
    fewer = {**every, "PLUGINS": [name for name in PLUGINS if name not in WRITES]}
    for name, settings in (("all", every), ("fewer", fewer), ("again", every)):
        build("pelicanconf.py", tmp_path / name, settings)
    for plugin, written in WRITES.items():
        assert (tmp_path / "all" / written).exists(), f"{plugin} wrote no {written}"
        assert not (tmp_path / "fewer" / written).exists(), (
            f"{plugin} wrote {written} for a site whose PLUGINS leaves it out"
        )
        assert (tmp_path / "again" / written).exists(), f"{plugin} did not come back when listed"


def plugin_of(receiver):
    source = Path(receiver.__code__.co_filename)
    if source.is_relative_to(ROOT / "plugins"):
        return source.relative_to(ROOT / "plugins").parts[0]
    return receiver.__module__.removeprefix("pelican.plugins.").split(".")[0]


def test_after_a_site_without_some_plugins_the_rest_keep_their_order(tmp_path):
    # redirects fails the build in `finalized` after output_paths has reported
    # broken links there: had output_paths come back after it, its lines would be lost.
    every = one_post_site(tmp_path)
    fewer = {**every, "PLUGINS": [name for name in PLUGINS if name != "output_paths"]}
    for name, settings in (("fewer", fewer), ("every", every)):
        build("pelicanconf.py", tmp_path / name, settings)
    names = [name.rsplit(".", 1)[-1] for name in PLUGINS]
    for signal in (signals.initialized, signals.all_generators_finalized, signals.finalized):
        order = list(dict.fromkeys(plugin_of(r) for r in signal.receivers_for(ANY)))
        order = [name for name in order if name in names]
        assert order == sorted(order, key=names.index), f"{signal.name}: {order}"

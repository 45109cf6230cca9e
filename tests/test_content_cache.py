"""Pelican's content cache carried across builds (sitetools/build/cache.py):
loaded only under the key it was written with, never after a failed
build, and the site it gives is the site a cold build gives."""

import re
from pathlib import Path

import pytest
from pelican.cache import FileStampDataCacher

from sitetools.build import cache
from sitetools.build.builder import BuildError, build, load_settings
from sitetools.quality.bench import edit_text, write_corpus
from tests.conftest import run_python

POSTS = 30


# -- Fingerprint ---------------------------------------------------------------


def test_key_ignores_where_output_and_cache_go():
    settings = load_settings("publishconf.py")
    digest = cache.content_key(settings)
    assert cache.content_key({**settings, "OUTPUT_PATH": "/elsewhere"}) == digest
    assert cache.content_key({**settings, "CACHE_PATH": "/restored"}) == digest
    markdown = {**settings["MARKDOWN"], "output_format": "xhtml"}
    assert cache.content_key({**settings, "MARKDOWN": markdown}) != digest
    assert cache.content_key({**settings, "TIMEZONE": "Asia/Tokyo"}) != digest


def test_key_is_the_same_in_another_process():
    here = cache.content_key(load_settings("publishconf.py"))
    there = run_python(
        """
        from sitetools.build import cache
        from sitetools.build.builder import load_settings
        print(cache.content_key(load_settings("publishconf.py")))
        """
    ).strip()
    assert there == here, "a setting's value is written differently in each process"


def test_key_follows_every_python_file_of_the_plugins(tmp_path):
    (tmp_path / "plugins" / "one").mkdir(parents=True)
    plugin = tmp_path / "plugins" / "one" / "one.py"
    plugin.write_text("VALUE = 1\n")
    (tmp_path / "pelicanconf.py").write_text("SITENAME = 'x'\n")
    settings = {"PLUGIN_PATHS": ["plugins"], "SITENAME": "x"}
    before = cache.content_key(settings, tmp_path)
    plugin.write_text("VALUE = 2\n")
    assert cache.content_key(settings, tmp_path) != before, "a plugin edit kept it"
    plugin.write_text("VALUE = 1\n")
    assert cache.content_key(settings, tmp_path) == before


def test_prepare_matches_only_the_recorded_key_and_consumes_it(tmp_path):
    settings = {**load_settings("pelicanconf.py"), "CACHE_PATH": str(tmp_path)}
    current, matches = cache.prepare(dict(settings))
    assert not matches, "no key on file, yet the cache was trusted"
    cache.record(settings, current)
    again, matches = cache.prepare(settings)
    assert (again, matches) == (current, True)
    assert settings["CACHE_CONTENT"] and settings["CHECK_MODIFIED_METHOD"] == "md5"
    assert not (tmp_path / cache.KEY_FILE).exists(), "the key must be gone while a build runs"
    cache.record(settings, current)
    _, matches = cache.prepare({**settings, "SITENAME": "Another"})
    assert not matches, "a cache written under other settings was trusted"


# -- Builds --------------------------------------------------------------------


@pytest.fixture
def reads(monkeypatch):
    """Posts asked of Pelican's reader cache in this process: {name: hit}."""
    asked = {}
    original = FileStampDataCacher.get_cached_data

    def counting(self, filename, default=None):
        result = original(self, filename, default)
        if Path(filename).parent.name == "posts":
            asked[Path(filename).name] = result is not default
        return result

    monkeypatch.setattr(FileStampDataCacher, "get_cached_data", counting)
    return asked


def hits(asked):
    return sorted(name for name, hit in asked.items() if hit)


def files_of(folder):
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in Path(folder).rglob("*")
        if path.is_file()
    }


@pytest.fixture(scope="module")
def carried(tmp_path_factory):
    """A production site built cold, then again with the cache it left."""
    root = tmp_path_factory.mktemp("carried")
    content = write_corpus(root / "content", POSTS)
    overrides = {"PATH": str(content), "CACHE_PATH": str(root / "cache")}
    build("publishconf.py", root / "cold", overrides)
    key_written = (root / "cache" / cache.KEY_FILE).is_file()
    return root, content, overrides, key_written


def test_a_good_build_records_its_key(carried):
    *_, key_written = carried
    assert key_written


def test_the_carried_cache_gives_the_same_site(carried, reads):
    root, content, overrides, _ = carried
    build("publishconf.py", root / "warm", overrides)
    sources = sorted(path.name for path in (content / "posts").glob("*.md"))
    assert hits(reads) == sources, "the second build read sources again"
    cold, warm = files_of(root / "cold"), files_of(root / "warm")
    assert sorted(cold) == sorted(warm)
    changed = [name for name in cold if cold[name] != warm[name]]
    assert not changed, f"the carried cache changed {len(changed)} file(s), e.g. {changed[:3]}"


def test_only_an_edited_source_is_read_again(carried, reads):
    root, content, overrides, _ = carried
    post = sorted((content / "posts").glob("*.md"))[4]
    original = post.read_text("utf-8")
    post.write_text(edit_text(original, "carried-edit"), "utf-8")
    try:
        build("publishconf.py", root / "edited", overrides)
    finally:
        post.write_text(original, "utf-8")
    assert reads[post.name] is False, "the edited post came from the cache"
    assert len(hits(reads)) == POSTS - 1
    page = root / "edited" / "posts" / post.stem / "index.html"
    assert "carried-edit" in page.read_text("utf-8")


def test_other_settings_read_every_source(carried, reads):
    root, _, overrides, _ = carried
    build("publishconf.py", root / "renamed", {**overrides, "SITENAME": "Another name"})
    assert reads and not hits(reads), "a cache written under other settings was used"


def test_a_failed_build_leaves_no_key(tmp_path, reads):
    content = write_corpus(tmp_path / "content", POSTS)
    overrides = {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")}
    build("pelicanconf.py", tmp_path / "output", overrides)
    post = sorted((content / "posts").glob("*.md"))[2]
    good = post.read_text("utf-8")
    post.write_text(re.sub(r"^Date: .*$", "Date: soon", good, flags=re.M), "utf-8")
    with pytest.raises(BuildError):
        build("pelicanconf.py", tmp_path / "output", overrides)
    assert not (tmp_path / "cache" / cache.KEY_FILE).exists()
    post.write_text(good, "utf-8")
    reads.clear()
    build("pelicanconf.py", tmp_path / "output", overrides)
    assert reads and not hits(reads), "the cache a failed build rewrote was trusted"

"""sitetools.build.cache: a cache/ kept from an older build (Netlify restores it on
every deploy) never answers for newer code or libraries, because every key is
derived from the inputs, the code of the function and the installed versions."""

import importlib.util
import logging
import pickle
import shutil

import pytest

from plugins.social_images import social_images as cards
from sitetools.build import cache
from sitetools.build.builder import build
from sitetools.quality.bench import write_corpus

STALE = "STALE-FROM-AN-OLDER-BUILD"


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def two_versions_of(tmp_path, first, second):
    """The function `draw` from two copies of one module: as written, and edited."""
    (tmp_path / "a").mkdir(parents=True)
    (tmp_path / "b").mkdir(parents=True)
    (tmp_path / "a" / "drawing.py").write_text(first, encoding="utf-8")
    (tmp_path / "b" / "drawing.py").write_text(second, encoding="utf-8")
    return (
        load_module(tmp_path / "a" / "drawing.py", "drawing_a").draw,
        load_module(tmp_path / "b" / "drawing.py", "drawing_b").draw,
    )


@pytest.fixture
def upgraded(monkeypatch, tmp_path):
    """upgraded(): from now on another version of a library reads as installed,
    as after a pip upgrade (a new dist-info folder on sys.path)."""

    def upgrade():
        site = tmp_path / "site-packages"
        (site / "typogrify-99.0.dist-info").mkdir(parents=True)
        (site / "typogrify-99.0.dist-info" / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: typogrify\nVersion: 99.0\n", encoding="utf-8"
        )
        monkeypatch.syspath_prepend(str(site))
        cache.versions.cache_clear()

    yield upgrade
    monkeypatch.undo()
    cache.versions.cache_clear()


def test_the_key_follows_the_code_of_the_function(tmp_path):
    code = "def draw(text):\n    return text\n"
    same, copy = two_versions_of(tmp_path / "same", code, code)
    assert cache.key(same, "x") == cache.key(copy, "x"), "the same code must give the same key"
    before, edited = two_versions_of(
        tmp_path / "edited", code, code.replace("text\n", "text * 2\n")
    )
    assert cache.key(before, "x") != cache.key(edited, "x"), "edited code kept the old key"
    assert cache.key(before, "x") != cache.key(before, "y"), "other inputs kept the key"


def test_a_social_image_is_renamed_when_its_drawing_code_changes(tmp_path):
    code = (
        "def layout_card(inputs):\n    return 1\n\n\ndef draw(inputs):\n    return layout_card(0)\n"
    )
    before, edited = two_versions_of(tmp_path, code, code.replace("return 1", "return 2"))
    inputs = cards.card_inputs("Title", "a / b", "Site", cards.settings_for({}))
    assert cards.card_hash(inputs, before) != cards.card_hash(inputs, edited), (
        "an edit to layout_card kept the image's name"
    )


def test_an_upgrade_changes_every_key(upgraded):
    inputs = cards.card_inputs("Title", "a / b", "Site", cards.settings_for({}))
    before_image, before_key = cards.card_hash(inputs), cache.key(test_an_upgrade_changes_every_key)
    upgraded()
    assert cards.card_hash(inputs) != before_image, (
        "an image drawn by other libraries kept its name"
    )
    assert cache.key(test_an_upgrade_changes_every_key) != before_key


def test_a_cache_keeps_only_what_a_build_used_and_reads_it_back(tmp_path):
    settings = {"CACHE_PATH": str(tmp_path)}
    calls = []

    def shout(text):
        calls.append(text)
        return text.upper()

    first = cache.Cache("test-shout")
    assert first.map(settings, shout, ["a", "b", "a"]) == ["A", "B", "A"]
    assert calls == ["a", "b"], "each distinct text is computed once"
    first.save()
    again = cache.Cache("test-shout")
    assert again.map(settings, shout, ["b"]) == ["B"]
    assert calls == ["a", "b"], "a saved entry was computed again"
    again.save()
    assert len(pickle.loads((tmp_path / "test-shout.pickle").read_bytes())) == 1, (
        "an entry this build did not use was kept"
    )


def test_a_result_that_depends_on_the_machine_is_returned_and_never_kept(tmp_path):
    # A diagram that timed out on a busy machine must be tried again next build.
    settings, calls = {"CACHE_PATH": str(tmp_path)}, []

    def busy(text):
        calls.append(text)
        return cache.Unkept(("error", "timed out")) if text == "slow" else ("ok", text)

    for _build in range(2):
        kept = cache.Cache("test-busy")
        assert kept.map(settings, busy, ["slow", "fast"]) == [
            ("error", "timed out"),
            ("ok", "fast"),
        ]
        kept.save()
    assert calls == ["slow", "fast", "slow"], "an unkept result was served from the cache"


def _poison(folder, names):
    """Replace every entry of the named caches by a marker, as if older code or
    libraries had made them."""
    for name in names:
        path = folder / name
        entries = pickle.loads(path.read_bytes())
        assert entries, f"{name} is empty: nothing to poison"
        poisoned = {
            key: (f"<p>{STALE}</p>", value[1]) if isinstance(value, tuple) else f"<p>{STALE}</p>"
            for key, value in entries.items()
        }
        cache.write_checked(path, pickle.dumps(poisoned))  # as the older code wrote it


def _pages_with(output, text):
    return sorted(
        str(page.relative_to(output))
        for page in output.rglob("*.html")
        if text in page.read_text(encoding="utf-8")
    )


def test_a_cache_from_before_an_upgrade_is_not_used(tmp_path, upgraded):
    content = write_corpus(tmp_path / "content", 3)
    cold = tmp_path / "cold"
    build(
        "pelicanconf.py", cold / "output", {"PATH": str(content), "CACHE_PATH": str(cold / "cache")}
    )
    assert not _pages_with(cold / "output", STALE)
    _poison(cold / "cache", ["typography.pickle", "headings-ids.pickle", "headings-anchors.pickle"])

    def build_with(name):
        base = tmp_path / name
        shutil.copytree(cold / "cache", base / "cache")
        settings = {"PATH": str(content), "CACHE_PATH": str(base / "cache")}
        return build("pelicanconf.py", base / "output", settings).output

    # Control: with the same code and libraries the cache is read, marker and all.
    assert _pages_with(build_with("same"), STALE), "the poisoned cache was not read: proves nothing"
    upgraded()
    assert not _pages_with(build_with("upgraded"), STALE), (
        "entries made before the upgrade were served"
    )


def test_an_entry_of_the_format_with_digest_files_beside_it_is_made_again_quietly(tmp_path, caplog):
    folder = tmp_path / "kept"
    folder.mkdir()
    (folder / "old.png").write_bytes(b"old bytes")
    (folder / "old.png.sha256").write_text("0" * 64)
    (folder / "damaged.png").write_bytes(b"damaged bytes")
    files = cache.Files(folder)
    with caplog.at_level(logging.WARNING):
        assert files.read("old.png") is None, "an entry of the old format was trusted"
        assert "old.png" not in caplog.text, "an upgrade warned of every kept file"
        assert not list(folder.glob("old.png*")), "the old entry and its digest file stayed"
        assert files.read("damaged.png") is None
    assert "damaged.png: not a regular file matching the digest" in caplog.text, caplog.text

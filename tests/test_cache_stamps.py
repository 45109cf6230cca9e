"""A cache/ kept from an older build (Netlify restores it on every deploy) must
never answer for newer code: every key holds the code that computed the entry
and the versions of the libraries it called (sitetools.memo.code_stamp)."""

import pickle
import shutil
from importlib import metadata

import pytest

from plugins.headings import headings
from plugins.social_cards import social_cards as cards
from plugins.typography import typography
from sitetools import memo
from sitetools.bench import write_corpus
from sitetools.build import build

STALE = "STALE-FROM-AN-OLDER-BUILD"


@pytest.fixture
def upgraded(monkeypatch):
    """upgraded(*names): from now on the installed version of each named
    distribution reads as a newer one, as after a pip upgrade."""
    real = metadata.version

    def upgrade(*names):
        monkeypatch.setattr(
            memo.metadata,
            "version",
            lambda name: f"{real(name)}.post1" if name.lower() in names else real(name),
        )
        memo.code_stamp.cache_clear()

    yield upgrade
    monkeypatch.undo()
    memo.code_stamp.cache_clear()


def test_code_stamp_follows_the_source_and_the_library_versions(tmp_path, upgraded):
    source = tmp_path / "plugin.py"
    source.write_text("def f(text):\n    return text\n", encoding="utf-8")
    before = memo.code_stamp(str(source), ("typogrify",))
    assert memo.code_stamp(str(source), ("typogrify",)) == before, "the stamp must be stable"
    assert memo.code_stamp(str(source), ("typogrify", "smartypants")) != before

    memo.code_stamp.cache_clear()
    source.write_text("def f(text):\n    return text.upper()\n", encoding="utf-8")
    edited = memo.code_stamp(str(source), ("typogrify",))
    assert edited != before, "an edited plugin must miss the old entries"

    upgraded("typogrify")
    assert memo.code_stamp(str(source), ("typogrify",)) != edited, (
        "a typogrify upgrade must miss the old entries"
    )


@pytest.mark.parametrize(
    ("key", "libraries"),
    [
        (lambda: typography.digest("<p>It's</p>", ("kbd",)), ("typogrify",)),
        (lambda: typography.digest("<p>It's</p>", ("kbd",)), ("smartypants",)),
        (lambda: headings._prepared.key("<h2>A</h2>", "salt"), ("beautifulsoup4",)),
        (lambda: headings._anchors.key("<h2>A</h2>", "salt"), ("markdown",)),
    ],
    ids=["typography-typogrify", "typography-smartypants", "heading-ids-bs4", "anchors-markdown"],
)
def test_an_upgrade_changes_the_cache_keys(key, libraries, upgraded):
    before = key()
    upgraded(*libraries)
    assert key() != before, f"an upgrade of {libraries} keeps the old cache keys"


def test_a_pillow_upgrade_renames_every_social_image(monkeypatch):
    options = cards.settings_for({})
    before = cards.card_hash(cards.card_inputs("Title", "a / b", "Site", options))
    monkeypatch.setattr(cards, "PILLOW_VERSION", f"{cards.PILLOW_VERSION}.post1")
    after = cards.card_hash(cards.card_inputs("Title", "a / b", "Site", options))
    assert after != before, "an image drawn by another Pillow must not keep its name"


def _poison(cache, names):
    """Replace every entry of the named pickles by a marker, as if an older
    typogrify or parser had made them."""
    for name in names:
        path = cache / name
        entries = pickle.loads(path.read_bytes())
        assert entries, f"{name} is empty: nothing to poison"
        poisoned = {}
        for key, value in entries.items():
            if isinstance(value, tuple):  # headings-ids: (body, toc)
                poisoned[key] = (f"<p>{STALE}</p>", value[1])
            else:
                poisoned[key] = f"<p>{STALE}</p>"
        path.write_bytes(pickle.dumps(poisoned))


def _pages_with(output, text):
    return sorted(
        str(page.relative_to(output))
        for page in output.rglob("*.html")
        if text in page.read_text(encoding="utf-8")
    )


def test_a_cache_from_before_an_upgrade_is_not_used(tmp_path, upgraded):
    content = write_corpus(tmp_path / "content", 3)
    cold = tmp_path / "cold"
    settings = {"PATH": str(content), "CACHE_PATH": str(cold / "cache")}
    build("pelicanconf.py", cold / "output", settings)
    assert not _pages_with(cold / "output", STALE)
    names = ["typography.pickle", "headings-ids.pickle", "headings-anchors.pickle"]
    _poison(cold / "cache", names)

    def build_with(name):
        base = tmp_path / name
        shutil.copytree(cold / "cache", base / "cache")
        settings = {"PATH": str(content), "CACHE_PATH": str(base / "cache")}
        return build("pelicanconf.py", base / "output", settings).output

    # Control: with the same code and libraries the cache is read, marker and all.
    same = build_with("same")
    assert _pages_with(same, STALE), "the poisoned cache was not read: this test proves nothing"

    upgraded("typogrify", "smartypants", "beautifulsoup4", "markdown")
    after = build_with("upgraded")
    assert not _pages_with(after, STALE), "entries made before the upgrade were served"

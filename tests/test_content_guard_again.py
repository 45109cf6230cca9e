"""content_guard in the preview: a source checked again is answered from the
last check only while nothing it depends on has changed."""

import shutil

from PIL import Image

from plugins.content_guard.content_guard import check_site
from sitetools.build import load_settings
from tests.conftest import DATA


def _problems(content):
    settings = load_settings("pelicanconf.py", {"PATH": str(content)})
    return check_site(settings)[0]


def test_a_missing_image_that_appears_is_no_longer_reported(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(DATA / "bad" / "missing-image", content)
    first = _problems(content)
    assert any("no-such-chart.png" in line for line in first), first
    assert _problems(content) == first, "the same source, the same report"
    image = content / "images" / "no-such-chart.png"
    image.parent.mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(image)
    assert not any("no-such-chart.png" in line for line in _problems(content)), (
        "the image now exists: the report came from a stale check"
    )
    image.unlink()
    assert any("no-such-chart.png" in line for line in _problems(content))


def test_an_image_that_breaks_is_reported_though_the_post_is_unchanged(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(DATA / "bad" / "missing-image", content)
    image = content / "images" / "no-such-chart.png"
    image.parent.mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(image)
    assert not any("no-such-chart.png" in line for line in _problems(content))
    image.write_bytes(b"")
    broken = [line for line in _problems(content) if "no-such-chart.png" in line]
    assert broken and "empty file" in broken[0], (
        f"an image emptied after a good check must be reported: {broken}"
    )


def test_an_edited_source_is_checked_again(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(DATA / "bad" / "missing-image", content)
    post = next((content / "posts").glob("*.md"))
    assert _problems(content)
    text = post.read_text("utf-8").replace("![A chart]({static}/images/no-such-chart.png)", "")
    post.write_text(text, "utf-8")
    assert not any("no-such-chart.png" in line for line in _problems(content))


def test_a_later_build_answers_unchanged_sources_from_the_kept_checks(tmp_path, monkeypatch):
    """Between builds (a new process on Netlify, say) the checks are kept in
    CACHE_PATH: an unchanged source is not checked again, an edited one is."""
    import sys

    from sitetools.bench import edit_text, write_corpus
    from sitetools.build import build

    content = write_corpus(tmp_path / "content", 12)
    overrides = {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")}
    build("pelicanconf.py", tmp_path / "output", overrides)
    # The module as Pelican loaded it (from PLUGIN_PATHS), not plugins.content_guard.
    content_guard = sys.modules["content_guard.content_guard"]
    assert (tmp_path / "cache" / content_guard.CACHE_FILE).is_file()

    checked = []
    original = content_guard.check_source

    def counting(raw, kind, source_path, *args, **kwargs):
        checked.append(source_path.name)
        return original(raw, kind, source_path, *args, **kwargs)

    monkeypatch.setattr(content_guard, "check_source", counting)
    # As a new process would start: nothing in memory.
    monkeypatch.setattr(content_guard, "_checked", {})
    monkeypatch.setattr(content_guard, "_kept", {"path": None, "dirty": False})
    post = sorted((content / "posts").glob("*.md"))[3]
    post.write_text(edit_text(post.read_text("utf-8"), "kept-checks"), "utf-8")
    build("pelicanconf.py", tmp_path / "output", overrides)
    assert checked == [post.name], f"checked again: {checked}"

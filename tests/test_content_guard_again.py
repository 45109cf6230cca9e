"""content_guard in the preview: a source checked again reports what is on
disk now, never what a stale check found."""

import shutil

import pytest
from PIL import Image

from plugins.content_guard.content_guard import card_summary_limit, check_site
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


@pytest.mark.parametrize(
    ("settings", "limit"),
    [
        ({"PLUGINS": ["post_cards"]}, 320),
        ({"PLUGINS": ["post_cards"], "POST_CARDS": {"summary_max_chars": 200}}, 200),
        ({"PLUGINS": ["content_guard"], "POST_CARDS": {"summary_max_chars": 200}}, None),
    ],
    ids=["post-cards-default", "post-cards-setting", "no-post-cards"],
)
def test_the_summary_limit_is_the_post_cards_setting(settings, limit):
    assert card_summary_limit(settings) == limit, "the card limit is post_cards' setting"

"""content_guard in the preview: a source checked again is answered from the
last check only while nothing it depends on has changed."""

import shutil

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
    image.write_bytes(b"\\x89PNG\\r\\n\\x1a\\n")
    assert not any("no-such-chart.png" in line for line in _problems(content)), (
        "the image now exists: the report came from a stale check"
    )
    image.unlink()
    assert any("no-such-chart.png" in line for line in _problems(content))


def test_an_edited_source_is_checked_again(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(DATA / "bad" / "missing-image", content)
    post = next((content / "posts").glob("*.md"))
    assert _problems(content)
    text = post.read_text("utf-8").replace("![A chart]({static}/images/no-such-chart.png)", "")
    post.write_text(text, "utf-8")
    assert not any("no-such-chart.png" in line for line in _problems(content))

"""`invoke new` writes a valid draft into a content folder and never overwrites."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sitetools.authoring.newpost import PostExists, new_post, slug_for, split_tags
from sitetools.build.builder import build, load_settings
from tests.conftest import run_invoke as invoke


def header(path):
    """The file's `Key: value` lines before the first blank line."""
    fields = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("What I learned: llm-d's router", "what-i-learned-llm-ds-router"),
        ("Ünïcode café", "unicode-cafe"),
    ],
)
def test_slug_uses_pelicans_slugify_and_the_sites_settings(title, slug):
    assert slug_for(title, load_settings()) == slug


def test_split_tags():
    assert split_tags(" llm, python,,go ,") == ["llm", "python", "go"]


def test_invoke_new_writes_a_draft_that_builds(tmp_path):
    content = tmp_path / "content"
    run = invoke(
        "new",
        "Testing the new command: a draft",
        "--tags",
        "python, testing",
        "--summary",
        "One line for the card.",
        "--content",
        str(content),
    )
    assert run.returncode == 0, run.stderr
    path = content / "posts" / "testing-the-new-command-a-draft.md"
    assert run.stdout.strip() == str(path), run.stdout
    fields = header(path)
    assert fields["Title"] == "Testing the new command: a draft"
    assert fields["Tags"] == "python, testing"
    assert fields["Summary"] == "One line for the card."
    assert fields["Status"] == "draft"
    assert fields["Slug"] == "testing-the-new-command-a-draft"
    timezone = ZoneInfo(load_settings()["TIMEZONE"])
    written = datetime.strptime(fields["Date"], "%Y-%m-%d %H:%M").replace(tzinfo=timezone)
    now = datetime.now(timezone)
    assert timedelta(0) <= now - written < timedelta(minutes=2), (fields["Date"], now)

    # The new post passes validation and shows in the preview as a draft.
    output = build(
        "pelicanconf.py",
        tmp_path / "output",
        {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")},
    ).output
    page = output / "drafts" / "testing-the-new-command-a-draft" / "index.html"
    assert page.is_file()
    assert "Draft" in page.read_text(encoding="utf-8")


def test_invoke_new_refuses_to_overwrite(tmp_path):
    content = tmp_path / "content"
    first = invoke("new", "Same title", "--tags", "a", "--content", str(content))
    assert first.returncode == 0, first.stderr
    path = content / "posts" / "same-title.md"
    path.write_text(path.read_text(encoding="utf-8") + "The author's words.\n", encoding="utf-8")
    before = path.read_bytes()
    second = invoke("new", "Same title", "--tags", "b", "--content", str(content))
    assert second.returncode == 1
    assert "already exists" in second.stderr, second.stderr
    assert path.read_bytes() == before, "the existing post was changed"


def test_new_post_refuses_a_slug_taken_by_another_file(tmp_path):
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "elsewhere.md").write_text("Title: Other\nSlug: taken-title\n\nBody\n")
    with pytest.raises(PostExists, match=r"elsewhere\.md"):
        new_post("Taken title", "a", posts, load_settings())
    assert sorted(p.name for p in posts.iterdir()) == ["elsewhere.md"]


@pytest.mark.parametrize(("title", "tags"), [("???", "a"), ("A title", ""), ("  ", "a")])
def test_new_post_rejects_unusable_titles_and_missing_tags(tmp_path, title, tags):
    with pytest.raises(ValueError):
        new_post(title, tags, tmp_path, load_settings())
    assert list(tmp_path.iterdir()) == []

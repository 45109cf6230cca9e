"""Published and Updated dates: the article pages of the seed and of
tests/data/reader (same-day-fix.md: a Modified on its Date's day) against the
Date and Modified fields of their source files."""

import pytest

from sitetools.build.builder import BuildError
from tests.conftest import DATA, ROOT, build_site

# -- On the built site ---------------------------------------------------------


def metadata(source):
    """The test's own reading of a source file's header fields."""
    fields = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            break
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return fields


@pytest.fixture(scope="module", params=["dev", "prod", "reader"])
def built(request, site, prod_site, reader_site):
    content = {"reader": DATA / "reader"}.get(request.param, ROOT / "content")
    output = {"dev": site, "prod": prod_site, "reader": reader_site}[request.param]
    return output, content


def test_updated_date_shown_only_for_a_later_modified(built, html):
    output, content = built
    sources = sorted((content / "posts").glob("*.md"))
    assert sources
    for source in sources:
        fields = metadata(source)
        soup = html(output, f"posts/{fields['slug']}/index.html")
        where = source.name
        published = soup.select("article .post__meta time.post__published[datetime]")
        assert len(published) == 1, f"{where}: {len(published)} published dates"
        assert published[0]["datetime"].startswith(fields["date"][:10]), where
        updated = soup.select("article .post__meta time.post__updated")
        modified = fields.get("modified")
        if modified and modified[:10] > fields["date"][:10]:
            assert len(updated) == 1, f"{where}: Modified {modified} but no Updated date"
            time = updated[0]
            assert time["datetime"].startswith(modified[:10]), f"{where}: {time['datetime']}"
            assert time.parent.get_text(" ", strip=True).startswith("Updated"), where
            assert time is not published[0]
        else:
            assert not updated, f"{where}: an Updated date without a later Modified"
            assert "Updated" not in soup.select_one(".post__meta").get_text(), where


def test_reader_set_shows_the_updated_date_in_words(reader_site, html):
    soup = html(reader_site, "posts/sections-and-code/index.html")
    time = soup.select_one("time.post__updated")
    assert time is not None
    assert time["datetime"] == "2025-04-02T10:00:00+00:00"
    assert time.get_text(strip=True) == "2 April 2025"
    same_day = html(reader_site, "posts/same-day-fix/index.html")
    assert not same_day.select("time.post__updated"), "a same-day Modified shows no Updated date"


def test_modified_before_date_stops_the_build_naming_file_line_and_field(
    tmp_path_factory, content_dir
):
    (content_dir / "posts" / "backwards.md").write_text(
        "Title: Backwards\nDate: 2025-03-10 09:00\nModified: 2025-03-01 09:00\n"
        "Tags: x\nSlug: backwards\n\nBody.\n",
        encoding="utf-8",
    )
    with pytest.raises(BuildError) as failure:
        build_site(tmp_path_factory, "backwards", PATH=str(content_dir))
    message = "\n".join(failure.value.problems)
    assert "posts/backwards.md:3: Modified:" in message, message
    assert "earlier than Date" in message and ";" in message, message

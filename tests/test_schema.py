"""The header models (plugins/content_guard/schema.py) are the one statement of
the fields: the guard's messages, what each kind requires, the statuses and the
documented field tables all come from them."""

from pathlib import Path
from typing import get_args

import markdown
import pytest
from bs4 import BeautifulSoup

from plugins.content_guard.content_guard import options_for, read_source
from plugins.content_guard.schema import PATH_FIELDS, Page, Post, Status
from tests.conftest import ROOT

POST = "Title: A\nDate: 2026-08-10 09:00\nTags: a\n"


def problems_of(text, kind="article", **guard):
    options = options_for({"CONTENT_GUARD": guard})
    return read_source(text.encode(), kind, Path("a.md"), Path("."), options).problems


def capitalized(names):
    return ", ".join(name.capitalize() for name in names)


def test_an_unknown_field_lists_the_models_fields_and_the_extra_ones():
    (problem,) = problems_of(f"{POST}Zzyzx: 1\n\nBody\n")
    assert f"use one of {capitalized(Post.model_fields)} (or add" in problem.message, problem
    (problem,) = problems_of(f"{POST}Zzyzx: 1\n\nBody\n", extra_fields=["Cover"])
    assert f"use one of {capitalized([*Post.model_fields, 'cover'])} (or add" in problem.message


def test_an_extra_field_is_accepted_and_suggested():
    assert [p.field for p in problems_of(f"{POST}Cover: x.png\n\nBody\n")] == ["Cover"]
    assert problems_of(f"{POST}Cover: x.png\n\nBody\n", extra_fields=["cover"]) == []
    (problem,) = problems_of(f"{POST}Covr: x.png\n\nBody\n", extra_fields=["cover"])
    assert 'did you mean "Cover"?' in problem.message, problem


def test_extra_fields_may_have_any_header_key_as_name():
    names = ["json", "model_config", "my-field", "_x", ""]
    text = f"{POST}Json: 1\nModel_config: 2\nMy-field: 3\n_x: 4\nExtra_0: 5\n\nBody\n"
    (problem,) = problems_of(text, extra_fields=names)
    assert (problem.line, problem.field) == (8, "Extra_0"), problem
    assert "did you mean" not in problem.message, "no key of its own is suggested"


def test_an_extra_field_named_like_a_model_field_keeps_its_checks():
    (problem,) = problems_of(f"{POST}Status: gone\n\nBody\n", extra_fields=["status"])
    assert problem.field == "Status", problem


def test_a_page_does_not_require_tags_nor_a_date():
    assert problems_of("Title: About\n\nBody\n", "page") == []
    problems = problems_of("Title: A post\n\nBody\n", "article")
    assert [(p.line, p.field) for p in problems] == [(1, "Date"), (1, "Tags")], problems
    required = {name for name, info in Post.model_fields.items() if info.is_required()}
    assert required == {"title", "date", "tags"}
    assert {name for name, info in Page.model_fields.items() if info.is_required()} == {"title"}


@pytest.mark.parametrize(
    "text",
    ["Title: A\nStatus: pubished\n\nBody\n", "---\ntitle: A\nstatus: Publish\n---\n\nBody\n"],
)
def test_a_status_typo_lists_the_literals_values(text):
    (problem,) = problems_of(text, "page")
    assert problem.field == "Status"
    assert problem.message.endswith(f"use one of {', '.join(get_args(Status))}"), problem
    assert get_args(Status) == ("published", "draft", "hidden")


@pytest.mark.parametrize("field", ["title", "slug", "image", "series"])
def test_one_line_fields_refuse_a_line_break(field):
    value = '"{static}/a\\nb.png"' if field == "image" else '"one\\ntwo"'
    text = f"---\ntitle: A\n{field}: {value}\n---\n\nBody\n"
    if field == "title":
        text = f"---\ntitle: {value}\n---\n\nBody\n"
    problems = [p for p in problems_of(text, "page") if "line break" in p.message]
    assert [(p.line, p.field) for p in problems] == [(2 if field == "title" else 3, field.title())]
    assert problems[0].message.endswith("; write it on one line"), problems


def test_tags_may_span_lines():
    assert problems_of("Title: A\nDate: 2026-08-10\nTags: a,\n    b\n\nBody\n") == []


def test_a_summary_may_span_lines_since_every_place_folds_it():
    """The Summary is Markdown: llms.txt, the card and the feeds fold it
    (tests/test_llms_txt.py checks the fold), so a continuation line is allowed."""
    text = "Title: A\nDate: 2026-08-10\nTags: a\nSummary: one\n    two\n\nBody\n"
    assert problems_of(text) == []


# ---- The documented fields are the model's ------------------------------------------


def field_table(path, heading=None):
    """({field: its 'required' cell}, the heading) of the first table headed
    "field | required" under `heading` (or anywhere in the file)."""
    html = markdown.markdown(Path(path).read_text("utf-8"), extensions=["tables"])
    soup = BeautifulSoup(html, "html.parser")
    start = soup.find(["h1", "h2"], string=heading) if heading else soup
    assert start is not None, f"{path}: no heading {heading!r}"
    tables = start.find_all_next("table") if heading else soup.find_all("table")
    table = next(
        (
            t
            for t in tables
            if [th.get_text() for th in t.find_all("th")][:2] == ["field", "required"]
        ),
        None,
    )
    assert table is not None, f"{path}: no 'field | required' table"
    rows = {}
    for row in table.find_all("tr")[1:]:
        name_cell, required = row.find_all("td")[:2]
        for code in name_cell.find_all("code"):
            rows[code.get_text().lower()] = required.get_text(strip=True)
    return rows, start


@pytest.mark.parametrize(("path", "heading"), [("README.md", None), ("docs/writing.md", "A post")])
def test_the_field_tables_name_model_fields_and_their_required_ones(path, heading):
    rows, _ = field_table(ROOT / path, heading)
    assert set(rows) <= set(Post.model_fields), f"{path} documents fields the model lacks"
    said_required = {name for name, required in rows.items() if required == "yes"}
    required = {name for name, info in Post.model_fields.items() if info.is_required()}
    assert said_required == required, f"{path}: 'required' column differs from the model"


def test_the_writing_guide_names_every_model_field():
    rows, heading = field_table(ROOT / "docs/writing.md", "A post")
    others = next(p for p in heading.find_all_next("p") if "Other keys allowed" in p.get_text())
    named = set(rows) | {code.get_text().lower() for code in others.find_all("code")}
    assert named >= set(Post.model_fields), sorted(set(Post.model_fields) - named)


def test_the_fields_that_set_a_path_are_the_models():
    assert {*PATH_FIELDS, "slug"} <= set(Page.model_fields)

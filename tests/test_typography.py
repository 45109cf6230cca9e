"""The typography plugin: titles are escaped before they are typogrified."""

import json

import pytest

from plugins.typography.typography import cached_typeset, smart_text
from tests.conftest import run_python


@pytest.mark.parametrize(
    "title",
    ['<script>alert("x")</script>', "<img src=x onerror=alert(1)>", "a <b>bold</b> claim"],
)
def test_smart_text_never_emits_markup_from_the_title(title):
    result = str(smart_text(title))
    assert "<script" not in result and "<img" not in result and "<b>" not in result, result
    assert "&lt;" in result


def test_smart_text_curls_quotes():
    assert "&#8217;" in str(smart_text("OpenAI's own cookbook"))


def test_smart_text_keeps_ampersands_escaped():
    assert "&amp;" in str(smart_text("dbt & Dagster"))


def test_cached_typeset_leaves_code_alone():
    html = '<p>"quoted"</p><pre><code>x = "raw"</code></pre>'
    result = cached_typeset(html, ())
    assert '<code>x = "raw"</code>' in result
    prose = result.split("<pre>")[0]
    assert "&#8220;" in prose and "&#8221;" in prose, prose


def test_missing_bodies_are_typeset_on_workers_like_one_by_one():
    """In a fresh process, where the cache's misses go to two workers."""
    out = run_python(
        """
        import json
        from plugins.typography import typography
        ignore = ("kbd",)
        bodies = [f'<p>Post {n}: "quoted" -- and the API\\'s limits...</p>' for n in range(40)]
        typography.typeset_missing(bodies, ignore, workers=2)
        print(json.dumps({
            "same": all(
                typography._cache[typography.digest(body, ignore)]
                == typography.typeset_html(body, ignore)
                for body in bodies
            ),
            "first": typography._cache[typography.digest(bodies[0], ignore)],
            "dirty": typography._cache_state["dirty"],
        }))
        """
    )
    report = json.loads(out)
    assert report["same"], "a worker typeset a body differently"
    assert "&#8220;quoted&#8221;" in report["first"]
    assert report["dirty"], "new entries must be saved"


def test_titles_and_summaries_are_kept_in_the_cache_for_the_next_build(tmp_path):
    """The `smart` texts of a build are typeset ahead and saved with the bodies,
    so a warm build renders without typogrifying a title again."""
    import pickle

    from plugins.typography.typography import SMART, digest, smart_html
    from sitetools.bench import make_post, write_corpus
    from sitetools.build import build

    content = write_corpus(tmp_path / "content", 3)
    build("pelicanconf.py", tmp_path / "out", {"PATH": str(content), "CACHE_PATH": str(tmp_path)})
    cache = pickle.loads((tmp_path / "typography.pickle").read_bytes())
    title = make_post(1).text.splitlines()[0].removeprefix("Title: ")
    assert cache.get(digest(title, SMART)) == smart_html(title), "title missing from the cache"


def _every_body_we_have(tmp_path):
    """Bodies of the seed posts, the test content sets and a synthetic corpus,
    as Pelican's Markdown reader gives them to typogrify."""
    from pathlib import Path

    from pelican.readers import MarkdownReader
    from pelican.settings import read_settings

    from sitetools.bench import write_corpus

    root = Path(__file__).resolve().parent.parent
    reader = MarkdownReader(read_settings(str(root / "pelicanconf.py")))
    sources = [*sorted((root / "content").rglob("*.md"))]
    sources += [
        path
        for path in sorted((root / "tests" / "data").rglob("*.md"))
        if "bad" not in path.relative_to(root / "tests" / "data").parts
    ]
    sources += sorted(write_corpus(tmp_path / "corpus", 40).rglob("*.md"))
    return [reader.read(str(path))[0] for path in sources]


def test_quick_smartypants_gives_the_same_output_as_shipped(tmp_path):
    from plugins.typography.typography import typeset_html

    bodies = [
        *_every_body_we_have(tmp_path),
        "<p>\\\"Escaped\\\" quotes, a \\\\ backslash, ``backticks'' and 'single' ones.</p>",
        "<p>\"Quoted\" and 'quoted' -- dashes --- and the '80s... <em>\"nested 'both'\"</em></p>",
        "<p>&quot;entities&quot; and plain text with no quote at all</p>",
    ]
    assert len(bodies) > 60, "too few bodies to compare"
    tags = ["kbd", "script", "style", "math"]
    for body in bodies:
        quick = typeset_html(body, tags, quick=True)
        shipped = typeset_html(body, tags, quick=False)
        assert quick == shipped, f"quick SmartyPants changed the output of:\n{body[:300]}"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("What I learned contributing to llm-d, a router", ["llm-d"]),
        ("An x-ray of end-to-end tests", ["x-ray", "end-to-end"]),
        ("One-line summaries and PII-safe shards", []),
        ("<b>llm-d</b>", ["llm-d"]),
    ],
)
def test_smart_text_keeps_short_hyphenated_words_on_one_line(text, kept):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(str(smart_text(text)), "html.parser")
    assert [span.get_text() for span in soup.select("span.nowrap")] == kept
    assert soup.get_text().replace("\xa0", " ") == text, "the words themselves changed"

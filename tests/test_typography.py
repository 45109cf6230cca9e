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

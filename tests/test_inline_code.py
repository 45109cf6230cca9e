"""Living with the Content-Security-Policy: no page of either build carries inline
script, inline style or an inline event handler (JSON-LD data blocks are fine)."""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import read_html

# <script type> values that are data, which CSP does not run.
DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}
URL_ATTRIBUTES = ("href", "src", "action", "formaction")


def inline_code_problems(soup):
    """Everything in a page that a strict CSP would block as inline code."""
    problems = []
    for script in soup.find_all("script"):
        kind = (script.get("type") or "").strip().lower()
        if kind in DATA_SCRIPT_TYPES:
            continue
        if not script.get("src"):
            problems.append(f"inline <script>: {str(script)[:80]}")
    for style in soup.find_all("style"):
        problems.append(f"<style> element: {str(style)[:80]}")
    for element in soup.find_all(True):
        for name, value in element.attrs.items():
            if name == "style":
                problems.append(f'style= on <{element.name}>: "{value}"')
            elif name.lower().startswith("on"):
                problems.append(f"{name}= handler on <{element.name}>")
            elif name in URL_ATTRIBUTES and str(value).strip().lower().startswith("javascript:"):
                problems.append(f"javascript: URL in {name}= on <{element.name}>")
    return problems


def test_the_checker_finds_each_kind_of_inline_code():
    soup = BeautifulSoup(
        """<html><head><style>p{}</style>
        <script type="application/ld+json">{"@type": "BlogPosting"}</script>
        <script>alert(1)</script><script src="/ok.js"></script></head>
        <body><p style="color:red" onclick="x()">t</p><a href="javascript:void(0)">l</a>
        <img src="/i.png" onerror="y()"></body></html>""",
        "html.parser",
    )
    problems = inline_code_problems(soup)
    assert len(problems) == 6, problems
    assert not any("ld+json" in problem or "ok.js" in problem for problem in problems)


@pytest.mark.parametrize("build", ["site", "prod_site"])
def test_no_page_has_inline_code(build, request):
    output = Path(request.getfixturevalue(build))
    pages = sorted(output.rglob("*.html"))
    assert len(pages) > 20, f"only {len(pages)} pages in the {build} build"
    for page in pages:
        problems = inline_code_problems(read_html(page))
        assert not problems, f"{page.relative_to(output)}: {problems}"

"""Raw HTML that runs script or navigates never ships.

A corpus of known XSS and redirect vectors (OWASP's filter-evasion cheat sheet
forms, and the variants issue 10 found getting past the old source regexes),
each in its own post, is built once through `invoke build`: the build must exit
1, name every post with its line and field, print no traceback and leave the
last good output/ as it was. The same vectors shown as code must build and
appear as text. content_guard's html_policy is unit-tested on plain strings.
"""

from pathlib import Path

import markdown
import pytest

from plugins.content_guard.content_guard import check_rendered, parse
from plugins.content_guard.html_policy import ELEMENTS, url_scheme, violations
from sitetools.build.builder import BuildError, SiteBuilder, build, load_settings
from tests.conftest import read_html, run_invoke, snapshot

# name: (Markdown put on line 7 of a post's body, lines below 7 where the
# offending markup is). Names become file names.
VECTORS = {
    "script": ("<script>alert(1)</script>", 0),
    "script-uppercase-slash": ('<SCRIPT/XSS SRC="https://example.com/xss.js"></SCRIPT>', 0),
    "script-extra-brackets": ('<<SCRIPT>alert("XSS");//\\<</SCRIPT>', 0),
    # The old regexes masked what lay between two backticks, across lines.
    "script-in-html-block-with-backticks": (
        '<div title="`">\n<script>alert(1)</script>\n<p title="`">x</p>\n</div>',
        1,
    ),
    "svg-onload": ("<svg/onload=alert(1)>", 0),
    "svg-script": ("<svg><script>alert(1)</script></svg>", 0),
    "math-mxss": ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", 0),
    "event-after-value-with-lt": ('Text <b title="a<b" onclick="alert(1)">x</b> more', 0),
    "img-onerror": ("<img src=x onerror=alert(1)>", 0),
    "div-onmouseover": ('<div onmouseover="alert(1)">hover</div>', 0),
    "details-ontoggle": ("<details open ontoggle=alert(1)><summary>x</summary></details>", 0),
    "body-onload": ("<body onload=alert(1)>", 0),
    "attr-list-onclick": ('## Heading {: onclick="alert(1)" }', 0),
    "js-url-raw": ('<a href="javascript:alert(1)">x</a>', 0),
    "js-url-entity": ('<a href="&#106;avascript:alert(1)">x</a>', 0),
    "js-url-entity-tab": ('<a href="java&#x09;script:alert(1)">x</a>', 0),
    "js-url-literal-newline": ('<a href="java\nscript:alert(1)">x</a>', 0),
    "js-url-named-colon": ('<a href="javascript&colon;alert(1)">x</a>', 0),
    "js-url-leading-control": ('<a href=" &#14;  javascript:alert(1)">x</a>', 0),
    "js-url-img-decimal-no-semicolons": (
        "<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114"
        "&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114"
        "&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041>",
        0,
    ),
    "js-url-img-hex": (
        "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C"
        "&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
        0,
    ),
    "js-url-markdown-link": ("[Click](javascript:alert(1))", 0),
    "js-url-markdown-link-entity": ("[Click](&#106;avascript:alert(1))", 0),
    "js-url-markdown-reference": ("[Click][r]\n\n[r]: JaVaScRiPt:alert(1)", 2),
    "vbscript-url": ('<a href="vbscript:msgbox(1)">x</a>', 0),
    "data-url": ('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>', 0),
    "meta-refresh": ('<meta http-equiv="refresh" content="0;url=https://example.com/">', 0),
    "base-href": ('<base href="https://example.com/">', 0),
    "iframe-srcdoc": ('<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>', 0),
    "object-data": ('<object data="https://example.com/x.swf"></object>', 0),
    "embed-src": ('<embed src="https://example.com/x.swf">', 0),
    "form-action": ('<form action="https://example.com/"><input name="q"></form>', 0),
    "button-formaction": ("<button formaction=javascript:alert(1)>x</button>", 0),
    "style-element": ("<style>body{display:none}</style>", 0),
    "style-attribute": ('<p style="background:url(javascript:alert(1))">x</p>', 0),
    "link-stylesheet": ('<link rel="stylesheet" href="https://example.com/x.css">', 0),
    "noscript-breakout": (
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
        0,
    ),
    "template-img": ("<template><img src=x onerror=alert(1)></template>", 0),
    "img-srcset": ('<img src="a.png" srcset="javascript:alert(1)">', 0),
    "table-aligned-column": ("| a | b |\n|:--|--:|\n| 1 | 2 |", 1),
    "unclosed-attribute": ('<div>\n<a href="/x" title="open\n', 0),
}

# name: a Summary: header value (line 4), which Pelican renders as Markdown.
SUMMARY_VECTORS = {
    "summary-onerror": "A picture <img src=x onerror=alert(1)>",
    "summary-svg": "Hello <svg/onload=alert(1)>",
    "summary-js-link": "[Click](&#106;avascript:alert(1))",
}

# Code mentioning every vector, on line 5 of each post: it must not be taken
# for the live markup on line 7.
CODE_MENTION = "Shown as code: `<script>` `<svg/onload=x>` `onclick=` `javascript:` `<iframe>`."


def post(name, body="", summary=None):
    summary_line = f"Summary: {summary}\n" if summary else ""
    return (
        f"Title: Vector {name}\nDate: 2026-03-01 09:00\nTags: testing\n{summary_line}\n"
        f"{CODE_MENTION}\n\n{body}\n"
    )


def render(text):
    """HTML as the site's Markdown settings render it."""
    config = load_settings()["MARKDOWN"]
    return markdown.Markdown(extensions=list(config["extension_configs"]), **config).convert(text)


# ---- The pure check -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_every_vector_renders_to_markup_outside_the_allowlist(name):
    html = render(VECTORS[name][0])
    assert violations(html), f"{name}: nothing refused in {html!r}"


@pytest.mark.parametrize(
    "text",
    [
        "Para with a footnote[^1] and an *HTML* abbr.\n\n*[HTML]: Hyper Text\n\n[^1]: Note.",
        "[TOC]\n\n## One\n\n## Two {: #custom .wide }",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "Term\n:   Definition",
        '```python\nx = "<script>alert(1)</script>"\n```',
        "    <iframe src=x onload=alert(1)>",
        "`<svg/onload=alert(1)>` and `[x](javascript:alert(1))`",
        '![A chart]({static}/images/chart.png "Chart") and [a post]({filename}other.md#part)',
        "<https://example.com/> and <me@example.com> and [mail](mailto:me@example.com)",
        "[relative](../x/) [fragment](#top) [query](?q=1) [proto-relative](//example.com/)",
        "<details open><summary>More</summary>\n\nHidden *text*.\n\n</details>",
        '<figure><img src="/a.png" alt="a" width="10" height="10" loading="lazy">'
        "<figcaption>A</figcaption></figure>",
        "Press <kbd>Ctrl</kbd>+<kbd>C</kbd>, H<sub>2</sub>O, x<sup>2</sup>, <mark>m</mark>.",
        '<ol start="3" reversed><li value="5">x</li></ol><!-- a comment -->',
        '<abbr title="HyperText">HTML</abbr> <time datetime="2026-01-01">then</time>',
        "Turn it on=off; the word javascript: names a language.",
    ],
)
def test_what_markdown_and_harmless_html_write_is_allowed(text):
    html = render(text)
    assert violations(html) == (), html


@pytest.mark.parametrize(
    ("value", "scheme"),
    [
        ("javascript:alert(1)", "javascript"),
        (" \x0e JavaScript:x", "javascript"),
        ("java\tscr\nipt:x", "javascript"),
        ("https://example.com/", "https"),
        ("mailto:me@example.com", "mailto"),
        ("{static}/images/a.png", ""),
        ("|filename|a.md", ""),
        ("/path:with-colon", ""),
        ("#fn:1", ""),
        ("java    script:x", ""),  # spaces stay: a relative path, not a scheme
        ("1http:x", ""),
    ],
)
def test_url_scheme_reads_a_url_as_a_browser_does(value, scheme):
    assert url_scheme(value) == scheme


def test_each_problem_is_on_the_line_that_shows_it_not_on_code():
    text = (
        "Title: A\nSummary: <svg/onload=x>\n\n"
        "Shown as code: `<iframe>`\n\n"
        "<iframe src=a></iframe>\n\n"
        "```\n<iframe>\n```\n\n"
        "<iframe src=b></iframe>\n"
    )
    source = parse(text)
    problems = check_rendered(source, render(source.body), {"summary": render("<svg/onload=x>")})
    assert [(p.line, p.field) for p in problems] == [(2, "Summary"), (6, "body"), (12, "body")]
    assert all("; " in p.message for p in problems), problems


def test_attributes_added_to_the_page_body_are_refused():
    found = violations("<p>x</p><body onload=alert(1)><html onclick=alert(1)>")
    assert {(v.tag, v.attribute) for v in found} == {("body", "onload"), ("html", "onclick")}


@pytest.mark.parametrize("html", ['<p>x <a title="open', "<p>x</p><!-- open"])
def test_html_left_open_at_the_end_is_refused(html):
    assert [v.kind for v in violations(html)] == ["unclosed"]


def test_the_docs_list_the_elements_the_check_allows():
    readme = (Path(__file__).resolve().parent.parent / "docs" / "writing.md").read_text(
        encoding="utf-8"
    )
    bullet = readme.split("- **Elements**:", 1)[1].split("\n- ", 1)[0]
    listed = set(" ".join(bullet.split("`")[1::2][-1:]).split())
    listed = (listed - {"h1–h6"}) | {f"h{n}" for n in range(1, 7)}
    assert listed == ELEMENTS, listed ^ ELEMENTS


# ---- One build over the whole corpus --------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """One failing `invoke build` of every vector over a good build:
    (finished process, output folder, snapshot of it before)."""
    base = tmp_path_factory.mktemp("hostile-html")
    good = base / "good"
    (good / "posts").mkdir(parents=True)
    (good / "posts" / "fine.md").write_text(post("fine", "A fine body."), encoding="utf-8")
    output = base / "output"
    build("pelicanconf.py", output, {"PATH": str(good), "CACHE_PATH": str(base / "cache")})
    before = snapshot(output)

    content = base / "content"
    (content / "posts").mkdir(parents=True)
    (content / "pages").mkdir()
    for name, (body, _) in VECTORS.items():
        (content / "posts" / f"{name}.md").write_text(post(name, body), encoding="utf-8")
    for name, summary in SUMMARY_VECTORS.items():
        (content / "posts" / f"{name}.md").write_text(
            post(name, "A plain body.", summary), encoding="utf-8"
        )
    (content / "posts" / "fine.md").write_text(post("fine", "A fine body."), encoding="utf-8")
    (content / "pages" / "refresh-page.md").write_text(
        'Title: A page\n\n<meta http-equiv="refresh" content="0;url=https://example.com/">\n',
        encoding="utf-8",
    )
    run = run_invoke("build", "--content", str(content), "--output", str(output), timeout=300)
    return run, output, before


def report_lines(run):
    return [line.strip() for line in run.stderr.splitlines() if ".md:" in line]


def test_the_corpus_build_fails_cleanly(corpus):
    run, _, _ = corpus
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    assert "Traceback" not in run.stdout + run.stderr, run.stderr[-3000:]
    assert "last good site is still in" in run.stderr, run.stderr[-2000:]
    lines = report_lines(run)
    assert not [line for line in lines if "/fine.md:" in line], "a good post was refused"
    assert any("/refresh-page.md:3: body: <meta>" in line for line in lines), lines


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_every_vector_is_reported_with_its_line(corpus, name):
    run, _, _ = corpus
    line = 7 + VECTORS[name][1]
    prefix = f"/{name}.md:{line}: body: "
    matching = [entry for entry in report_lines(run) if prefix in entry]
    assert matching, f"no line with {prefix!r} in:\n" + "\n".join(report_lines(run))
    assert all("; " in entry for entry in matching), matching


@pytest.mark.parametrize("name", sorted(SUMMARY_VECTORS))
def test_every_summary_vector_is_reported(corpus, name):
    run, _, _ = corpus
    prefix = f"/{name}.md:4: Summary: "
    assert any(prefix in entry for entry in report_lines(run)), report_lines(run)


def test_nothing_of_the_corpus_ships(corpus):
    _, output, before = corpus
    assert snapshot(output) == before, "the failed build changed output/"
    assert not list(output.parent.glob(".output-*")), "a staging folder was left"


# ---- Code is text ---------------------------------------------------------------


def test_vectors_shown_as_code_build_and_read_as_text(tmp_path):
    """Every vector inside a code span and a fenced block: the build succeeds
    and the page shows the markup as text, with none of it live."""
    vectors = [body for body, _ in VECTORS.values() if "`" not in body]
    spans = "\n\n".join(f"``{v.replace(chr(10), ' ')}``" for v in vectors)
    fence = "\n".join(vectors)
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts" / "code.md").write_text(
        post("code", f"{spans}\n\n~~~~html\n{fence}\n~~~~\n\n    <script>alert(1)</script>"),
        encoding="utf-8",
    )
    output = build(
        "pelicanconf.py",
        tmp_path / "output",
        {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")},
    ).output
    soup = read_html(output / "posts" / "vector-code" / "index.html")
    body = soup.select_one("main article") or soup.select_one("main")
    live = body.select("script, svg, math, iframe, object, embed, form, style, meta, base, link")
    assert not live, f"markup went live: {live[:3]}"
    for element in body.find_all(True):
        handlers = [a for a in element.attrs if a.lower().startswith("on") or a == "style"]
        assert not handlers, f"<{element.name}> carries {handlers}"
        for attr in ("href", "src"):
            assert url_scheme(element.get(attr) or "") in ("", "http", "https", "mailto"), element
    code = " ".join(c.get_text() for c in body.select("code"))
    for text in ("<script>alert(1)</script>", "<svg/onload=alert(1)>", 'onclick="alert(1)"'):
        assert text in code, f"{text!r} is not shown as code"


# ---- The preview ----------------------------------------------------------------


def test_the_preview_refuses_a_vector_added_while_it_runs(tmp_path):
    """The preview builds again from Pelican's content cache: an edit that adds
    live markup to a post it has already read must fail that build too."""
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    path = content / "posts" / "edited.md"
    path.write_text(post("edited", "A fine body."), encoding="utf-8")
    builder = SiteBuilder(
        "pelicanconf.py",
        tmp_path / "output",
        {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")},
        warm=True,
    )
    builder.build()
    builder.wait()  # the preview indexes for search after the build
    before = snapshot(tmp_path / "output")
    path.write_text(post("edited", '<iframe srcdoc="x"></iframe>'), encoding="utf-8")
    with pytest.raises(BuildError) as failure:
        builder.build(changed={path})
    assert any("edited.md:7: body: <iframe>" in p for p in failure.value.problems), (
        failure.value.problems
    )
    builder.wait()
    assert snapshot(tmp_path / "output") == before, "the preview's output changed"

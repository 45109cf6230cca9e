"""`invoke check`: the link check and feed parse on small hand-made sites, and
the whole checker (Nu HTML Checker included) over the production build."""

import json
import shutil

import pytest

from sitetools.quality.check import (
    Page,
    broken_links,
    check_feeds,
    check_html,
    check_links,
    internal_target,
    vnu_messages,
)
from tests.conftest import run_invoke

PAGE = """<!doctype html><html lang="en"><head><title>t</title>
<link rel="stylesheet" href="{css}"></head><body><main id="main">{body}</main></body></html>"""


def write(folder, relative, text):
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("url", "page", "expected"),
    [
        ("../other/", "/posts/a/index.html", ("/posts/other/", "")),
        ("#top", "/posts/a/index.html", ("/posts/a/index.html", "top")),
        ("/tags/x/#y", "/index.html", ("/tags/x/", "y")),
        ("https://blog.test/tags/", "/index.html", ("/tags/", "")),
        ("https://elsewhere.test/", "/index.html", None),
        ("mailto:a@b.test", "/index.html", None),
        ("data:image/png;base64,AAAA", "/index.html", None),
        ("caf%C3%A9/", "/index.html", ("/café/", "")),
    ],
)
def test_internal_target(url, page, expected):
    assert internal_target(url, page, ["https://blog.test"]) == expected


def test_page_links_reads_href_src_and_srcset():
    page = Page(
        '<a href="/a/">a</a><img src="/i.png" srcset="/i-2x.png 2x, /i-3x.png 3x" alt="">'
        '<link rel="preconnect" href="https://x.test"><script src="/s.js"></script>'
    )
    urls = ["/a/", "/i.png", "/i-2x.png", "/i-3x.png", "https://x.test", "/s.js"]
    assert [url for _, _, url in page.links] == urls
    # Another origin (a preconnect's by nature) is not the site's to resolve.
    broken = broken_links({"/index.html": page}, lambda path: not path.startswith("s.js"))
    assert [url for *_, url, _site, _fragment in broken] == ["/s.js"]


def test_link_check_reports_each_broken_link_with_its_page(tmp_path):
    write(tmp_path, "theme/css/main.css", "")
    write(
        tmp_path,
        "index.html",
        PAGE.format(
            css="theme/css/main.css",
            body='<a href="posts/a/">ok</a><a href="posts/gone/">gone</a>'
            '<a href="#main">skip</a><a href="posts/a/#intro">ok</a>'
            '<a href="posts/a/#nowhere">bad fragment</a><a href="https://x.test/">ext</a>',
        ),
    )
    write(
        tmp_path,
        "posts/a/index.html",
        PAGE.format(
            css="../../theme/css/main.css",
            body='<h2 id="intro">Intro</h2><img src="../../images/missing.png" alt="">',
        ),
    )
    problems = check_links(tmp_path)
    assert len(problems) == 3, problems
    assert problems[0].startswith("/index.html: <a href='posts/gone/'>"), problems[0]
    assert "no element with id 'nowhere' on /posts/a/" in problems[1], problems[1]
    assert problems[2].startswith("/posts/a/index.html: <img src='../../images/missing.png'>")


def test_feeds_parse_and_a_broken_feed_is_reported(tmp_path, prod_site):
    problems, feeds = check_feeds(prod_site)
    assert problems == []
    assert any(f.name == "all.atom.xml" for f in feeds) and any(f.suffix == ".xml" for f in feeds)
    write(tmp_path, "feeds/broken.atom.xml", '<?xml version="1.0"?><feed><entry><title>x')
    problems, feeds = check_feeds(tmp_path)
    assert len(feeds) == 1 and problems and "does not parse" in problems[0], problems


def test_a_development_build_has_no_feeds_and_no_broken_links(site):
    assert check_feeds(site) == ([], [])
    assert check_links(site) == []


def test_vnu_messages_give_each_error_with_page_and_line():
    report = json.dumps(
        {
            "messages": [
                {"type": "error", "url": "file:/site/a.html", "lastLine": 3, "message": "Bad."},
                {"type": "non-document-error", "url": "file:/site/b.html", "message": "IO."},
            ]
        }
    )
    assert vnu_messages(report) == ["/site/a.html:3: Bad.", "/site/b.html: IO."]


@pytest.mark.slow
def test_production_site_is_valid_html(prod_site, java):
    assert check_html(prod_site) == []


@pytest.mark.slow
def test_invoke_check_reports_every_failure_and_exits_non_zero(tmp_path, prod_site, java):
    site = tmp_path / "output"
    shutil.copytree(prod_site, site)
    css = "/" + next(site.glob("assets/css/main.*.css")).relative_to(site).as_posix()
    write(site, "bad/index.html", PAGE.format(css=css, body="<p><div>x</p>"))
    write(site, "linked/index.html", PAGE.format(css="/nope.css", body='<a href="#x">x</a>'))
    write(site, "feeds/broken.atom.xml", "<feed><entry>")
    run = run_invoke("check", "--output", str(site), timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    lines = [line.strip() for line in run.stdout.splitlines() if line.startswith("  ")]
    html_lines = [line for line in lines if line.startswith("bad/index.html:")]
    assert html_lines, run.stdout
    assert any("/linked/index.html: <link href='/nope.css'>" in line for line in lines)
    assert any(
        "/linked/index.html: <a href='#x'>: no element with id 'x'" in line for line in lines
    )
    feed_lines = [line for line in lines if line.startswith("feeds/broken.atom.xml: ")]
    assert any("does not parse" in line for line in feed_lines), run.stdout
    # Only the planted failures: the real pages, links and feeds all pass.
    assert len(lines) == len(html_lines) + 2 + len(feed_lines), run.stdout

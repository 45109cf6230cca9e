"""The pieces of `invoke audit` that do not need Lighthouse: which pages it
audits, how it serves them, and how it reads and prints the scores."""

import gzip
import re
import urllib.error
import urllib.request

import pytest

from sitetools.quality.audit import (
    LIGHTHOUSE,
    pick_pages,
    scores,
    serve_in_background,
    table,
)
from tests.conftest import need_tool, run_invoke


def test_audits_the_front_page_the_newest_article_and_its_first_tag(prod_site, html):
    picked = dict(pick_pages(prod_site))
    first_card = html(prod_site, "index.html").select_one("main .card a[href]")["href"]
    assert first_card.endswith(picked["article"]), (picked, first_card)
    article = html(prod_site, picked["article"].strip("/") + "/index.html")
    first_tag = article.select_one('main a[rel="tag"]')["href"]
    assert first_tag.endswith(picked["tag page"]), (picked, first_tag)
    assert picked["front page"] == "/"


def test_serves_like_the_host_gzip_and_404(prod_site):
    server = serve_in_background(prod_site, "127.0.0.1")
    port = server.server_address[1]
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/", headers={"Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            body = gzip.decompress(response.read())
        assert body == (prod_site / "index.html").read_bytes()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page/", timeout=10)
        assert missing.value.code == 404
        assert missing.value.read() == (prod_site / "404.html").read_bytes()
    finally:
        server.shutdown()
        server.server_close()


def test_reads_the_four_scores_out_of_100_and_prints_a_row_per_page():
    figures = {"performance": 0.88, "accessibility": 1, "best-practices": None, "seo": 0.915}
    report = {"categories": {name: {"score": score} for name, score in figures.items()}}
    found = scores(report)
    assert found == {"performance": 88, "accessibility": 100, "best-practices": 0, "seo": 92}
    printed = table([("tag page", "/tags/x/", found)]).splitlines()
    assert printed[0].split() == ["page", "perf", "a11y", "best", "seo"], printed
    assert printed[1].split() == ["tag", "page", "/tags/x/", "88", "100", "0", "92"], printed


@pytest.mark.slow
def test_invoke_audit_builds_serves_and_scores_three_pages(tmp_path):
    """`invoke audit --reports DIR` end to end: the production build served on a
    free port, Lighthouse on each chosen page, the table and the kept reports."""
    need_tool(LIGHTHOUSE.exists(), f"No {LIGHTHOUSE}: run npm ci in tools/audit")
    result = run_invoke("audit", "--reports", str(tmp_path), timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    rows = [line for line in result.stdout.splitlines() if re.match(r"(front|article|tag) ", line)]
    assert [row.split()[0] for row in rows] == ["front", "article", "tag"], result.stdout
    assert all(re.search(r"(\s+\d{1,3}){4}$", row) for row in rows), rows
    assert f"Reports in {tmp_path}" in result.stdout
    assert (tmp_path / "index.report.html").is_file() and len(list(tmp_path.glob("*.json"))) == 3

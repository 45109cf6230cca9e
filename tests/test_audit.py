"""The pieces of `invoke audit` that do not need Lighthouse: which pages it
audits, how it serves them, and how it reads a report."""

import gzip
import re
import urllib.error
import urllib.request

import pytest

from sitetools.quality.audit import (
    LIGHTHOUSE,
    pick_pages,
    serve_in_background,
    summarise,
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


def test_reads_scores_weight_lcp_and_what_keeps_a_score_below_100():
    def category(score, *refs):
        return {"score": score, "auditRefs": [{"id": r, "weight": 1} for r in refs]}

    report = {
        "categories": {
            "performance": category(0.88, "total-blocking-time"),
            "accessibility": category(1, "color-contrast"),
            "best-practices": category(1),
            "seo": category(1),
        },
        "audits": {
            "total-blocking-time": {"score": 0.6, "displayValue": "480 ms"},
            "color-contrast": {"score": 1},
            "total-byte-weight": {"numericValue": 6246},
            "largest-contentful-paint": {"numericValue": 812.5},
        },
    }
    result = summarise("tag page", "/tags/x/", report)
    assert result.scores == {
        "performance": 88,
        "accessibility": 100,
        "best-practices": 100,
        "seo": 100,
    }
    assert (result.byte_weight, result.lcp_ms) == (6246, 812.5)
    assert result.below_full == ["performance: total-blocking-time 0.60 480 ms"]
    printed = table([result])
    assert "6.1 KiB" in printed and "0.81 s" in printed and "480 ms" in printed, printed


@pytest.mark.slow
def test_invoke_audit_builds_serves_and_scores_three_pages(tmp_path):
    """`invoke audit --reports DIR` end to end: the production build served on a
    free port, Lighthouse on each chosen page, the table and the kept reports."""
    need_tool(LIGHTHOUSE.exists(), f"No {LIGHTHOUSE}: run npm ci in tools/audit")
    result = run_invoke("audit", "--reports", str(tmp_path), timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    rows = [line for line in result.stdout.splitlines() if re.match(r"(front|article|tag) ", line)]
    assert [row.split()[0] for row in rows] == ["front", "article", "tag"], result.stdout
    assert all(re.search(r"\d+\.\d KiB\s+\d+\.\d\d s$", row) for row in rows), rows
    assert f"Reports in {tmp_path}" in result.stdout
    assert (tmp_path / "index.report.html").is_file() and len(list(tmp_path.glob("*.json"))) == 3

"""The build benchmark: its synthetic corpus, its statistics, and one small run."""

import json
import re
from datetime import datetime

import pytest

from sitetools.bench import (
    LABELS,
    ORDER,
    TAG_POOL,
    check_targets,
    edit_text,
    format_table,
    make_corpus,
    make_row,
    ratio,
    summarize,
)
from tests.conftest import run_invoke


def headers(text):
    """The metadata block of a Markdown post as a dict."""
    head = text.split("\n\n", 1)[0]
    return dict(line.split(": ", 1) for line in head.splitlines())


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(60, seed=3)


def posts_of(files):
    return {path: text for path, text in files.items() if path.startswith("posts/")}


def test_corpus_is_deterministic_for_a_seed():
    assert make_corpus(8, seed=3) == make_corpus(8, seed=3), "same seed, same corpus"
    assert make_corpus(8, seed=3) != make_corpus(8, seed=4), "another seed, another corpus"


def test_a_smaller_corpus_is_the_start_of_a_bigger_one():
    small, big = make_corpus(5), make_corpus(12)
    assert small.items() <= big.items(), "post i must not depend on the corpus size"
    assert len(posts_of(big)) == 12


def test_every_post_has_the_metadata_the_site_requires(corpus):
    slugs = set()
    for path, text in posts_of(corpus).items():
        meta = headers(text)
        assert meta["Title"].strip(), f"{path}: empty Title"
        datetime.strptime(meta["Date"], "%Y-%m-%d %H:%M")
        tags = [tag.strip() for tag in meta["Tags"].split(",")]
        assert 2 <= len(tags) <= 4, f"{path}: {len(tags)} tags"
        assert set(tags) <= set(TAG_POOL), f"{path}: tag outside the pool"
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta["Slug"]), f"{path}: bad slug"
        assert path == f"posts/{meta['Slug']}.md", f"{path}: file not named after its slug"
        assert 10 < len(meta["Summary"]) <= 320, f"{path}: summary length"
        slugs.add(meta["Slug"])
    assert len(slugs) == len(posts_of(corpus)), "slugs must be unique"


def test_tag_pool_is_about_thirty_and_the_corpus_uses_it(corpus):
    assert 25 <= len(set(TAG_POOL)) <= 35
    used = {
        tag.strip()
        for text in posts_of(corpus).values()
        for tag in headers(text)["Tags"].split(",")
    }
    assert len(used) >= 25, f"only {len(used)} tags used in 60 posts"


def test_posts_have_headings_code_in_several_languages_and_lists(corpus):
    languages = set()
    for path, text in posts_of(corpus).items():
        body = text.split("\n\n", 1)[1]
        assert re.search(r"^## \S", body, re.M), f"{path}: no ## heading"
        assert re.search(r"^(- |1\. )\S", body, re.M), f"{path}: no list"
        fences = re.findall(r"^```(\w+)$", body, re.M)
        assert fences, f"{path}: no fenced code"
        languages.update(fences)
        assert len(body.split()) > 300, f"{path}: too short to stand for a post"
    assert any(re.search(r"^### \S", text, re.M) for text in corpus.values()), "no ### heading"
    assert len(languages) >= 4, f"code in {sorted(languages)} only"


def test_edit_adds_the_token_and_keeps_the_post():
    edited = edit_text("Title: A\n\nBody.\n", "tok-1")
    assert edited.startswith("Title: A\n\nBody.")
    assert "tok-1" in edited.split("Body.", 1)[1]


@pytest.mark.parametrize(
    ("samples", "median", "low", "high"),
    [
        ([3, 1, 2], 2, 1, 3),
        ([4, 1, 3, 2], 2.5, 1, 4),
        ([0.7], 0.7, 0.7, 0.7),
    ],
)
def test_summarize(samples, median, low, high):
    result = summarize(samples)
    assert (result["median"], result["min"], result["max"]) == (median, low, high)


def test_summarize_needs_samples():
    with pytest.raises(ValueError, match="at least one"):
        summarize([])


@pytest.mark.parametrize(
    ("value", "baseline", "expected"),
    [(3.0, 2.0, 1.5), (1.0, 0, None), (None, 2.0, None), (2.0, None, None)],
)
def test_ratio(value, baseline, expected):
    assert ratio(value, baseline) == expected


def test_row_figures_and_ratios_against_the_baseline():
    vanilla = make_row("vanilla", "v", [2.0, 2.0, 2.0], [1024, 2048], 100)
    assert vanilla["peak_rss_mib"] == 2.0, "peak RSS is the largest sample, KiB -> MiB"
    assert vanilla["ms_per_page"] == 20.0, "2 s over 100 pages"
    ours = make_row("production", "p", [3.0, 2.0, 4.0], [3072], 120, baseline=vanilla)
    assert ours["seconds"]["median"] == 3.0
    assert ours["time_ratio"] == 1.5
    assert ours["memory_ratio"] == 1.5
    assert ours["ms_per_page"] == 25.0


def _rows(production_ratio, rebuild_seconds, served_seconds):
    def row(name, seconds, time_ratio=None, memory_ratio=None):
        return {
            "name": name,
            "seconds": summarize([seconds]),
            "time_ratio": time_ratio,
            "memory_ratio": memory_ratio,
        }

    return [
        row("production", 10.0, production_ratio, 1.5),
        row("production-warm", 5.0, production_ratio / 2, 1.5),
        row("rebuild", rebuild_seconds, 0.2, 2.5),
        row("save-to-served", served_seconds),
    ]


def test_targets_hold_or_miss_on_their_limits():
    results = {r["name"]: r["holds"] for r in check_targets(_rows(1.2, 2.5, 0.5))}
    assert results["production build ≤ 1.2× vanilla Pelican"] is True, "1.2× is within"
    assert results["  the same, warm cache, one post edited"] is True, "0.6× is within"
    assert results["rebuild after one edit ≤ 2.5 s"] is True, "2.5 s is within"
    assert results["save-to-served < 0.5 s"] is False, "0.5 s is not under 0.5 s"
    assert results["production peak memory ≤ 2× vanilla"] is True
    assert results["preview peak memory ≤ 2× vanilla"] is False, "2.5× is over 2×"
    missed = {r["name"]: r["holds"] for r in check_targets(_rows(1.21, 2.6, 0.1))}
    assert missed["production build ≤ 1.2× vanilla Pelican"] is False
    warm_missed = {r["name"]: r["holds"] for r in check_targets(_rows(2.6, 1.0, 0.1))}
    assert warm_missed["  the same, warm cache, one post edited"] is False, "1.3× is over"
    assert missed["rebuild after one edit ≤ 2.5 s"] is False
    assert missed["save-to-served < 0.5 s"] is True


def test_a_target_without_its_row_is_not_measured():
    results = check_targets([])
    assert all(result["holds"] is None for result in results)


def test_table_lists_every_row_and_verdict():
    rows = _rows(1.3, 1.0, 0.2)
    for row in rows:
        row.update(label=f"label of {row['name']}", peak_rss_mib=100.0, pages=10, ms_per_page=1.0)
    report = {
        "posts": 5,
        "seed": 7,
        "runs": 2,
        "machine": {"cpus": 2, "pelican": "4.12.0", "python": "3.11.7"},
        "rows": rows,
        "targets": check_targets(rows),
    }
    table = format_table(report)
    for row in rows:
        assert row["label"] in table, f"{row['name']} missing from the table"
    assert re.search(r"production build ≤ 1\.2× vanilla Pelican\s+1\.30×\s+MISSED", table)
    assert re.search(r"rebuild after one edit ≤ 2\.5 s\s+1\.00 s\s+holds", table)
    assert "5 posts" in table
    assert "2 runs each" in table


@pytest.mark.slow
def test_invoke_bench_runs_every_contender_on_a_small_corpus():
    """`invoke bench --posts 20 --runs 1 --json` end to end: no thresholds,
    only that every contender ran, built pages and reported figures."""
    result = run_invoke("bench", "--posts", "20", "--runs", "1", "--json", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    rows = {row["name"]: row for row in report["rows"]}
    assert list(rows) == list(ORDER), f"contenders: {list(rows)}"
    for name, row in rows.items():
        assert row["label"] == LABELS[name]
        assert row["seconds"]["median"] > 0, f"{name}: no time"
        assert row["peak_rss_mib"] > 10, f"{name}: no peak RSS"
    for name in ("production", "production-warm", "vanilla", "rebuild"):
        assert rows[name]["pages"] > 20, f"{name} wrote {rows[name]['pages']} pages"
    assert rows["save-to-served"]["pages"] > 10, "the ten-post site has more than 10 pages"
    assert rows["vanilla"]["time_ratio"] == 1.0
    assert rows["production"]["time_ratio"] > 0
    assert all(target["holds"] in (True, False) for target in report["targets"]), report["targets"]
    assert report["posts"] == 20 and report["runs"] == 1
    assert result.stderr.count("run 1/1") == len(ORDER), "one progress line per contender"

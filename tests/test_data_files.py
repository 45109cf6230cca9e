"""Raw data downloads: a post's `Data:` files, kept in content/data/<slug>/, are
published under the post's URL, listed under "Raw data" with format and size,
described as a schema.org Dataset in the JSON-LD, and a missing or broken one
fails the build naming the post and line (tests/data/data_files)."""

import json
import shutil

import pytest

from plugins.data_files.data_files import names_of, parse_problem, size_label
from sitetools.build.builder import BuildError, build
from tests.conftest import DATA, axe_violations, build_site, read_html, run_invoke, snapshot

GOOD = DATA / "data_files" / "good"
BAD = DATA / "data_files" / "bad"
SITEURL = "https://data.example.org"
LISTED = {"latency.csv": "text/csv", "summary.json": "application/json"}
LISTED["probes.jsonl"] = "application/jsonl"


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    return build_site(tmp_path_factory, "data-files", PATH=str(GOOD), SITEURL=SITEURL)


def post(output, slug="sample-measurements"):
    return read_html(output / "posts" / slug / "index.html")


def json_ld(soup):
    script = soup.select_one('script[type="application/ld+json"]')
    assert script is not None, "the post has no JSON-LD"
    return json.loads(script.string)


def test_listed_files_are_published_under_the_posts_url(output):
    for name in LISTED:
        source = GOOD / "data" / "sample-measurements" / name
        published = output / "posts" / "sample-measurements" / name
        assert published.is_file(), f"{name} was not published beside the post"
        assert published.read_bytes() == source.read_bytes(), f"{name} changed on the way"
    assert not list(output.rglob("unlisted.csv")), "a file no post lists was published"
    assert not (output / "data").exists(), "the data folder was published as it is"


def test_a_drafts_data_follows_the_draft(output):
    assert (output / "drafts" / "draft-notes" / "points.csv").is_file()
    assert not (output / "posts" / "draft-notes").exists(), "a draft's data went live"


def test_raw_data_lists_each_file_with_format_and_size(output):
    section = post(output).select_one("section.post__data")
    assert section is not None, "no Raw data section"
    assert section.h2.get_text(strip=True) == "Raw data"
    items = section.select("li")
    assert [li.a.get_text(strip=True) for li in items] == list(LISTED)
    for item in items:
        name = item.a.get_text(strip=True)
        size = (GOOD / "data" / "sample-measurements" / name).stat().st_size
        meta = item.select_one(".data-files__meta").get_text(strip=True)
        assert meta == f"{name.rsplit('.', 1)[1].upper()}, {size} B", meta
        target = (output / "posts" / "sample-measurements" / item.a["href"]).resolve()
        assert target == (output / "posts" / "sample-measurements" / name).resolve(), item.a
        assert item.a.has_attr("download") and item.a["type"] == LISTED[name]


def test_json_ld_describes_a_dataset_with_one_download_per_file(output):
    data = json_ld(post(output))
    dataset = data.get("hasPart")
    assert dataset and dataset["@type"] == "Dataset", data
    assert dataset["name"] == "Sample measurements" and dataset["description"], dataset
    downloads = {d["contentUrl"]: d for d in dataset["distribution"]}
    for name, media_type in LISTED.items():
        url = f"{SITEURL}/posts/sample-measurements/{name}"
        assert url in downloads, f"no DataDownload for {url}: {sorted(downloads)}"
        assert downloads[url]["@type"] == "DataDownload"
        assert downloads[url]["encodingFormat"] == media_type
    assert len(downloads) == len(LISTED)


def test_a_post_without_data_has_no_list_and_no_dataset(output):
    soup = post(output, "plain-post")
    assert soup.select_one("section.post__data") is None
    assert "hasPart" not in json_ld(soup)


@pytest.mark.parametrize(
    ("suffix", "raw", "words"),
    [
        ("csv", b"a,b\n1,2\n3\n", "line 3 has 1 fields"),
        ("csv", b'a,b\n"1,2\n', "does not parse as CSV"),
        ("json", b"{'a': 1}", "does not parse as JSON"),
        ("jsonl", b'{"a": 1}\n\n[1,\n', "line 3 is not JSON"),
        ("json", b"\xff\xfe", "is not UTF-8"),
        ("csv", b"  \n", "is empty"),
    ],
)
def test_parse_problem_names_what_is_wrong(suffix, raw, words):
    problem = parse_problem(suffix, raw)
    assert problem and words in problem, problem


def test_good_files_parse_and_names_and_sizes_read_well():
    assert parse_problem("csv", b'a,b\n"1,5",2\n') is None
    assert parse_problem("jsonl", b'{"a": 1}\n\n{"a": 2}\n') is None
    assert names_of("a.csv, b.json,\n c.jsonl") == ["a.csv", "b.json", "c.jsonl"]
    assert [size_label(n) for n in (0, 999, 2160, 3_400_000)] == [
        "0 B",
        "999 B",
        "2.2 KB",
        "3.4 MB",
    ]


# ---- Bad data fails the build: every problem, post and line named, output kept


@pytest.fixture(scope="module")
def good_output(output, tmp_path_factory):
    copy = tmp_path_factory.mktemp("data-last-good") / "output"
    shutil.copytree(output, copy)
    return copy, snapshot(copy)


EXPECTED = [
    ("other-post.md:6: Data: ", "results.csv is not in"),
    ("broken-data.md:5: Data: ", "missing.csv is not in"),
    ("broken-data.md:5: Data: ", "ragged.csv line 3 has 3 fields"),
    ("broken-data.md:5: Data: ", "broken.json does not parse as JSON"),
    ("broken-data.md:5: Data: ", "broken.jsonl line 2 is not JSON"),
    ("broken-data.md:5: Data: ", "notes.txt is not one of CSV, JSON, JSONL"),
    ("broken-data.md:5: Data: ", "'../escape.csv' is not a file name"),
]


def test_every_data_problem_is_reported_in_one_run(good_output):
    output, before = good_output
    with pytest.raises(BuildError) as failure:
        build("pelicanconf.py", output, {"PATH": str(BAD), "CACHE_PATH": str(output.parent / "c")})
    problems = failure.value.problems
    for where, words in EXPECTED:
        assert any(where in line and words in line and "; " in line for line in problems), (
            f"no {where}{words}… in:\n" + "\n".join(problems)
        )
    assert len(problems) == len(EXPECTED), problems
    assert snapshot(output) == before, "the failed build changed the last good site"


def test_the_cli_exits_1_without_a_traceback(good_output, tmp_path):
    output = tmp_path / "output"
    shutil.copytree(good_output[0], output)
    run = run_invoke("build", "--content", str(BAD), "--output", str(output))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert "missing.csv is not in" in run.stderr and "broken-data.md:5: Data:" in run.stderr
    assert snapshot(output) == good_output[1]


def test_data_outside_static_paths_is_named_as_a_settings_problem(tmp_path):
    with pytest.raises(BuildError) as failure:
        build(
            "pelicanconf.py",
            tmp_path / "output",
            {"PATH": str(GOOD), "CACHE_PATH": str(tmp_path / "c"), "STATIC_PATHS": ["images"]},
        )
    assert any("STATIC_PATHS" in line and "'data'" in line for line in failure.value.problems)
    assert not (tmp_path / "output").exists()


def test_no_authors_post_says_data_is_attached_without_a_data_line():
    """The README's "Left for the author": until a post lists its files, its body
    does not claim that they come with it."""
    claims = ("raw data is included", "data is attached", "raw data included with")
    for path in sorted((DATA.parent.parent / "content" / "posts").glob("*.md")):
        header, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        if "\ndata:" not in f"\n{header.lower()}":
            found = [claim for claim in claims if claim in body.lower()]
            assert not found, f"{path.name} says {found} but lists no Data"


def test_a_site_without_the_plugin_is_left_alone(output, tmp_path_factory):
    """Signals outlive a build: a later build without data_files in the same
    process neither moves nor lists data files."""
    from sitetools.build.builder import load_settings

    plugins = [p for p in load_settings("pelicanconf.py")["PLUGINS"] if p != "data_files"]
    other = build_site(tmp_path_factory, "data-off", PATH=str(GOOD), PLUGINS=plugins)
    assert not (other / "posts" / "sample-measurements" / "latency.csv").exists()
    assert post(other).select_one("section.post__data") is None


@pytest.mark.parametrize(
    "mode",
    [
        {"color_scheme": "light", "viewport": {"width": 390, "height": 844}},
        {"color_scheme": "dark", "viewport": {"width": 1280, "height": 900}},
    ],
    ids=["light-390px", "dark-1280px"],
)
def test_the_raw_data_list_passes_axe_and_fits_the_width(open_page, output, mode):
    page = open_page(output, "/posts/sample-measurements/", origin=SITEURL, **mode)
    page.wait_for_selector("section.post__data")
    assert axe_violations(page) == [], mode["color_scheme"]
    width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"the post scrolls sideways: {width}"

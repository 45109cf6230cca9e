"""The parallel_markdown plugin: sources read on every CPU make the same site,
and reading problems still reach the build's report."""

import re

import pytest

from sitetools.build.builder import build, load_settings
from sitetools.build.parallel import available_cpus
from sitetools.quality.bench import write_corpus
from tests.conftest import run_python, site_files

POSTS = 40


def _build(base, content, workers, **overrides):
    settings = {
        "PATH": str(content),
        "CACHE_PATH": str(base / f"cache-{workers}"),
        "PARALLEL_MARKDOWN": {"workers": workers, "min_files": 1},
        **overrides,
    }
    return build("publishconf.py", base / f"output-{workers}", settings)


def _build_in_a_fresh_process(base, content, **overrides):
    """A build with two workers where it may fork (as `invoke publish` does):
    its warnings or problems, and what it logged about reading, one a line."""
    return run_python(
        f"""
        from pathlib import Path
        from tests.conftest import capture_log_messages
        from tests.test_parallel_markdown import _build
        seen = capture_log_messages()
        try:
            result = _build(Path({str(base)!r}), Path({str(content)!r}), 2, **{overrides!r})
            print("WARNINGS", *result.warnings, sep="\\n")
        except Exception as error:
            print("FAILED", *getattr(error, "problems", [error]), sep="\\n")
        print("\\n".join(line for line in seen if "Markdown sources" in line))
        """
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("parallel-corpus"), POSTS)


def test_reading_on_every_cpu_makes_the_same_site_as_reading_one_by_one(corpus, tmp_path):
    serial = _build(tmp_path, corpus, workers=1).output
    said = _build_in_a_fresh_process(tmp_path, corpus)
    assert "FAILED" not in said, said
    serial_files, parallel_files = site_files(serial), site_files(tmp_path / "output-2")
    assert serial_files.keys() == parallel_files.keys(), "different files were written"
    differing = [name for name in serial_files if serial_files[name] != parallel_files[name]]
    assert not differing, f"pages differ: {differing[:5]}"
    posts = [name for name in serial_files if name.startswith("posts/") and name.endswith(".html")]
    assert len(posts) == POSTS
    if available_cpus() >= 2:
        assert f"Reading {POSTS + 1} Markdown sources on 2 processes" in said, said


def test_a_warning_while_reading_reaches_the_build(tmp_path):
    content = write_corpus(tmp_path / "content", 30)
    post = next((content / "posts").glob("*.md"))
    post.write_text("Status: published\nStatus: published\n" + post.read_text("utf-8"), "utf-8")
    # content_guard refuses a key given twice before anything is read: without
    # it, Pelican's reader warns about it.
    plugins = [
        name for name in load_settings("publishconf.py")["PLUGINS"] if name != "content_guard"
    ]
    said = _build_in_a_fresh_process(tmp_path, content, PLUGINS=plugins)
    assert "FAILED" not in said, said
    assert "Duplicate definition of `status`" in said.split("WARNINGS", 1)[1], said
    if available_cpus() >= 2:
        assert "Markdown sources on 2 processes" in said, "the sources were not read ahead"


def test_a_source_that_cannot_be_read_fails_the_build_by_name(tmp_path):
    content = write_corpus(tmp_path / "content", 30)
    post = sorted((content / "posts").glob("*.md"))[3]
    text = re.sub(r"^Date: .*$", "Date: not a date", post.read_text("utf-8"), flags=re.M)
    post.write_text(text, encoding="utf-8")
    said = _build_in_a_fresh_process(tmp_path, content)
    assert "FAILED" in said, said
    assert post.name in said.split("FAILED", 1)[1], said
    assert not (tmp_path / "output-2").exists(), "a failed build wrote an output"


def test_yaml_front_matter_is_read_ahead_too(tmp_path):
    """parallel_markdown wraps pelican-yaml-metadata's reader, not Pelican's."""
    content = write_corpus(tmp_path / "content", 30)
    for number, post in enumerate(sorted((content / "posts").glob("*.md"))):
        post.write_text(
            f"---\ntitle: YAML {number}\ndate: 2026-01-01\ntags: [a, b]\nslug: yaml-{number}\n"
            f"---\n\nBody {number}.\n",
            "utf-8",
        )
    said = _build_in_a_fresh_process(tmp_path, content)
    assert "FAILED" not in said, said
    page = (tmp_path / "output-2" / "posts" / "yaml-7" / "index.html").read_text("utf-8")
    assert "YAML 7" in page and "title:" not in page, "the front matter was not read as YAML"
    if available_cpus() >= 2:
        assert "Markdown sources on 2 processes" in said, "the sources were not read ahead"

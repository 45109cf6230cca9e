"""The read_ahead plugin: sources read on every CPU make the same site, and
reading problems still reach the build's report."""

import re
from pathlib import Path

import pytest

from sitetools.bench import write_corpus
from sitetools.build import BuildError, build, load_settings
from sitetools.parallel import available_cpus
from tests.conftest import run_python

POSTS = 40


def _build(base, content, workers, **overrides):
    settings = {
        "PATH": str(content),
        "CACHE_PATH": str(base / f"cache-{workers}"),
        "READ_AHEAD": {"workers": workers, "min_files": 1},
        **overrides,
    }
    return build("publishconf.py", base / f"output-{workers}", settings)


def _files(output):
    files = {}
    for path in sorted(Path(output).rglob("*")):
        if path.is_file():
            text = path.read_bytes()
            if path.name == "sitemap.xml":  # lastmod of listings is the build time
                text = re.sub(rb"<lastmod>[^<]*</lastmod>", b"", text)
            files[path.relative_to(output).as_posix()] = text
    return files


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("read-ahead-corpus"), POSTS)


def test_reading_ahead_makes_the_same_site_as_reading_one_by_one(corpus, tmp_path):
    serial = _build(tmp_path, corpus, workers=1).output
    # The parallel build runs in a fresh process, where it may fork (as
    # `invoke publish` does); it reports how it read.
    out = run_python(
        f"""
        from pathlib import Path
        from tests.conftest import capture_log_messages
        from tests.test_read_ahead import _build
        seen = capture_log_messages()
        _build(Path({str(tmp_path)!r}), Path({str(corpus)!r}), workers=2)
        print("\\n".join(line for line in seen if "ahead" in line))
        """
    )
    parallel = tmp_path / "output-2"
    serial_files, parallel_files = _files(serial), _files(parallel)
    assert serial_files.keys() == parallel_files.keys(), "different files were written"
    differing = [name for name in serial_files if serial_files[name] != parallel_files[name]]
    assert not differing, f"pages differ: {differing[:5]}"
    assert len([name for name in serial_files if name.startswith("posts/")]) == POSTS
    if available_cpus() >= 2:
        assert f"Reading {POSTS + 1} sources ahead on 2 processes" in out, out


def test_a_warning_from_a_worker_reaches_the_build(corpus, tmp_path):
    content = tmp_path / "content"
    write_corpus(content, 30)
    post = next((content / "posts").glob("*.md"))
    post.write_text("Status: published\nStatus: published\n" + post.read_text("utf-8"), "utf-8")
    # content_guard refuses a key given twice before anything is read: without
    # it, Pelican's reader warns about it in the worker.
    plugins = [
        name for name in load_settings("publishconf.py")["PLUGINS"] if name != "content_guard"
    ]
    result = _build(tmp_path, content, workers=2, PLUGINS=plugins)
    assert any("Duplicate definition of `status`" in line for line in result.warnings), (
        f"warnings: {result.warnings}"
    )


def test_a_source_that_cannot_be_read_fails_the_build_by_name(tmp_path):
    content = write_corpus(tmp_path / "content", 30)
    post = sorted((content / "posts").glob("*.md"))[3]
    text = re.sub(r"^Date: .*$", "Date: not a date", post.read_text("utf-8"), flags=re.M)
    post.write_text(text, encoding="utf-8")
    with pytest.raises(BuildError) as failure:
        _build(tmp_path, content, workers=2)
    assert any(post.name in line for line in failure.value.problems), failure.value.problems
    assert not (tmp_path / "output-2").exists(), "a failed build wrote an output"

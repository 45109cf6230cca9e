"""The build's status line: shown on a terminal after a delay, never in CI."""

import io
import sys

import pytest

from sitetools.build import progress
from sitetools.build.progress import CLEAR, Progress, enabled, status_line


class Terminal(io.StringIO):
    def isatty(self):
        return True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("reading sources", 3, 10, 2.04), "Building: reading sources 3/10 (2.0 s)"),
        (("writing pages", 12, None, 4.25), "Building: writing pages 12 (4.2 s)"),
        (("running plugins", None, None, 3.0), "Building: running plugins (3.0 s)"),
    ],
)
def test_status_line(args, expected):
    assert status_line(*args) == expected


@pytest.mark.parametrize(
    ("stream", "environ", "expected"),
    [
        (Terminal(), {}, True),
        (Terminal(), {"CI": "true"}, False),
        (io.StringIO(), {}, False),
    ],
)
def test_enabled_only_on_a_terminal_outside_ci(stream, environ, expected):
    assert enabled(stream, environ) is expected


def test_nothing_shows_before_the_delay_then_the_phase_does():
    clock, stream = Clock(), Terminal()
    bar = Progress(stream, delay=2.0, clock=clock, environ={})
    bar.step("reading sources")
    clock.now = 1.9
    bar.step("reading sources")
    assert stream.getvalue() == "", "a short build shows nothing"
    clock.now = 2.5
    bar.step("reading sources")
    assert stream.getvalue().endswith("Building: reading sources 3 (2.5 s)")
    clock.now = 3.0
    bar.update("typesetting", 5, 10)
    assert stream.getvalue().endswith(CLEAR + "Building: typesetting 5/10 (3.0 s)")
    bar.close()
    assert stream.getvalue().endswith(CLEAR), "the line is cleared at the end"
    clock.now = 4.0
    bar.update("writing pages")
    assert stream.getvalue().endswith(CLEAR), "nothing is drawn after close"


def test_a_phase_reported_complete_does_not_count_on():
    clock, stream = Clock(), Terminal()
    bar = Progress(stream, delay=0, clock=clock, environ={})
    bar.update("reading sources", 4, 4)
    clock.now = 1.0
    bar.step("reading sources")
    assert (bar.done, bar.total) == (4, 4)


def test_not_shown_in_ci():
    clock, stream = Clock(), Terminal()
    bar = Progress(stream, delay=0, clock=clock, environ={"CI": "1"})
    clock.now = 5.0
    bar.step("reading sources")
    bar.close()
    assert stream.getvalue() == ""


@pytest.fixture
def no_delay(monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "INTERVAL", 0.0)


def _build_with(stream, tmp_path, monkeypatch):
    """A build whose standard output is `stream`, where the status line goes."""
    from sitetools.build.builder import build

    monkeypatch.setattr(sys, "stdout", stream)
    return build("pelicanconf.py", tmp_path / "output", {"CACHE_PATH": str(tmp_path)})


def test_a_build_on_a_terminal_shows_its_phases(no_delay, monkeypatch, tmp_path):
    monkeypatch.delenv("CI", raising=False)
    stream = Terminal()
    _build_with(stream, tmp_path, monkeypatch)
    shown = stream.getvalue()
    for phase in ("reading sources", "running plugins", "writing pages"):
        assert f"Building: {phase}" in shown, f"phase {phase!r} not shown"
    status = shown.split("Done:")[0]  # Pelican's summary comes after the status line
    assert status.endswith(CLEAR), "the status line is cleared before Pelican's summary"


@pytest.mark.parametrize("ci", ["true", None])
def test_a_build_in_ci_or_into_a_pipe_is_quiet(no_delay, monkeypatch, tmp_path, ci):
    if ci:
        monkeypatch.setenv("CI", ci)
        stream = Terminal()
    else:
        monkeypatch.delenv("CI", raising=False)
        stream = io.StringIO()
    _build_with(stream, tmp_path, monkeypatch)
    assert "Building:" not in stream.getvalue(), "a status line was drawn"

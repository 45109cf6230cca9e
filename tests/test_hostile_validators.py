"""Hostile settings for what third-party validators read: an AUTHOR_PROFILE_URL that
is no web address fails `invoke build` with one line naming the setting, no
traceback, and the last good site left as it was."""

import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import DATA, ROOT, build_site, snapshot

# A settings file outside the project: the real pelicanconf.py with its
# folders made absolute (Pelican reads them relative to the settings file).
SETTINGS = """\
import os

import pelicanconf
from pelicanconf import *  # noqa: F403

ROOT = os.path.dirname(os.path.abspath(pelicanconf.__file__))
PATH = os.path.join(ROOT, "tests", "data", "sharing")
THEME = os.path.join(ROOT, "theme")
PLUGIN_PATHS = [os.path.join(ROOT, "plugins")]
AUTHOR_PROFILE_URL = {author_url!r}
"""


@pytest.fixture(scope="module")
def last_good(tmp_path_factory):
    output = build_site(tmp_path_factory, "last-good", PATH=str(DATA / "sharing"))
    return output, snapshot(output)


@pytest.mark.parametrize("author_url", ["javascript:alert(1)", "example.org/about/", "/about/"])
def test_author_url_that_is_no_web_address_fails_the_build(author_url, last_good, tmp_path):
    output, before = last_good
    settings = tmp_path / "settings.py"
    settings.write_text(textwrap.dedent(SETTINGS.format(author_url=author_url)), "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "build", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_COLOR": "1", "INVOKE_SITE_SETTINGS": str(settings)},
    )
    said = result.stdout + result.stderr
    assert result.returncode == 1, said
    lines = [line for line in said.splitlines() if "AUTHOR_PROFILE_URL" in line]
    assert len(lines) == 1 and repr(author_url) in lines[0], said
    assert "https://" in lines[0], f"the message shows no example of the fix: {lines[0]}"
    assert "Traceback" not in said, said
    assert snapshot(output) == before, "the last good site was changed"

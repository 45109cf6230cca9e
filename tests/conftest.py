"""Site fixtures: each real site is built once per session and shared.

Builds go into pytest's temporary folders with their own cache, so tests never
write into the working tree.
"""

import json
import os
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from sitetools.build import build

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED_SEED = ROOT.parent / "shared" / "seed" / "listing.json"
VENDORED_SEED = DATA / "seed-listing.json"


def build_site(tmp_path_factory, name, config="pelicanconf.py", **overrides):
    """Build a site into a fresh temporary folder and return its output path."""
    base = tmp_path_factory.mktemp(name)
    settings = {"CACHE_PATH": str(base / "cache"), **overrides}
    return build(config, base / "output", settings).output


@pytest.fixture(scope="session")
def seed():
    """The author's listing: the shared seed when present, else the vendored copy."""
    path = SHARED_SEED if SHARED_SEED.exists() else VENDORED_SEED
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The development build of content/ with the real pelicanconf.py."""
    return build_site(tmp_path_factory, "dev-site")


@pytest.fixture(scope="session")
def prod_site(tmp_path_factory):
    """The production build of content/ with the real publishconf.py."""
    return build_site(tmp_path_factory, "prod-site", "publishconf.py")


@pytest.fixture(scope="session")
def prod_siteurl():
    from sitetools.build import load_settings

    return load_settings("publishconf.py")["SITEURL"]


def read_html(path):
    return BeautifulSoup(Path(path).read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="session")
def html():
    """Parse a written page: html(output, "posts/x/index.html")."""

    def parse(output, relative):
        path = Path(output) / relative
        assert path.is_file(), f"{relative} was not written"
        return read_html(path)

    return parse


@pytest.fixture
def content_dir(tmp_path):
    """An empty content folder to fill with posts for one test."""
    path = tmp_path / "content"
    (path / "posts").mkdir(parents=True)
    (path / "pages").mkdir()
    return path


def copy_data(name, dest):
    shutil.copytree(DATA / name, dest, dirs_exist_ok=True)
    return dest


def chrome_path():
    return os.environ.get("CHROME_PATH") or "/usr/bin/chromium"

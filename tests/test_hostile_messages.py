"""Hostile input gets one clear line and exit 1, never a traceback, and the last
good site stays in place; no file from outside the repository is published.

The failing cases run `invoke` as the author would, against a folder holding a
good build of tests/data/reader, and compare that folder before and after. A
named pipe or a loop of links would hang the build: every run has a timeout.
"""

import os
import shutil
from pathlib import Path

import pytest

from plugins.content_guard.content_files import scan_content
from plugins.content_guard.content_guard import DEFAULTS, read_source
from sitetools.authoring.newpost import PostExists, new_post, short_slug
from sitetools.build.builder import BuildError, SettingsError, build, load_settings
from tests.conftest import DATA, ROOT, run_invoke, snapshot

SECRET = "SECRET-7d3f9a-do-not-publish"
BROKEN_SETTINGS = 'AUTHOR = "x"\nSITENAME = "y"\nPATH = ("content"\n'


def fails_cleanly(run, good, *words):
    """`run` exited 1 without a traceback, said each of `words` on one line,
    and left the last good build as it was."""
    output, before = good
    said = run.stdout + run.stderr
    assert run.returncode == 1, said
    assert "Traceback" not in said, said
    for word in words:
        assert any(word in line for line in said.splitlines()), f"no line says {word!r}:\n{said}"
    assert snapshot(output) == before, "the last good build was changed"
    assert not list(output.parent.glob(".output-*")), "a staging folder was left"
    return said


def content_like_reader(folder):
    return shutil.copytree(DATA / "reader", folder)


# ---- Settings: one line naming the file or setting, and the fix --------------------


def test_syntax_error_in_the_settings_names_file_and_line(tmp_path, good, monkeypatch):
    settings = tmp_path / "pelicanconf.py"
    settings.write_text(BROKEN_SETTINGS, encoding="utf-8")
    monkeypatch.setenv("INVOKE_SITE_SETTINGS", str(settings))
    run = run_invoke("build", "--output", str(good[0]))
    fails_cleanly(run, good, "pelicanconf.py:3: SyntaxError:", "fix the settings file")


def test_syntax_error_in_pelicanconf_stops_publish_and_new(tmp_path, good, monkeypatch):
    """publishconf.py imports pelicanconf.py: the line named is the broken one."""
    (tmp_path / "pelicanconf.py").write_text(BROKEN_SETTINGS, encoding="utf-8")
    shutil.copy(ROOT / "publishconf.py", tmp_path / "publishconf.py")
    monkeypatch.setenv("INVOKE_SITE_SETTINGS", str(tmp_path / "pelicanconf.py"))
    monkeypatch.setenv("INVOKE_SITE_PUBLISH_SETTINGS", str(tmp_path / "publishconf.py"))
    publish = run_invoke("publish", "--output", str(good[0]))
    fails_cleanly(publish, good, "pelicanconf.py:3: SyntaxError:")
    posts = tmp_path / "new-content"
    new = run_invoke("new", "A title", "--tags", "a", "--content", str(posts))
    fails_cleanly(new, good, "pelicanconf.py:3: SyntaxError:")
    assert not posts.exists(), "invoke new wrote a post with broken settings"
    check = run_invoke("check", "--output", str(good[0]))
    fails_cleanly(check, good, "pelicanconf.py:3: SyntaxError:")


def test_an_error_raised_by_the_settings_names_its_line(tmp_path, good, monkeypatch):
    settings = tmp_path / "pelicanconf.py"
    settings.write_text('PATH = "content"\nTHEME = them\n', encoding="utf-8")
    monkeypatch.setenv("INVOKE_SITE_SETTINGS", str(settings))
    run = run_invoke("build", "--output", str(good[0]))
    fails_cleanly(run, good, "pelicanconf.py:2: NameError: name 'them' is not defined")


def test_a_missing_content_folder_is_named(tmp_path, good, monkeypatch):
    settings = tmp_path / "pelicanconf.py"
    shutil.copy(ROOT / "pelicanconf.py", settings)  # PATH = "content", which is not there
    monkeypatch.setenv("INVOKE_SITE_SETTINGS", str(settings))
    run = run_invoke("build", "--output", str(good[0]))
    fails_cleanly(
        run,
        good,
        "content/: the content folder (PATH) does not exist; "
        "create it or fix PATH in pelicanconf.py",
    )


def test_a_missing_content_folder_given_with_content_is_named(tmp_path, good):
    run = run_invoke("build", "--content", str(tmp_path / "nowhere"), "--output", str(good[0]))
    fails_cleanly(run, good, "nowhere/: the content folder (PATH) does not exist")


@pytest.mark.parametrize(
    "value",
    [
        "not a url",
        "ftp://example.org",
        "https://",
        "https://blog.example.org junk",
        "https://blog.example.org/?utm=x",
        "https://user@blog.example.org",
        "https://blog.example.org:99999",
        "blog.example.org",
    ],
)
def test_an_invalid_siteurl_stops_publish(value, good, monkeypatch):
    monkeypatch.setenv("SITEURL", value)
    run = run_invoke("publish", "--output", str(good[0]))
    fails_cleanly(run, good, f"SITEURL={value!r}", "full URL, e.g. https://")


@pytest.mark.parametrize(
    ("context", "name"), [("production", "URL"), ("deploy-preview", "DEPLOY_PRIME_URL")]
)
def test_an_invalid_netlify_address_names_the_variable(context, name, good, monkeypatch):
    monkeypatch.delenv("SITEURL", raising=False)
    monkeypatch.setenv("CONTEXT", context)
    monkeypatch.setenv(name, "https://")
    run = run_invoke("publish", "--output", str(good[0]))
    said = fails_cleanly(run, good, f"{name}='https://'", "set SITEURL to the site's full URL")
    assert "publishconf.py" in said, said


def test_an_invalid_siteurl_in_a_settings_file_is_named(tmp_path, monkeypatch):
    monkeypatch.delenv("SITEURL", raising=False)
    settings = tmp_path / "publishconf.py"
    settings.write_text(
        f"from pelicanconf import *\nPATH = {str(DATA / 'reader')!r}\n"
        'SITEURL = "https://blog.example.org/#top"\n',
        encoding="utf-8",
    )
    with pytest.raises(SettingsError) as failure:
        load_settings(settings)
    assert str(failure.value) == (
        "publishconf.py: SITEURL='https://blog.example.org/#top' is not a site address "
        "(it has a ? or #); set it to the site's full URL, e.g. https://blog.example.org"
    )


def test_a_settings_dict_whose_options_became_fixed_is_named_not_ignored(tmp_path):
    settings = tmp_path / "oldconf.py"  # not pelicanconf: Pelican keeps it as that module
    settings.write_text(
        f"from pelicanconf import *\nPATH = {str(DATA / 'reader')!r}\n"
        'SEO = {"twitter": False}\nTYPOGRAPHY = {}\nPARALLEL_MARKDOWN = False\n',
        encoding="utf-8",
    )
    with pytest.raises(SettingsError) as failure:
        load_settings(settings)
    assert str(failure.value) == (
        "oldconf.py: PARALLEL_MARKDOWN, SEO, TYPOGRAPHY: no longer read (the option is fixed, "
        "or gone); delete it"
    )


def test_a_good_siteurl_with_a_port_and_path_is_kept(monkeypatch):
    monkeypatch.setenv("SITEURL", "http://127.0.0.1:8000/blog/")
    assert load_settings("publishconf.py")["SITEURL"] == "http://127.0.0.1:8000/blog"


# ---- Files that must not be published ----------------------------------------------


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory, good):
    """One content folder holding every kind of file that must not be read, and
    the run of `invoke build` over it: (run, content folder)."""
    base = tmp_path_factory.mktemp("hostile-files")
    secret = base / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    (base / "private").mkdir()
    (base / "private" / "key.txt").write_text(SECRET, encoding="utf-8")
    content = content_like_reader(base / "content")
    extra, images = content / "extra", content / "images"
    extra.mkdir()
    images.mkdir()
    (extra / "secret.txt").symlink_to(secret)
    (images / "private").symlink_to(base / "private", target_is_directory=True)
    (extra / "loop").symlink_to("..", target_is_directory=True)
    (content / "posts" / "again").symlink_to("../posts", target_is_directory=True)
    (images / "gone.png").symlink_to("no-such-file.png")
    (images / "self.png").symlink_to("self.png")
    os.mkfifo(content / "posts" / "pipe.md")
    os.mkfifo(extra / "pipe.txt")
    run = run_invoke("build", "--content", str(content), "--output", str(good[0]), timeout=120)
    return run, content


# (path under content/, words its line must say)
HOSTILE_FILES = [
    (
        "extra/secret.txt",
        "file: a symbolic link to a file outside the repository; copy the file in",
    ),
    ("images/private", "folder: a symbolic link to a folder outside the repository"),
    ("extra/loop", "folder: a symbolic link back to a folder it is reached from"),
    ("posts/again", "folder: a symbolic link back to a folder it is reached from"),
    ("images/gone.png", "file: a symbolic link to a file that does not exist"),
    ("images/self.png", "file: a symbolic link that points back to itself"),
    ("posts/pipe.md", "file: a named pipe, not a file; remove it"),
    ("extra/pipe.txt", "file: a named pipe, not a file; remove it"),
]


@pytest.mark.parametrize(("path", "words"), HOSTILE_FILES)
def test_a_file_that_must_not_be_read_is_named(hostile_files, good, path, words):
    run, _ = hostile_files
    fails_cleanly(run, good, f"content/{path}: {words}")


def test_hostile_files_give_one_line_each_and_publish_nothing(hostile_files, good):
    run, _ = hostile_files
    lines = [line for line in run.stderr.splitlines() if line.startswith("  ")]
    assert len(lines) == len(HOSTILE_FILES), run.stderr
    assert f"Build failed with {len(HOSTILE_FILES)} problems" in run.stderr, run.stderr
    assert not any(
        SECRET.encode() in path.read_bytes() for path in good[0].rglob("*") if path.is_file()
    ), "the secret was published"


def test_editor_files_are_ignored_and_links_inside_are_kept(tmp_path):
    """An Emacs lock (a dangling link), backups and swap files are never read;
    a link to a file inside the content folder is published as usual."""
    content = content_like_reader(tmp_path / "content")
    posts = content / "posts"
    (posts / ".#two-sections.md").symlink_to("author@host.4242:1760000000")
    (posts / "#two-sections.md#").write_text("Title:\n", encoding="utf-8")
    (posts / "two-sections.md~").write_text("not a post\n", encoding="utf-8")
    (posts / ".two-sections.md.swp").write_bytes(b"\x00\xff swap")
    (posts / "draft.tmp").write_text("Title:\n", encoding="utf-8")
    (content / "extra").mkdir()
    (content / "extra" / "notes.txt").write_text("shared notes\n", encoding="utf-8")
    (content / "extra" / "also.txt").symlink_to("notes.txt")
    output = tmp_path / "output"
    run = run_invoke("build", "--content", str(content), "--output", str(output))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert (output / "extra" / "also.txt").read_text(encoding="utf-8") == "shared notes\n"
    names = {path.name for path in output.rglob("*")}
    for editor_file in ("two-sections.md~", "#two-sections.md#", "draft.tmp"):
        assert editor_file not in names, f"{editor_file} was published"
    assert not any(name.startswith(".") for name in names), sorted(names)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: (d / "a").symlink_to(d.parent), "a symbolic link to a folder outside"),
        (lambda d: (d / "a").symlink_to(d), "a symbolic link back to a folder"),
        (lambda d: os.mkfifo(d / "a"), "a named pipe"),
        (lambda d: (d / "a").symlink_to("b"), "a file that does not exist"),
        (lambda d: (d / ".#a").symlink_to("b"), None),  # ignored
        (lambda d: (d / "a").write_text("x"), None),
    ],
)
def test_scan_content(tmp_path, make, expected):
    top = tmp_path / "content"
    top.mkdir()
    make(top)
    scan = scan_content(top, [top], [".*"])
    messages = [message for _, _, message in scan.problems]
    if expected is None:
        assert messages == []
    else:
        assert len(messages) == 1 and expected in messages[0], messages
        assert str(top / "a") not in scan.files


def test_scan_content_walks_a_hidden_folder_pelican_is_told_to_read(tmp_path):
    """A hidden folder in STATIC_PATHS is published: its links are checked too."""
    top = tmp_path / "content"
    known = top / "extra" / ".well-known"
    known.mkdir(parents=True)
    outside = tmp_path / "outside.txt"
    outside.write_text("x", encoding="utf-8")
    (known / "security.txt").symlink_to(outside)
    (top / ".hidden").mkdir()
    (top / ".hidden" / "x").symlink_to(outside)
    scan = scan_content(top, [top], [".*"], named=["extra/.well-known"])
    assert [Path(path).relative_to(top).as_posix() for path, _, _ in scan.problems] == [
        "extra/.well-known/security.txt"
    ], scan.problems


# ---- Slugs too long for a file name ------------------------------------------------


def test_a_title_too_long_for_a_file_name_is_refused(tmp_path, good):
    content = content_like_reader(tmp_path / "content")
    title = " ".join(f"word{n}" for n in range(60))
    (content / "posts" / "long.md").write_text(
        f"Title: {title}\nDate: 2026-01-01 10:00\nTags: a\n\nA body.\n", encoding="utf-8"
    )
    run = run_invoke("publish", "--content", str(content), "--output", str(good[0]))
    fails_cleanly(
        run,
        good,
        "posts/long.md:1: Title: its slug is 409 characters, longer than the 200 a file "
        "name may have; add a shorter 'Slug:' line",
    )


@pytest.mark.parametrize(
    ("header", "field", "count"),
    [
        ("Title: " + "a" * 201, "Title", 1),
        ("Title: " + "a" * 200, "Title", 0),
        ("Title: x\nSlug: " + "a" * 250, "Slug", 1),
        ("Title: x\nTags: ok, " + "b" * 201, "Tags", 1),
    ],
)
def test_slug_length_checks(header, field, count):
    slug_options = {"regex_subs": [], "preserve_case": False, "use_unicode": False}
    options = {**DEFAULTS, "slug_options": slug_options, "slugify_source": "title"}
    problems = read_source(f"{header}\n\nBody\n".encode(), "page", "x.md", ".", options).problems
    assert len(problems) == count, problems
    assert all(problem.field == field and "; " in problem.message for problem in problems)


# ---- Pelican's "Could not process" says why ----------------------------------------


def test_could_not_process_says_why(tmp_path):
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    nested = "".join("    " * depth + "- item\n" for depth in range(1000))
    (content / "posts" / "deep.md").write_text(
        f"Title: Deep\nDate: 2026-01-01 10:00\nTags: a\n\n{nested}", encoding="utf-8"
    )
    with pytest.raises(BuildError) as failure:
        build(
            "pelicanconf.py",
            tmp_path / "output",
            {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")},
        )
    problems = failure.value.problems
    assert any(
        "Could not process posts/deep.md" in line and "nested too deep" in line for line in problems
    ), problems


# ---- invoke new --------------------------------------------------------------------


def test_invoke_new_with_a_500_character_title_writes_a_short_slug(tmp_path):
    content = tmp_path / "content"
    title = ("Lessons from a very long incident review " * 13)[:500]
    run = run_invoke("new", title, "--tags", "a", "--content", str(content))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    path = Path(run.stdout.strip())
    assert path.parent == content / "posts", run.stdout
    assert len(path.stem) <= 80 and not path.stem.endswith("-"), path.stem
    assert "using its first words" in run.stderr, run.stderr
    assert f"Slug: {path.stem}\n" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["A title", "--tags", "a\nStatus: published"], "--tags contains a line break"),
        (["A title", "--tags", "a", "--summary", "x\rSave_as: index.html"], "--summary"),
        (["A title\nStatus: published", "--tags", "a"], "the title contains a line break"),
        (["A title", "--tags", "a\u2028b"], "--tags contains a line break"),
        (["A title", "--tags", "a\x07"], "control character U+0007"),
    ],
)
def test_invoke_new_refuses_header_injection(tmp_path, args, said):
    content = tmp_path / "content"
    run = run_invoke("new", *args, "--content", str(content))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert any(
        line.startswith("Not written: ") and said in line for line in run.stderr.splitlines()
    )
    assert not content.exists() or not any(content.rglob("*.md")), "a post was written"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("2025/old.md", "Title: Other\nSlug: taken-title\n\nBody\n"),
        ("old.markdown", "Title: Other\nSlug: taken-title\n\nBody\n"),
        ("other-name.md", "Title: Taken title!\nDate: 2026-01-01\n\nBody\n"),
        ("deep/er/other.mkd", "title: Taken Title\n\nBody\n"),
    ],
)
def test_new_post_sees_every_taken_slug(tmp_path, path, text):
    posts = tmp_path / "posts"
    (posts / path).parent.mkdir(parents=True, exist_ok=True)
    (posts / path).write_text(text, encoding="utf-8")
    with pytest.raises(PostExists, match=r"already uses the slug 'taken-title'"):
        new_post("Taken title", "a", posts, load_settings())
    assert not (posts / "taken-title.md").exists()


def test_new_post_skips_editor_files_and_pipes(tmp_path):
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / ".#taken-title.md").symlink_to("author@host.1:2")
    (posts / "taken-title.md~").write_text("Slug: taken-title\n\n", encoding="utf-8")
    os.mkfifo(posts / "pipe.md")
    path = new_post("Taken title", "a", posts, load_settings())
    assert path == posts / "taken-title.md"


@pytest.mark.parametrize(
    ("slug", "short"),
    [
        ("a-b", "a-b"),
        ("-".join(["word"] * 30), "-".join(["word"] * 16)),
        ("x" * 100, "x" * 80),
    ],
)
def test_short_slug_cuts_between_words(slug, short):
    assert short_slug(slug) == short

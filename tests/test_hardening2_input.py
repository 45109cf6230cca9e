"""Hostile front matter and hostile blogs to import (issue 20, hardening round 2).

Covers these classes of the issue:
- 1, input that hangs the build or eats the machine: a YAML alias bomb (the
  "billion laughs"), aliases in a tags list, an alias inside its own anchor,
  lists and mappings nested too deep, a 5 MB front matter, for `invoke build`
  and `invoke import` (YAML in every format, TOML for Hugo), each run under a
  memory limit and a timeout;
- 2, `invoke import` brings in only what the source owns: a post that is a link
  to a file outside the source, redirect values that are not one path of this
  site, a tag the safe loader refuses reported on its line;
- 6, text that forges structure: a line break in Title (YAML, a YAML list, and a
  `Key: value` continuation line) and in the other one-line fields is refused
  with its line; a Summary's line breaks fold wherever it is shown; an imported
  post's header keeps each value on its line;
- 8, input that must fail by name: the preview meeting the alias bomb shows its
  error page naming the file; two imported files whose names differ only in case.

Failing builds run `invoke build` against a folder holding a good build of
tests/data/reader, and compare that folder before and after.
"""

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time

import pytest
from bs4 import BeautifulSoup

from plugins.redirects.redirects import parse_rules
from sitetools.authoring.importer import plan_import
from sitetools.build.builder import build
from tests.conftest import DATA, ROOT, free_port, run_invoke_bounded, snapshot, stop_process

BLOGS = DATA / "import"
SECRET = "SECRET-20a-do-not-import"
# Where each format keeps its posts, in the fixture blogs of tests/data/import/.
POST_FOLDERS = {
    "hugo": "content/posts",
    "jekyll": "_posts",
    "astro": "src/content/blog",
    "eleventy": "content/blog",
    "pelican": "content",
}
HEAD = ["title: A hostile post", "date: 2024-01-04", "tags: [security]"]


def billion_laughs():
    """YAML lines: ten anchors, each a list of nine aliases of the one before."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    return lines


def tags_bomb():
    """Aliases that grow only inside the tags list."""
    lines = ["x: &x [t, t, t, t, t, t, t, t, t, t]"]
    lines += [f"{b}: &{b} [{', '.join([f'*{a}'] * 10)}]" for a, b in ("xy", "yz")]
    return [*lines, f"tags: [{', '.join(['*z'] * 10)}]"]


# name -> (YAML lines after HEAD (a bomb's tags replace HEAD's), words its report line holds)
BOMBS = {
    "billion laughs": (billion_laughs(), "too many aliases or too deep"),
    "aliases in tags": (tags_bomb(), "too many aliases or too deep"),
    "alias in its own anchor": (["again: &me [a, *me]"], "too many aliases or too deep"),
    "10,000 nested [": (["deep: " + "[" * 10_000 + "]" * 10_000], "too many aliases or too deep"),
    "nested mappings": (
        ["deep:", *(f"{'  ' * (n + 1)}k{n}:" for n in range(60))],
        "too many aliases or too deep",
    ),
    "5 MB front matter": (["filler: " + "x" * 5_000_000], "characters, more than"),
}


def front_matter(lines):
    """A post's text: YAML front matter of HEAD and `lines`, then a body."""
    keys = {line.split(":", 1)[0] for line in lines}
    head = [line for line in HEAD if line.split(":", 1)[0] not in keys]
    return "\n".join(["---", *head, *lines, "---", "", "Body text.", ""])


def report_line(said, path, *words):
    """The line of `said` that names `path` with its line number and holds each
    of `words`: (that line, its number), or a failure showing `said`."""
    for line in said.splitlines():
        at = line.find(f"{path}:")
        if at >= 0 and all(word in line for word in words):
            number = line[at + len(path) + 1 :].split(":", 1)[0]
            if number.isdigit():
                return line, int(number)
    pytest.fail(f"no line names {path}:<line> with {words}:\n{said[-3000:]}")


def bomb_line(text, number):
    """That line `number` of a post's `text` is one of its front matter's lines."""
    lines = text.split("\n")
    closing = lines.index("---", 1) + 1
    assert 1 < number < closing, f"line {number} is outside the front matter (2..{closing - 1})"


# ---- 1. A bomb in a post stops `invoke build`, bounded, naming file and line -------------


def failed_build(content, good):
    """`invoke build` of `content` into the good build's folder, under a 1 GiB
    memory limit and a 60 s timeout: it failed, without a traceback, and left
    the last good site as it was. Returns what it said."""
    output, before = good
    run = run_invoke_bounded("build", "--content", str(content), "--output", str(output))
    said = run.stdout + run.stderr
    assert run.returncode == 1, said[-3000:]
    assert "Traceback" not in said and "MemoryError" not in said, said[-3000:]
    assert snapshot(output) == before, "the last good build was changed"
    assert not list(output.parent.glob(".output-*")), "a staging folder was left"
    return said


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_a_front_matter_bomb_stops_the_build_naming_its_line(bomb, tmp_path, good):
    lines, words = BOMBS[bomb]
    content = shutil.copytree(DATA / "reader", tmp_path / "content")
    text = front_matter(lines)
    (content / "posts" / "bomb.md").write_text(text, encoding="utf-8")
    # Another post's problem makes content_guard judge every other source's raw
    # HTML with Pelican's reader: it must pass the bomb by.
    typo = (content / "posts" / "two-sections.md").read_text(encoding="utf-8")
    (content / "posts" / "two-sections.md").write_text("Sumary: x\n" + typo, encoding="utf-8")
    said = failed_build(content, good)
    line, number = report_line(said, "posts/bomb.md", words)
    assert f"bomb.md:{number}: front matter: " in line, line
    bomb_line(text, number)
    report_line(said, "posts/two-sections.md", "Sumary: unknown field")


@pytest.mark.parametrize("odd", ["\u2028", "\x85", "\x0c"], ids=["U+2028", "U+0085", "form feed"])
def test_a_closing_line_only_one_reader_sees_cannot_hide_a_bomb(odd, tmp_path, good):
    """`series: 1<U+2028>---`: a line break Python's splitlines knows and Pelican's
    reader does not, so a '---' ends the front matter for one of them only and
    the bomb below it would be read by the other."""
    content = shutil.copytree(DATA / "reader", tmp_path / "content")
    text = front_matter([f"series: One{odd}---", *billion_laughs()])
    (content / "posts" / "bomb.md").write_text(text, encoding="utf-8")
    said = failed_build(content, good)
    line, number = report_line(said, "posts/bomb.md", ": header: ", f"U+{ord(odd):04X}")
    assert text.split("\n")[number - 1].startswith("series: One"), line


# ---- 1. and 2. The same bombs in a blog to import, in every format -------------------


def imported(blog, content, *more):
    """`invoke import` of `blog` into `content`, bounded like the builds."""
    run = run_invoke_bounded("import", str(blog), "--content", str(content), *more)
    said = run.stdout + run.stderr
    assert "Traceback" not in said and "MemoryError" not in said, said[-3000:]
    return run, said


@pytest.mark.parametrize("kind", list(POST_FOLDERS))
def test_an_alias_bomb_in_a_blog_to_import_is_reported_not_imported(kind, tmp_path):
    blog = shutil.copytree(BLOGS / kind, tmp_path / "blog")
    text = front_matter(billion_laughs())
    (blog / POST_FOLDERS[kind] / "2024-01-04-bomb.md").write_text(text, encoding="utf-8")
    run, said = imported(blog, tmp_path / "content")
    assert run.returncode == 0, said[-3000:]
    line, number = report_line(said, f"{POST_FOLDERS[kind]}/2024-01-04-bomb.md", "front matter:")
    assert "too many aliases or too deep" in line, line
    bomb_line(text, number)
    assert not list((tmp_path / "content" / "posts").glob("*bomb*")), "the bomb was imported"


@pytest.mark.parametrize("bomb", ["10,000 nested [", "5 MB front matter", "nested mappings"])
def test_a_deep_or_huge_yaml_front_matter_to_import_is_reported(bomb, tmp_path):
    lines, words = BOMBS[bomb]
    blog = shutil.copytree(BLOGS / "jekyll", tmp_path / "blog")
    text = front_matter(lines)
    (blog / "_posts" / "2024-01-04-bomb.md").write_text(text, encoding="utf-8")
    run, said = imported(blog, tmp_path / "content")
    assert run.returncode == 0, said[-3000:]
    line, number = report_line(said, "_posts/2024-01-04-bomb.md", words)
    assert f"bomb.md:{number}: front matter: " in line, line
    bomb_line(text, number)


@pytest.mark.parametrize(
    "toml",
    [
        "deep = " + "[" * 10_000 + "]" * 10_000,
        "deep = " + "{ a = " * 50 + "1" + " }" * 50,
        "filler = '" + "x" * 5_000_000 + "'",
    ],
    ids=["arrays", "inline tables", "5 MB"],
)
def test_a_deep_or_huge_toml_front_matter_to_import_is_reported(toml, tmp_path):
    blog = shutil.copytree(BLOGS / "hugo", tmp_path / "blog")
    text = f'+++\ntitle = "Deep"\ndate = 2024-01-04\n{toml}\n+++\n\nBody.\n'
    (blog / "content" / "posts" / "deep.md").write_text(text, encoding="utf-8")
    run, said = imported(blog, tmp_path / "content")
    assert run.returncode == 0, said[-3000:]
    line, _ = report_line(said, "content/posts/deep.md", "front matter:")
    assert "too deep" in line or "characters, more than" in line, line
    assert not (tmp_path / "content" / "posts" / "deep.md").exists()


# ---- 2. The importer never brings in what the source does not own ------------------------


def test_a_post_that_links_outside_the_source_is_refused(tmp_path):
    secret = tmp_path / "private.md"
    secret.write_text(f"---\ntitle: Private\ntags: [x]\n---\n\n{SECRET}\n", encoding="utf-8")
    blog = shutil.copytree(BLOGS / "jekyll", tmp_path / "blog")
    (blog / "_posts" / "2024-01-05-leak.md").symlink_to(secret)
    content = tmp_path / "content"
    run, said = imported(blog, content)
    assert run.returncode == 0, said
    line, number = report_line(said, "_posts/2024-01-05-leak.md", "outside the blog")
    assert number == 1 and "not imported" in line, line
    leaked = [p for p in content.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert not leaked, f"the linked file's text was imported into {leaked}"


def test_a_post_that_links_inside_the_source_is_still_read(tmp_path):
    """The refusal is of what lies outside: a link to a post of the blog itself is read."""
    blog = shutil.copytree(BLOGS / "jekyll", tmp_path / "blog")
    (blog / "drafts").mkdir()
    (blog / "drafts" / "kept.md").write_text("---\ntitle: Kept\ntags: [x]\n---\n\nKept.\n")
    (blog / "_posts" / "2024-01-05-kept.md").symlink_to(blog / "drafts" / "kept.md")
    run, said = imported(blog, tmp_path / "content")
    assert run.returncode == 0, said
    assert (tmp_path / "content" / "posts" / "kept.md").is_file(), said


def test_the_symlinked_folder_of_a_whole_blog_content_is_refused(tmp_path):
    """A blog whose post folder is a link to a folder elsewhere imports none of it."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "2024-01-01-far.md").write_text(f"---\ntitle: Far\ntags: [x]\n---\n\n{SECRET}\n")
    blog = tmp_path / "blog"
    blog.mkdir()
    (blog / "_config.yml").write_text("title: Example\n")
    os.symlink(elsewhere, blog / "_posts")
    run, said = imported(blog, tmp_path / "content")
    assert run.returncode == 0 and "outside the blog" in said, said
    content = tmp_path / "content"
    assert not content.exists() or not any(
        SECRET.encode() in p.read_bytes() for p in content.rglob("*") if p.is_file()
    ), "a post from outside the blog was imported"


BAD_REDIRECTS = [
    "/two\\nlines/",
    "/tab\\there/",
    "/with space/",
    "https://evil.example/",
    "//evil.example/path/",
    "/wild/*",
]


def test_redirect_values_that_are_not_one_path_are_reported_and_not_written(tmp_path):
    blog = shutil.copytree(BLOGS / "jekyll", tmp_path / "blog")
    values = "".join(f'  - "{value}"\n' for value in ["/kept/", *BAD_REDIRECTS])
    post = f"---\ntitle: Moved\ntags: [x]\nredirect_from:\n{values}---\n\nBody.\n"
    (blog / "_posts" / "2024-01-06-moved.md").write_text(post, encoding="utf-8")
    hugo = shutil.copytree(BLOGS / "hugo", tmp_path / "hugo")
    aliases = ", ".join(f'"{value}"' for value in BAD_REDIRECTS)
    (hugo / "content" / "posts" / "moved.md").write_text(
        f'+++\ntitle = "Moved"\ndate = 2024-01-06\ntags = ["x"]\naliases = [{aliases}]\n+++\nB\n'
    )
    for source, where, key, line in (
        (blog, "_posts/2024-01-06-moved.md", "redirect_from", 4),
        (hugo, "content/posts/moved.md", "aliases", 5),
    ):
        content = tmp_path / f"content-{source.name}"
        run, said = imported(source, content)
        assert run.returncode == 0, said
        reported = [text for text in said.splitlines() if f"{where}:{line}: {key}:" in text]
        assert len(reported) == len(BAD_REDIRECTS), f"not each bad value reported:\n{said}"
        assert all("not added" in text for text in reported), reported
        written = (content / "redirects.txt").read_text(encoding="utf-8")
        rules, problems = parse_rules(written, "redirects.txt")
        assert not problems, f"the importer wrote lines the build refuses: {problems}"
        assert "evil" not in written and " " not in {r.source[:1] for r in rules}, written
        added = next(t for t in said.splitlines() if t.startswith("Redirects added: "))
        assert added == f"Redirects added: {len(rules)}", f"{added}, but {len(rules)} written"
    assert "/kept/ /posts/moved/" in (tmp_path / "content-blog" / "redirects.txt").read_text()


def test_an_explicit_permalink_to_another_site_is_not_a_redirect(tmp_path):
    blog = shutil.copytree(BLOGS / "jekyll", tmp_path / "blog")
    post = "---\ntitle: Away\ntags: [x]\npermalink: https://evil.example/away/\n---\n\nB.\n"
    (blog / "_posts" / "2024-01-07-away.md").write_text(post, encoding="utf-8")
    run, said = imported(blog, tmp_path / "content")
    assert run.returncode == 0, said
    line, number = report_line(said, "_posts/2024-01-07-away.md", "permalink:")
    assert number == 4 and "another site's address" in line, line
    assert "evil" not in (tmp_path / "content" / "redirects.txt").read_text(encoding="utf-8")


def test_a_tag_the_safe_loader_refuses_is_reported_on_its_line(tmp_path):
    proof = tmp_path / "ran"
    tag = f'!!python/object/apply:os.system ["touch {proof}"]'
    post = f"---\ntitle: Tagged\ndate: 2024-01-08\nlayout: {tag}\ntags: [x]\n---\n\nB.\n"
    blog = shutil.copytree(BLOGS / "jekyll", tmp_path / "blog")
    (blog / "_posts" / "2024-01-08-tagged.md").write_text(post, encoding="utf-8")
    run, said = imported(blog, tmp_path / "content")
    assert run.returncode == 0, said
    line, number = report_line(said, "_posts/2024-01-08-tagged.md", "front matter:")
    assert number == 4 and "python/object/apply" in line, line
    assert not proof.exists(), "the tag ran code"


def test_a_tag_the_safe_loader_refuses_stops_the_build_on_its_line(tmp_path, good):
    proof = tmp_path / "ran"
    content = shutil.copytree(DATA / "reader", tmp_path / "content")
    tag = f'!!python/object/apply:os.system ["touch {proof}"]'
    text = front_matter([f"title: {tag}", "summary: {nested: map}"])
    (content / "posts" / "tagged.md").write_text(text)
    said = failed_build(content, good)
    line, number = report_line(said, "posts/tagged.md", "python/object/apply")
    assert text.split("\n")[number - 1].startswith("title: !!python"), f"not its line: {line}"
    assert f"tagged.md:{number}: title: " in line, line
    # The other keys are still checked: every problem in one run.
    line, number = report_line(said, "posts/tagged.md", "Summary:", "mapping")
    assert text.split("\n")[number - 1].startswith("summary:"), f"not its line: {line}"
    assert not proof.exists(), "the tag ran code"


# ---- 6. A line break in a one-line field is refused, with its line ---------------------

INJECTED = "- [Injected](https://evil.example/)"
# post file -> (its text, the start of the line its report names, the field it names)
FORGED = {
    "title-yaml.md": (front_matter([f'title: "Nice title\\n{INJECTED}"']), "title:", "Title"),
    "title-header.md": (
        f"Title: Nice title\n    {INJECTED}\nDate: 2024-01-04\nTags: a\n\nBody.\n",
        "Title:",
        "Title",
    ),
    "title-cr.md": (front_matter([f'title: "Nice title\\r{INJECTED}"']), "title:", "Title"),
    "title-list.md": (
        front_matter([f'title: ["Nice title", "{INJECTED}"]']),
        "title:",
        "Title",
    ),
    "slug.md": (front_matter(['slug: "forged\\n# Heading"']), "slug:", "Slug"),
    "series.md": (front_matter(['series: "Part\\u2028# Heading"']), "series:", "Series"),
    "image.md": (front_matter(['image: "{static}/images/a\\n# x.png"']), "image:", "Image"),
    "date.md": (front_matter(['date: "2024-01-04\\n# Heading"']), "date:", "Date"),
    "author.md": (front_matter(['author: "Me\\x07"']), "author:", "Author"),
    "tag-cr.md": (front_matter(['tags: ["a", "b\\r# Heading"]']), "tags:", "Tags"),
}


def test_line_breaks_in_one_line_fields_are_refused_in_one_run(tmp_path, good):
    content = shutil.copytree(DATA / "reader", tmp_path / "content")
    for name, (text, _, _) in FORGED.items():
        (content / "posts" / name).write_text(text, encoding="utf-8")
    said = failed_build(content, good)
    for name, (text, start, field) in FORGED.items():
        line = next(n for n, t in enumerate(text.split("\n"), 1) if t.startswith(start))
        found, number = report_line(said, f"posts/{name}", f": {field}: ", " holds ")
        assert number == line, f"{name}: reported on line {number}, not {line}: {found}"
        assert "line break" in found or "control character" in found, found


def test_one_line_titles_build_and_a_summarys_line_breaks_fold(tmp_path):
    """The refusal is of line breaks in one-line fields only: the same title on
    one line builds, its Markdown copy starts with that one heading line, and a
    Summary (Markdown, in YAML or on `Key: value` continuation lines) is shown
    only folded to one line: on the card and in llms.txt."""
    content = shutil.copytree(DATA / "reader", tmp_path / "content")
    summary = f'summary: "One line\\n# {INJECTED}"'
    (content / "posts" / "fine.md").write_text(
        front_matter([f'title: "Nice title {INJECTED}"', summary])
    )
    (content / "posts" / "header.md").write_text(
        f"Title: Header\nDate: 2024-01-05\nTags: a\nSummary: Two\n    # {INJECTED}\n\nB.\n"
    )
    result = build(
        "pelicanconf.py",
        tmp_path / "output",
        {"PATH": str(content), "CACHE_PATH": str(tmp_path / "cache")},
    )
    copies = [p for p in result.output.glob("posts/*/index.md") if "Nice title" in p.read_text()]
    assert len(copies) == 1, "no Markdown copy of the post"
    first, second = copies[0].read_text(encoding="utf-8").split("\n")[:2]
    assert first.startswith("# Nice title") and second == "", (first, second)
    llms = (result.output / "llms.txt").read_text(encoding="utf-8").split("\n")
    for lead in ("): One line", "): Two"):
        shown = [line for line in llms if lead in line]
        assert len(shown) == 1 and shown[0].startswith("- [") and "Injected" in shown[0], llms
    headings = [line for line in llms if line.startswith("#")]
    assert len(headings) == 2, f"a summary's line became a heading of llms.txt: {headings}"


def test_an_imported_value_never_starts_a_header_line(tmp_path):
    """A source's title, tags and summary with line breaks: each is folded onto
    its header line (the old blog showed them as text), so no line is forged."""
    blog = shutil.copytree(BLOGS / "jekyll", tmp_path / "blog")
    (blog / "_posts" / "2024-02-02-forged.md").write_text(
        '---\ntitle: "Forged\\nStatus: draft"\ntags: ["x\\nSave_as: index.html", "y\\u2028z"]\n'
        'summary: "s\\rTemplate: evil"\n---\n\nBody.\n'
    )
    writes, _, _ = plan_import(blog, tmp_path / "content")
    text = next(t for p, t in writes.items() if p.name == "forged.md")
    header = text.split("\n\n", 1)[0].split("\n")
    keys = [line.split(":", 1)[0] for line in header]
    assert keys == ["Title", "Date", "Tags", "Slug", "Summary"], header
    assert len(text.split("\n\n", 1)[0].splitlines()) == len(header), "a line break is left"


# ---- 8. Two imported files that are one on a case-insensitive disk ---------------------


def test_two_imported_posts_whose_names_differ_only_in_case_are_refused(tmp_path):
    blog = shutil.copytree(BLOGS / "jekyll", tmp_path / "blog")
    upper, lower = "2024-01-01-Data-Platform-X.md", "2024-01-02-data-platform-x.md"
    for name in (upper, lower):
        (blog / "_posts" / name).write_text(f"---\ntitle: {name}\ntags: [x]\n---\n\nB.\n")
    content = tmp_path / "content"
    run, said = imported(blog, content)
    assert run.returncode == 1, said
    line, _ = report_line(said, f"_posts/{lower}", "differ only in case")
    assert f"_posts/{upper}" in line, f"the other source is not named: {line}"
    assert "Nothing imported" in said and not content.exists(), "a refused import wrote files"


def test_an_imported_post_whose_name_differs_in_case_from_one_in_content_is_refused(tmp_path):
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts" / "data-platform-x.md").write_text("Title: Mine\n\nB.\n")
    before = snapshot(content)
    blog = shutil.copytree(BLOGS / "jekyll", tmp_path / "blog")
    (blog / "_posts" / "2024-01-01-Data-Platform-X.md").write_text("---\ntags: [x]\n---\n\nB.\n")
    run, said = imported(blog, content)
    assert run.returncode == 1, said
    line, _ = report_line(said, "_posts/2024-01-01-Data-Platform-X.md", "differ")
    assert "content/posts/data-platform-x.md" in line, line
    assert snapshot(content) == before, "a refused import changed the content folder"


# ---- 1. and 8. The preview meets the alias bomb ----------------------------------------


def project_copy(base):
    """What the preview builds from: the settings, theme and plugins, and a copy
    of tests/data/reader as its content/."""
    base.mkdir(parents=True)
    for name in ("pelicanconf.py", "netlify.toml"):
        shutil.copy2(ROOT / name, base / name)
    for name in ("theme", "plugins"):
        shutil.copytree(ROOT / name, base / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(DATA / "reader", base / "content")
    return base


def wait_for(condition, what, timeout=60):
    """Poll `condition` until it returns something true; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.1)
    return found


@pytest.mark.slow
def test_the_preview_shows_the_bombs_file_on_its_error_page(tmp_path):
    import http.client

    base = project_copy(tmp_path / "project")
    port, log = free_port(), tmp_path / "serve.log"
    # Under the memory limit of the builds (1 GiB of address space).
    code = textwrap.dedent(
        f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from sitetools.preview.server import serve
        serve({str(base)!r}, {str(base / "pelicanconf.py")!r}, {str(base / "output")!r},
              port={port}, overrides={{"CACHE_PATH": {str(base / "cache")!r}}})
        """
    )

    def errors():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            connection.request("GET", "/")
            response = connection.getresponse()
            body = response.read()
        except OSError:
            return None
        finally:
            connection.close()
        soup = BeautifulSoup(body, "html.parser")
        found = [li.get_text(" ", strip=True) for li in soup.select(".build-errors li")]
        return (response.status, found)

    def listening():
        with socket.socket() as probe:
            return "Preview on" in log.read_text() and probe.connect_ex(("127.0.0.1", port)) == 0

    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
        )
    try:
        wait_for(listening, "the preview to start", 90)
        assert errors()[0] == 200, log.read_text()
        (base / "content" / "posts" / "bomb.md").write_text(front_matter(billion_laughs()))
        _, found = wait_for(
            lambda: (answer := errors()) and answer[0] == 500 and answer,
            "the error page after the bomb was saved",
        )
        assert any("posts/bomb.md:" in line and "front matter:" in line for line in found), found
        assert process.poll() is None, f"the preview died:\n{log.read_text()}"
    finally:
        stop_process(process)

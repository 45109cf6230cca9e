"""Raw data downloads: a post's `Data: a.csv, b.jsonl` header lists files kept in
content/data/<slug>/. Each is checked (it exists and parses), published under the
post's URL (/posts/<slug>/a.csv) and listed as `article.data_files` for the
"Raw data" list and the JSON-LD Dataset (seo). Any problem fails the build,
every one in one report with the charts' (`content/posts/x.md:5: Data: a.csv ...; fix`),
and a CSV cell a spreadsheet would run as a formula is a warning
(sitetools.content.spreadsheets)."""

import csv
import io
import json
import logging
import os
import posixpath
import sys
from pathlib import Path

from pelican import signals

from sitetools.content.contents import unread_sources
from sitetools.content.fences import in_use, options_of
from sitetools.content.files import display_path, header_line
from sitetools.content.spreadsheets import formula_warnings

logger = logging.getLogger(__name__)

DEFAULTS = {
    # The folder under PATH (also in STATIC_PATHS) that holds data/<slug>/<file>.
    "folder": "data",
    "formats": {"csv": "text/csv", "json": "application/json", "jsonl": "application/jsonl"},
}


def names_of(value):
    """`Data: a.csv, b.json` -> ["a.csv", "b.json"] (blank entries dropped)."""
    text = ",".join(value) if isinstance(value, list) else str(value or "")
    return [name.strip() for name in text.replace("\n", ",").split(",") if name.strip()]


def parse_problem(suffix, raw):
    """Why a data file's bytes do not parse as its format (JSON, JSON Lines, else
    CSV with as many fields a row as its header), or None."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return f"is not UTF-8 (byte {error.start})"
    if not text.strip():
        return "is empty"
    if suffix not in ("json", "jsonl"):
        return _csv_problem(text)
    # JSON is one document, JSON Lines one a line (named by its line).
    for number, line in enumerate(text.splitlines() if suffix == "jsonl" else [text], start=1):
        at = f"line {number} " * (suffix == "jsonl")
        try:
            json.loads(line) if line.strip() else None
        except ValueError as error:
            return f"{at}is not JSON ({error.msg})" if at else f"does not parse as JSON ({error})"
        except RecursionError:  # json's parser gives up past the interpreter's recursion limit
            limit = sys.getrecursionlimit()
            return f"{at}is nested too deep (arrays or objects inside {limit} others)"
    return None


def _csv_problem(text):
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        width = len(next(rows))
        bad = next((row for row in rows if row and len(row) != width), None)
    except csv.Error as error:
        return f"does not parse as CSV ({error})"
    if bad:
        return (
            f"line {rows.line_num} has {len(bad)} fields, the header {width}"
            " (is a comma inside a value not quoted?)"
        )
    return None


def size_label(size):
    """Bytes as a reader reads them: 512 B, 2.1 KB, 3.4 MB (powers of 1000)."""
    if size < 1000:
        return f"{size} B"
    return f"{size / 1000:.1f} KB" if size < 1_000_000 else f"{size / 1000 / 1000:.1f} MB"


def file_problems(name, folder, formats, readable=None):
    """(problem or None, file facts, [warning]) for one listed name in the post's
    data folder. `readable(path)`, when given, says which files may be opened:
    content_guard asks before Pelican has read anything, and reports a refused file."""
    shown, path = f"{display_path(folder)}{os.sep}", Path(folder) / name
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if posixpath.basename(name.replace("\\", "/")) != name or name.startswith("."):
        return f"'{name}' is not a file name; list only file names kept in {shown}", None, []
    if suffix not in formats:
        kinds = ", ".join(s.upper() for s in formats)
        return f"{name} is not one of {kinds}; convert it or remove it from Data", None, []
    if readable is not None and os.path.lexists(path) and not readable(str(path)):
        return None, None, []
    if not path.is_file():
        return f"{name} is not in {shown}; put it there or remove it from Data", None, []
    raw = path.read_bytes()
    if problem := parse_problem(suffix, raw):
        return f"{name} {problem}; fix the file or remove it from Data", None, []
    size = size_label(len(raw))
    facts = {"name": name, "format": suffix.upper(), "media_type": formats[suffix], "size": size}
    # A CSV opens in a spreadsheet, which runs what looks like a formula.
    text = raw.decode("utf-8-sig") if suffix == "csv" else ""
    return None, facts, formula_warnings(display_path(path), text)


def data_files_of(article, root, options, readable=None):
    """(report lines, [file facts], [warning]) for one post's Data header."""
    value = article.metadata.get("data")
    if value is None:
        return [], [], []
    where = f"{display_path(article.source_path)}:{header_line(article.source_path, 'data')}: Data"
    if not (names := names_of(value)):
        return [f"{where}: empty; list file names (Data: results.csv) or remove the line"], [], []
    folder, formats = Path(root) / options["folder"] / article.slug, options["formats"]
    found = [file_problems(name, folder, formats, readable) for name in names]
    return (
        [f"{where}: {problem}" for problem, _, _ in found if problem],
        [facts for _, facts, _ in found if facts],
        [line for _, _, warnings in found for line in warnings],
    )


# ---- Handlers


def publish(generator):
    """Check every post's Data, then publish each listed file beside its post
    (the static file's own output path, as Pelican's {attach} sets it) and
    leave unlisted files in the data folder unpublished."""
    settings = generator.settings
    options = options_of(settings, "DATA_FILES", DEFAULTS, logger)
    folder, problems, wanted = options["folder"], [], {}
    for name in ("articles", "drafts", "hidden_articles"):
        for post in generator.context.get(name) or ():
            lines, post.data_files, warnings = data_files_of(post, settings["PATH"], options)
            problems += lines
            for line in warnings:
                logger.warning("%s", line)
            for facts in post.data_files:
                facts["url"] = posixpath.join(posixpath.dirname(post.url), facts["name"])
                save_as = post.save_as and posixpath.join(
                    posixpath.dirname(post.save_as), facts["name"]
                )
                wanted[posixpath.join(folder, post.slug, facts["name"])] = (save_as, facts["url"])
    statics = {
        Path(os.path.relpath(static.source_path, settings["PATH"])).as_posix(): static
        for static in generator.staticfiles
    }
    if missing := [source for source in wanted if source not in statics]:
        problems.append(
            f"pelicanconf.py: STATIC_PATHS: has no '{folder}', so {missing[0]} is not "
            f"published; add '{folder}' to STATIC_PATHS"
        )
    # Logged, not raised: the build goes on into its staging folder, so the
    # charts' problems come in the same report, and sitetools.build.builder fails it.
    for line in problems:
        logger.error("%s", line)
    for path, (save_as, url) in wanted.items():
        if save_as and path in statics:
            statics[path].override_save_as, statics[path].override_url = save_as, url
    generator.staticfiles[:] = [
        static
        for path, static in statics.items()
        if not path.startswith(folder + "/") or wanted.get(path, (None,))[0]
    ]
    generator.context["staticfiles"] = generator.staticfiles


def check_unread(settings, *, sources, readable):
    """The posts' Data problems when content_guard stops the build before Pelican reads them."""
    if not in_use(settings, "data_files"):
        return []
    options = options_of(settings, "DATA_FILES", DEFAULTS, logger)
    return [
        line
        for source in sources
        if source.kind == "article"
        for line in data_files_of(source, settings["PATH"], options, readable)[0]
    ]


def register():
    # Every post is read and the static files are known, and nothing is claimed
    # or written yet: the data files get their output paths here.
    signals.static_generator_finalized.connect(publish)
    # A build content_guard stops before Pelican reads: the Data lines in the same report.
    unread_sources.connect(check_unread)

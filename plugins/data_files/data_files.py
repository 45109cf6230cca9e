"""Raw data downloads: a post's `Data: a.csv, b.jsonl` header lists files kept in
content/data/<slug>/. Each is checked (it exists and parses), published under the
post's URL (/posts/<slug>/a.csv) and listed as `article.data_files` for the
"Raw data" list and the JSON-LD Dataset (seo). Any problem fails the build,
every one in one report: `content/posts/x.md:5: Data: a.csv ...; fix`."""

import csv
import io
import json
import os
import posixpath
from pathlib import Path

from pelican import signals

from sitetools.build import BuildError
from sitetools.files import display_path, header_line

DEFAULTS = {
    # The folder under PATH (also in STATIC_PATHS) that holds data/<slug>/<file>.
    "folder": "data",
    "formats": {"csv": "text/csv", "json": "application/json", "jsonl": "application/jsonl"},
}


def settings_for(settings):
    return {**DEFAULTS, **(settings.get("DATA_FILES") or {})}


def names_of(value):
    """`Data: a.csv, b.json` -> ["a.csv", "b.json"] (blank entries dropped)."""
    text = ",".join(value) if isinstance(value, list) else str(value or "")
    return [name.strip() for name in text.replace("\n", ",").split(",") if name.strip()]


def parse_problem(suffix, raw):
    """Why a data file's bytes do not parse as its format, or None."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return f"is not UTF-8 (byte {error.start})"
    if not text.strip():
        return "is empty"
    try:
        if suffix == "json":
            json.loads(text)
        elif suffix == "jsonl":
            for number, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    try:
                        json.loads(line)
                    except ValueError as error:
                        return f"line {number} is not JSON ({error.msg})"
        else:
            rows = csv.reader(io.StringIO(text, newline=""), strict=True)
            width = len(next(rows))
            for row in rows:
                if row and len(row) != width:
                    return (
                        f"line {rows.line_num} has {len(row)} fields, the header {width}"
                        " (is a comma inside a value not quoted?)"
                    )
    except (ValueError, csv.Error) as error:
        return f"does not parse as {suffix.upper()} ({error})"
    return None


def size_label(size):
    """Bytes as a reader reads them: 512 B, 2.1 KB, 3.4 MB (powers of 1000)."""
    for unit in ("B", "KB", "MB"):
        if size < 1000 or unit == "MB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return None


def file_problems(name, folder, formats):
    """(problem or None, file facts) for one listed name in the post's data folder."""
    shown = f"{display_path(folder)}{os.sep}"
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    path = Path(folder) / name
    if posixpath.basename(name.replace("\\", "/")) != name or name.startswith("."):
        return f"'{name}' is not a file name; list only file names kept in {shown}", None
    if suffix not in formats:
        kinds = ", ".join(s.upper() for s in formats)
        return f"{name} is not one of {kinds}; convert it or remove it from Data", None
    if not path.is_file():
        return f"{name} is not in {shown}; put it there or remove it from Data", None
    raw = path.read_bytes()
    if problem := parse_problem(suffix, raw):
        return f"{name} {problem}; fix the file or remove it from Data", None
    facts = {"name": name, "format": suffix.upper(), "media_type": formats[suffix]}
    return None, facts | {"size": size_label(len(raw)), "bytes": len(raw)}


def data_files_of(article, root, options):
    """(report lines, [file facts]) for one post's Data header."""
    value = article.metadata.get("data")
    if value is None:
        return [], []
    where = f"{display_path(article.source_path)}:{header_line(article.source_path, 'data')}: Data"
    names = names_of(value)
    if not names:
        return [f"{where}: empty; list file names (Data: results.csv) or remove the line"], []
    folder = Path(root) / options["folder"] / article.slug
    lines, files = [], []
    for name in names:
        problem, facts = file_problems(name, folder, options["formats"])
        lines += [f"{where}: {problem}"] if problem else []
        files += [facts] if facts else []
    return lines, files


# ---- Handlers


def in_use(settings, name="data_files"):
    """Signals outlive a build: act only for a site whose PLUGINS lists this one."""
    return any(str(plugin).rsplit(".", 1)[-1] == name for plugin in settings.get("PLUGINS") or ())


def publish(generator):
    """Check every post's Data, then publish each listed file beside its post
    (the static file's own output path, as Pelican's {attach} sets it) and
    leave unlisted files in the data folder unpublished."""
    options, settings = settings_for(generator.settings), generator.settings
    if not in_use(settings):
        return
    posts = [
        post
        for name in ("articles", "drafts", "hidden_articles")
        for post in generator.context.get(name) or ()
    ]
    problems, wanted = [], {}
    for post in posts:
        lines, files = data_files_of(post, settings["PATH"], options)
        problems += lines
        base = posixpath.dirname(post.save_as) if post.save_as else None
        for facts in files:
            facts["url"] = posixpath.join(posixpath.dirname(post.url), facts["name"])
            source = posixpath.join(options["folder"], post.slug, facts["name"])
            wanted[source] = (base, facts)
        post.data_files = files
    statics = {
        Path(os.path.relpath(static.source_path, settings["PATH"])).as_posix(): static
        for static in generator.staticfiles
    }
    for source in wanted:
        if source not in statics:
            problems.append(
                f"pelicanconf.py: STATIC_PATHS: has no '{options['folder']}', so "
                f"{source} is not published; add '{options['folder']}' to STATIC_PATHS"
            )
            break
    if problems:
        raise BuildError(problems)
    kept = []
    for path, static in statics.items():
        if not path.startswith(options["folder"] + "/"):
            kept.append(static)
        elif (entry := wanted.get(path)) and entry[0] is not None:
            static.override_save_as = posixpath.join(entry[0], entry[1]["name"])
            static.override_url = entry[1]["url"]
            kept.append(static)
    generator.staticfiles[:] = kept
    generator.context["staticfiles"] = generator.staticfiles


def register():
    # Every post is read and the static files are known, and nothing is claimed
    # or written yet: the data files get their output paths here.
    signals.static_generator_finalized.connect(publish)

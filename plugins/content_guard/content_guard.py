"""Content validation: every source file is checked before Pelican reads it.

Pelican skips a post it cannot read and exits 0, ignores misspelled keys, and
ships a literal `{filename}` for a link to a missing file. This plugin reads the
files under PATH + ARTICLE_PATHS / PAGE_PATHS itself (raw bytes, its own parse of
the `Key: value` header, so every problem has a line), collects every problem in
the site, and raises one exception listing them all, one line each:

    content/posts/x.md:3: Tag: unknown field; did you mean "Tags"?

`sitetools.build` turns that into a failed build that leaves output/ untouched.
A Summary longer than the card's limit is a warning: logged, not fatal.

Raw HTML is judged later, on the HTML Pelican's reader renders for each article
and page (body and Summary), against html_policy's allowlist; those problems are
raised together, the same way, before any page is written.
"""

import difflib
import fnmatch
import html
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from pelican import signals
from pelican.contents import Article, Page
from pelican.utils import get_date, slugify

from sitetools.cache import Cache
from sitetools.files import display_path

from .content_files import allowed_roots, named_folders, scan_content
from .html_policy import occurrences, violations

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Metadata keys a source may use (lower case; the header is case-insensitive).
    "allowed_fields": [
        "title",
        "date",
        "modified",
        "tags",
        "slug",
        "summary",
        "status",
        "lang",
        "translation",
        "save_as",
        "url",
        "template",
        "author",
        "authors",
    ],
    # Keys every source of a kind must have.
    "required_fields": {"article": ["title", "date", "tags"], "page": ["title"]},
    "statuses": ["published", "draft", "hidden"],
    # Files Pelican's Markdown reader reads; the only reader enabled here.
    "extensions": ["md", "markdown", "mkd", "mdown"],
}

# The Markdown meta extension's own header grammar (markdown/extensions/meta.py).
_META = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)")
_META_MORE = re.compile(r"^[ ]{4,}(?P<value>.*)")
_YAML_BEGIN = re.compile(r"^-{3}(\s.*)?$")
_YAML_END = re.compile(r"^(-{3}|\.{3})(\s.*)?$")

_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^[ ]{0,3}(?:[-*+]|\d+[.)])\s")
_INLINE_CODE = re.compile(r"(?<!`)(?P<ticks>`+)(?!`)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)", re.S)
_LINK = re.compile(r"[{|](?P<what>filename|static|attach)[|}](?P<path>[^\s)\"'<>\]]+)")
_SLUG_SHAPE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Problem(NamedTuple):
    """One thing wrong with a source: its line (0 for the whole file), the field
    it concerns, and a message saying what is wrong and how to fix it."""

    line: int
    field: str
    message: str


@dataclass
class Field:
    name: str  # lower case, as Pelican sees it
    label: str  # as the author wrote it
    value: str
    line: int


@dataclass
class Source:
    """A Markdown source split the way the meta extension splits it."""

    fields: list = field(default_factory=list)
    body: str = ""
    body_line: int = 1
    yaml_line: int = 0

    def get(self, name):
        """The first field called `name`, or None."""
        return next((f for f in self.fields if f.name == name), None)


class ContentProblems(Exception):
    """Raised with every problem in the site; `problems` has one line each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# ---- Pure functions: text in, problems out --------------------------------------


def label(name):
    """How a field is named in messages: "tags" -> "Tags"."""
    return name[:1].upper() + name[1:]


def decode(raw):
    """Bytes -> (text, problems). Not UTF-8: no text, and where the first bad
    byte is. A UTF-8 byte-order mark is dropped, as Pelican does."""
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        byte = raw[error.start]
        return None, [
            Problem(
                line,
                "encoding",
                f"byte 0x{byte:02x} at column {column} is not UTF-8; "
                "save the file as UTF-8 (your editor's 'Save with encoding')",
            )
        ]


def parse(text):
    """Split a Markdown source into header fields and body, with line numbers,
    following the Markdown meta extension that Pelican uses."""
    lines = text.splitlines()
    source = Source()
    index = 0
    if lines and _YAML_BEGIN.match(lines[0]):
        source.yaml_line = 1
        index = 1
    current = None
    while index < len(lines):
        line = lines[index]
        if not line.strip() or _YAML_END.match(line):
            index += 1
            break
        match = _META.match(line)
        if match:
            key = match.group("key")
            current = Field(key.lower(), key, match.group("value").strip(), index + 1)
            source.fields.append(current)
        else:
            more = _META_MORE.match(line)
            if not (more and current):
                break
            current.value = f"{current.value}\n{more.group('value').strip()}".strip()
        index += 1
    source.body = "\n".join(lines[index:])
    source.body_line = index + 1
    return source


# Characters no HTML page may hold (the HTML standard's "control" code points
# other than whitespace): a NUL byte in a body reached the page as it was.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def check_control_characters(text):
    """Invisible control characters, each at its line and column."""
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        match = _CONTROL.search(line)
        if match:
            problems.append(
                Problem(
                    number,
                    "encoding",
                    f"control character 0x{ord(match.group()):02x} at column "
                    f"{match.start() + 1}; delete it (most editors do not show it)",
                )
            )
    return problems


def check_extension(source_path, extensions):
    """Pelican reads a source only by its lower-case extension: post.MD would
    be skipped without a word."""
    suffix = Path(source_path).suffix
    if suffix[1:] in extensions:
        return []
    fixed = Path(source_path).stem + suffix.lower()
    return [
        Problem(
            1,
            "file",
            f"the extension '{suffix}' is not read (only lower case is); rename the "
            f"file to '{fixed}'",
        )
    ]


def check_empty(text):
    if not text.strip():
        return [
            Problem(
                1,
                "file",
                "the file is empty; write a header (Title:, Date:, Tags:) and a body, "
                "or delete the file",
            )
        ]
    return []


def check_front_matter(source):
    if source.yaml_line:
        return [
            Problem(
                source.yaml_line,
                "header",
                "YAML '---' front matter is not read here and leaks into the page; "
                "remove the '---' lines and write one 'Key: value' line per field "
                "(Tags: a, b)",
            )
        ]
    return []


def check_field_names(source, allowed):
    """Keys outside `allowed`, with a "did you mean" for near misses."""
    problems = []
    allowed = list(allowed)
    for item in source.fields:
        if item.name in allowed:
            continue
        near = difflib.get_close_matches(item.name, allowed, n=1, cutoff=0.6)
        if near:
            fix = f'did you mean "{label(near[0])}"?'
        else:
            fix = "use one of " + ", ".join(label(name) for name in allowed)
        problems.append(Problem(item.line, item.label, f"unknown field; {fix}"))
    return problems


def check_repeated_fields(source):
    """A key given twice: Pelican would keep a Python list of both values
    (a title of "['First', 'Second']")."""
    first = {}
    problems = []
    for item in source.fields:
        if item.name in first:
            problems.append(
                Problem(
                    item.line,
                    item.label,
                    f"given twice (also on line {first[item.name]}); keep one '{item.label}:' line",
                )
            )
        else:
            first[item.name] = item.line
    return problems


def near_misses(source, allowed):
    """Allowed keys that an unknown key in the header looks like a typo of."""
    allowed = list(allowed)
    return {
        near
        for item in source.fields
        if item.name not in allowed
        for near in difflib.get_close_matches(item.name, allowed, n=1, cutoff=0.6)
    }


def check_required(source, required, misspelled=()):
    """Missing or empty required keys; one already reported as misspelled
    (`Tag` for `Tags`) is not reported again as missing."""
    problems = []
    for name in required:
        item = source.get(name)
        if item is None and name in misspelled:
            continue
        if item is None:
            problems.append(
                Problem(
                    1,
                    label(name),
                    f"missing; add a '{label(name)}: …' line to the header "
                    f"(the lines before the first blank line)",
                )
            )
        elif not item.value.strip():
            problems.append(Problem(item.line, label(name), f"empty; give the {name} a value"))
    return problems


def parse_date(value):
    """A header date as Pelican parses it, or None."""
    try:
        return get_date(value)
    except (ValueError, OverflowError):
        return None


def check_dates(source, timezone="UTC"):
    problems = []
    parsed = {}
    for name in ("date", "modified"):
        item = source.get(name)
        if item is None or not item.value.strip():
            continue
        when = parse_date(item.value)
        if when is None:
            problems.append(
                Problem(
                    item.line,
                    label(name),
                    f"'{item.value}' is not a date; write it as YYYY-MM-DD HH:MM, "
                    "e.g. 2026-08-10 09:00",
                )
            )
        else:
            parsed[name] = (when, item)
    if "date" in parsed and "modified" in parsed:
        date, _ = parsed["date"]
        modified, item = parsed["modified"]
        if _aware(modified, timezone) < _aware(date, timezone):
            problems.append(
                Problem(
                    item.line,
                    "Modified",
                    f"{item.value} is earlier than Date {source.get('date').value}; "
                    "set Modified to the date of the update, or remove it",
                )
            )
    return problems


def _aware(when, timezone):
    """A header date with its own offset, or else in the site's TIMEZONE, as
    Pelican reads it."""
    if when.tzinfo is not None:
        return when
    return when.replace(tzinfo=ZoneInfo(timezone))


def check_output_path(source):
    """Url and Save_as are paths inside the site: no scheme or host, no
    leading '/', no '..', and Save_as names a file."""
    problems = []
    for name in ("url", "save_as"):
        item = source.get(name)
        if item is None or not item.value.strip():
            continue
        value = item.value.strip()
        parts = urlsplit(value)
        segments = value.replace("\\", "/").split("/")
        if parts.scheme or parts.netloc or value.startswith(("/", "\\")) or ".." in segments:
            problems.append(
                Problem(
                    item.line,
                    item.label,
                    f"'{value}' is not a path inside the site; write it relative to the "
                    "site's root, like 'posts/my-post/' (to point readers elsewhere, "
                    "link to that address in the body)",
                )
            )
        elif name == "save_as" and value.endswith("/"):
            problems.append(
                Problem(
                    item.line,
                    item.label,
                    f"'{value}' names a folder, not a file; add 'index.html'",
                )
            )
    return problems


def status_of(source):
    item = source.get("status")
    return item.value.strip().lower() if item and item.value.strip() else "published"


def check_status(source, statuses):
    item = source.get("status")
    if item is None or item.value.strip().lower() in statuses:
        return []
    return [
        Problem(
            item.line,
            "Status",
            f"'{item.value}' is not a status; use one of {', '.join(statuses)}",
        )
    ]


def check_tags(source, slug_options):
    item = source.get("tags")
    if item is None or not item.value.strip():
        return []
    problems = []
    for position, tag in enumerate(re.split(r",\s*\n|\n|,", item.value), start=1):
        if not tag.strip():
            problems.append(
                Problem(
                    item.line,
                    "Tags",
                    f"entry {position} is empty; remove the extra comma (Tags: one, two, three)",
                )
            )
        elif not slugify(tag, **slug_options):
            problems.append(
                Problem(
                    item.line,
                    "Tags",
                    f"'{tag.strip()}' has no letters or digits, so its page has no URL; "
                    "rename the tag",
                )
            )
    return problems


def check_body(source, kind, status):
    if kind == "article" and status == "published" and not source.body.strip():
        return [
            Problem(
                max(source.body_line - 1, 1),  # the blank line that ends the header
                "body",
                "a published post has no body; write it below the header's blank line, "
                "or set 'Status: draft'",
            )
        ]
    return []


def mask_code(text):
    """`text` with the insides of fenced and indented code blocks and inline code
    replaced by spaces (newlines kept), so offsets still give line numbers."""
    lines = text.split("\n")
    masked = []
    fence = None
    in_list = False
    previous_blank = True
    in_indented = False
    for line in lines:
        stripped = line.strip()
        if fence:
            masked.append(" " * len(line))
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence = None
            continue
        match = _FENCE.match(line)
        if match:
            fence = match.group("fence")
            masked.append(" " * len(line))
            previous_blank = False
            continue
        indented = line.startswith(("    ", "\t"))
        if indented and stripped and (in_indented or (previous_blank and not in_list)):
            in_indented = True
            masked.append(" " * len(line))
            continue
        if stripped:
            in_indented = False
            if _LIST_ITEM.match(line):
                in_list = True
            elif not indented and previous_blank:
                in_list = False
        masked.append(line)
        previous_blank = not stripped
    joined = "\n".join(masked)
    return _INLINE_CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), joined)


def _line_at(text, offset, first_line):
    return first_line + text.count("\n", 0, offset)


def place_of(text, masked, needles, start=0):
    """Where the first of `needles` shows in `text` at or after `start`, best
    effort: outside code (`masked` is mask_code(text)), else on a line with no
    backtick (mask_code may take a stray backtick for a code span), else
    anywhere; None when no needle is there."""
    tiers = (
        lambda at: masked[at] == text[at],
        lambda at: "`" not in text[text.rfind("\n", 0, at) + 1 :].split("\n", 1)[0],
        lambda at: True,
    )
    for good in tiers:
        for needle in needles:
            for at in occurrences(text, needle, start):
                if good(at):
                    return at
    return None


def locate_violations(found, text, first_line, where):
    """Problems for html_policy Violations of HTML rendered from `text`, each on
    the line of `text` that shows it, else on `first_line`. A violation found
    again is looked for after the place of the one before."""
    masked = mask_code(text)
    searched = {}
    problems = []
    for violation in found:
        needles = tuple(violation.needles())
        at = place_of(text, masked, needles, searched.get(needles, 0))
        line = first_line
        if at is not None:
            searched[needles] = at + 1
            line = _line_at(text, at, first_line)
        problems.append(Problem(line, where, violation.message()))
    return problems


def check_rendered(source, body_html, fields_html):
    """Problems in the HTML Pelican rendered from a source: its body, and the
    header fields it formats as Markdown ({name: html}, e.g. summary)."""
    problems = locate_violations(violations(body_html), source.body, source.body_line, "body")
    for name, rendered in fields_html.items():
        item = source.get(name)
        line, where = (item.line, item.label) if item else (1, label(name))
        problems += [Problem(line, where, v.message()) for v in violations(rendered)]
    return sorted(problems)


def find_links(text, first_line=1):
    """Pelican's {filename}/{static}/{attach} links outside code:
    [(line, what, target path without #fragment or ?query)]."""
    text = mask_code(text)
    found = []
    for match in _LINK.finditer(text):
        target = unquote(re.split(r"[#?]", match.group("path"), maxsplit=1)[0])
        found.append((_line_at(text, match.start(), first_line), match.group("what"), target))
    return found


def link_target(content_root, source_path, target):
    """Where a link points on disk: '/x' is under the content root, anything else
    is relative to the source file's folder (Pelican's rule)."""
    if target.startswith("/"):
        return Path(content_root) / target.lstrip("/")
    return Path(source_path).parent / target


def links_of(source, source_path, content_root):
    """([(line, field, what, target, path on disk)], problems) for the
    {filename}/{static}/{attach} links of a source: what the file system must
    then answer for, and the links that name no path at all."""
    links, problems = [], []
    places = [(item.value, item.line, item.label) for item in source.fields]
    places.append((source.body, source.body_line, "body"))
    for text, first_line, where in places:
        for line, what, target in find_links(text, first_line):
            if not target:
                problems.append(
                    Problem(line, where, f"{{{what}}} link has no path; add the file's path")
                )
            else:
                path = str(link_target(content_root, source_path, target))
                links.append((line, where, what, target, path))
    return links, problems


def linked_file_problems(links, exists=os.path.exists):
    """Problems of the files that links_of found: missing, or an image that
    is empty or broken. Asked of the file system on every build."""
    problems = []
    for line, where, what, target, path in links:
        if not exists(path):
            problems.append(
                Problem(
                    line,
                    where,
                    f"{{{what}}}{target} points to no file; fix the path (relative to "
                    f"this file, or starting with / for the content folder) or add "
                    f"the file",
                )
            )
        elif Path(path).suffix.lower() in IMAGE_SUFFIXES:
            broken = image_problem(path)
            if broken:
                problems.append(
                    Problem(
                        line, where, f"{{{what}}}{target} {broken}; replace it with a working image"
                    )
                )
    return problems


def check_links(source, source_path, content_root, exists=os.path.exists):
    """Problems of a source's {filename}/{static}/{attach} links."""
    links, problems = links_of(source, source_path, content_root)
    return problems + linked_file_problems(links, exists)


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp"}


def image_problem(path):
    """What is wrong with an image file a post shows, or None: an empty file,
    an SVG that is not well-formed XML, or a raster image Pillow cannot decode."""
    path = Path(path)
    if not path.is_file():
        return "is not a regular file"
    if path.stat().st_size == 0:
        return "is an empty file (0 bytes)"
    if path.suffix.lower() == ".svg":
        from xml.etree import ElementTree  # noqa: PLC0415

        try:
            root = ElementTree.parse(path).getroot()
        except ElementTree.ParseError as error:
            return f"is not a well-formed SVG ({error})"
        return None if root.tag.rsplit("}", 1)[-1] == "svg" else "is not an SVG image"
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415

    try:
        with Image.open(path) as image:
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        reason = str(error).replace(str(path), path.name)
        return f"is not an image a browser can show ({reason})"
    return None


def slug_of(source, source_path, slug_options, slugify_source="title"):
    """The slug Pelican will give this source, and the line it comes from."""
    item = source.get("slug")
    if item is not None:
        return item.value.strip(), item.line, "Slug"
    if slugify_source == "basename":
        return slugify(Path(source_path).stem, **slug_options), 1, "Slug"
    title = source.get("title")
    if title is None or not title.value.strip():
        return None, 0, "Slug"  # reported as a missing title
    return slugify(title.value, **slug_options), title.line, "Title"


def check_slug(slug, line, where):
    if slug is None:
        return []
    if not slug:
        return [
            Problem(
                line,
                where,
                "gives an empty slug, so the page would have no URL; add a "
                "'Slug: words-joined-by-hyphens' line",
            )
        ]
    if where == "Slug" and not _SLUG_SHAPE.match(slug):
        suggestion = slugify(slug) or "words-joined-by-hyphens"
        return [
            Problem(
                line,
                "Slug",
                f"'{slug}' is not lowercase words joined by hyphens; use '{suggestion}'",
            )
        ]
    return []


# The longest name built from a slug is the social image's file being written,
# `<slug>-<10-char hash>.<process id>.tmp`: 23 characters more than the slug,
# and a file name may have 255 bytes. 200 leaves room for anything like it.
MAX_SLUG_BYTES = 200


def check_slug_length(slug, line, where, limit=MAX_SLUG_BYTES):
    """A slug too long for the file names made from it."""
    size = len((slug or "").encode("utf-8"))
    if size <= limit:
        return []
    fix = "shorten it" if where == "Slug" else "add a shorter 'Slug:' line"
    return [
        Problem(
            line,
            where,
            f"its slug is {size} characters, longer than the {limit} a file name may have; {fix}",
        )
    ]


def check_tag_lengths(source, slug_options, limit=MAX_SLUG_BYTES):
    """Tags whose slugs are too long for their page's and feeds' file names."""
    item = source.get("tags")
    if item is None:
        return []
    problems = []
    for tag in re.split(r",\s*\n|\n|,", item.value):
        size = len(slugify(tag, **slug_options).encode("utf-8")) if tag.strip() else 0
        if size > limit:
            problems.append(
                Problem(
                    item.line,
                    "Tags",
                    f"'{tag.strip()[:40]}…' gives a slug of {size} characters, longer than "
                    f"the {limit} a file name may have; shorten the tag",
                )
            )
    return problems


def summary_chars(text):
    """How many characters of plain text a Markdown summary shows."""
    import markdown  # noqa: PLC0415

    rendered = markdown.markdown(text)
    plain = html.unescape(re.sub(r"<[^>]+>", " ", rendered))
    return len(" ".join(plain.split()))


def check_summary_length(source, max_chars):
    item = source.get("summary")
    if item is None or not max_chars:
        return []
    count = summary_chars(item.value)
    if count <= max_chars:
        return []
    return [
        Problem(
            item.line,
            "Summary",
            f"{count} characters, longer than the card's one-line limit of {max_chars}, "
            "so the card cuts it with '…'; shorten it",
        )
    ]


def format_problem(path, problem):
    """One report line: `path:line: field: what is wrong; how to fix it`."""
    return f"{path}:{problem.line}: {problem.field}: {problem.message}"


@dataclass
class Checked:
    """One file's results, and what cross-file checks need from it."""

    problems: list
    warnings: list
    slug: tuple = None  # (slug, line, field) when the file has one
    lang: str = ""
    links: list = field(default_factory=list)  # for linked_file_problems


def check_source(raw, kind, source_path, content_root, options, *, exists=os.path.exists):
    """Every single-file check on one source's bytes, its linked files included."""
    checked = read_source(raw, kind, source_path, content_root, options)
    checked.problems = sorted(checked.problems + linked_file_problems(checked.links, exists))
    return checked


def read_source(raw, kind, source_path, content_root, options):
    """Every check of one source that its bytes, path and options decide:
    a pure function, kept in the one cache. The files it links to are in
    `links`, for linked_file_problems to ask the file system about."""
    text, problems = decode(raw)
    if text is None:
        return Checked(problems, [])
    problems = check_empty(text) or check_extension(source_path, options["extensions"])
    if problems:
        return Checked(problems, [])
    problems = check_control_characters(text)
    if problems:
        return Checked(problems, [])
    source = parse(text)
    status = status_of(source)
    slug = slug_of(source, source_path, options["slug_options"], options["slugify_source"])
    problems = [
        *check_front_matter(source),
        *check_field_names(source, options["allowed_fields"]),
        *check_repeated_fields(source),
        *check_output_path(source),
        *check_required(
            source,
            options["required_fields"].get(kind, ()),
            near_misses(source, options["allowed_fields"]),
        ),
        *check_dates(source, options.get("timezone") or "UTC"),
        *check_status(source, options["statuses"]),
        *check_tags(source, options["slug_options"]),
        *check_slug(*slug),
        *check_slug_length(*slug),
        *check_tag_lengths(source, options["slug_options"]),
        *check_body(source, kind, status),
    ]
    links, link_problems = links_of(source, source_path, content_root)
    warnings = check_summary_length(source, options.get("summary_max_chars"))
    lang = source.get("lang")
    return Checked(
        sorted(problems + link_problems),
        warnings,
        slug if slug[0] else None,
        lang.value.strip() if lang else "",
        links,
    )


def duplicate_slugs(entries):
    """entries: [(kind, lang, slug, display path, line, field)] -> report lines
    for every slug used by more than one source of the same kind and language."""
    seen = {}
    lines = []
    for kind, lang, slug, path, line, where in entries:
        key = (kind, lang, slug)
        if key in seen:
            first_path, first_line = seen[key]
            lines.append(
                format_problem(
                    path,
                    Problem(
                        line,
                        where,
                        f"slug '{slug}' is already used by {first_path}:{first_line}; "
                        "give one of them another 'Slug:'",
                    ),
                )
            )
        else:
            seen[key] = (path, line)
    return lines


# ---- Handlers: the files on disk -------------------------------------------------


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's CONTENT_GUARD dict."""
    return {**DEFAULTS, **(settings.get("CONTENT_GUARD") or {})}


def card_summary_limit(settings):
    """The card's summary limit, from post_cards' setting (its default 320)
    when the site uses post_cards; None without cards to overflow."""
    if not in_use(settings, "post_cards"):
        return None
    return int((settings.get("POST_CARDS") or {}).get("summary_max_chars", 320))


def scan(settings):
    """The content folder's walk by content_files.scan_content: links and
    special files that must not be read, and what may be."""
    return scan_content(
        settings["PATH"],
        allowed_roots(settings),
        settings.get("IGNORE_FILES", []),
        named_folders(settings),
    )


def file_problems(found):
    """Report lines for the links and special files of a scan."""
    return sorted(
        f"{display_path(path)}: {what}: {message}" for path, what, message in found.problems
    )


def source_files(settings, extensions, found=None):
    """[(path, kind)] for every file Pelican would read as an article or page,
    found the way Pelican's generators find them (paths, excludes, ignores),
    leaving out what the content folder's scan (`found`) will not read."""
    root = Path(settings["PATH"])
    ignores = settings.get("IGNORE_FILES", [])
    if found is None:
        found = scan(settings)
    sources = []
    for kind, paths, excludes in (
        ("article", settings["ARTICLE_PATHS"], settings.get("ARTICLE_EXCLUDES", [])),
        ("page", settings["PAGE_PATHS"], settings.get("PAGE_EXCLUDES", [])),
    ):
        excluded = {os.path.normpath(root / e) for e in excludes}
        for base in paths:
            top = root / base if base else root
            if top.is_file():
                if found.readable(top):
                    sources.append((top, kind))
                continue
            for dirpath, dirs, files in os.walk(top, followlinks=True):
                dirs[:] = sorted(
                    d
                    for d in dirs
                    if os.path.normpath(os.path.join(dirpath, d)) not in excluded
                    and not any(fnmatch.fnmatch(d, pattern) for pattern in ignores)
                    and found.readable(os.path.join(dirpath, d))
                )
                for name in sorted(files):
                    if any(fnmatch.fnmatch(name, pattern) for pattern in ignores):
                        continue
                    if not found.readable(os.path.join(dirpath, name)):
                        continue
                    # Any case, so that a post.MD Pelican would skip is reported.
                    if name.rsplit(".", 1)[-1].lower() in extensions and "." in name:
                        sources.append((Path(dirpath) / name, kind))
    return sources


def check_site(settings, found=None):
    """(problems, warnings): report lines for every source under PATH
    (`found`: the content folder's scan, when already made)."""
    options = settings_for(settings)
    options["slug_options"] = {
        "regex_subs": settings.get("SLUG_REGEX_SUBSTITUTIONS", []),
        "preserve_case": settings.get("SLUGIFY_PRESERVE_CASE", False),
        "use_unicode": settings.get("SLUGIFY_USE_UNICODE", False),
    }
    options["slugify_source"] = settings.get("SLUGIFY_SOURCE", "title")
    options["summary_max_chars"] = card_summary_limit(settings)
    options["timezone"] = settings.get("TIMEZONE") or "UTC"
    content_root = Path(settings["PATH"])
    problems, warnings, slugs = [], [], []
    sources = source_files(settings, options["extensions"], found)
    read = _CHECKED.map(
        settings,
        lambda item: read_source(item[2], item[0], Path(item[1]), content_root, options),
        [(kind, str(path), path.read_bytes()) for path, kind in sources],
        salt=(str(content_root), options),
        label="checking sources",
    )
    for (path, kind), checked in zip(sources, read, strict=True):
        shown_as = display_path(path)
        own = sorted(checked.problems + linked_file_problems(checked.links))
        problems += [format_problem(shown_as, p) for p in own]
        warnings += [format_problem(shown_as, p) for p in checked.warnings]
        if checked.slug:
            slug, line, where = checked.slug
            # Language codes are case-insensitive: 'EN' is 'en'.
            lang = (checked.lang or settings.get("DEFAULT_LANG", "")).lower()
            slugs.append((kind, lang, slug, shown_as, line, where))
    problems += duplicate_slugs(slugs)
    return sorted(problems, key=_report_order), warnings


def _report_order(line):
    """Sort report lines by file, then by line number."""
    match = re.match(r"(.*?):(\d+): ", line)
    return (match.group(1), int(match.group(2))) if match else (line, 0)


def in_use(settings, name):
    """Whether the site's PLUGINS names this plugin. Signals outlive a Pelican
    run, so a handler connected by an earlier build in the same process (tests,
    the preview) must not act for a site that does not use the plugin."""
    return any(str(plugin).rsplit(".", 1)[-1] == name for plugin in settings.get("PLUGINS") or ())


def validate(pelican):
    """Check every source; raise ContentProblems listing them all."""
    if not in_use(pelican.settings, "content_guard"):
        return
    found = scan(pelican.settings)
    problems, warnings = check_site(pelican.settings, found)
    for line in warnings:
        logger.warning(line)
    problems = file_problems(found) + problems
    if problems:
        # The build stops before Pelican reads anything, so the raw HTML of
        # the sources is judged here too: every problem in one report.
        problems += judge_sources(pelican.settings, found)
        raise ContentProblems(sorted(set(problems), key=_report_order))


def formatted_fields(settings, metadata):
    """{field: HTML} of the header fields Pelican renders as Markdown (Summary)."""
    return {
        name: value
        for name in settings.get("FORMATTED_FIELDS", ())
        if isinstance(value := metadata.get(name), str)
    }


def rendered_problems(path, body, fields_html):
    """Report lines for the raw HTML of one source that breaks the allowlist,
    each on the source line that shows it."""
    source = parse(decode(Path(path).read_bytes())[0] or "") if path else Source()
    shown = display_path(path) if path else "a content object with no source file"
    return [format_problem(shown, p) for p in check_rendered(source, body, fields_html)]


def judge_sources(settings, found=None):
    """Report lines for raw HTML outside the allowlist in every source that
    Pelican's Markdown reader can read: the check `report_rendered` makes on
    a build that gets that far."""
    from pelican.readers import MarkdownReader  # noqa: PLC0415

    reader = MarkdownReader(settings)
    lines = []
    for path, _kind in source_files(settings, settings_for(settings)["extensions"], found):
        try:
            body, metadata = reader.read(str(path))
        except Exception:
            continue
        fields_html = formatted_fields(settings, metadata)
        if any(violations(html) for html in (body or "", *fields_html.values())):
            lines += rendered_problems(path, body or "", fields_html)
    return lines


# read_source's results by a source's bytes, path and the options: an
# unchanged source is not parsed again.
_CHECKED = Cache("content-guard")

# What Pelican's readers rendered in this build: (content, body, {field: html}),
# judged together once every source is read.
_rendered = []

# html_policy's findings by HTML: a post judged once is not parsed again until
# its HTML, the policy's code or a library changes.
_JUDGED = Cache("html-policy")


def forget_rendered(_pelican):
    """A new build starts with nothing to judge (a failed one may leave some)."""
    _rendered.clear()


def note_rendered(content):
    """Keep the HTML Pelican's reader made of an article or page, and its
    formatted header fields (Summary), as rendered: other plugins change it
    later (ids, typography, tabindex)."""
    if not isinstance(content, (Article, Page)) or not in_use(content.settings, "content_guard"):
        return
    # Reading `.content` here would run Pelican's {static}/{filename} link
    # replacement before the static files are known, and keep that result for
    # the rest of the build.
    fields_html = formatted_fields(content.settings, content.metadata)
    _rendered.append((content, content._content or "", fields_html))


def report_rendered(generators):
    """Judge every rendered source against html_policy's allowlist (on every
    CPU, from the cache where it can) and fail the build, before anything is
    written, listing every problem in one report."""
    noted, _rendered[:] = list(_rendered), []
    if not noted:
        return
    texts = [html for _, body, fields in noted for html in (body, *fields.values())]
    found = iter(_JUDGED.map(noted[0][0].settings, violations, texts, label="raw HTML"))
    problems = []
    for content, body, fields in noted:
        if not any([next(found) for _ in range(1 + len(fields))]):
            continue
        problems += rendered_problems(content.source_path, body, fields)
    if problems:
        raise ContentProblems(sorted(set(problems), key=_report_order))


def register():
    # `initialized` fires once settings and plugins are loaded and before any
    # generator reads a file or anything is written: the earliest point where
    # PATH and the content settings are known, so a bad site fails fast and the
    # checks see the files on disk, including those Pelican would silently drop.
    signals.initialized.connect(forget_rendered)
    signals.initialized.connect(validate)
    # Raw HTML is judged as Markdown rendered it: each article and page as its
    # reader finishes it, before other plugins change its HTML; the findings
    # are reported once every generator has read its sources and before any
    # page is written.
    signals.content_object_init.connect(note_rendered)
    signals.all_generators_finalized.connect(report_rendered)

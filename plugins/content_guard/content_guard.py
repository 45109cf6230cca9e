"""Content validation: every source is checked before Pelican reads it.

Pelican skips a post it cannot read, ignores misspelled keys and ships a literal
`{filename}` for a missing file. This plugin reads each source's bytes itself
(its own parse of the header, YAML or `Key: value`, so every problem has a
line), validates the header's fields through schema.py's models and raises
one ContentProblems listing every problem in the site, one line each:
`content/posts/x.md:3: Tag: unknown field; did you mean "Tags"?`. sitetools.build.builder
turns it into a failed build that leaves output/ untouched. A Summary longer
than the card's limit is only a warning. Raw HTML is judged later, on what
Pelican's reader renders, against html_policy's allowlist, and logged as errors:
the build goes on into its staging folder, so the link check reports in the same
run, and sitetools.build.builder fails it on every error logged.
"""

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple
from urllib.parse import unquote

from markdown.extensions import meta  # its header grammar: META_RE, BEGIN_RE, END_RE
from pelican import signals
from pelican.contents import Article, Page
from pelican.utils import slugify

from plugins.post_cards.post_cards import plain_text
from sitetools.build.cache import Cache, code_digest
from sitetools.content import front_matter
from sitetools.content.contents import body as body_of
from sitetools.content.contents import unread_sources
from sitetools.content.fences import in_use
from sitetools.content.files import display_path
from sitetools.content.image_files import facts_of

from . import schema
from .content_files import REPOSITORY, scan_content
from .html_policy import IMAGE_SOURCES, violations

logger = logging.getLogger(__name__)


_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^[ ]{0,3}(?:[-*+]|\d+[.)])\s")
_INLINE_CODE = re.compile(r"(?<!`)(?P<ticks>`+)(?!`)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)", re.S)
_LINK = re.compile(r"[{|](?P<what>filename|static|attach)[|}](?P<path>[^\s)\"'<>\]]+)")


class Problem(NamedTuple):
    """One thing wrong with a source: line (0 for the whole file), field, "what; fix"."""

    line: int
    field: str
    message: str


@dataclass
class Field:
    name: str  # lower case, as Pelican sees it
    label: str  # as the author wrote it
    value: str
    line: int
    given: object = None  # YAML's value, which the model turns into `value`


@dataclass
class Source:
    """A Markdown source split the way the meta extension splits it."""

    fields: list = field(default_factory=list)
    body: str = ""
    body_line: int = 1
    yaml_line: int = 0  # a '---' line the Markdown meta extension would read past
    problems: list = field(default_factory=list)  # front matter that does not parse
    yaml: bool = False  # the header is YAML front matter

    def get(self, name):
        return next((f for f in self.fields if f.name == name), None)


class ContentProblems(Exception):
    """Raised with every problem in the site; `problems` has one line each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


DEFAULTS = {
    # The keys a header may use: the models' fields (schema.py), all by default.
    "allowed_fields": list(schema.Post.model_fields),
    # Keys a site allows besides allowed_fields: CONTENT_GUARD = {"extra_fields": ["cover"]}.
    "extra_fields": [],
    # Files Pelican's Markdown reader reads; the only reader enabled here.
    "extensions": ["md", "markdown", "mkd", "mdown"],
}


# ---- Pure functions: text in, problems out ----------------------------------------


def decode(raw):
    """Bytes -> (text, problems): not UTF-8 is reported at its first bad byte.
    A UTF-8 byte-order mark is dropped, as Pelican does."""
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        column = error.start - before.rfind(b"\n")
        message = (
            f"byte 0x{raw[error.start]:02x} at column {column} is not UTF-8; "
            "save the file as UTF-8 (your editor's 'Save with encoding')"
        )
        return None, [Problem(before.count(b"\n") + 1, "encoding", message)]


def parse(text):
    """Split a Markdown source into header fields and body, with line numbers,
    as Pelican's readers do: YAML front matter as pelican-yaml-metadata reads it
    (a first line '---', closed by '---' or '...'), else the Markdown meta
    extension's `Key: value` lines."""
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if line.strip()), 0)
    opened = start < len(lines) and lines[start] == "---"
    end = opened and next(
        (n for n in range(start + 1, len(lines)) if lines[n] in ("---", "...")), 0
    )
    if end:
        source = parse_yaml(lines, start, end)
        source.problems += odd_line_ends(text, end + 1)
        return source
    source = Source()
    index = source.yaml_line = 1 if lines and meta.BEGIN_RE.match(lines[0]) else 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or meta.END_RE.match(line):
            break
        if match := meta.META_RE.match(line):
            key = match.group("key")
            source.fields.append(Field(key.lower(), key, match.group("value").strip(), index))
        elif (more := meta.META_MORE_RE.match(line)) and source.fields:
            last = source.fields[-1]
            last.value = f"{last.value}\n{more.group('value').strip()}".strip()
        else:
            index -= 1
            break
    source.body = "\n".join(lines[index:])
    source.body_line = index + 1
    source.problems += odd_line_ends(text, index)
    return source


def odd_line_ends(text, count):
    """Problems of the first `count` lines (the header) that end in a line break
    other than a newline (U+2028, U+0085, a form feed…): this parse splits there,
    Pelican's readers read on to the next newline, so each would see another
    header (a closing '---' that is not one to them, and front matter past it)."""
    message = "the line ends with the line break U+{:04X}, which Pelican's reader does not "
    message += "take for one; replace it with a plain line break (Enter)"
    return [
        Problem(number, "header", message.format(ord(line[-1])))
        for number, whole in enumerate(text.splitlines(True)[:count], start=1)
        if schema.has_line_break(line := whole.removesuffix("\n").removesuffix("\r"))
    ]


def parse_yaml(lines, start, end):
    """A source with YAML front matter between lines[start] and lines[end]; each
    key on its own line, its value as YAML made it (the model turns it into text).
    What does not parse, or is past front_matter's bounds (aliases, depth, size),
    is a problem on its line."""
    import yaml  # noqa: PLC0415

    source = Source(body="\n".join(lines[end + 1 :]), body_line=end + 2, yaml=True)
    offset = start + 2  # the file line of the YAML's first line

    def refuse(error, where, message):
        found = front_matter.error_line(error)
        line = start + 1 if found is None else found + offset
        reason = " ".join(str(getattr(error, "problem", None) or error).split())
        source.problems.append(Problem(line, where, message.replace("{reason}", reason)))

    try:
        root = front_matter.compose("\n".join(lines[start + 1 : end]))
    except front_matter.TooBig as error:
        refuse(error, "front matter", "{reason}")
        return source
    except yaml.YAMLError as error:
        message = "the YAML front matter does not parse ({reason}); fix it, and put a value "
        refuse(error, "header", message + "holding ': ' or ' #' in quotes")
        return source
    if not isinstance(root, yaml.MappingNode):
        message = "the YAML front matter is not a mapping of keys to values; write one "
        message += "'key: value' line per field (title: My post)"
        source.problems.append(Problem(start + 1, "header", message))
        return source
    # Each pair on its own: a tag refused under one key leaves the other keys checked.
    loader, refused = yaml.SafeLoader(""), "{reason}; write plain text, a date or a list of text"
    for key_node, value_node in root.value:
        try:
            key, value = (loader.construct_object(n, deep=True) for n in (key_node, value_node))
        except yaml.YAMLError as error:  # a tag the safe loader refuses (!!python/…)
            refuse(error, str(key_node.value), refused)
            continue
        line = key_node.start_mark.line + offset
        source.fields.append(Field(str(key).lower(), str(key), schema.as_text(value), line, value))
    return source


def check_file(text, source_path, extensions):
    """Problems that stop a file being checked any further: empty, an extension
    Pelican skips (post.MD), invisible control characters."""
    path = Path(source_path)
    if not text.strip():
        message = "the file is empty; write a header (Title:, Date:, Tags:) and a body, "
        return [Problem(1, "file", message + "or delete the file")]
    if path.suffix[1:] not in extensions:
        message = f"the extension '{path.suffix}' is not read (only lower case is); rename "
        return [Problem(1, "file", f"{message}the file to '{path.stem}{path.suffix.lower()}'")]
    control = "control character 0x{:02x} at column {}; delete it (most editors do not show it)"
    return [
        Problem(number, "encoding", control.format(ord(match.group()), match.start() + 1))
        for number, line in enumerate(text.split("\n"), start=1)
        if (match := schema.CONTROL.search(line))
    ]


def check_header(source, kind, options):
    """Problems of the header: YAML front matter, repeated keys, and every key
    and value the kind's model (schema.py) refuses, each on its line."""
    problems = list(source.problems)
    if source.yaml_line:
        message = "YAML '---' front matter has no closing '---' line; add one after the last key"
        problems.append(Problem(source.yaml_line, "header", message))
    first = {}
    for item in source.fields:
        if (seen := first.setdefault(item.name, item)) is not item:
            message = f"given twice (also on line {seen.line}); keep one '{item.label}:' line"
            problems.append(Problem(item.line, item.label, message))
    model = schema.header_model(
        kind, *map(tuple, (options["allowed_fields"], options["extra_fields"]))
    )
    keys, timezone = schema.keys_of(model), options.get("timezone") or "UTC"
    # A repeated key's value is checked too, beside the other keys' first.
    for items in [first, *({**first, i.name: i} for i in source.fields if first[i.name] is not i)]:
        values = {name: item.given if source.yaml else item.value for name, item in items.items()}
        context = {"timezone": timezone, "slug_options": options["slug_options"]}
        for key, message in schema.header_errors(model, values, yaml=source.yaml, **context):
            item = items.get(key)
            if item is None and items is first and (source.fields or not source.problems):
                problems.append(Problem(1, key.capitalize(), message))  # missing
            elif item is not None and (items is first or item is not first[key]):
                where = item.label if key not in keys else key.capitalize()  # a misspelled key
                problems.append(Problem(item.line, where, message))
    return problems


def slug_of(source, source_path, slug_options, slugify_source="title"):
    """(slug Pelican will give this source, its line, the field it comes from)."""
    item = source.get("slug")
    if item is not None:
        return item.value, item.line, "Slug"
    if slugify_source == "basename":
        return slugify(Path(source_path).stem, **slug_options), 1, "Slug"
    title = source.get("title")
    if title is None or not title.value:
        return None, 0, "Slug"  # reported as a missing title
    return slugify(title.value, **slug_options), title.line, "Title"


def mask_code(text):
    """`text` with the insides of fenced and indented code blocks and inline code
    replaced by spaces (newlines kept), so offsets still give line numbers."""
    masked, fence, in_list, in_indented, previous_blank = [], None, False, False, True
    for line in text.split("\n"):
        stripped, indented = line.strip(), line.startswith(("    ", "\t"))
        if fence or (opens := _FENCE.match(line)):
            closes = fence and stripped.startswith(fence) and not stripped.strip(fence[0])
            fence, code, previous_blank = None if closes else fence or opens["fence"], True, False
        elif indented and stripped and (in_indented or (previous_blank and not in_list)):
            code = in_indented = True
        else:
            code = False
            if stripped:  # a list goes on until a blank line and an unindented one
                in_indented = False
                in_list = bool(_LIST_ITEM.match(line)) or (
                    in_list and (indented or not previous_blank)
                )
            previous_blank = not stripped
        masked.append(" " * len(line) if code else line)
    return _INLINE_CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), "\n".join(masked))


def check_rendered(source, body_html, fields_html):
    """Problems in the HTML rendered from a source's body, each on the line that shows
    it, and from the fields it formats as Markdown ({name: html}: Summary)."""
    body, searched, problems = source.body, {}, []
    # Where a violation's needles show: outside code, else on a line with no backtick
    # (a stray one may look like code), else anywhere; each time past the last one found.
    tiers = (mask_code(body), re.sub(r"(?m)^.*`.*$", lambda line: " " * len(line[0]), body), body)
    for violation in violations(body_html):
        needles = tuple(violation.needles())
        start, line = searched.get(needles, 0), source.body_line
        found = (re.compile(re.escape(n), re.I).search(t, start) for t in tiers for n in needles)
        if at := next((match.start() + 1 for match in found if match), None):
            searched[needles] = at
            line += body.count("\n", 0, at - 1)
        problems.append(Problem(line, "body", violation.message()))
    for name, rendered in fields_html.items():
        item = source.get(name)
        line, where = (item.line, item.label) if item else (1, name.capitalize())
        problems += [Problem(line, where, v.message()) for v in violations(rendered)]
    return sorted(problems)


def links_of(source, source_path, content_root):
    """[(line, field, what, target, path on disk)] for the {filename}/{static}/
    {attach} links outside code in a source's header and body. '/x' is under
    the content root, anything else relative to the source's folder (Pelican's rule)."""
    links = []
    places = [(item.value, item.line, item.label) for item in source.fields]
    for raw, first_line, where in [*places, (source.body, source.body_line, "body")]:
        text = mask_code(raw)
        for match in _LINK.finditer(text):
            line = first_line + text.count("\n", 0, match.start())
            target = unquote(re.split(r"[#?]", match.group("path"), maxsplit=1)[0])
            base = Path(content_root) if target.startswith("/") else Path(source_path).parent
            links.append((line, where, match.group("what"), target, str(base / target.lstrip("/"))))
    return links


def linked_file_problems(links, publishes=None):
    """Problems of the files links_of found: no path, missing, a {filename} one
    that `publishes(path)` says Pelican does not publish (so would leave the
    link unresolved), or an image that is empty or broken. Asked of the file
    system on every build: the site's one check of {filename} and {static} links."""

    def problem(what, target, path):
        if not target:
            return f"{{{what}}} link has no path; add the file's path"
        if not os.path.exists(path):
            return (
                f"{{{what}}}{target} points to no file; fix the path (relative to this file, "
                "or starting with / for the content folder) or add the file"
            )
        if what == "filename" and publishes and not publishes(path):
            return (
                f"{{filename}}{target} would be left unresolved: Pelican publishes no post, "
                "page or static file there; link a file under content/ that this build "
                "publishes (a post, a page, or a file in images/ or extra/)"
            )
        image = Path(path).suffix.lower() in schema.IMAGE_SUFFIXES
        broken = image and image_problem(path)
        return broken and f"{{{what}}}{target} {broken}; replace it with a working image"

    return [Problem(link[0], link[1], m) for link in links if (m := problem(*link[2:]))]


def image_problem(path):
    """What is wrong with an image file a post shows, or None: an empty file,
    an SVG that is not well-formed XML, a raster image with more pixels than
    MAX_PIXELS (refused from its header), or one Pillow cannot decode."""
    path = Path(path)
    if not path.is_file():
        return "is not a regular file"
    if path.stat().st_size == 0:
        return "is an empty file (0 bytes)"
    if isinstance(facts := facts_of(path), str) or facts["format"] == "SVG":
        return facts if isinstance(facts, str) else None
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415

    try:
        with Image.open(path) as image:
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        reason = str(error).replace(str(path), path.name)
        return f"is not an image a browser can show ({reason})"
    return None


def format_problem(path, problem):
    """One report line: `path:line: field: what is wrong; how to fix it`."""
    return f"{path}:{problem.line}: {problem.field}: {problem.message}"


@dataclass
class Checked:
    """One file's results, and what cross-file checks need from it."""

    problems: list
    warnings: list = field(default_factory=list)
    slug: tuple = None  # (slug, line, field) when the file has one
    lang: str = ""
    links: list = field(default_factory=list)  # for linked_file_problems


def read_source(raw, kind, source_path, content_root, options):
    """Every check its bytes, path and options decide (a pure function, kept in the
    one cache); the files it links to are asked about on every build."""
    import markdown  # noqa: PLC0415

    text, problems = decode(raw)
    if text is None or (problems := check_file(text, source_path, options["extensions"])):
        return Checked(problems)
    source = parse(text)
    slug = slug_of(source, source_path, options["slug_options"], options["slugify_source"])
    problems = check_header(source, kind, options)
    # The header's own Slug: is the model's to check; one Pelican derives is checked alike.
    derived = source.get("slug") is None and slug[0] is not None
    if derived and (refusal := schema.slug_refusal(slug[0], given=slug[2] == "Slug")):
        problems.append(Problem(slug[1], slug[2], refusal))
    status, summary, lang = (source.get(name) for name in ("status", "summary", "lang"))
    default = schema.Page.model_fields["status"].default  # a header's status if it has none
    published = (status.value.lower() if status else "") in ("", default)
    if kind == "article" and published and not source.body.strip():
        message = (
            "a published post has no body; "
            "write it below the header's blank line, or set 'Status: draft'"
        )
        # On the blank line that ends the header.
        problems.append(Problem(max(source.body_line - 1, 1), "body", message))
    warnings, limit = [], options.get("summary_max_chars")
    if summary and limit and (count := len(plain_text(markdown.markdown(summary.value)))) > limit:
        message = (
            f"{count} characters, longer than the card's one-line limit of {limit}, "
            "so the card cuts it with '…'; shorten it"
        )
        warnings.append(Problem(summary.line, "Summary", message))
    return Checked(
        sorted(problems),
        warnings,
        slug if slug[0] else None,
        lang.value if lang else "",
        links_of(source, source_path, content_root),
    )


def duplicate_slugs(entries):
    """entries: [(kind, lang, slug, display path, line, field)] -> report lines
    for every slug used by more than one source of the same kind and language."""
    seen, lines = {}, []
    for kind, lang, slug, path, line, where in entries:
        if (first := seen.setdefault((kind, lang, slug), (path, line))) != (path, line):
            message = f"slug '{slug}' is already used by {first[0]}:{first[1]}; give one of them "
            lines.append(format_problem(path, Problem(line, where, message + "another 'Slug:'")))
    return lines


# ---- Handlers: the files on disk -------------------------------------------------


def options_for(settings):
    """The guard's options: DEFAULTS overlaid with the site's CONTENT_GUARD dict,
    and the settings the checks follow (slugs, card summary limit, timezone)."""
    return {
        **DEFAULTS,
        **(settings.get("CONTENT_GUARD") or {}),
        "slug_options": schema.slug_options(settings),
        "slugify_source": settings.get("SLUGIFY_SOURCE", "title"),
        # The card's limit is post_cards' setting (its default 320); no cards, no limit.
        "summary_max_chars": int((settings.get("POST_CARDS") or {}).get("summary_max_chars", 320))
        if in_use(settings, "post_cards")
        else None,
        "timezone": settings.get("TIMEZONE") or "UTC",
    }


def scan(settings):
    """The content folder's walk: links and special files that must not be read.
    A link may reach into the repository or the content folder (which may live
    elsewhere, with `invoke build --content`); the folders Pelican is told to
    read are walked even when IGNORE_FILES matches them (a hidden static folder)."""
    named = [
        p for key in ("ARTICLE_PATHS", "PAGE_PATHS", "STATIC_PATHS") for p in settings.get(key, ())
    ]
    return scan_content(
        settings["PATH"],
        [REPOSITORY, Path(settings["PATH"])],
        settings.get("IGNORE_FILES", []),
        named,
    )


def source_files(settings, extensions, found):
    """[(path, kind)] of the files Pelican's generators would read (paths, excludes,
    extensions) of those the content folder's scan `found` may read (IGNORE_FILES
    applied), by path. Any case of the extension, so that a post.MD Pelican would
    skip is reported."""
    root = os.path.normpath(settings["PATH"])

    def under(path, key):
        return any(path.is_relative_to(Path(root, folder)) for folder in settings.get(key, ()))

    return [
        (path, kind)
        for kind in ("article", "page")
        for path in sorted(map(Path, found.files))
        if path.suffix[1:].lower() in extensions
        and under(path, f"{kind.upper()}_PATHS")
        and not under(path, f"{kind.upper()}_EXCLUDES")
    ]


def check_site(settings, found=None):
    """(problems, warnings): report lines for every source under PATH
    (`found`: the content folder's scan, when already made)."""
    options = options_for(settings)
    content_root = Path(settings["PATH"])
    problems, warnings, slugs = [], [], []
    sources = source_files(settings, options["extensions"], found or scan(settings))
    read_by_pelican = {path for path, _ in sources}

    def publishes(path):
        path = Path(os.path.normpath(path))
        statics = settings.get("STATIC_PATHS", ())
        return path in read_by_pelican or any(
            path.is_relative_to(content_root / s) for s in statics
        )

    read = _CHECKED.map(
        settings,
        lambda item: read_source(item[2], item[0], Path(item[1]), content_root, options),
        [(kind, str(path), path.read_bytes()) for path, kind in sources],
        # The code of schema, front_matter and the card's plain_text is part of what it computes.
        salt=(str(content_root), options, *map(code_digest, (schema, front_matter, plain_text))),
        label="checking sources",
    )
    for (path, kind), checked in zip(sources, read, strict=True):
        shown_as = display_path(path)
        own = checked.problems + linked_file_problems(checked.links, publishes)
        problems += [format_problem(shown_as, p) for p in sorted(own)]
        warnings += [format_problem(shown_as, p) for p in checked.warnings]
        if checked.slug:
            # Language codes are case-insensitive: 'EN' is 'en'.
            lang = (checked.lang or settings.get("DEFAULT_LANG", "")).lower()
            slugs.append((kind, lang, checked.slug[0], shown_as, *checked.slug[1:]))
    return sorted(problems + duplicate_slugs(slugs), key=_report_order), warnings


def _report_order(line):
    """Sort report lines by file, then by line number."""
    match = re.match(r"(.*?):(\d+): ", line)
    return (match.group(1), int(match.group(2))) if match else (line, 0)


def validate(pelican):
    """Check every source; raise ContentProblems listing them all."""
    found = scan(pelican.settings)
    problems, warnings = check_site(pelican.settings, found)
    for line in warnings:
        logger.warning(line)
    problems += sorted(f"{display_path(path)}: {what}: {why}" for path, what, why in found.problems)
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


def judge(settings, rendered):
    """Report lines for the raw HTML outside html_policy's allowlist in
    [(source path, body, {field: html})], judged from the one cache where it can."""
    texts = [text for _, body, fields in rendered for text in (body, *fields.values())]
    found = iter(_JUDGED.map(settings, violations, texts, str(IMAGE_SOURCES), "raw HTML"))
    lines = []
    for path, body, fields in rendered:
        if any([next(found) for _ in range(1 + len(fields))]):
            source = parse(decode(Path(path).read_bytes())[0] or "") if path else Source()
            shown = display_path(path) if path else "a content object with no source file"
            lines += [format_problem(shown, p) for p in check_rendered(source, body, fields)]
    return lines


def judge_sources(settings, found):
    """The raw-HTML report for every source Pelican's Markdown reader can read
    (the check report_rendered makes on a build that gets that far), and what the
    plugins that check those sources (unread_sources' receivers) find in them."""
    from pelican.readers import Readers  # noqa: PLC0415

    options = options_for(settings)
    readers, rendered, read = Readers(settings).readers, [], []  # as plugins registered them
    for path, kind in source_files(settings, options["extensions"], found):
        source = parse(decode(path.read_bytes())[0] or "")
        if source.problems:
            continue  # front matter its reader cannot read: reported already
        try:
            body, metadata = readers[path.suffix[1:]].read(str(path))
        except Exception:
            continue
        rendered.append((path, body or "", formatted_fields(settings, metadata)))
        # No slug, no data folder: the missing title or slug is reported already.
        if slug := slug_of(source, path, options["slug_options"], options["slugify_source"])[0]:
            read.append(
                SimpleNamespace(source_path=str(path), kind=kind, slug=slug, metadata=metadata)
            )
    sent = unread_sources.send(settings, sources=read, readable=found.readable)
    return judge(settings, rendered) + [line for _, lines in sent for line in lines or ()]


# read_source's results by a source's bytes, path and the options, and
# html_policy's findings by HTML: neither is computed again until its input,
# its code or a library changes.
_CHECKED = Cache("content-guard")
_JUDGED = Cache("html-policy")

# What Pelican's readers rendered in this build, judged once every source is read.
_rendered = []


def forget_rendered(_pelican):
    """A new build starts with nothing to judge (a failed one may leave some)."""
    _rendered.clear()


def note_rendered(content):
    """Keep the HTML Pelican's reader made of an article or page and of its
    formatted fields, before other plugins change it (ids, typography)."""
    if not isinstance(content, (Article, Page)):
        return
    # Reading `.content` here would run Pelican's {static}/{filename} link
    # replacement before the static files are known, and keep that result for
    # the rest of the build.
    fields_html = formatted_fields(content.settings, content.metadata)
    _rendered.append((content.settings, content.source_path, body_of(content), fields_html))


def report_rendered(generators):
    """Log every rendered source's raw HTML outside the allowlist, one error each.
    The build goes on, so the link check reports in the same run; sitetools.build.builder
    fails it on these errors and discards what it wrote."""
    noted, _rendered[:] = list(_rendered), []
    problems = judge(noted[0][0], [item[1:] for item in noted]) if noted else []
    for line in sorted(set(problems), key=_report_order):
        logger.error("%s", line)


def register():
    # The earliest point where the settings are known, before anything is read
    # or written: the checks see the files on disk, even those Pelican would drop.
    signals.initialized.connect(forget_rendered)
    signals.initialized.connect(validate)
    # Raw HTML as the reader rendered it, before other plugins change it; judged
    # once every source is read.
    signals.content_object_init.connect(note_rendered)
    signals.all_generators_finalized.connect(report_rendered)

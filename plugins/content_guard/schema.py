"""A post's header and a page's, each declared once as a pydantic model: the
keys a header may use, what each kind requires, and each value's check with
its message ("what; fix"). YAML front matter and `Key: value` headers alike go
through them as text; content_guard puts each error on its line. Here too: the
slug rule of the whole site (the guard, `invoke new`, the series pages)."""

import difflib
import functools
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pelican.utils import get_date, slugify
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    WrapValidator,
    create_model,
    field_validator,
)
from pydantic_core import PydanticCustomError

# ---- Slugs -----------------------------------------------------------------------

# URL-safe and a safe file name: lower case letters, digits, '-', '_' and single
# dots between them (no leading or trailing dot, no '..').
SLUG_SHAPE = re.compile(r"^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$")
# The longest name built from a slug is the social image's file being written,
# `<slug>-<10-char hash>.<process id>.tmp`: 23 characters more than the slug,
# and a file name may have 255 bytes. 200 leaves room for anything like it.
MAX_SLUG_BYTES = 200


def slug_options(settings):
    """Pelican's slugify arguments from the site's settings, for every slug the site makes."""
    return {
        "regex_subs": settings.get("SLUG_REGEX_SUBSTITUTIONS", []),
        "preserve_case": settings.get("SLUGIFY_PRESERVE_CASE", False),
        "use_unicode": settings.get("SLUGIFY_USE_UNICODE", False),
    }


def slug_for(text, settings):
    """The slug Pelican derives from `text` with the site's settings."""
    return slugify(text, **slug_options(settings))


def slug_suggestion(slug):
    """A valid slug close to `slug`: ASCII, lower case, other characters as '-'."""
    ascii_text = unicodedata.normalize("NFKD", slug).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9_.]+", "-", ascii_text.lower()).encode()[:MAX_SLUG_BYTES].decode()
    suggestion = re.sub(r"-*\.[-.]*", ".", words).strip(".-")
    return suggestion if SLUG_SHAPE.match(suggestion) else "words-joined-by-hyphens"


def slug_refusal(slug, given=True):
    """What is wrong with a slug ("what; fix"), or None: empty, not URL-safe
    (one `given` in a header, or by the file's name), too long for a file name."""
    if not slug:
        return (
            "gives an empty slug, so the page would have no URL; "
            "add a 'Slug: words-joined-by-hyphens' line"
        )
    if given and not SLUG_SHAPE.match(slug):
        return (
            f"'{slug}' is not URL-safe (lower case letters, digits, '-', '_' and single dots "
            f"inside); use '{slug_suggestion(slug)}'"
        )
    if (size := len(slug.encode())) > MAX_SLUG_BYTES:
        fix = "shorten it" if given else "add a shorter 'Slug:' line"
        return (
            f"its slug is {size} characters, longer than the {MAX_SLUG_BYTES} "
            f"a file name may have; {fix}"
        )
    return None


# ---- The types of values: each refusal says what is wrong and how to fix it ------


def parse_date(value, timezone="UTC"):
    """A header date as Pelican reads it (in TIMEZONE when it has no offset), or None."""
    try:
        when = get_date(value)
    except (ValueError, OverflowError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=ZoneInfo(timezone))


def _context(info, name, default):
    return (info.context or {}).get(name, default)


def _refuse(message):
    raise PydanticCustomError("header", message)


# Characters no HTML page may hold (the HTML standard's controls other than whitespace).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def has_line_break(text):
    """Whether `text` holds a line break: any str.splitlines knows, as the header's
    parsers (content_guard's, Python-Markdown's meta extension, YAML's) each know some."""
    return len(f"{text}.".splitlines()) > 1


def _text(value):
    # A YAML escape can put a control character into any value.
    if control := CONTROL.search(value):
        _refuse(f"holds the control character U+{ord(control.group()):04X}; remove it")
    return value


def _one_line(value):
    # The post's Markdown copy and llms.txt would show a second line as a line of its own.
    if has_line_break(value):
        _refuse(
            "holds a line break (or is a list), which could start a forged line where it is "
            "shown (as in the post's Markdown copy, posts/<slug>/index.md); write it on one line"
        )
    return _text(value)


def _entries(value):
    # One entry a line: a newline separates them, any other line break is refused.
    if odd := next((c for c in value if c != "\n" and has_line_break(c)), None):
        _refuse(f"holds the line break U+{ord(odd):04X}; put each entry on a line of its own")
    return _text(value)


def _given(value, info):
    if not value:
        _refuse(f"empty; give the {info.field_name} a value")
    return value


def _date(value, info):
    if value and parse_date(value, _context(info, "timezone", "UTC")) is None:
        _refuse(f"'{value}' is not a date; write it as YYYY-MM-DD HH:MM, e.g. 2026-08-10 09:00")
    return value


def _tag_entries(value):
    return list(enumerate(re.split(r",\s*\n|\n|,", value), start=1)) if value else []


def _tag(entry, info):
    position, tag = entry[0], entry[1].strip()
    size = len(slugify(tag, **_context(info, "slug_options", {})).encode()) if tag else 0
    if not tag:
        _refuse(f"entry {position} is empty; remove the extra comma (Tags: one, two, three)")
    if not size:
        _refuse(f"'{tag}' has no letters or digits, so its page has no URL; rename the tag")
    if size > MAX_SLUG_BYTES:
        _refuse(
            f"'{tag[:40]}…' gives a slug of {size} characters, longer than the "
            f"{MAX_SLUG_BYTES} a file name may have; shorten the tag"
        )
    return tag


def _status(value, handler):
    _one_line(value)
    try:
        return handler(value.lower())
    except ValidationError:
        _refuse(f"'{value}' is not a status; use one of {', '.join(get_args(Status))}")


def _inside_site(value):
    try:
        parts = urlsplit(value)
        outside = parts.scheme or parts.netloc
    except ValueError:  # such as an unclosed '[' of an IPv6 host
        outside = True
    if outside or value.startswith(("/", "\\")) or ".." in re.split(r"[\\/]", value):
        _refuse(
            f"'{value}' is not a path inside the site; write it relative to the site's root, "
            "like 'posts/my-post/' (to point readers elsewhere, link to that address in the body)"
        )
    return value


def _slug(value):
    if refusal := slug_refusal(value):
        _refuse(refusal)
    return value


def _a_file(value):
    if value.endswith("/"):
        _refuse(f"'{value}' names a folder, not a file; add 'index.html'")
    return value


IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".gif", ".webp")  # what social cards may show
IMAGE_SUFFIXES = {*IMAGE_TYPES, ".avif", ".svg", ".ico", ".bmp"}  # what a page may show


def _image(value):
    # That the file exists and decodes is checked with the other links.
    if not value.startswith("{static}") or Path(value).suffix.lower() not in IMAGE_TYPES:
        _refuse(
            f"'{value}' is not a {{static}} link to a PNG, JPEG, GIF or WebP image; "
            "write Image: {static}/images/name.png"
        )
    return value


Text = Annotated[str, AfterValidator(_text)]  # Markdown shown folded to one line (Summary)
OneLine = Annotated[str, AfterValidator(_one_line)]
Entries = Annotated[str, AfterValidator(_entries)]  # one entry a line (Authors, Data)
Given = BeforeValidator(_given)  # required, and not empty
Date = Annotated[OneLine, AfterValidator(_date)]
# Before validators run last first: the entries are checked, then split.
Tags = Annotated[
    list[Annotated[str, PlainValidator(_tag)]],
    BeforeValidator(_tag_entries),
    BeforeValidator(_entries),
]
Status = Literal["published", "draft", "hidden"]
SitePath = Annotated[OneLine, AfterValidator(_inside_site)]
Image = Annotated[OneLine, AfterValidator(_image)]


# ---- The headers -----------------------------------------------------------------


def as_text(value):
    """A YAML value as header text: a list one entry a line, a date in ISO form."""
    if isinstance(value, list):
        return "\n".join(as_text(entry) for entry in value if entry is not None)
    if isinstance(value, (dict, set)):
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else "" if value is None else str(value)


class Header(BaseModel):
    """What every header's model shares: no other keys, and the checks across fields."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _yaml_value(cls, value, info):
        # YAML front matter's values come as YAML made them; a `Key: value` header's are text.
        if isinstance(value, str):
            if info.field_name == "tags" and "," in value and _context(info, "yaml", False):
                _refuse("in YAML this is one tag; write a list: tags: [one, two]")
            return value
        entries = value if isinstance(value, list) else [value]
        if any(isinstance(entry, (list, dict, set)) for entry in entries):
            _refuse("a mapping or nested list, which no field takes; write text or a list")
        # Only a list's entries are text here: a number or a date holds no line break.
        if entry := next((n for n, e in enumerate(entries, 1) if has_line_break(str(e))), None):
            _refuse(f"entry {entry} holds a line break; write each entry on one line")
        return as_text(value)

    @field_validator("modified", check_fields=False)
    @classmethod
    def _not_before_date(cls, modified, info):
        date, timezone = info.data.get("date"), _context(info, "timezone", "UTC")
        if modified and date and parse_date(modified, timezone) < parse_date(date, timezone):
            _refuse(
                f"{modified} is earlier than Date {date}; "
                "set Modified to the date of the update, or remove it"
            )
        return modified


class Page(Header):
    """A page's header (About): the keys a header may use, case-insensitive."""

    title: Annotated[OneLine, Given]
    date: Date = ""
    modified: Date = ""
    tags: Tags = []
    # A slug Pelican derives (from the title or the file's name) content_guard checks alike.
    slug: Annotated[OneLine, AfterValidator(_slug)] = ""
    # Markdown, like the body: a continuation line is a space in every place that
    # shows it (the card, feeds, llms.txt fold it), so it may span lines.
    summary: Text = ""
    status: Annotated[Status, WrapValidator(_status)] = "published"
    lang: OneLine = ""
    translation: OneLine = ""
    save_as: Annotated[SitePath, AfterValidator(_a_file)] = ""
    url: SitePath = ""
    template: OneLine = ""
    author: OneLine = ""
    authors: Entries = ""
    # Accepted and ignored: this site has no category pages (tags group posts),
    # and `invoke import` turns a category into the first tag.
    category: OneLine = ""
    image: Image = ""
    data: Entries = ""  # checked by data_files, which knows the post's slug and data folder
    series: OneLine = ""  # pelican-series
    series_index: OneLine = ""


class Post(Page):
    """A post's header: a page's, with a date and tags."""

    date: Annotated[Date, Given]
    tags: Annotated[Tags, Given]


MODELS = {"article": Post, "page": Page}
# The fields that set where Pelican writes a source, which a slug does otherwise (output_paths).
PATH_FIELDS = ("save_as", "url")


@functools.cache
def header_model(kind, allowed, extra):
    """The model of a `kind` source's header: its declared fields named in
    `allowed`, and every other name there or in `extra` as optional text."""
    declared = MODELS[kind].model_fields
    keys = {name.lower(): None for name in (*allowed, *extra) if name}
    fields = {name: (info.annotation, info) for name, info in declared.items() if name in keys}
    others = [name for name in keys if name not in declared]
    # Under their own names as aliases, so that no key can clash with BaseModel's.
    fields |= {f"extra_{n}": (OneLine, Field("", alias=name)) for n, name in enumerate(others)}
    return create_model(MODELS[kind].__name__, __base__=Header, **fields)


def keys_of(model):
    """The header keys a model takes, in its order."""
    return [info.alias or name for name, info in model.model_fields.items()]


def header_errors(model, values, *, yaml=False, **context):
    """[(key, message)] of a header's {key: text} against `model`, every error at
    once; `context` holds the site's timezone and slug_options. A required key
    reported as misspelled (`Tag` for `Tags`) is not reported missing too."""
    try:
        model.model_validate(values, context={**context, "yaml": yaml})
        return []
    except ValidationError as error:
        errors = error.errors()
    keys, errors = keys_of(model), [(e["loc"][0], e["type"], e["msg"]) for e in errors]
    # 0.75: a typo (Titel, Tag, Sumary), never a different word (Twitter, Illustration).
    near = {k: difflib.get_close_matches(k, keys, n=1, cutoff=0.75) for k, *_ in errors}
    misspelled = {n for key, kind, _ in errors if kind == "extra_forbidden" for n in near[key]}
    header = "front matter" if yaml else "header (the lines before the first blank line)"
    reported = []
    for key, kind, message in errors:  # pydantic's own "extra_forbidden" and "missing" worded here
        if kind == "extra_forbidden":
            fix = f'did you mean "{near[key][0].capitalize()}"?' if near[key] else "use one of "
            fix += "" if near[key] else ", ".join(map(str.capitalize, keys))
            where = f"""(or add "{key}" to CONTENT_GUARD["extra_fields"] in pelicanconf.py)"""
            reported.append((key, f"unknown field; {fix} {where}"))
        elif kind != "missing":
            reported.append((key, message))
        elif key not in misspelled:
            reported.append((key, f"missing; add a '{key.capitalize()}: …' line to the {header}"))
    return reported

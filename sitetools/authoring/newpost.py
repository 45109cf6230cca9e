"""`invoke new`: write a new draft post with valid metadata. The slug comes
from Pelican's slugify with the site's settings, so the file name matches the
post's URL; the date is now in the site's TIMEZONE."""

import fnmatch
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from plugins.content_guard.schema import CONTROL, has_line_break, slug_for

# A new post's slug is at most this long: a 500-character title gets a slug of
# its first words, cut between two of them. content_guard fails a build only
# for a slug too long for a file name (200); this keeps URLs readable.
NEW_SLUG_MAX = 80


class PostExists(Exception):
    """The post's file, or its slug, is already taken."""


def split_tags(tags):
    """ "a, b,,c" -> ["a", "b", "c"]."""
    return [tag.strip() for tag in str(tags or "").split(",") if tag.strip()]


def short_slug(slug, limit=NEW_SLUG_MAX):
    """`slug` cut after its last whole word that fits in `limit` characters."""
    if len(slug) <= limit:
        return slug
    return (slug[: limit + 1].rpartition("-")[0] or slug[:limit]).rstrip("-")


def taken_by(slug, folders, settings):
    """The Markdown source under `folders` (in subfolders too) that Pelican gives
    `slug`, as content_guard reads it (its Slug, else from its title or file
    name; YAML front matter too; of the extensions it checks), or None. Names
    that IGNORE_FILES matches (editor lock and backup files) and what is not a
    regular file (a named pipe would block the read) are left out."""
    from plugins.content_guard import content_guard as guard  # noqa: PLC0415

    options, ignores = guard.options_for(settings), settings.get("IGNORE_FILES", ())
    slugs = options["slug_options"], options["slugify_source"]
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            parts = path.relative_to(folder).parts
            if any(fnmatch.fnmatch(part, pattern) for part in parts for pattern in ignores):
                continue
            if path.suffix[1:] in options["extensions"] and path.is_file():
                source = guard.parse(path.read_text(encoding="utf-8", errors="replace"))
                if guard.slug_of(source, path, *slugs)[0] == slug:
                    return path
    return None


def new_post(title, tags, folder, settings, *, summary=None, now=None, search=None, note=None):
    """Write `folder/<slug>.md` and return its path; never overwrite, and never
    take a slug that a source under `search` (default: `folder`) already has.
    `note(line)` hears of a slug shortened from a long title."""
    # Refuse a value that would start a new header line or holds a control
    # character, as the schema does a header's.
    for name, noun, value in (("the title", "it", title), ("--tags", "tags", tags),
                              ("--summary", "the summary", summary)):  # fmt: skip
        if has_line_break(value := str(value or "")):
            raise ValueError(f"{name} contains a line break; give {noun} on one line")
        if hidden := CONTROL.search(value):
            raise ValueError(
                f"{name} contains the control character U+{ord(hidden[0]):04X}; remove it"
            )
    title, tags = " ".join(str(title).split()), split_tags(tags)
    if not title:
        raise ValueError("the title is empty; give the post a title")
    if not tags:
        raise ValueError("no tags; pass --tags with at least one, e.g. --tags python,llm")
    full = slug_for(title, settings)
    if not full:
        raise ValueError(f"'{title}' gives an empty slug; use a title with letters or digits")
    slug = short_slug(full)
    if slug != full and note:
        fix = f"using its first words, '{slug}' (change the Slug: line to choose another)"
        note(f"the title's slug would be {len(full)} characters; {fix}")
    path = Path(folder) / f"{slug}.md"
    if path.exists() or path.is_symlink():
        raise PostExists(f"{path} already exists; choose another title or edit that post")
    if taken := taken_by(slug, search or [folder], settings):
        raise PostExists(f"{taken} already uses the slug '{slug}'; choose another title")
    when = now or datetime.now(ZoneInfo(settings.get("TIMEZONE") or "UTC"))
    # A header Pelican and content_guard accept, and an empty body (a draft may have none).
    fields = {"Title": title, "Date": f"{when:%Y-%m-%d %H:%M}", "Tags": ", ".join(tags)}
    fields |= {"Slug": slug, "Summary": " ".join(str(summary or "").split()), "Status": "draft"}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:  # "x": fail rather than overwrite
        handle.write("".join(f"{key}: {value}\n" for key, value in fields.items() if value) + "\n")
    return path

"""`invoke new`: write a new draft post with valid metadata.

The slug comes from Pelican's own slugify with the site's slug settings, so the
file name matches the URL Pelican will give the post; the date is now in the
site's TIMEZONE.
"""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo


class PostExists(Exception):
    """The post's file, or its slug, is already taken."""


def slug_for(title, settings):
    """The slug Pelican derives from `title` with the site's settings."""
    from pelican.utils import slugify  # noqa: PLC0415

    return slugify(
        title,
        regex_subs=settings.get("SLUG_REGEX_SUBSTITUTIONS", []),
        preserve_case=settings.get("SLUGIFY_PRESERVE_CASE", False),
        use_unicode=settings.get("SLUGIFY_USE_UNICODE", False),
    )


def split_tags(tags):
    """ "a, b,,c" -> ["a", "b", "c"]."""
    return [tag.strip() for tag in str(tags or "").split(",") if tag.strip()]


def post_text(title, slug, tags, when, summary=None):
    """The new file's text: a header Pelican and content_guard accept, and an
    empty body (a draft may have none)."""
    lines = [
        f"Title: {' '.join(title.split())}",
        f"Date: {when:%Y-%m-%d %H:%M}",
        f"Tags: {', '.join(tags)}",
        f"Slug: {slug}",
    ]
    if summary:
        lines.append(f"Summary: {' '.join(summary.split())}")
    lines.append("Status: draft")
    return "\n".join(lines) + "\n\n"


def existing_slug(folder, slug):
    """A Markdown file in `folder` whose header already says `Slug: <slug>`."""
    for path in sorted(Path(folder).glob("*.md")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.strip():
                break
            key, _, value = line.partition(":")
            if key.strip().lower() == "slug" and value.strip() == slug:
                return path
    return None


def new_post(title, tags, folder, settings, *, summary=None, now=None):
    """Write `folder/<slug>.md` and return its path; never overwrite."""
    title = " ".join(str(title).split())
    tags = split_tags(tags)
    if not title:
        raise ValueError("the title is empty; give the post a title")
    if not tags:
        raise ValueError("no tags; pass --tags with at least one, e.g. --tags python,llm")
    slug = slug_for(title, settings)
    if not slug:
        raise ValueError(f"'{title}' gives an empty slug; use a title with letters or digits")
    folder = Path(folder)
    path = folder / f"{slug}.md"
    if path.exists():
        raise PostExists(f"{path} already exists; choose another title or edit that post")
    taken = existing_slug(folder, slug) if folder.is_dir() else None
    if taken:
        raise PostExists(f"{taken} already uses the slug '{slug}'; choose another title")
    when = now or datetime.now(ZoneInfo(settings.get("TIMEZONE") or "UTC"))
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:  # "x": fail rather than overwrite
        handle.write(post_text(title, slug, tags, when, summary))
    return path

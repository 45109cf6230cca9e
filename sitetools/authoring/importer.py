"""`invoke import`: posts from a Hugo, Jekyll, Astro, Eleventy or Pelican blog,
converted to this site's `Key: value` Markdown with their slugs, images, links
and old URLs kept. Plan everything first, then write only if nothing would be
overwritten."""

import ast
import contextlib
import filecmp
import html
import os
import posixpath
import re
import shutil
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from pelican.settings import DEFAULT_CONFIG
from pelican.utils import get_date, slugify

from sitetools.content import front_matter

FORMATS = ("hugo", "jekyll", "astro", "eleventy", "pelican")
# Files whose presence at the top of SOURCE names its generator, in this order;
# the first settings file among them is read for permalinks and folders.
MARKERS = {
    "pelican": ["pelicanconf.py"],
    "hugo": ["hugo.toml", "hugo.yaml", "config.toml", "config/_default/hugo.toml", "archetypes"],
    "jekyll": ["_config.yml", "_posts"],
    "astro": ["astro.config.mjs", "astro.config.ts", "astro.config.js"],
    "eleventy": [".eleventy.js", "eleventy.config.js", "eleventy.config.mjs"],
}
CONFIG_SUFFIXES = (".toml", ".yml", ".yaml", ".py")
IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".ico"}
# Jekyll's named permalink styles (jekyllrb.com/docs/permalinks).
JEKYLL_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "none": "/:categories/:title:output_ext",
}
# Source keys -> this site's field; the other keys are reported, never dropped silently.
FIELDS = {
    "title": "Title", "description": "Summary", "summary": "Summary", "excerpt": "Summary",
    "lastmod": "Modified", "modified": "Modified", "updated": "Modified",
    "updateddate": "Modified", "last_modified_at": "Modified", "author": "Author", "lang": "Lang",
}  # fmt: skip
IMAGE_KEYS = ("cover", "image", "heroimage", "featured_image")
SOCIAL_IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}  # what Image: takes
HANDLED = {"date", "pubdate", "tags", "category", "categories", "slug", "draft", "published"}
HANDLED |= {"status", "aliases", "redirect_from", "permalink", "url", "layout"}
# Leading folders dropped from a copied file's path: content/images/ says it already.
STATIC_FOLDERS = ("images", "img", "assets", "static", "extra", "files")
SLUG_SUBS = DEFAULT_CONFIG["SLUG_REGEX_SUBSTITUTIONS"]

_MD_LINK = re.compile(r"(\]\()(<[^>]*>|[^)\s]+)")
_REF_DEF = re.compile(r"^(\s{0,3}\[(?!\^)[^\]]+\]:\s*)(\S+)")  # not a [^1]: footnote
_CODE_SPAN = re.compile(r"(`+).*?\1")
_FENCE = re.compile(r"^\s*(```|~~~)")
_KEY = re.compile(r"^[ ]{0,3}([A-Za-z0-9_-]+)\s*[:=]\s*(.*)")
_PELICAN_LINK = re.compile(r"^[{|](static|attach|filename)[|}](.*)")
_POST_URL = re.compile(r"\{%\s*post_url\s+(\S+?)\s*%\}")
_HUGO_REF = re.compile(r"\{\{<\s*(?:rel)?ref\s+\"?([^\"\s>]+)\"?\s*>\}\}")
_BASEURL = re.compile(r"\{\{\s*site\.(?:base)?url\s*\}\}")
_EXTERNAL_IMAGE = re.compile(r"!\[[^\]]*\]\(<?((?:https?:)?//[^)\s>]+)")
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


class StartTags(HTMLParser):
    """(offset, raw text, tag, attrs) of each start tag in a piece of raw HTML."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self.found = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        line, column = self.getpos()
        at = self.starts[line - 1] + column
        self.found.append((at, self.get_starttag_text(), tag, attrs))

    handle_startendtag = handle_starttag


class ImportRefused(Exception):
    """Nothing was written; `problems` says why, one line each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class Post:
    src: Path
    meta: dict
    lines: dict  # lower-case key -> line number in the source file
    body: str
    body_line: int
    where: str = ""  # the source file, relative to SOURCE, for the report
    slug: str = ""
    old_url: str = ""
    fields: dict = field(default_factory=dict)


@dataclass
class Report:
    posts: list = field(default_factory=list)
    links: int = 0
    copied: list = field(default_factory=list)
    redirects: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    redirected: int = 0  # links to an old URL redirects.txt already redirects

    def lines(self, source_format, content):
        out = [
            f"Imported {len(self.posts)} posts ({source_format}) into {content}/posts/",
            f"Links rewritten: {self.links}",
            f"Files copied: {len(self.copied)}",
            f"Redirects added: {len(self.redirects)}",
        ]
        if self.redirected:
            out.append(
                f"Links to an old URL that {content}/redirects.txt redirects: "
                f"{self.redirected} (the build links the new URL)"
            )
        if self.notes:
            out += [f"Not converted ({len(self.notes)}):", *(f"  {n}" for n in self.notes)]
        return out


def detect(source):
    """The generator a blog folder was written for, from its marker files."""
    for name, markers in MARKERS.items():
        if any((source / marker).exists() for marker in markers):
            return name
    found = ", ".join(sorted({m for marks in MARKERS.values() for m in marks}))
    fix = f"name the format with --from {'|'.join(FORMATS)}"
    raise ImportRefused([f"{source}: none of {found} found; {fix}"])


class FrontMatterError(ValueError):
    """A post's front matter cannot be read; `line` is the file's line that says why."""

    def __init__(self, line, message):
        self.line = line
        super().__init__(message)


_TOML_AT = re.compile(r" \(at line (\d+), column (\d+)\)")


def load_header(fence, header):
    """The front matter between `fence` lines (its text `header` starts on the
    file's line 2) as front_matter reads it within its bounds; FrontMatterError
    on the line that does not parse or crosses a bound."""
    try:
        return front_matter.load_toml(header) if fence == "+++" else front_matter.load(header)
    except front_matter.TooBig as error:
        raise FrontMatterError(error.line + 2, str(error)) from None
    except yaml.YAMLError as error:
        line = front_matter.error_line(error)
        reason = one_line(getattr(error, "problem", None) or error)
        raise FrontMatterError(2 + (line or 0), f"{reason}; fix it and import again") from None
    except tomllib.TOMLDecodeError as error:  # its message says where, in the header
        at = _TOML_AT.search(str(error))
        reason = _TOML_AT.sub(lambda m: f" (column {m[2]})", one_line(error))
        line = int(at[1]) + 1 if at else 2
        raise FrontMatterError(line, f"{reason}; fix it and import again") from None


def split_front_matter(text):
    """(meta, body, first body line, {key: line}) for YAML (---), TOML (+++) or
    Pelican `Key: value` headers; meta keys are lower case. Front matter that
    does not parse or is past front_matter's bounds raises FrontMatterError."""
    lines = text.splitlines(keepends=True)
    fence = lines[0].strip() if lines else ""
    if fence in ("---", "+++"):
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == fence), None)
        if end is None:
            fix = f"add a closing {fence} line after its last key"
            raise FrontMatterError(1, f"opened with {fence} on line 1 and never closed; {fix}")
        header, body = lines[1:end], lines[end + 1 :]
        meta = load_header(fence, "".join(header)) or {}
        if not isinstance(meta, dict):
            fix = "write one key: value line per field"
            raise FrontMatterError(2, f"not a mapping of keys to values; {fix}")
    else:
        end = next((i for i, line in enumerate(lines) if not _KEY.match(line)), len(lines))
        header, body = lines[:end], lines[end:]
        meta = {m[1]: m[2].strip() for m in map(_KEY.match, header)}
    key_lines = {}
    for number, line in enumerate(header, start=2 if fence in ("---", "+++") else 1):
        if key := _KEY.match(line):
            key_lines.setdefault(key[1].lower(), number)
    meta = {str(key).lower(): value for key, value in meta.items()}
    return meta, "".join(body), len(lines) - len(body) + 1, key_lines


def as_datetime(value):
    """A front-matter date (datetime, date or text such as 'Jul 08 2022') as a
    naive datetime in the wall-clock time the old blog showed; None if no date."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    try:
        found = value if isinstance(value, datetime) else get_date(str(value).strip())
    except (ValueError, OverflowError):
        return None
    return found.replace(tzinfo=None)


def as_list(value, separator=","):
    """Tags or categories: a YAML list, or text split on `separator`."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(separator)
    return [str(item).replace(",", " ").strip() for item in items if str(item).strip()]


def one_line(value):
    return " ".join(str(value).split())


def breaks_line(text):
    """Whether `text` holds a line break (any str.splitlines knows, as the
    header's readers do) or a control character, so would not stay on one header line."""
    return len(f"{text}.".splitlines()) > 1 or any(unicodedata.category(c) == "Cc" for c in text)


def expand_permalink(pattern, when, slug, section="", categories=()):
    """An old URL from a Hugo/Jekyll permalink pattern (:year, :title, ...)."""
    values = {
        "year": f"{when:%Y}", "month": f"{when:%m}", "day": f"{when:%d}",
        "title": slug, "slug": slug, "filename": slug,
        "section": section, "output_ext": ".html",
        "categories": "/".join(slugify(c, SLUG_SUBS) for c in categories),
    }  # fmt: skip
    url = re.sub(r":([a-z_]+)", lambda m: values.get(m.group(1), m.group(0)), pattern)
    return "/" + re.sub(r"/+", "/", url).lstrip("/")


def read_config(path):
    """A generator's settings file as a dict. pelicanconf.py is not run (SOURCE
    is not trusted): only its constant assignments are read."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        # Within front matter's bounds of depth and aliases, at any length.
        load = front_matter.load_toml if path.suffix == ".toml" else front_matter.load
        return load(text, max_chars=None) or {}
    found = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            with contextlib.suppress(ValueError):
                found[node.targets[0].id] = ast.literal_eval(node.value)
    return found


class Layout:
    """Where one generator keeps posts and static files, and its old URLs."""

    def __init__(self, source, kind, tags=""):
        self.source, self.kind, self.default_tags = source, kind, tags
        settings = [source / name for name in MARKERS[kind] if name.endswith(CONFIG_SUFFIXES)]
        found = [path for path in settings if path.is_file()]
        self.config = read_config(found[0]) if found else {}
        self.content = source / {
            "hugo": "content", "jekyll": "_posts", "astro": "src/content",
            "pelican": self.config.get("PATH", "content"),
            "eleventy": next((d for d in ("content", "src") if (source / d).is_dir()), ""),
        }[kind]  # fmt: skip
        static = {"hugo": "static", "astro": "public", "pelican": self.content}.get(kind, "")
        self.static = [source / static, *([self.content] if kind == "eleventy" else [])]

    def post_files(self):
        files = list(self.content.rglob("*.md"))
        if self.kind in ("eleventy", "hugo"):  # posts sit in a section folder
            sections = ("posts", "blog", "post") if self.kind == "eleventy" else None
            files = [
                f for f in files
                if len(parts := f.relative_to(self.content).parts) > 1
                and (sections is None or parts[0] in sections)
            ]  # fmt: skip
        pages = self.config.get("PAGE_PATHS", ["pages"])
        skip = {"node_modules", "_site", "_includes", "_data", *pages}
        return sorted(
            f for f in files
            if f.name != "_index.md" and not skip & set(f.relative_to(self.source).parts)
        )  # fmt: skip

    def slug(self, post):
        stem = post.src.parent.name if post.src.stem == "index" else post.src.stem
        if self.kind == "jekyll":
            stem = re.sub(r"^\d{4}-\d{2}-\d{2}-", "", stem)
        if "slug" in post.meta:
            return str(post.meta["slug"]).strip()
        if self.kind == "pelican":
            return slugify(str(post.meta.get("title", stem)), SLUG_SUBS)
        return stem

    def old_url(self, post, when):
        meta, section = post.meta, post.src.relative_to(self.content).parts[0]
        explicit = meta.get("permalink") or meta.get("url")
        if explicit and "{" not in str(explicit):
            return "/" + str(explicit).lstrip("/")
        if self.kind == "jekyll":
            style = str(self.config.get("permalink", "date"))
            cats = as_list(meta.get("categories") or meta.get("category"), " ")
            return expand_permalink(JEKYLL_STYLES.get(style, style), when, post.slug, "", cats)
        if self.kind == "hugo":
            pattern = (self.config.get("permalinks") or {}).get(section, "/:section/:slug/")
            return expand_permalink(pattern, when, post.slug, section)
        if self.kind == "pelican":
            pattern = self.config.get("ARTICLE_URL", DEFAULT_CONFIG["ARTICLE_URL"])
            category, author = str(meta.get("category", "misc")), meta.get("author", "")
            with contextlib.suppress(KeyError, ValueError, IndexError, AttributeError):
                return "/" + pattern.format(
                    slug=post.slug, date=when, category=category, author=author, lang="en"
                )
            return f"/{post.slug}.html"  # a pattern of keys this importer cannot fill in
        folder = post.src.parent.relative_to(self.content).parts  # astro / eleventy
        folder = folder[:-1] if post.src.stem == "index" else folder
        return "/" + "/".join([*folder, post.slug]) + "/"


def tags_of(meta, kind):
    """Categories first (this site has none: a category is a tag), then tags,
    once each; Eleventy's collection tags left out."""
    tags = as_list(meta.get("tags"), " " if kind == "jekyll" else ",")
    if kind == "eleventy":
        tags = [t for t in tags if t not in ("post", "posts", "all")]
    tags = [*as_list(meta.get("categories") or meta.get("category")), *tags]
    tags = [one_line(tag) for tag in tags]  # a line break in a tag would start a header line
    unique = {}
    for tag in tags:
        unique.setdefault(slugify(tag, SLUG_SUBS), tag)
    return ", ".join(unique.values())


def read_post(layout, path, report):
    """A source file as a Post with this site's fields, or None (reported)."""
    where = path.relative_to(layout.source)
    if not path.resolve().is_relative_to(layout.source):
        why = f"a link to {path.resolve()}, outside the blog; not imported"
        report.notes.append(f"{where}:1: {why} (copy the file into the blog if it is yours)")
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = one_line(getattr(error, "strerror", None) or error)
        report.notes.append(f"{where}:1: cannot be read ({reason}); not imported")
        return None
    try:
        meta, body, body_line, lines = split_front_matter(text)
    except FrontMatterError as error:
        report.notes.append(f"{where}:{error.line}: front matter: {error}")
        return None
    post = Post(path, meta, lines, body, body_line, str(where))
    post.slug = layout.slug(post)
    # One file name, and one word of a redirects.txt line.
    if not post.slug or re.search(r"[/\\\s]", post.slug) or breaks_line(post.slug):
        line = lines.get("slug", 1)
        suggestion = slugify(post.slug, SLUG_SUBS) or "words-joined-by-hyphens"
        fix = f"set slug: {suggestion}"
        report.notes.append(f"{where}:{line}: Slug: {post.slug!r} cannot name a file; {fix}")
        return None
    named = re.match(r"(\d{4}-\d{2}-\d{2})-", path.name)
    when = as_datetime(meta.get("date") or meta.get("pubdate") or (named and named.group(1)))
    if when is None:
        when = datetime.fromtimestamp(path.stat().st_mtime).replace(second=0, microsecond=0)
        report.notes.append(f"{where}:1: Date: none given; used the file's date {when:%Y-%m-%d}")
    post.old_url = layout.old_url(post, when)
    tags = tags_of(meta, layout.kind)
    if not tags and layout.default_tags:
        tags = layout.default_tags
        report.notes.append(f"{where}:1: Tags: none; given --tags {tags}")
    elif not tags:
        report.notes.append(
            f"{where}:1: Tags: none; add a Tags: line to the imported post "
            "(or import again with --tags for every post that has none)"
        )
    title = one_line(meta.get("title") or post.slug)
    out = {"Title": title, "Date": f"{when:%Y-%m-%d %H:%M}", "Tags": tags, "Slug": post.slug}
    for key, value in meta.items():
        if FIELDS.get(key) and isinstance(value, str | date) and str(value).strip():
            out.setdefault(FIELDS[key], one_line(value))
    draft = meta.get("draft") is True or meta.get("published") is False
    status = "draft" if draft else str(meta.get("status", "")).strip().lower()
    out["Status"] = status if status in ("draft", "hidden") else ""
    modified = as_datetime(out.pop("Modified", None))
    if modified and modified >= when:
        out["Modified"] = f"{modified:%Y-%m-%d %H:%M}"
    report.notes += [f"{where}:{lines.get(key, 1)}: {key}: {why}" for key, why in unused(meta, out)]
    post.fields = out
    return post


def unused(meta, fields):
    """(key, why) for each source key that did not become one of `fields`."""
    for key, value in meta.items():
        if FIELDS.get(key) == "Modified" and "Modified" not in fields:
            yield key, "not a date after the post's date; not imported"
        elif key == "status" and str(value).lower() not in ("draft", "hidden", "published"):
            yield key, f"{value!r} is not draft or hidden; not imported"
        elif (
            key not in HANDLED
            and key not in IMAGE_KEYS
            and (key not in FIELDS or FIELDS[key] not in fields)
        ):
            yield key, "no field for it here; not imported"


def _url_key(path):
    return path.rstrip("/").removesuffix(".html")


class Rewriter:
    """Rewrites a post body's links and images for the new URL layout.
    `redirected`: the old paths (no trailing slash) the site already redirects."""

    def __init__(self, layout, posts, report, redirected=frozenset()):
        self.layout, self.report, self.redirected = layout, report, redirected
        self.by_file = {p.src.resolve(): p for p in posts}
        self.by_url = {_url_key(p.old_url): p for p in posts}
        # A post's other old URLs (aliases, redirect_from) lead to it too.
        for post in posts:
            for key in ("aliases", "redirect_from"):
                for old in as_list(post.meta.get(key)):
                    if not old_path_problem(old):
                        self.by_url.setdefault(_url_key("/" + old.lstrip("/")), post)
        self.copies = {}  # source file -> target relative to the content folder

    def post_link(self, post, fragment=""):
        return f"{{filename}}/posts/{post.slug}.md{fragment}"

    def static_link(self, path, post, fragment=""):
        path = path.resolve()
        if path not in self.copies:
            roots = [*self.layout.static, self.layout.source]
            inside = [r.resolve() for r in roots if path.is_relative_to(r.resolve())]
            root = max(inside, key=lambda r: len(r.parts), default=None)
            relative = Path(path.name) if root is None else path.relative_to(root)
            if (
                post.src.parent.resolve() in path.parents
                and root != self.layout.static[0].resolve()
            ):
                relative = Path(post.slug) / path.relative_to(post.src.parent.resolve())
            while len(relative.parts) > 1 and relative.parts[0] in STATIC_FOLDERS:
                relative = Path(*relative.parts[1:])
            folder = "images" if path.suffix.lower() in IMAGES else "extra"
            target = f"{folder}/{relative.as_posix()}"
            # Another file's place (in any case: one file on macOS): keep its whole path.
            if target.casefold() in {taken.casefold() for taken in self.copies.values()}:
                target = f"{folder}/{path.relative_to(self.layout.source.resolve()).as_posix()}"
            self.copies[path] = target
        return f"{{static}}/{self.copies[path]}{fragment}"

    def target(self, url, post):
        """The rewritten reference for `url`, or None to leave it as it is."""
        if url.startswith(("#", "//", "{static}/", "{filename}/posts/")) or re.match(
            r"^[a-z][a-z0-9+.-]*:", url
        ):
            return None
        pelican = _PELICAN_LINK.match(url)
        parts = urlsplit(pelican.group(2) if pelican else url)
        path, fragment = unquote(parts.path), f"#{parts.fragment}" * bool(parts.fragment)
        if not path:
            return None
        if pelican:
            base = self.layout.content if path.startswith("/") else post.src.parent
            candidates = [base / path.lstrip("/")]
        else:
            old = posixpath.normpath(posixpath.join(posixpath.dirname(post.old_url), path))
            local = [] if path.startswith("/") else [post.src.parent / path]
            roots = [*self.layout.static, self.layout.content]
            candidates = [*local, *(root / old.lstrip("/") for root in roots)]
            linked = self.by_url.get(_url_key(old))
            if linked:
                return self.post_link(linked, fragment)
        for candidate in map(Path.resolve, candidates):
            if candidate in self.by_file:
                return self.post_link(self.by_file[candidate], fragment)
            # Only files of the blog itself, never a page's source or a path out of SOURCE.
            inside = candidate.is_relative_to(self.layout.source.resolve())
            if candidate.is_file() and candidate.suffix != ".md" and inside:
                return self.static_link(candidate, post, fragment)
        return False if pelican else self.redirected_link(url, old, path, fragment)

    def redirected_link(self, url, old, path, fragment):
        """A link to `old`, a path the site already redirects: None to keep it
        (the build links where the redirect leads), or the same path
        root-relative, since the post moves to /posts/<slug>/. False for a
        path no redirect covers: not found."""
        if (old.rstrip("/") or "/") not in self.redirected:
            return False
        self.report.redirected += 1
        kept = old + "/" * (path.endswith("/") and old != "/") + fragment
        return None if kept == url else kept

    def body(self, post):
        """The converted body, fenced code left as it is."""
        out, fenced = [], False
        for number, line in enumerate(post.body.splitlines(keepends=True), start=post.body_line):
            fence = bool(_FENCE.match(line))
            fenced ^= fence
            out.append(line if fenced or fence else self.line(line, number, post))
        return "".join(out)

    def line(self, text, number, post):
        """One body line with its links rewritten; what is left is reported."""
        where = f"{post.where}:{number}"

        def resolve(url):
            """The new reference for `url` (counted), or None; a missing file is reported."""
            new = self.target(url, post)
            if new is False:
                self.report.notes.append(f"{where}: {url}: not found in the source; fix the link")
            self.report.links += bool(new)
            return new or None

        def swap(match, group):
            new = resolve(match.group(group).strip("<>"))
            if not new:
                return match.group(0)
            start, end = (i - match.start() for i in match.span(group))
            return match.group(0)[:start] + new + match.group(0)[end:]

        def external(url):
            why = "an image from another site, which the production CSP blocks"
            fix = "download it into content/images/ and link it with {static}/images/…"
            self.report.notes.append(f"{where}: {url}: {why}; {fix}")

        def swap_attrs(piece):
            """Raw HTML's src= and href=, found by a parser, rewritten in place."""
            out, done = [], 0
            for at, raw, tag, attrs in StartTags(piece).found:
                new = [(k, v and k in ("src", "href") and resolve(v)) for k, v in attrs]
                if tag == "img" and re.match(r"(https?:)?//", dict(attrs).get("src") or ""):
                    external(dict(attrs)["src"])
                if not any(n for _, n in new):
                    continue
                values = [(k, n or v) for (k, v), (_, n) in zip(attrs, new, strict=True)]
                rebuilt = "".join(
                    f" {k}" if v is None else f' {k}="{html.escape(v)}"' for k, v in values
                )
                out += [piece[done:at], f"<{tag}{rebuilt}{'/' * raw.endswith('/>')}>"]
                done = at + len(raw)
            return "".join(out) + piece[done:]

        # Jekyll's and Hugo's links to a post become paths to its file, resolved below.
        text = _POST_URL.sub(lambda m: f"/_posts/{m[1]}.md", _BASEURL.sub("", text))
        text = _HUGO_REF.sub(lambda m: m[1], text)
        # Code spans show markup as text: only what lies between them is rewritten.
        pieces, done = [], 0
        for span in [*_CODE_SPAN.finditer(text), None]:
            piece = text[done : span.start() if span else len(text)]
            if not done:
                piece = _REF_DEF.sub(lambda m: swap(m, 2), piece)
            piece = _MD_LINK.sub(lambda m: swap(m, 2), piece)
            for image in _EXTERNAL_IMAGE.finditer(piece):
                external(image.group(1))
            # CommonMark's \< is a literal "<"; Python-Markdown would keep the backslash.
            pieces += [swap_attrs(piece).replace("\\<", "&lt;"), span.group(0) if span else ""]
            done = span.end() if span else done
        text = "".join(pieces)
        for left in _TEMPLATE.findall(text):
            self.report.notes.append(
                f"{where}: {left}: template code is not run here; rewrite it in Markdown"
            )
        return text


def old_path_problem(value):
    """Why `value`, an old URL a post's front matter gives, cannot be the old
    path of a redirects.txt line, or None: it must be one path of this site."""
    try:
        parts = urlsplit(value)
    except ValueError:  # a broken address, such as http://[x
        return "is not a path of this site; write one, like /old/"
    if parts.scheme or parts.netloc or value.startswith("//") or "://" in value:
        return "another site's address; only a path of this site (/old/path/) redirects"
    if any(char.isspace() or not char.isprintable() for char in value):
        return "holds a space, tab, line break or control character; write one path, like /old/"
    if "*" in value or "/:" in value or "?" in value or "#" in value:
        return "has a wildcard, placeholder, query or fragment; write the plain path, like /old/"
    return None


def redirect_lines(posts, known, report):
    """ "OLD NEW" for each post's old URL, aliases and redirect_from, except a
    path that is already its new one or already redirected, and a value that is
    not one path of this site: each is reported, with its line."""
    found = []
    for post in posts:
        new = f"/posts/{post.slug}/"
        # The old URL as the source wrote it, when its permalink or url gave it.
        key = next((key for key in ("permalink", "url") if post.meta.get(key)), None)
        given = str(post.meta[key]) if key else ""
        first = given if key and post.old_url == "/" + given.lstrip("/") else post.old_url
        olds = [(key or "old URL", first)]
        for key in ("aliases", "redirect_from"):
            olds += [(key, old) for old in as_list(post.meta.get(key))]
        seen = set()
        for key, value in olds:
            where = f"{post.where}:{post.lines.get(key, 1)}"
            if why := old_path_problem(value):
                report.notes.append(f"{where}: {key}: {value!r}: {why}; not added")
                continue
            old = "/" + value.lstrip("/")
            if old in seen or old.rstrip("/") == new.rstrip("/"):
                continue
            seen.add(old)
            if old in known:
                report.notes.append(f"{where}: {old}: already redirected; not added")
            elif post.fields.get("Status") == "draft":  # no page in production to redirect to
                report.notes.append(f"{where}: {old}: no redirect to a draft; add it later")
            else:
                found.append(f"{old} {new}")
                known.add(old)
    return found


def case_collisions(origins, content):
    """Report lines for each planned file (`origins`: {target: "source file:line:
    field"}) whose name differs only in case from another planned one, or from a
    file already in its folder: one file on a case-insensitive disk (macOS,
    Windows), so one would overwrite the other there."""
    fix = "one file on a case-insensitive disk (macOS, Windows); give one of them another name"
    lines, planned, listings = [], {}, {}
    for target, origin in origins.items():
        shown, folder = target.relative_to(content).as_posix(), target.parent
        first, first_origin = planned.setdefault(shown.casefold(), (shown, origin))
        if first != shown:
            source_file = first_origin.split(": ", 1)[0]
            lines.append(
                f"{origin}: {shown} and {first} (from {source_file}) differ only in case; {fix}"
            )
        if folder not in listings:
            listings[folder] = sorted(os.listdir(folder)) if folder.is_dir() else []
        for name in listings[folder]:
            if name != target.name and name.casefold() == target.name.casefold():
                there = f"{content.name}/{folder.relative_to(content).as_posix()}/{name}"
                lines.append(
                    f"{origin}: {shown} differs only in case from {there}, already there; {fix}"
                )
    return lines


def render(fields, body):
    header = "".join(f"{key}: {value}\n" for key, value in fields.items() if value)
    return f"{header}\n{body.lstrip(chr(10))}"


def unique_slugs(posts, report):
    """One file name on two dates (Jekyll): the later post's slug gets its date,
    and its old URL still redirects to it. A slug the source set is kept."""
    taken = {}
    for post in posts:
        if post.slug in taken and "slug" not in post.meta:
            new = f"{post.slug}-{post.fields['Date'][:10]}"
            why = f"{post.slug!r} is also {taken[post.slug]}'s; imported as {new!r}"
            report.notes.append(f"{post.where}:1: Slug: {why}, its old URL redirects there")
            post.slug = post.fields["Slug"] = new
        taken.setdefault(post.slug, post.where)


def redirected_paths(redirects_file):
    """The old paths (unquoted, no trailing slash) a redirects.txt already
    redirects; its bad lines are the build's to report."""
    from plugins.redirects.redirects import parse_rules, redirect_map  # noqa: PLC0415

    if not redirects_file.is_file():
        return frozenset()
    rules, _problems = parse_rules(redirects_file.read_text("utf-8"), redirects_file.name)
    return frozenset(redirect_map(rules))


def plan_import(source, content, kind=None, tags=""):
    """({target path: text or source file}, redirect lines, Report, format)."""
    source, content = Path(source).resolve(), Path(content).resolve()
    if not source.is_dir():
        raise ImportRefused([f"{source}: not a folder; give the blog's top folder"])
    kind = kind or detect(source)
    try:
        layout, report = Layout(source, kind, tags_of({"tags": tags}, "hugo")), Report()
    except (ValueError, yaml.YAMLError, SyntaxError) as error:
        raise ImportRefused([f"{source}: its {kind} settings: {one_line(error)}"]) from None
    posts = [p for p in (read_post(layout, f, report) for f in layout.post_files()) if p]
    unique_slugs(posts, report)
    for skipped in sorted(layout.content.rglob("*.mdx")) + sorted(layout.content.rglob("*.rst")):
        report.notes.append(f"{skipped.relative_to(source)}:1: not imported: Markdown only")
    redirects_file = content / "redirects.txt"
    rewriter = Rewriter(layout, posts, report, redirected_paths(redirects_file))
    for post in posts:  # a hero image (cover, image, …) becomes the post's Image:
        for key in (k for k in IMAGE_KEYS if post.meta.get(k)):
            where = f"{post.where}:{post.lines.get(key, 1)}: {key}"
            found = rewriter.target(str(post.meta[key]), post)
            if not found:
                fix = "not found" if found is False else "download it into content/images/"
                report.notes.append(f"{where}: {fix}; then add Image: {{static}}/images/…")
            elif Path(found).suffix.lower() not in SOCIAL_IMAGES or "Image" in post.fields:
                report.notes.append(f"{where}: copied to {found[8:]}; not used as Image:")
            else:
                post.fields["Image"] = found
    writes, problems, slugs, origins = {}, [], {}, {}
    for post in posts:
        if post.slug in slugs:
            fix = "set another slug: in one of them"
            problems.append(
                f"{post.where}:1: Slug: {post.slug!r} is also {slugs[post.slug]}'s; {fix}"
            )
        slugs[post.slug] = post.where
        target = content / "posts" / f"{post.slug}.md"
        writes[target] = render(post.fields, rewriter.body(post))
        origins[target] = f"{post.where}:{post.lines.get('slug', 1)}: Slug"
        report.posts.append(post)
    for origin, target in rewriter.copies.items():
        writes[content / target] = origin
        origins[content / target] = origin.relative_to(source).as_posix()
        report.copied.append(target)
    problems += case_collisions(origins, content)
    problems += [  # whatever a field's value came from, it stays on its header line
        f"{post.where}:{post.lines.get(key.lower(), 1)}: {key}: {value!r} holds a line break "
        "or control character; fix it in the source"
        for post in posts
        for key, value in post.fields.items()
        if breaks_line(str(value))
    ]
    known = set(redirects_file.read_text("utf-8").split() if redirects_file.is_file() else [])
    report.redirects = redirect_lines(posts, known, report)
    problems += [
        f"{target}: already exists; not overwritten (move it away first)"
        for target, what in writes.items()
        if target.exists() and not (isinstance(what, Path) and filecmp.cmp(target, what, False))
    ]
    if problems:
        raise ImportRefused(problems)
    return writes, report, kind


def import_blog(source, content, kind=None, tags=""):
    """Import a blog into `content`; returns (Report, format). Writes nothing
    and raises ImportRefused when a file would be overwritten."""
    writes, report, kind = plan_import(source, content, kind, tags)
    for target, what in writes.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(what, Path):
            if not target.exists():
                shutil.copyfile(what, target)
        else:
            target.write_text(what, encoding="utf-8")
    if report.redirects:
        redirects = Path(content) / "redirects.txt"
        existing = redirects.read_text("utf-8") if redirects.is_file() else ""
        lines = "".join(f"{line}\n" for line in report.redirects)
        redirects.write_text(existing.rstrip("\n") + "\n" * bool(existing) + lines, "utf-8")
    return report, kind

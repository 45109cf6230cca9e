"""`invoke import`: posts from a Hugo, Jekyll, Astro, Eleventy or Pelican blog,
converted to this site's `Key: value` Markdown with their slugs, images, links
and old URLs kept. Plan everything first, then write only if nothing would be
overwritten.

Each generator is one row of GENERATORS, which the code reads: it has no code
of its own per generator. Front matter and settings files are read by
sitetools.content.front_matter within the build's bounds (an alias bomb is one
report line); a pelicanconf.py is never run."""

import ast
import contextlib
import filecmp
import html
import posixpath
import re
import shutil
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import yaml
from justhtml import JustHTML
from pelican.settings import DEFAULT_CONFIG

from plugins.content_guard import schema
from plugins.headings.headings import splice
from plugins.redirects.redirects import attribute_spans, parse_rules, redirect_map
from sitetools.content import front_matter

# One source blog format:
# - markers: files at SOURCE's top that name it; the first settings file among them is read;
# - content: its posts' folder, the first of these that is one (PATH in its settings wins);
# - static: its static files' folders ("" is SOURCE itself, None the posts' folder);
# - permalink: a post's old URL (Jekyll's style or :tokens, or Pelican's {fields}), unless
#   `setting` names the setting that replaces it (a table: one per section);
# - sections: posts sit in these subfolders of content (() in any one; None: anywhere);
# - separator: between the tags of a text list; collections: tags that name no subject;
# - dated: file names start YYYY-MM-DD-, not part of the slug;
# - titled: the slug comes from the title, not the file name.
FIELD_NAMES = "markers content static permalink setting sections separator collections dated titled"
Generator = namedtuple("Generator", FIELD_NAMES, defaults=(None, None, ",", (), False, False))


# In the order their marker files are looked for.
GENERATORS = {
    "pelican": Generator(("pelicanconf.py",), ("content",), (None,), DEFAULT_CONFIG["ARTICLE_URL"],
                         "ARTICLE_URL", titled=True),
    "hugo": Generator(("hugo.toml", "hugo.yaml", "config.toml", "config/_default/hugo.toml",
                       "archetypes"), ("content",), ("static",), "/:section/:slug/", "permalinks",
                      sections=()),
    "jekyll": Generator(("_config.yml", "_posts"), ("_posts",), ("",), "date", "permalink",
                        separator=" ", dated=True),
    "astro": Generator(("astro.config.mjs", "astro.config.ts", "astro.config.js"), ("src/content",),
                       ("public",), "/:folder/:slug/"),
    "eleventy": Generator((".eleventy.js", "eleventy.config.js", "eleventy.config.mjs"),
                          ("content", "src", ""), ("", None), "/:folder/:slug/",
                          sections=("posts", "blog", "post"), collections=("post", "posts", "all")),
}  # fmt: skip
FORMATS = ("hugo", "jekyll", "astro", "eleventy", "pelican")
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
IMAGE_KEYS = ("cover", "image", "heroimage", "featured_image")  # the post's Image:
REDIRECT_KEYS = ("aliases", "redirect_from")  # its other old URLs
HANDLED = {"date", "pubdate", "tags", "category", "categories", "slug", "draft", "published"}
HANDLED |= {"status", "permalink", "url", "layout", *IMAGE_KEYS, *REDIRECT_KEYS}
SKIPPED = {"node_modules", "_site", "_includes", "_data"}  # folders that hold no posts
# Leading folders dropped from a copied file's path: content/images/ says it already.
STATIC_FOLDERS = ("images", "img", "assets", "static", "extra", "files")

# One pass over a body line: code spans are kept as they are, and CommonMark's
# \< (a literal "<", where Python-Markdown keeps the backslash) becomes &lt;.
_INLINE = re.compile(
    r"(?P<code>(`+).*?\2)|(?P<lt>\\<)"
    r"|^\s{0,3}\[(?!\^)[^\]]+\]:\s*(?P<ref>\S+)"  # a link definition, not a [^1]: footnote
    r"|(?P<image>!\[[^\]]*)?\]\((?P<link><[^>]*>|[^)\s]+)"
)
_CODE_SPAN = re.compile(r"(`+).*?\1")
_FENCE = re.compile(r"^\s*(```|~~~)")
_KEY = re.compile(r"^[ ]{0,3}([A-Za-z0-9_-]+)\s*[:=]\s*(.*)")
_PELICAN_LINK = re.compile(r"^[{|](static|attach|filename)[|}](.*)")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:")
_REMOTE = re.compile(r"<?(https?:)?//")
_TOML_AT = re.compile(r" \(at line (\d+), column (\d+)\)")
# Jekyll's {{ site.baseurl }} goes; its {% post_url %} and Hugo's {{< ref >}} to a post
# become paths to its file, resolved as links.
_LIQUID = re.compile(
    r"\{\{\s*site\.(?:base)?url\s*\}\}|\{%\s*post_url\s+(?P<post>\S+?)\s*%\}"
    r"|\{\{<\s*(?:rel)?ref\s+\"?(?P<ref>[^\"\s>]+)\"?\s*>\}\}"
)
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
FIX = "fix it and import again"
POST_PARTS = ("meta", "body", "body_line", "lines")  # what split_front_matter returns
ONE_PER_LINE = "write one key: value line per field"
CSP = "an image from another site, which the production CSP blocks; download it into"
CSP += " content/images/ and link it with {static}/images/…"


class ImportRefused(Exception):
    """Nothing was written; `problems` says why, one line each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class Report:
    posts: list = field(default_factory=list)
    links: int = 0
    copied: list = field(default_factory=list)
    redirects: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    redirected: int = 0  # links to an old URL redirects.txt already redirects

    def lines(self, source_format, content):
        old = f"Links to an old URL that {content}/redirects.txt redirects: {self.redirected}"
        return [
            f"Imported {len(self.posts)} posts ({source_format}) into {content}/posts/",
            f"Links rewritten: {self.links}",
            f"Files copied: {len(self.copied)}",
            f"Redirects added: {len(self.redirects)}",
            *[f"{old} (the build links the new URL)"] * bool(self.redirected),
            *[f"Not converted ({len(self.notes)}):"] * bool(self.notes),
            *(f"  {note}" for note in self.notes),
        ]


def detect(source):
    """The generator a blog folder was written for, from its marker files."""
    for name, generator in GENERATORS.items():
        if any((source / marker).exists() for marker in generator.markers):
            return name
    found = ", ".join(sorted({m for g in GENERATORS.values() for m in g.markers}))
    fix = f"name the format with --from {'|'.join(FORMATS)}"
    raise ImportRefused([f"{source}: none of {found} found; {fix}"])


def split_front_matter(text):
    """(meta, body, first body line, {key: line}) for YAML (---), TOML (+++) or
    Pelican `Key: value` headers; meta keys are lower case. Front matter that
    does not parse or is past front_matter's bounds raises ValueError, its text
    starting with the file's line that says why (the YAML or TOML starts on line 2)."""
    lines = text.splitlines(keepends=True)
    fence = lines[0].strip() if lines else ""
    if not (fenced := fence in ("---", "+++")):
        end = next((i for i, line in enumerate(lines) if not _KEY.match(line)), len(lines))
    elif (end := next((i for i in range(1, len(lines)) if lines[i].strip() == fence), 0)) == 0:
        fix = f"add a closing {fence} line after its last key"
        raise ValueError(f"1: front matter: opened with {fence} on line 1 and never closed; {fix}")
    header, body = lines[fenced:end], lines[end + fenced :]
    found = [(n, k) for n, k in enumerate(map(_KEY.match, header), start=1 + fenced) if k]
    load = front_matter.load_toml if fence == "+++" else front_matter.load
    try:
        meta = load("".join(header)) if fenced else {k[1]: k[2].strip() for _, k in found}
    except (ValueError, yaml.YAMLError) as error:  # TooBig and TOMLDecodeError are ValueErrors
        at = _TOML_AT.search(str(error))  # tomllib's message says where, 1-based in the header
        line = int(at[1]) - 1 if at else front_matter.error_line(error) or 0  # 0-based
        reason = _TOML_AT.sub(r" (column \2)", one_line(getattr(error, "problem", None) or error))
        fix = "" if isinstance(error, front_matter.TooBig) else f"; {FIX}"
        raise ValueError(f"{2 + line}: front matter: {reason}{fix}") from None
    if not isinstance(meta or {}, dict):
        raise ValueError(f"2: front matter: not a mapping of keys to values; {ONE_PER_LINE}")
    meta = {str(key).lower(): value for key, value in (meta or {}).items()}
    keys = {key[1].lower(): number for number, key in reversed(found)}  # the first of each
    return meta, "".join(body), len(lines) - len(body) + 1, keys


def as_datetime(value):
    """A front-matter date (datetime, date or text such as 'Jul 08 2022') as a
    naive datetime in the wall-clock time the old blog showed; None if no date."""
    found = value if isinstance(value, datetime) else schema.parse_date(str(value).strip())
    return found and found.replace(tzinfo=None)


def as_list(value, separator=","):
    """Tags or categories: a YAML list, or text split on `separator`."""
    items = value if isinstance(value, list) else str(value or "").split(separator)
    return [str(item).replace(",", " ").strip() for item in items if str(item).strip()]


def one_line(value):
    return " ".join(str(value).split())


def expand_permalink(pattern, when, slug, section="", categories=(), *, folder=""):
    """An old URL from a Hugo/Jekyll permalink pattern (:year, :title, ...)."""
    values = {
        "year": f"{when:%Y}", "month": f"{when:%m}", "day": f"{when:%d}",
        "title": slug, "slug": slug, "filename": slug, "folder": folder,
        "section": section, "output_ext": ".html",
        "categories": "/".join(schema.slug_for(c, DEFAULT_CONFIG) for c in categories),
    }  # fmt: skip
    url = re.sub(r":([a-z_]+)", lambda m: values.get(m.group(1), m.group(0)), pattern)
    return "/" + re.sub(r"/+", "/", url).lstrip("/")


def tags_of(meta, kind):
    """Categories first (this site has none: a category is a tag), then tags,
    once each; a generator's collection tags left out."""
    generator, unique = GENERATORS[kind], {}
    tags = as_list(meta.get("categories") or meta.get("category"))
    for tag in map(one_line, tags + as_list(meta.get("tags"), generator.separator)):
        if tag not in generator.collections:  # one_line: a line break would start a header line
            unique.setdefault(schema.slug_for(tag, DEFAULT_CONFIG), tag)  # once per URL
    return ", ".join(unique.values())


def read_config(path):
    """A generator's settings file as a dict. pelicanconf.py is not run (SOURCE
    is not trusted): only its constant assignments are read."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":  # within front matter's bounds of depth and aliases, at any length
        load = front_matter.load_toml if path.suffix == ".toml" else front_matter.load
        return load(text, max_chars=None) or {}
    found = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            with contextlib.suppress(ValueError):  # not a constant
                found[node.targets[0].id] = ast.literal_eval(node.value)
    return found


class Blog:
    """Where one generator's blog keeps its posts and static files, and its settings."""

    def __init__(self, source, kind):
        self.source, self.kind = source, kind
        g = self.generator = GENERATORS[kind]
        settings = [source / m for m in g.markers if m.endswith((".toml", ".yml", ".yaml", ".py"))]
        config = self.config = next((read_config(path) for path in settings if path.is_file()), {})
        folders = [source / f for f in ([config["PATH"]] if "PATH" in config else g.content)]
        self.content = next((folder for folder in folders if folder.is_dir()), folders[-1])
        self.static = [(self.content if f is None else source / f).resolve() for f in g.static]

    def post_files(self):
        sections = self.generator.sections
        skip = {*SKIPPED, *self.config.get("PAGE_PATHS", ["pages"])}
        for path in sorted(self.content.rglob("*.md")):
            parts = path.relative_to(self.content).parts
            if sections is not None and (len(parts) < 2 or (sections and parts[0] not in sections)):
                continue
            if path.name != "_index.md" and not skip & set(path.relative_to(self.source).parts):
                yield path

    def slug(self, post):
        stem = post.src.parent.name if post.src.stem == "index" else post.src.stem
        if "slug" in post.meta:
            return str(post.meta["slug"]).strip()
        if self.generator.titled:  # with the old blog's slug settings
            return schema.slug_for(str(post.meta.get("title", stem)), DEFAULT_CONFIG | self.config)
        return re.sub(r"^\d{4}-\d{2}-\d{2}-", "", stem) if self.generator.dated else stem

    def old_url(self, post, when):
        """(key, value as written, URL) of the URL the post had: its own
        permalink, else the generator's rules."""
        meta, parts = post.meta, post.src.relative_to(self.content).parts
        for key in (k for k in ("permalink", "url") if meta.get(k) and "{" not in str(meta[k])):
            return key, str(meta[key]), "/" + str(meta[key]).lstrip("/")  # as the source wrote it
        pattern = self.config.get(self.generator.setting)
        if isinstance(pattern, dict):  # Hugo's [permalinks], per section
            pattern = pattern.get(parts[0])
        pattern = JEKYLL_STYLES.get(p := str(pattern or self.generator.permalink), p)
        fields = dict(slug=post.slug, date=when, author=meta.get("author", ""), lang="en")
        try:  # Pelican's ARTICLE_URL has {fields}: those it cannot fill in give /<slug>.html
            pattern = pattern.format(**fields, category=str(meta.get("category", "misc")))
        except (KeyError, ValueError, IndexError, AttributeError):
            pattern = f"/{post.slug}.html"
        categories = as_list(meta.get("categories") or meta.get("category"), " ")
        folder = "/".join(parts[: -1 - (post.src.stem == "index")])  # then Hugo's, Jekyll's :tokens
        url = expand_permalink(pattern, when, post.slug, parts[0], categories, folder=folder)
        return "old URL", url, url


def read_post(blog, path, report, default_tags):
    """A source file as a Post with this site's fields, or None when it cannot
    be imported (`return notes.append(why)`: reported, and None)."""
    where, notes = path.relative_to(blog.source), report.notes
    if not path.resolve().is_relative_to(blog.source):
        why = f"a link to {path.resolve()}, outside the blog; not imported"
        return notes.append(f"{where}:1: {why} (copy the file into the blog if it is yours)")
    try:  # src, where (for the report), meta, body, body_line, lines: {lower-case key: line}
        read = split_front_matter(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        reason = one_line(getattr(error, "strerror", None) or error)
        return notes.append(f"{where}:1: cannot be read ({reason}); not imported")
    except ValueError as error:  # split_front_matter's: "line: front matter: why"
        return notes.append(f"{where}:{error}")
    post = SimpleNamespace(src=path, where=str(where), **dict(zip(POST_PARTS, read, strict=True)))
    meta, post.slug = post.meta, blog.slug(post)
    if not post.slug or re.search(r"[/\\\s\x00-\x1f\x7f]", post.slug):  # \s: every line break
        fix = f"cannot name a file; set slug: {schema.slug_suggestion(post.slug)}"
        return notes.append(f"{where}:{post.lines.get('slug', 1)}: Slug: {post.slug!r} {fix}")
    named = re.match(r"(\d{4}-\d{2}-\d{2})-", path.name)
    when = as_datetime(meta.get("date") or meta.get("pubdate") or (named and named.group(1)))
    if when is None:
        when = datetime.fromtimestamp(path.stat().st_mtime).replace(second=0, microsecond=0)
        notes.append(f"{where}:1: Date: none given; used the file's date {when:%Y-%m-%d}")
    key, written, post.old_url = blog.old_url(post, when)
    post.olds = [(key, written), *((k, v) for k in REDIRECT_KEYS for v in as_list(meta.get(k)))]
    if not (tags := tags_of(meta, blog.kind)):
        tags, fix = default_tags, "add a Tags: line to the imported post (or import again with"
        fix = f"given --tags {tags}" if tags else f"{fix} --tags for every post that has none)"
        notes.append(f"{where}:1: Tags: none; {fix}")
    post.fields = fields_of(post, when, tags, notes)
    return post


def fields_of(post, when, tags, notes):
    """This site's header fields of a post; the keys that gave none are reported."""
    meta, slug = post.meta, post.slug
    out = {"Title": one_line(meta.get("title") or slug), "Date": f"{when:%Y-%m-%d %H:%M}"}
    out |= {"Tags": tags, "Slug": slug}
    for key, value in meta.items():
        if FIELDS.get(key) and isinstance(value, str | date) and str(value).strip():
            out.setdefault(FIELDS[key], one_line(value))
    draft = meta.get("draft") is True or meta.get("published") is False
    status = "draft" if draft else str(meta.get("status", "")).strip().lower()
    out["Status"] = status if status in ("draft", "hidden") else ""
    modified = as_datetime(out.pop("Modified", None))
    if modified and modified >= when:
        out["Modified"] = f"{modified:%Y-%m-%d %H:%M}"
    for key, value in meta.items():  # what did not become a field is reported
        if FIELDS.get(key) == "Modified" and "Modified" not in out:
            why = "not a date after the post's date"
        elif key == "status" and str(value).lower() not in ("draft", "hidden", "published"):
            why = f"{value!r} is not draft or hidden"
        elif key not in HANDLED and FIELDS.get(key) not in out:
            why = "no field for it here"
        else:
            continue
        notes.append(f"{post.where}:{post.lines.get(key, 1)}: {key}: {why}; not imported")
    return out


def old_path_problem(value):
    """Why `value`, an old URL a post's front matter gives, cannot be the old
    path of a redirects.txt line, or None: it must be one path of this site."""
    if _SCHEME.match(value.lower()) or value.startswith("//") or "://" in value:
        return "another site's address; only a path of this site (/old/path/) redirects"
    if any(char.isspace() or not char.isprintable() for char in value):
        return "holds a space, tab, line break or control character; write one path, like /old/"
    if "*" in value or "/:" in value or "?" in value or "#" in value:
        return "has a wildcard, placeholder, query or fragment; write the plain path, like /old/"
    return None


def _liquid(match):
    """What a _LIQUID match becomes: a post's file, or nothing for the base URL."""
    return f"/_posts/{match['post']}.md" if match["post"] else match["ref"] or ""


def _url_key(path):
    return path.rstrip("/").removesuffix(".html")


class Rewriter:
    """Rewrites a post body's links and images for the new URL layout.
    `redirected`: the old paths (no trailing slash) the site already redirects."""

    def __init__(self, blog, posts, report, redirected=frozenset()):
        self.blog, self.report, self.redirected = blog, report, redirected
        self.by_file = {p.src.resolve(): p for p in posts}
        # A post is linked by any of its old URLs (aliases and redirect_from too), the first's.
        olds = [(old, p) for p in posts for _, old in p.olds if not old_path_problem(old)]
        self.by_url = {_url_key("/" + old.lstrip("/")): p for old, p in reversed(olds)}
        self.copies = {}  # source file -> target relative to the content folder

    def static_link(self, path, post, fragment=""):
        if path not in self.copies:
            roots = [*self.blog.static, self.blog.source]
            root = max((r for r in roots if path.is_relative_to(r)), key=lambda r: len(r.parts))
            relative, beside = path.relative_to(root), post.src.parent.resolve()
            if beside in path.parents and root != self.blog.static[0]:  # a page bundle's file
                relative = Path(post.slug) / path.relative_to(beside)
            while len(relative.parts) > 1 and relative.parts[0] in STATIC_FOLDERS:
                relative = Path(*relative.parts[1:])
            folder = "images" if path.suffix.lower() in schema.IMAGE_SUFFIXES else "extra"
            target = f"{folder}/{relative.as_posix()}"
            # Another file's place (in any case: one file on macOS): keep its whole path.
            if target.casefold() in {taken.casefold() for taken in self.copies.values()}:
                target = f"{folder}/{path.relative_to(self.blog.source).as_posix()}"
            self.copies[path] = target
        return f"{{static}}/{self.copies[path]}{fragment}"

    def target(self, url, post):
        """The rewritten reference for `url`; None to leave it as it is, False
        when it is not found."""
        if url.startswith(("#", "//", "{static}/", "{filename}/posts/")) or _SCHEME.match(url):
            return None
        parts = urlsplit(_PELICAN_LINK.sub(r"\2", url))  # {static}, {filename}: a path too
        path, fragment = unquote(parts.path), f"#{parts.fragment}" * bool(parts.fragment)
        if not path:
            return None
        old = posixpath.normpath(posixpath.join(posixpath.dirname(post.old_url), path))
        linked = self.by_url.get(_url_key(old))
        candidates = [] if path.startswith("/") else [post.src.parent / path]
        candidates += [r / old.lstrip("/") for r in [*self.blog.static, self.blog.content]]
        for candidate in map(Path.resolve, candidates):
            if linked := linked or self.by_file.get(candidate):
                return f"{{filename}}/posts/{linked.slug}.md{fragment}"
            # Only files of the blog itself, never a page's source or a path out of SOURCE.
            inside = candidate.is_relative_to(self.blog.source)
            if candidate.is_file() and candidate.suffix != ".md" and inside:
                return self.static_link(candidate, post, fragment)
        # A path the site already redirects is kept (the build links where the
        # redirect leads), root-relative since the post moves to /posts/<slug>/.
        if (old.rstrip("/") or "/") not in self.redirected:
            return False
        self.report.redirected += 1
        kept = old + "/" * (path.endswith("/") and old != "/") + fragment
        return None if kept == url else kept

    def text(self, post):
        """The post's new file: its header, then its body converted line by line,
        fenced code left as it is."""
        out, fenced = [], False
        for number, line in enumerate(post.body.splitlines(keepends=True), start=post.body_line):
            fenced ^= (fence := bool(_FENCE.match(line)))
            out.append(line if fenced or fence else self.line(line, number, post))
        header = "".join(f"{key}: {value}\n" for key, value in post.fields.items() if value)
        return f"{header}\n{''.join(out).lstrip(chr(10))}"

    def line(self, text, number, post):
        """One body line with its links rewritten; what is left is reported."""
        where, notes = f"{post.where}:{number}", self.report.notes

        def resolve(url, image=False):
            """The new reference for `url` (counted), or None; a missing file, and
            an image from another site, are reported."""
            if image and _REMOTE.match(url):
                notes.append(f"{where}: {url}: {CSP}")
            if (new := self.target(url, post)) is False:
                notes.append(f"{where}: {url}: not found in the source; fix the link")
            self.report.links += bool(new)
            return new or None

        def inline(match):
            if not (url := match["ref"] or match["link"]):
                return "&lt;" if match["lt"] else match[0]
            return match[0][: -len(url)] + (resolve(url.strip("<>"), match["image"]) or url)

        text = _LIQUID.sub(_liquid, text)
        # Raw HTML's start tags, found by a parser (code spans blanked); only the
        # characters of a src= or href= value change, as redirects rewrites links.
        masked, edits = _CODE_SPAN.sub(lambda m: " " * len(m[0]), text), []
        parse = {"fragment": True, "sanitize": False, "track_node_locations": True}
        tree = "<" in masked and JustHTML(masked, **parse)
        for node in tree.query("[src], [href]") if tree else ():
            for name, start, end, mark in attribute_spans(masked, node.origin_offset):
                image = node.name == "img" and name == "src"  # attrs[name]: "" if no value
                if name in ("src", "href") and (new := resolve(node.attrs[name], image)):
                    edits.append((start - len(mark), end + len(mark), f'"{html.escape(new)}"'))
        text = _INLINE.sub(inline, splice(text, edits))
        for left in _TEMPLATE.findall(text):
            notes.append(f"{where}: {left}: template code is not run here; rewrite it in Markdown")
        return text


def unique_slugs(posts, report):
    """One file name on two dates (Jekyll): the later post's slug gets its date,
    and its old URL still redirects to it. Problems: two posts that set one slug."""
    taken, problems = {}, []
    for post in posts:
        if post.slug in taken and "slug" not in post.meta:
            new = f"{post.slug}-{post.fields['Date'][:10]}"
            why = f"{post.slug!r} is also {taken[post.slug]}'s; imported as {new!r}"
            report.notes.append(f"{post.where}:1: Slug: {why}, its old URL redirects there")
            post.slug = post.fields["Slug"] = new
        if post.slug in taken:
            why = f"{post.slug!r} is also {taken[post.slug]}'s; set another slug: in one of them"
            problems.append(f"{post.where}:1: Slug: {why}")
        taken.setdefault(post.slug, post.where)
    return problems


def hero_image(post, rewriter, notes):
    """A hero image (cover, image, …) becomes the post's Image:, its file copied."""
    for key in (k for k in IMAGE_KEYS if post.meta.get(k)):
        where = f"{post.where}:{post.lines.get(key, 1)}: {key}"
        found = rewriter.target(str(post.meta[key]), post)
        if not found:
            fix = "not found" if found is False else "download it into content/images/"
            notes.append(f"{where}: {fix}; then add Image: {{static}}/images/…")
        elif Path(found).suffix.lower() not in schema.IMAGE_TYPES or "Image" in post.fields:
            notes.append(f"{where}: copied to {found[8:]}; not used as Image:")
        elif schema.has_line_break(found) or schema.CONTROL.search(found):  # a forged line
            notes.append(f"{where}: {found[8:]!r}: a line break in its name; not used as Image:")
        else:
            post.fields["Image"] = found


def redirect_lines(posts, known, notes):
    """ "OLD NEW" for each post's old URLs, except a path that is already its
    new one or already redirected (`known`: unquoted, no trailing slash), and a value that
    is not one path of this site: each is reported, with its line."""
    found = []
    for post in posts:
        new, seen = f"/posts/{post.slug}/", set()
        for key, value in post.olds:
            where, old = f"{post.where}:{post.lines.get(key, 1)}", "/" + value.lstrip("/")
            path = unquote(old).rstrip("/") or "/"  # as redirect_map spells it
            if why := old_path_problem(value):
                notes.append(f"{where}: {key}: {value!r}: {why}; not added")
            elif old in seen or old.rstrip("/") == new.rstrip("/"):
                continue
            elif path in known:
                notes.append(f"{where}: {old}: already redirected; not added")
            elif post.fields.get("Status") == "draft":  # no page in production to redirect to
                notes.append(f"{where}: {old}: no redirect to a draft; add it later")
            else:
                found.append(f"{old} {new}")
                known.add(path)
            seen.add(old)
    return found


def clashes(writes, origins, content):
    """Problems of the planned files (`origins`: {target: "source file:line:
    field"}): a different file already at one's place, or two names (planned or
    already in the folder) that differ only in case: one file on a
    case-insensitive disk (macOS, Windows), so one would overwrite the other."""
    fix = "one file on a case-insensitive disk (macOS, Windows); give one of them another name"
    seen, problems = {}, []
    for folder in sorted({target.parent for target in writes}):
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            shown = path.relative_to(content).as_posix()
            seen[shown.casefold()] = (shown, f"{content.name}/{shown}, already there")
    for target, what in writes.items():
        shown = target.relative_to(content).as_posix()
        first, whence = seen.setdefault(shown.casefold(), (shown, origins[target].split(": ")[0]))
        if first != shown:
            problems.append(
                f"{origins[target]}: {shown} and {first} ({whence}) differ only in case; {fix}"
            )
        elif target.exists() and not (isinstance(what, Path) and filecmp.cmp(target, what, False)):
            problems.append(f"{target}: already exists; not overwritten (move it away first)")
    return problems


def redirected_paths(redirects_file):
    """The old paths (unquoted, no trailing slash) a redirects.txt already
    redirects; its bad lines are the build's to report."""
    text = redirects_file.read_text("utf-8") if redirects_file.is_file() else ""
    return set(redirect_map(parse_rules(text, redirects_file.name)[0]))


def plan_import(source, content, kind=None, tags=""):
    """({target path: text or source file}, Report, format)."""
    source, content = Path(source).resolve(), Path(content).resolve()
    if not source.is_dir():
        raise ImportRefused([f"{source}: not a folder; give the blog's top folder"])
    kind, report = kind or detect(source), Report()
    try:
        blog = Blog(source, kind)
    except (ValueError, yaml.YAMLError, SyntaxError) as error:
        raise ImportRefused([f"{source}: its {kind} settings: {one_line(error)}"]) from None
    default_tags = tags_of({"tags": tags}, "hugo")  # comma-separated, as Hugo's
    posts = [p for p in (read_post(blog, f, report, default_tags) for f in blog.post_files()) if p]
    problems = unique_slugs(posts, report)
    for skipped in sorted([*blog.content.rglob("*.mdx"), *blog.content.rglob("*.rst")]):
        report.notes.append(f"{skipped.relative_to(source)}:1: not imported: Markdown only")
    known = redirected_paths(content / "redirects.txt")
    rewriter = Rewriter(blog, posts, report, frozenset(known))
    for post in posts:
        hero_image(post, rewriter, report.notes)
    writes, origins = {}, {}
    for post, target in ((p, content / "posts" / f"{p.slug}.md") for p in posts):
        writes[target] = rewriter.text(post)
        origins[target] = f"{post.where}:{post.lines.get('slug', 1)}: Slug"
    for origin, target in rewriter.copies.items():
        writes[content / target] = origin
        origins[content / target] = origin.relative_to(source).as_posix()
    report.posts, report.copied = posts, list(rewriter.copies.values())
    problems += clashes(writes, origins, content)
    report.redirects = redirect_lines(posts, known, report.notes)
    if problems:
        raise ImportRefused(problems)
    return writes, report, kind


def import_blog(source, content, kind=None, tags=""):
    """Import a blog into `content`; returns (Report, format). Writes nothing
    and raises ImportRefused when a file would be overwritten."""
    writes, report, kind = plan_import(source, content, kind, tags)
    for target, what in writes.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(what, str):
            target.write_text(what, encoding="utf-8")
        elif not target.exists():
            shutil.copyfile(what, target)
    if report.redirects:
        redirects = Path(content) / "redirects.txt"  # added after its last line
        lines = [redirects.read_text("utf-8").rstrip("\n")] if redirects.is_file() else []
        redirects.write_text("\n".join([*filter(None, lines), *report.redirects, ""]), "utf-8")
    return report, kind

"""`/llms.txt` (llmstxt.org: the site's name, tagline and a "Posts" list) and
each published post's Markdown beside its page (`posts/<slug>/index.md`), its
Pelican header replaced by a title and a plain date line, and without what
the page hides: HTML comments and reference definitions no link uses (the
`[//]: # (note)` idiom). Which those are, Python-Markdown decides: a candidate
goes only if the page renders the same without it, so one in a code span or
fence (shown text there) stays. Drafts, hidden and future-dated posts get
neither file. (Named for_llms: a plugin named llms_txt would be shadowed by the
llms-txt package wherever that is installed.)"""

import logging
import posixpath
import re
from datetime import UTC, datetime
from pathlib import Path

from bs4 import BeautifulSoup, Comment
from markdown import Markdown
from markdown.blockprocessors import ReferenceProcessor
from pelican import signals
from pelican.readers import MarkdownReader

from plugins.headings.headings import splice
from sitetools.build.cache import is_partial_build

logger = logging.getLogger(__name__)

# Where the index goes (output_paths reserves it), and its list's heading.
SAVE_AS, SECTION = "llms.txt", "Posts"
# The notes between the blockquote and the list (the llms-txt parser, too,
# reads a blockquote only when something follows it).
INFO = (
    "Each post below links its Markdown, the text as the author wrote it; "
    "the post's page is the same address without `index.md`."
)

# A {static}, {filename} or {attach} link (or its |old| form) where Markdown or
# HTML puts a URL: `](`, a reference definition `]: `, or href= / src=.
_LINK = re.compile(
    r"""(?P<lead>\]\(\s*<?|^\s{0,3}\[[^\]]+\]:\s*<?|\b(?:href|src)=["']?)"""
    r"""[{|](?P<what>static|filename|attach)[}|](?P<path>[^\s)>"']+)""",
    re.MULTILINE,
)
# What may be hidden text: an HTML comment, and a reference definition (by
# Python-Markdown's own pattern). Only candidates: the renderer decides.
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# Python-Markdown's header reader, which ends a header where Pelican's reader does.
_META = "markdown.extensions.meta"
_HEADER = Markdown(extensions=[_META]).preprocessors["meta"]
# Renders of one post tried to tell hidden candidates from shown ones.
MAX_RENDERS = 64


def is_published(status, date, now):
    """A post readers may see now: not a draft, not hidden, not dated after `now`."""
    return status == "published" and not (date and date.replace(tzinfo=date.tzinfo or UTC) > now)


def markdown_body(text):
    """A Markdown source without its header, cut where Python-Markdown's meta
    extension (Pelican's reader uses it) stops reading one."""
    lines = text.lstrip("\ufeff").split("\n")
    return "\n".join(_HEADER.run(lines)).strip("\n")


def hidden_candidates(body):
    """(start, end) spans of `body` that may be hidden on the page: HTML
    comments and reference definitions, widened to their whole lines when
    nothing else is on them; overlapping ones merged away (the first wins)."""
    found = [m.span() for m in _HTML_COMMENT.finditer(body)]
    found += [m.span() for m in ReferenceProcessor.RE.finditer(body)]
    spans = []
    for first, last in sorted(found):
        line_start = body.rfind("\n", 0, first) + 1
        line_end = body.find("\n", last)
        line_end = len(body) if line_end < 0 else line_end
        whole = not body[line_start:first].strip() and not body[last:line_end].strip()
        start, end = (line_start, min(line_end + 1, len(body))) if whole else (first, last)
        if not spans or start >= spans[-1][1]:
            spans.append((start, end))
    return spans


def cut(body, spans):
    """`body` without the text of `spans` (not overlapping)."""
    return splice(body, [(start, end, "") for start, end in spans])


def shown(html):
    """What a reader gets of rendered HTML: its markup and text without
    comments or whitespace (a removed hidden line changes only whitespace)."""
    soup = BeautifulSoup(html, "html.parser")
    for comment in soup.find_all(string=lambda text: isinstance(text, Comment)):
        comment.extract()
    return "".join(str(soup).split())


def without_hidden(body, render, max_renders=MAX_RENDERS):
    """(`body` without the candidates the page hides, whether every candidate
    was decided). `render(text)` is the page's Markdown renderer: a group of
    candidates goes when the page shows the same without it, else it is split
    in halves; past `max_renders` the undecided ones stay."""
    spans = hidden_candidates(body)
    if not spans:
        return body, True
    page, renders, hidden = shown(render(body)), [1], []

    def same_without(group):
        renders[0] += 1
        return shown(render(cut(body, [*hidden, *group]))) == page

    todo = [spans]
    while todo and renders[0] < max_renders:
        group = todo.pop()
        if same_without(group):
            hidden += group
        elif len(group) > 1:
            todo += [group[len(group) // 2 :], group[: len(group) // 2]]
    # The last group kept was tried together with every one kept before it.
    return cut(body, hidden), not todo


def page_renderer(settings):
    """text -> HTML by the site's Markdown settings, as the page's body is
    rendered: Python-Markdown's own extensions only (the header is already cut
    off, so no meta; a plugin's fences, such as charts, render as code, whose
    comments are kept)."""
    config = settings.get("MARKDOWN") or {}
    options = config.get("extension_configs") or {}
    names = [n for n in dict.fromkeys([*config.get("extensions", ()), *options])
             if str(n).startswith("markdown.extensions.") and n != _META]  # fmt: skip
    configs = {n: options[n] for n in names if n in options}
    markdown = Markdown(extensions=names, extension_configs=configs,
                        output_format=config.get("output_format", "html5"))  # fmt: skip

    def render(text):
        markdown.reset()
        return markdown.convert(text)

    return render


def resolve_links(body, source_dir, targets, siteurl):
    """`body` with each {static}/{filename} link made the site URL of its file.
    `targets`: {path relative to the content folder: url}; a link to no known file stays."""

    def replace(match):
        path = match["path"]
        wanted = path[1:] if path.startswith("/") else posixpath.join(source_dir, path)
        wanted, _, rest = posixpath.normpath(wanted).replace("%20", " ").partition("#")
        url = targets.get(wanted)
        if url is None:
            return match[0]
        return match["lead"] + f"{siteurl}/{url}" + (f"#{rest}" if rest else "")

    return _LINK.sub(replace, body)


def post_markdown(title, published, tags, body):
    """A post as plain Markdown: its title, a date and tags line, its body."""
    line = f"Published {published}" + (f" · {', '.join(tags)}" if tags else "")
    return f"# {title}\n\n{line}\n\n{body}\n"


def link_text(text):
    """Text safe inside [...] for Markdown and the llms.txt parser (no brackets)."""
    return " ".join(str(text).split()).replace("[", "&#91;").replace("]", "&#93;")


def llms_txt(name, tagline, posts, section=SECTION):
    """The llms.txt file: `posts` as (title, url, one-line summary)."""
    lines = [f"# {name}", "", f"> {' '.join(tagline.split())}", "", INFO, "", f"## {section}", ""]
    for title, url, summary in posts:
        lines.append(
            f"- [{link_text(title)}]({url.replace(')', '%29')})"
            + (f": {summary}" if summary else "")
        )
    return "\n".join(lines) + "\n"


def annotate(generator):
    """Each post a reader may see now, written from Markdown, gets `markdown_path`,
    which the page's head links."""
    now, markdown = datetime.now(UTC), set(MarkdownReader.file_extensions)
    for article in generator.articles:
        date, suffix = getattr(article, "date", None), article.source_path.rsplit(".", 1)[-1]
        readable = is_published(article.status, date, now) and suffix in markdown
        if readable and (path := article.save_as):  # Pelican formats it on each read: once
            article.markdown_path = posixpath.splitext(path)[0] + ".md"  # posts/x/index.md


def write(generator, writer):
    """Write each published post's Markdown and llms.txt."""
    settings, context = generator.settings, generator.context
    if is_partial_build():  # the preview's fast pass: the full build after it writes them
        return
    siteurl = settings["SITEURL"].rstrip("/")
    targets = {
        path: content.url
        for kind in ("generated_content", "static_content")
        for path, content in (context.get(kind) or {}).items()
        if getattr(content, "url", None) is not None
    }
    output, posts, render = Path(writer.output_path), [], page_renderer(settings)
    for article in generator.articles:
        relative = getattr(article, "markdown_path", None)  # set by annotate(): the head links it
        if not relative:
            continue
        body = markdown_body(Path(article.source_path).read_text(encoding="utf-8"))
        body, decided = without_hidden(body, render)
        if not decided:
            logger.warning(
                "%s: comments the page hides could not all be told from shown text; "
                "%s keeps them: remove the comments or fewer of them",
                article.relative_source_path,
                relative,
            )
        source_dir = posixpath.dirname(article.relative_source_path.replace("\\", "/"))
        body = resolve_links(body, source_dir, targets, siteurl)
        tags = [tag.name for tag in getattr(article, "tags", None) or ()]
        text = post_markdown(article.title, article.locale_date, tags, body)
        (output / relative).parent.mkdir(parents=True, exist_ok=True)
        (output / relative).write_text(text, encoding="utf-8")
        summary = getattr(article, "one_line_summary", "")
        posts.append((article.title, f"{siteurl}/{relative}", summary))
    text = llms_txt(settings["SITENAME"], settings.get("SITE_TAGLINE") or "", posts)
    (output / SAVE_AS).write_text(text, encoding="utf-8")


def register():
    # The articles are final (drafts already listed in the preview), before any page is written.
    signals.article_generator_finalized.connect(annotate)
    # Every post's page is out, with its URL, summary and linked files known.
    signals.article_writer_finalized.connect(write)

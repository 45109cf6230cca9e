"""The one shape of what the site draws at build time (charts, diagrams, math):
Markdown leaves a placeholder, and once every source is read (content_guard has
judged the author's raw HTML) the plugin makes each one's HTML, from the one
cache, and `substitute` puts it in place or fails the build listing every problem.
Fenced blocks of one language are found with Markdown's fenced_code pattern."""

from pathlib import Path

from markdown.extensions import Extension
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.preprocessors import Preprocessor

from sitetools.build.builder import BuildError
from sitetools.build.options import plugin_options
from sitetools.content.contents import body, set_body
from sitetools.content.files import display_path

# Markdown's own fenced_code pattern (read, never changed): a fence is what it draws as one.
_FENCE = FencedBlockPreprocessor.FENCED_BLOCK_RE


def fences(lines, language):
    """[(first, last, body lines)] of the fences of `language` in `lines`, skipping
    those shown inside another fenced block (a Markdown example of one)."""
    text, found = "\n".join(lines), []
    for match in _FENCE.finditer(text):
        if match.group("lang") == language:
            first = text.count("\n", 0, match.start())
            last = first + match.group(0).count("\n")
            found.append((first, last, lines[first + 1 : last]))
    return found


class FenceExtension(Extension, Preprocessor):
    """A Markdown extension that is its own preprocessor: each fence of `language`
    becomes the stashed placeholder `mark.format(n)` for the n-th (from 1)."""

    def __init__(self, language, mark, **kwargs):
        super().__init__(**kwargs)  # Markdown's Extension: its configuration
        self.language, self.mark = language, mark

    def extendMarkdown(self, md):  # Markdown's name
        self.md = md
        # Before fenced_code (25), after meta (27) has taken the header.
        md.preprocessors.register(self, f"{self.language}-fences", 26)

    def run(self, lines):
        found = list(enumerate(fences(lines, self.language), start=1))
        for number, (first, last, _) in reversed(found):
            lines[first : last + 1] = ["", self.md.htmlStash.store(self.mark.format(number)), ""]
        return lines


def fenced(contents, language, mark=None):
    """[(content, placeholder, number, "file", line, fence lines)] of every fence
    of `language` in `contents` (only those whose body holds `mark`'s placeholders)."""
    found = []
    for content in contents:
        if mark is None or mark.format(1) in body(content):
            lines = Path(content.source_path).read_text(encoding="utf-8-sig").splitlines()
            where = display_path(content.source_path)
            found += [
                (content, mark and mark.format(number), number, where, first + 1, fence)
                for number, (first, _, fence) in enumerate(fences(lines, language), start=1)
            ]
    return found


def substitute(found, results):
    """Put each result's HTML where its placeholder is (`found`: [(content,
    placeholder, …)], `results`: [(HTML, [problem])]); fail listing every problem."""
    problems = []
    for (content, placeholder, *_), (made, trouble) in zip(found, results, strict=True):
        problems += trouble
        set_body(content, body(content).replace(placeholder, made, 1))
    if problems:
        raise BuildError(problems)


def in_use(settings, name):
    """Signals outlive a build: act only for a site whose PLUGINS lists plugin `name`."""
    return any(str(plugin).rsplit(".", 1)[-1] == name for plugin in settings.get("PLUGINS") or ())


def options_of(settings, name, defaults, logger):
    """`defaults` overlaid with the site's settings[name]. An unusable key is logged
    as an error (which fails the build, with every other problem) and its default used."""
    options, problems = plugin_options(settings, name, defaults)
    for problem in problems:
        logger.error("%s", problem)
    return options

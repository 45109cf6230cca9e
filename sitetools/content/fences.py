"""Fenced blocks of one language in a Markdown source's lines, found the way
Markdown's fenced_code finds them, for plugins that draw a fence (charts, diagrams)."""

import re

from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)")


def fences(lines, language):
    """[(first, last, body lines)] of the fences of `language` in `lines`, skipping
    those shown inside another fenced block (a Markdown example of one)."""
    found, open_at, marker, wanted = [], None, "", False
    for index, line in enumerate(lines):
        match = _FENCE.match(line)
        if open_at is None and match:
            open_at, marker, wanted = index, match.group(1), match.group(2) == language
        elif open_at is not None and re.fullmatch(
            rf" {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}\s*", line
        ):
            if wanted:
                found.append((open_at, index, lines[open_at + 1 : index]))
            open_at = None
    return found


class FencePlaceholders(Preprocessor):
    """Each fence of `language` becomes a stashed placeholder, `mark.format(n)`
    for the n-th (from 1), which the plugin replaces once every source is read."""

    def __init__(self, md, language, mark):
        super().__init__(md)
        self.language, self.mark = language, mark

    def run(self, lines):
        found = list(enumerate(fences(lines, self.language), start=1))
        for number, (first, last, _) in reversed(found):
            lines[first : last + 1] = ["", self.md.htmlStash.store(self.mark.format(number)), ""]
        return lines


class FenceExtension(Extension):
    """A Markdown extension for one fence language: subclasses set `language` and `mark`."""

    language = mark = ""

    def extendMarkdown(self, md):  # Markdown's name
        # Before fenced_code (25), after meta (27) has taken the header.
        placeholders = FencePlaceholders(md, self.language, self.mark)
        md.preprocessors.register(placeholders, f"{self.language}-fences", 26)

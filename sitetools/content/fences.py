"""Fenced blocks of one language in a Markdown source's lines, found the way
Markdown's fenced_code finds them, for plugins that draw a fence (charts, diagrams)."""

import re

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

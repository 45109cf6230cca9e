"""Files named in messages as the author would type them, and found by line."""

import os


def display_path(path):
    """A path as the author would type it: relative to the working directory
    when it is under it, else absolute. A link at its end is not followed,
    so a message names the link, not its target."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, os.getcwd())
    return absolute if relative.startswith("..") else relative


def line_where(source_path, found, header_only=False, default=1):
    """The first line number of a source (of its header if `header_only`) where
    `found(line)` holds, or `default`."""
    try:
        with open(source_path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if header_only and not line.strip():
                    break
                if found(line):
                    return number
    except OSError:
        pass
    return default


def header_line(source_path, field):
    """The line of `field:` (any case) in a source's header, or 1."""
    return line_where(
        source_path, lambda text: text.split(":", 1)[0].strip().lower() == field, True
    )

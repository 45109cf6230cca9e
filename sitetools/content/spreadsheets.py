"""Cells a spreadsheet would run as formulas ("CSV injection", OWASP): a cell
that starts with =, +, - or @, after any tabs, carriage returns or spaces, and is
not a plain number. The site publishes a CSV as the author wrote it and warns."""

import contextlib
import csv
import io
import re

TRIGGERS = "=+-@"
# A plain number a spreadsheet reads as data: -3.5, +1, 1,234.5, -1e-3, 12%.
_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")
SHOWN = 5  # cells named one by one in a file's warnings; the rest are counted


def formula_like(cell):
    """Whether a spreadsheet opening the CSV would take `cell` for a formula."""
    text = cell.lstrip("\t\r\n ")
    if not text or text[0] not in TRIGGERS or text in ("+", "-"):
        return False
    return text[0] in "=@" or not _NUMBER.fullmatch(text.rstrip())


def formula_cells(text):
    """[(line, column, cell)] of the cells of CSV `text` that open as formulas:
    the line a row starts on, and the column's header name ("header" for the
    header row's own cells). A CSV that does not parse gives what came before."""
    reader = csv.reader(io.StringIO(text, newline=""))
    found, header, line = [], None, 1
    with contextlib.suppress(csv.Error):
        for row in reader:
            for index, cell in enumerate(row):
                if formula_like(cell):
                    named = header is not None and index < len(header)
                    column = f'column "{header[index]}"' if named else f"column {index + 1}"
                    found.append((line, "header" if header is None else column, cell))
            header = row if header is None else header
            line = reader.line_num + 1
    return found


def formula_warnings(shown_path, text):
    """Warning lines (`file:line: column: …`) for the formula cells of a published CSV."""
    found = formula_cells(text)
    lines = [
        f"{shown_path}:{line}: {column}: {cell.strip()[:40]!r} opens as a formula in a "
        "spreadsheet; it is published as written: check it, and if it is text, "
        "start it with an apostrophe (')"
        for line, column, cell in found[:SHOWN]
    ]
    if len(found) > SHOWN:
        lines.append(f"{shown_path}: {len(found) - SHOWN} more cells like these")
    return lines

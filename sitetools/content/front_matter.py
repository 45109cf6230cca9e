"""YAML front matter read within bounds, by every part of the site that reads it
(content_guard before any reader, and `invoke import`).

PyYAML's safe loader runs no code, but an alias repeats its anchor's whole
value: twenty lines of `&a [*b, *b, …]` (the "billion laughs") build a value of
billions of entries, and whatever walks it next (flattening a list, printing
it) runs until the machine runs out of memory. Nesting a thousand lists deep
overflows the composer's recursion instead. So the YAML's events are read
first, without building anything: its size, its depth and the size it has with
every alias expanded are counted there (each anchor's size noted once), and
only front matter within the bounds is composed.
"""

import tomllib

import yaml

# A post's front matter is a title, a date, a summary and a few lists: these
# bounds are far above any real one.
MAX_CHARS = 100_000  # characters of YAML
MAX_DEPTH = 20  # lists and mappings inside each other
# What aliases may make of it: values (one per list, mapping or scalar) and
# characters of text, counted with every alias expanded.
MAX_EXPANDED_VALUES = 10_000
MAX_EXPANDED_CHARS = 4 * MAX_CHARS

BOUND = "too many aliases or too deep"
ALIAS_FIX = "write each value out instead of repeating an &anchor with *aliases"
DEPTH_FIX = "write plain key: value lines, with lists of text"


class TooBig(ValueError):
    """Front matter past a bound; `line` is 0-based in the YAML text."""

    def __init__(self, line, message):
        self.line = line
        super().__init__(message)


def _too_big(mark, why, fix=ALIAS_FIX):
    return TooBig(mark.line, f"{BOUND} ({why}); {fix}")


def check_size(text, max_chars=MAX_CHARS):
    """Raise TooBig if front matter `text` is longer than `max_chars` (None: any length)."""
    if max_chars is not None and len(text) > max_chars:
        raise TooBig(
            0,
            f"{len(text):,} characters, more than the {max_chars:,} front matter may hold; "
            "move long text into the post's body",
        )


def check_bounds(text, max_chars=MAX_CHARS):
    """Raise TooBig if YAML `text` is too long, nests too deep, or its aliases
    expand it past the bounds. Syntax errors are left to the composer."""
    check_size(text, max_chars)
    # Per open list or mapping: [anchor, values, characters]; the document's at the bottom.
    open_nodes = [[None, 0, 0]]
    anchors = {}  # anchor -> (values, characters) of its whole value
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            if len(open_nodes) > MAX_DEPTH:
                raise _too_big(event.start_mark, f"nested more than {MAX_DEPTH} deep", DEPTH_FIX)
            open_nodes.append([event.anchor, 1, 0])
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, values, chars = open_nodes.pop()
        elif isinstance(event, yaml.ScalarEvent):
            anchor, values, chars = event.anchor, 1, len(event.value)
        elif isinstance(event, yaml.AliasEvent):
            if any(node[0] == event.anchor for node in open_nodes):
                raise _too_big(
                    event.start_mark, f"the alias *{event.anchor} is inside its own anchor"
                )
            anchor, (values, chars) = None, anchors.get(event.anchor, (0, 0))
        else:
            continue
        if anchor is not None:
            anchors[anchor] = (values, chars)
        parent = open_nodes[-1]
        parent[1] += values
        parent[2] += chars
        if parent[1] > MAX_EXPANDED_VALUES or parent[2] > MAX_EXPANDED_CHARS:
            expanded = (
                f"{MAX_EXPANDED_VALUES:,} values"
                if parent[1] > MAX_EXPANDED_VALUES
                else f"{MAX_EXPANDED_CHARS:,} characters"
            )
            raise _too_big(event.start_mark, f"its aliases expand it past {expanded}")


def compose(text, max_chars=MAX_CHARS):
    """The node graph of YAML `text` (yaml.SafeLoader's), or None for an empty
    document. Raises TooBig past a bound, yaml.YAMLError if it does not parse."""
    check_bounds(text, max_chars)
    return yaml.compose(text, Loader=yaml.SafeLoader)


def construct(node):
    """The Python value of a node compose() returned: what yaml.safe_load gives."""
    return None if node is None else yaml.SafeLoader("").construct_document(node)


def load(text, max_chars=MAX_CHARS):
    """yaml.safe_load within the bounds (a settings file passes max_chars=None):
    raises TooBig or yaml.YAMLError."""
    return construct(compose(text, max_chars))


def load_toml(text, max_chars=MAX_CHARS):
    """TOML front matter (Hugo's +++) as tomllib reads it, within the same size
    and depth (TOML has no aliases). tomllib recurses once per nested array or
    table, so a deep one raises RecursionError, reported as too deep (its line
    unknown: 0). Raises TooBig, or tomllib.TOMLDecodeError if it does not parse."""
    check_size(text, max_chars)
    too_deep = f"{BOUND} (nested more than {MAX_DEPTH} deep); {DEPTH_FIX}"
    try:
        value = tomllib.loads(text)
    except RecursionError:
        raise TooBig(0, too_deep) from None
    collections = [(value, 1)]  # (a table or array, how many hold it, itself included)
    while collections:
        found, depth = collections.pop()
        if depth > MAX_DEPTH:
            raise TooBig(0, too_deep)
        inside = found.values() if isinstance(found, dict) else found
        collections += [(item, depth + 1) for item in inside if isinstance(item, dict | list)]
    return value


def error_line(error):
    """The 0-based line in the YAML text where `error` (TooBig or a
    yaml.YAMLError) was found, or None when it names none."""
    if isinstance(error, TooBig):
        return error.line
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line if mark else None

"""YAML front matter read within bounds, by every part of the site that reads it
(content_guard before any reader, and `invoke import`).

PyYAML's safe loader runs no code, but an alias repeats its anchor's whole
value: twenty lines of `&a [*b, *b, …]` (the "billion laughs") build a value of
billions of entries, and whatever walks it next (flattening a list, printing
it) runs until the machine runs out of memory. Nesting a thousand lists deep
overflows the composer's recursion instead. So the text's size is checked
first, then its depth from the YAML's events (building nothing); the composed
node graph holds each anchor once, and its size with every alias expanded is
counted over it (each node once) before any value is built from it.
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
TOO_DEEP = f"{BOUND} (nested more than {MAX_DEPTH} deep); {DEPTH_FIX}"


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


def _expanded(node, sizes):
    """(values, characters) of a composed YAML node with every alias expanded,
    each list or mapping counted once (`sizes`: id -> its size, None while it
    is counted); raise TooBig past a bound."""
    if isinstance(node, yaml.ScalarNode):
        return 1, len(node.value)
    if (size := sizes.get(id(node), ())) is None:  # met again inside itself
        raise _too_big(node.start_mark, "an alias is inside its own anchor")
    if not size:
        sizes[id(node)] = None
        pairs = node.value if isinstance(node, yaml.MappingNode) else [(c,) for c in node.value]
        found = [_expanded(child, sizes) for pair in pairs for child in pair]
        size = sizes[id(node)] = (1 + sum(v for v, _ in found), sum(c for _, c in found))
        if size[0] > MAX_EXPANDED_VALUES or size[1] > MAX_EXPANDED_CHARS:
            past = f"{MAX_EXPANDED_VALUES:,} values" if size[0] > MAX_EXPANDED_VALUES else ""
            past = past or f"{MAX_EXPANDED_CHARS:,} characters"
            raise _too_big(node.start_mark, f"its aliases expand it past {past}")
    return size


def compose(text, max_chars=MAX_CHARS):
    """The node graph of YAML `text` (yaml.SafeLoader's), or None for an empty
    document. Raises TooBig past a bound, yaml.YAMLError if it does not parse.
    The depth is read from the events first (the composer recurses, and would
    overflow on a thousand nested lists); an alias is one shared node."""
    check_size(text, max_chars)
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        depth += isinstance(event, yaml.CollectionStartEvent)
        depth -= isinstance(event, yaml.CollectionEndEvent)
        if depth > MAX_DEPTH:
            raise _too_big(event.start_mark, f"nested more than {MAX_DEPTH} deep", DEPTH_FIX)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        _expanded(root, {})
    return root


def load(text, max_chars=MAX_CHARS):
    """yaml.safe_load within the bounds (a settings file passes max_chars=None):
    raises TooBig or yaml.YAMLError."""
    root = compose(text, max_chars)
    return None if root is None else yaml.SafeLoader("").construct_document(root)


def load_toml(text, max_chars=MAX_CHARS):
    """TOML front matter (Hugo's +++) as tomllib reads it, within the same size
    and depth (TOML has no aliases). tomllib recurses once per nested array or
    table, so a deep one raises RecursionError, reported as too deep (its line
    unknown: 0). Raises TooBig, or tomllib.TOMLDecodeError if it does not parse."""
    check_size(text, max_chars)
    try:
        value = tomllib.loads(text)
    except RecursionError:
        raise TooBig(0, TOO_DEEP) from None
    collections = [(value, 1)]  # (a table or array, how many hold it, itself included)
    while collections:
        found, depth = collections.pop()
        if depth > MAX_DEPTH:
            raise TooBig(0, TOO_DEEP)
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

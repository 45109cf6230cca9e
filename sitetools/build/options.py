"""A plugin's settings dict (IMAGES, DIAGRAMS, …) read against its DEFAULTS: each
key the site sets must be one the plugin knows, of the type its default has."""

import difflib

# What a default's type asks of a value, for the message.
_KINDS = {bool: "true or false", str: "a string", list: "a list", dict: "a dict",
          int: "a positive number", float: "a positive number"}  # fmt: skip


def _number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fits(value, default):
    """Whether `value` can stand where `default` does (numbers: positive ones)."""
    if _number(default):
        return _number(value) and value > 0
    if isinstance(default, list | dict):
        if not isinstance(value, type(default)):
            return False
        items = list(value.values() if isinstance(value, dict) else value)
        sample = next(iter(default.values() if isinstance(default, dict) else default), None)
        return sample is None or all(_fits(item, sample) for item in items)
    return isinstance(value, type(default))


def plugin_options(settings, name, defaults):
    """(defaults overlaid with the usable keys of settings[name], [problem]): one
    problem per unknown key or value of the wrong type, naming the setting and the fix."""
    given = settings.get(name) or {}
    if not isinstance(given, dict):
        return dict(defaults), [
            f"{name} must be a dict of options, got {given!r}: fix it in the settings file"
        ]
    problems, usable = [], {}
    for key, value in given.items():
        if key not in defaults:
            close = difflib.get_close_matches(str(key), list(defaults), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(defaults)}"
            problems.append(
                f"{name}[{key!r}] is not an option ({hint}): fix it in the settings file"
            )
        elif not _fits(value, default := defaults[key]):
            kind = _KINDS.get(type(default), type(default).__name__)
            problems.append(
                f"{name}[{key!r}] must be {kind} like {default!r}, "
                f"got {value!r}: fix it in the settings file"
            )
        else:
            usable[key] = value
    return {**defaults, **usable}, problems

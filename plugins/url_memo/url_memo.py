"""Each content URL worked out once while Pelican writes, not on every use.

Pelican computes `article.url` and `save_as` afresh on every access: a copy of
the metadata, a relative source path and a format string. Listings, tag pages,
archives, feeds and the sitemap ask about 17,000 times in a build of 1,000
posts, a tenth of the writing time. Metadata is final once writing starts, so
from Pelican's `get_writer` call until the build ends each content object
keeps the URL settings it has worked out; before and after, nothing changes.
"""

from pelican import signals
from pelican.contents import Content

# Which build is writing (None: none is); memos of other builds are ignored.
_writing = {"build": None, "count": 0}


def remembered(original):
    """Content.get_url_setting that remembers its answers while a build writes."""

    def get_url_setting(self, key):
        build = _writing["build"]
        if build is None:
            return original(self, key)
        memo = self.__dict__.get("_url_memo")
        if memo is None or memo[0] != build:
            memo = self.__dict__["_url_memo"] = (build, {})
        answers = memo[1]
        if key not in answers:
            answers[key] = original(self, key)
        return answers[key]

    get_url_setting.url_memo_state = _writing
    return get_url_setting


def install():
    """Wrap Content.get_url_setting once per process. Should this module be
    imported twice (as a plugin and by name), both copies share one state."""
    global _writing  # noqa: PLW0603
    installed = getattr(Content.get_url_setting, "url_memo_state", None)
    if installed is None:
        Content.get_url_setting = remembered(Content.get_url_setting)
    else:
        _writing = installed


def start_writing(_pelican):
    _writing["count"] += 1
    _writing["build"] = _writing["count"]


def stop_writing(*_args, **_kwargs):
    _writing["build"] = None


def register():
    install()
    # Pelican asks for its writer once the content is final, right before writing.
    signals.get_writer.connect(start_writing)
    # From the end of a build (or the start of the next) URLs are computed again.
    signals.finalized.connect(stop_writing)
    signals.initialized.connect(stop_writing)

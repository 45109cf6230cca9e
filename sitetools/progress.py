"""The phase and progress of a long build, on a terminal.

A build that runs past about two seconds shows one status line, such as
"Building: reading sources 412/1001 (3.2 s)", rewritten in place as it goes
and cleared when the build ends. Nothing is shown when the stream is not a
terminal, or under CI.

`SiteBuilder` installs a `Progress` for each build and feeds it Pelican's
signals; plugins that do long work of their own call `report()`.
"""

import os
import time

DELAY = 2.0  # seconds before anything is shown
INTERVAL = 0.1  # at most this often a redraw
CLEAR = "\r\x1b[K"


def enabled(stream, environ=None):
    """True when `stream` is a terminal and this is not a CI run."""
    environ = os.environ if environ is None else environ
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not environ.get("CI")


def status_line(phase, done=None, total=None, seconds=0.0):
    """'Building: <phase> <done>/<total> (<seconds> s)'."""
    count = ""
    if done is not None:
        count = f" {done}/{total}" if total else f" {done}"
    return f"Building: {phase}{count} ({seconds:.1f} s)"


class Progress:
    """One build's status line."""

    def __init__(self, stream, delay=None, clock=time.monotonic, environ=None):
        self.stream = stream
        self.delay = DELAY if delay is None else delay
        self.clock = clock
        self.active = enabled(stream, environ)
        self.pid = os.getpid()  # a forked child of the build draws nothing
        self.started = clock()
        self.drawn_at = None
        self.phase, self.done, self.total = "starting", None, None

    def update(self, phase, done=None, total=None):
        """Set the phase (and how far along it is); redraw if it is time."""
        changed = phase != self.phase
        self.phase, self.done, self.total = phase, done, total
        if not self.active or os.getpid() != self.pid:
            return
        now = self.clock()
        if now - self.started < self.delay:
            return
        if not changed and self.drawn_at is not None and now - self.drawn_at < INTERVAL:
            return
        self.drawn_at = now
        line = status_line(phase, done, total, now - self.started)
        self.stream.write(CLEAR + line)
        self.stream.flush()

    def step(self, phase, total=None):
        """One more item done in `phase` (counting restarts with each phase).
        A phase already reported complete stays complete."""
        if phase == self.phase and self.total and (self.done or 0) >= self.total:
            return
        done = (self.done or 0) + 1 if phase == self.phase else 1
        self.update(phase, done, total)

    def close(self):
        """Clear the status line, if one was drawn, and draw no more."""
        if self.drawn_at is not None and os.getpid() == self.pid:
            self.stream.write(CLEAR)
            self.stream.flush()
        self.active = False
        self.drawn_at = None


_current = {"progress": None}


def install(progress):
    """Make `progress` the one `report()` feeds (None: no build running)."""
    _current["progress"] = progress


def report(phase, done=None, total=None):
    """Tell the running build's status line about long work; no-op otherwise."""
    progress = _current["progress"]
    if progress is not None:
        progress.update(phase, done, total)

"""A long build's phase on one terminal line ("Building: reading sources
412/1001 (3.2 s)"), shown after DELAY seconds, cleared at the end, never in CI
or into a pipe. SiteBuilder feeds it Pelican's signals; plugins call report()."""

import os
import time

DELAY = 2.0  # seconds before anything is shown
INTERVAL = 0.1  # at most this often a redraw
CLEAR = "\r\x1b[K"
_current = {"progress": None}


def enabled(stream, environ=None):
    """True when `stream` is a terminal and this is not a CI run."""
    environ = os.environ if environ is None else environ
    return bool(getattr(stream, "isatty", lambda: False)()) and not environ.get("CI")


def status_line(phase, done=None, total=None, seconds=0.0):
    count = "" if done is None else f" {done}/{total}" if total else f" {done}"
    return f"Building: {phase}{count} ({seconds:.1f} s)"


class Progress:
    """One build's status line."""

    def __init__(self, stream, delay=None, clock=time.monotonic, environ=None):
        self.stream, self.clock = stream, clock
        self.delay = DELAY if delay is None else delay
        self.active = enabled(stream, environ)
        self.pid = os.getpid()  # a forked child of the build draws nothing
        self.started, self.drawn_at = clock(), None
        self.phase, self.done, self.total = "starting", None, None

    def update(self, phase, done=None, total=None):
        """Set the phase (and how far along it is); redraw if it is time."""
        changed = phase != self.phase
        self.phase, self.done, self.total = phase, done, total
        now = self.clock()
        if not self.active or os.getpid() != self.pid or now - self.started < self.delay:
            return
        if changed or self.drawn_at is None or now - self.drawn_at >= INTERVAL:
            self.drawn_at = now
            self.stream.write(CLEAR + status_line(phase, done, total, now - self.started))
            self.stream.flush()

    def step(self, phase):
        """One more item done in `phase`; a phase reported complete stays complete."""
        done = (self.done or 0) if phase == self.phase else 0
        if not (phase == self.phase and self.total and done >= self.total):
            self.update(phase, done + 1)

    def close(self):
        """Clear the status line, if one was drawn, and draw no more."""
        if self.drawn_at is not None and os.getpid() == self.pid:
            self.stream.write(CLEAR)
            self.stream.flush()
        self.active, self.drawn_at = False, None


def install(progress):
    """Make `progress` the one `report()` feeds (None: no build running)."""
    _current["progress"] = progress


def report(phase, done=None, total=None):
    """Tell the running build's status line about long work; no-op otherwise."""
    if _current["progress"] is not None:
        _current["progress"].update(phase, done, total)

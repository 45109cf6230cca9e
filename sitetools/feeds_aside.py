"""Feeds written by a forked process while Pelican renders the pages.

Pelican writes its feeds first, then the pages, on one core. With a feed per
tag in Atom and RSS, full content in each, feeds are a fifth of a cold
production build of 1,000 posts, and they depend on nothing the pages do. So
the build's writer queues Pelican's `write_feed` calls; when Pelican turns to
the pages, a forked child writes the queued feeds with Pelican's own writer
while the parent renders pages, and the parent waits for it when the
articles' output is done (`article_writer_finalized`), before anything else
can look at the files. Warnings the child logs are logged again in the
parent; a failure in the child fails the build like any other.

Only done when it is safe: forking is allowed (no other thread), and nothing
listens to the feed signals or to `article_writer_finalized` but this
project's own progress line and receivers known to only change the feed they
are handed (the feeds plugin's): any other listener in the child would be lost.
"""

import contextlib
import logging
import os
import pickle
import signal
import sys
import time

from pelican import signals
from pelican.log import FilteredMessage

from .parallel import CapturedLogs, can_fork
from .reuse import _live, _receiver_name

logger = logging.getLogger(__name__)

# Modules whose receivers may run in the child: our progress line.
HARMLESS_MODULES = ("sitetools.",)
# Receivers that only change the feed they are handed, so they can as well
# run in the child that writes it.
HARMLESS_RECEIVERS = {"feeds.feeds.correct_feed"}
WATCHED_SIGNALS = (signals.feed_generated, signals.feed_written, signals.article_writer_finalized)
TIMEOUT = 600  # seconds to wait for the child before giving up


def only_harmless_listeners():
    """True when no receiver of the feed signals would be missed in a child."""
    for watched in WATCHED_SIGNALS:
        for receiver in _live(watched):
            name = _receiver_name(receiver)
            if name not in HARMLESS_RECEIVERS and not name.startswith(HARMLESS_MODULES):
                return False
    return True


class FeedsAside:
    """One build's queued feeds and the child that writes them."""

    def __init__(self):
        self.calls = []
        self.write_feed = None  # the writer's own write_feed
        self.state = "queueing"  # then "forked", then "done"
        self.pid = None
        self.pipe = None

    def writer_class(self, base):
        """`base` (a Pelican Writer class) that queues feeds and hands them to
        a child process when the next page is written."""
        aside = self

        class FeedsAsideWriter(base):
            def write_feed(self, *args, **kwargs):
                if aside.state != "queueing":  # late feeds are written here
                    return super().write_feed(*args, **kwargs)
                aside.write_feed = super().write_feed
                aside.calls.append((args, kwargs))
                return None

            def write_file(self, *args, **kwargs):
                if aside.state == "queueing" and aside.calls:
                    aside.start()
                return super().write_file(*args, **kwargs)

        return FeedsAsideWriter

    def start(self):
        """Fork a child that makes every queued write_feed call."""
        logger.debug("Writing %d feeds in a child process", len(self.calls))
        sys.stdout.flush()
        sys.stderr.flush()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read_end)
            self._child(self.write_feed, write_end)
        os.close(write_end)
        self.pid, self.pipe, self.state = pid, read_end, "forked"

    def _child(self, write_feed, write_end):
        root = logging.getLogger()
        captured = CapturedLogs()
        root.handlers = [captured]
        status, error = 0, None
        try:
            for args, kwargs in self.calls:
                write_feed(*args, **kwargs)
        except BaseException as failure:  # reported by the parent
            status, error = 1, f"{type(failure).__name__}: {failure}"
        try:
            payload = pickle.dumps({"records": captured.records, "error": error})
        except Exception as failure:
            status, payload = 1, pickle.dumps({"records": [], "error": repr(failure)})
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        os._exit(status)

    def finish(self):
        """Wait for the child (or write the queued feeds here if none was
        started); log what it logged; raise if it failed."""
        if self.state == "queueing":
            self.state = "done"
            for args, kwargs in self.calls:
                self.write_feed(*args, **kwargs)
            return
        if self.state == "done":
            return
        self.state = "done"
        pid, pipe = self.pid, self.pipe
        self.pid = self.pipe = None
        with os.fdopen(pipe, "rb") as stream:
            payload = stream.read()
        deadline = time.monotonic() + TIMEOUT
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise RuntimeError("Writing the feeds took too long")
            time.sleep(0.005)
        result = pickle.loads(payload) if payload else {"records": [], "error": None}
        for record in result["records"]:
            with contextlib.suppress(FilteredMessage):
                logging.getLogger(record.name).handle(record)
        code = os.waitstatus_to_exitcode(status)
        if code != 0 or result["error"]:
            raise RuntimeError(f"Writing the feeds failed: {result['error'] or f'exit {code}'}")

    def abandon(self):
        """The build stopped early: end the child, if any, quietly."""
        self.state = "done"
        if self.pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            with contextlib.suppress(OSError):
                os.close(self.pipe)
            self.pid = self.pipe = None


@contextlib.contextmanager
def feeds_aside():
    """For one build: a FeedsAside, joined at `article_writer_finalized` (or
    when the build ends) and cleaned up however the build ends."""
    aside = FeedsAside()

    def join(_generator, **_kwargs):
        aside.finish()

    signals.article_writer_finalized.connect(join, weak=False)
    try:
        yield aside
        aside.finish()
    finally:
        signals.article_writer_finalized.disconnect(join)
        aside.abandon()


def usable():
    """Whether feeds may be written aside in this build, right now."""
    return can_fork() and only_harmless_listeners()

"""CPU-bound work fanned out to forked workers: Pelican runs on one core.

Forking copies the parent's memory, so only results are pickled; it is done
only from a process with no other thread, where forking is safe.
"""

import multiprocessing
import os
import threading

from .progress import report

_task = {"function": None}  # what forked workers run; set just before the pool forks
MIN_ITEMS = 16  # less work than this is not worth forking for
# `invoke bench --ablate` sets this to a comma-separated list of SWITCHES to
# turn off, to measure what each saves (docs/bench.md).
SWITCHES_OFF = "SITE_SPEEDUPS_OFF"
SWITCHES = {
    "workers": "the one cache's misses and social images made on every CPU",
    "cache": "the one cache's entries kept between builds (sitetools/build/cache.py)",
    # and "cache:<name>" for one of them: cache:typography, cache:social_images, ...
    "content-cache": "Pelican's content cache kept between builds",
    "fast-pass": "the preview writing the edited and open pages first",
}


def switched_off(name):
    """True when the bench turned the speed code `name` (one of SWITCHES) off."""
    return name in os.environ.get(SWITCHES_OFF, "").split(",")


def available_cpus():
    """CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork():
    """True when forking is possible and safe: no other thread is running."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _call(index):
    return _task["function"](index)


def parallel_each(function, items, label=None):
    """[function(item) for item in items], in order: on forked workers, one a CPU,
    when there are MIN_ITEMS or more, forking is safe and the bench has not turned
    "workers" off; its progress is shown under `label`."""
    processes = min(available_cpus(), len(items))
    if len(items) < MIN_ITEMS or not can_fork() or switched_off("workers"):
        processes = 1
    results = []
    if processes < 2:
        results_in = map(function, items)
    else:
        _task["function"] = lambda index: function(items[index])
        pool = multiprocessing.get_context("fork").Pool(processes)
        results_in = pool.imap(
            _call, range(len(items)), chunksize=max(1, len(items) // (processes * 8))
        )
    try:
        for result in results_in:
            results.append(result)
            if label:
                report(label, len(results), len(items))
        return results
    finally:
        if processes > 1:
            pool.terminate()
            _task["function"] = None

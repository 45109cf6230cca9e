"""CPU-bound work fanned out to forked workers: Pelican runs on one core.

Forking copies the parent's memory, so only results are pickled; it is done
only from a process with no other thread, where forking is safe.
"""

import multiprocessing
import os
import threading

from .progress import report

_task = {"function": None}  # what forked workers run; set just before the pool forks
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


def worker_count(requested, items, min_items):
    """How many workers to use for `items` pieces of work: 1 means in-process."""
    count = min(requested or available_cpus(), available_cpus())
    if count < 2 or items < max(min_items, 2) or not can_fork():
        return 1
    return min(count, items)


def _call(index):
    return _task["function"](index)


def parallel_each(function, items, label=None):
    """[function(item) for item in items], as parallel_map runs it; its
    progress is shown under `label`."""
    progress = (lambda done, total: report(label, done, total)) if label else None
    return parallel_map(lambda index: function(items[index]), len(items), progress=progress)


def parallel_map(function, count, workers=0, min_items=16, progress=None):
    """[function(i) for i in range(count)], in order, on forked workers when
    worker_count allows and the bench has not turned "workers" off;
    `progress(done, count)` is called in the parent."""
    processes = 1 if switched_off("workers") else worker_count(workers, count, min_items)
    results = []
    if processes == 1:
        results_in = map(function, range(count))
    else:
        _task["function"] = function
        pool = multiprocessing.get_context("fork").Pool(processes)
        results_in = pool.imap(_call, range(count), chunksize=max(1, count // (processes * 8)))
    try:
        for result in results_in:
            results.append(result)
            if progress:
                progress(len(results), count)
        return results
    finally:
        if processes > 1:
            pool.terminate()
            _task["function"] = None

"""CPU-bound work fanned out to forked workers: Pelican runs on one core.

Forking copies the parent's memory, so only results are pickled; it is done
only from a process with no other thread, where forking is safe.
"""

import multiprocessing
import os
import threading

_task = {"function": None}  # what forked workers run; set just before the pool forks


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


def parallel_map(function, count, workers=0, min_items=16, progress=None):
    """[function(i) for i in range(count)], in order, on forked workers when
    worker_count allows; `progress(done, count)` is called in the parent."""
    processes = worker_count(workers, count, min_items)
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

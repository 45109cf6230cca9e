"""CPU-bound work of one build fanned out to forked worker processes.

Pelican runs on one core. A cold build spends most of its time in pure-Python
text processing (Markdown, Pygments, typogrify) of independent files, which
forked workers can share. Forking copies the parent's memory, so the work
function and its inputs need not be pickled, only the results; and it is only
done from a process with no other thread, where forking is safe.
"""

import multiprocessing
import os
import threading

# The function that forked workers run; set just before the pool forks.
_task = {"function": None}


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
    cpus = available_cpus()
    count = min(requested or cpus, cpus)
    if count < 2 or items < max(min_items, 2) or not can_fork():
        return 1
    return min(count, items)


def _call(index):
    return _task["function"](index)


def parallel_map(function, count, workers=0, min_items=16, progress=None):
    """[function(i) for i in range(count)], in order, on forked workers when
    there are at least `min_items` items, more than one CPU and no thread.

    `function` runs in the workers as it is in the parent (it is not pickled);
    its results must pickle. `workers` = 0 uses every available CPU.
    `progress(done, count)` is called in the parent as results come in."""
    processes = worker_count(workers, count, min_items)
    results = []
    if processes == 1:
        for index in range(count):
            results.append(function(index))
            if progress:
                progress(index + 1, count)
        return results
    _task["function"] = function
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(processes) as pool:
            chunk = max(1, count // (processes * 8))
            for result in pool.imap(_call, range(count), chunksize=chunk):
                results.append(result)
                if progress:
                    progress(len(results), count)
        return results
    finally:
        _task["function"] = None

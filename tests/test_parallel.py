"""sitetools.build.parallel: work fanned out to forked processes, safely."""

import json
import os
import threading

import pytest

from sitetools.build.parallel import available_cpus, can_fork, parallel_map, worker_count
from tests.conftest import run_python


def test_results_come_back_in_order_from_other_processes():
    """In a fresh process (as in a real build) the work runs on two workers."""
    out = run_python(
        """
        import json, os, time
        from sitetools.build.parallel import parallel_map
        def work(i):
            time.sleep(0.005)  # long enough that both workers take a share
            return i * i, os.getpid()
        results = parallel_map(work, 60, workers=2, min_items=1)
        print(json.dumps({"parent": os.getpid(), "results": results}))
        """
    )
    report = json.loads(out)
    assert [square for square, _ in report["results"]] == [i * i for i in range(60)]
    pids = {pid for _, pid in report["results"]}
    if available_cpus() >= 2:
        assert report["parent"] not in pids, "the work ran in the parent"
        assert len(pids) == 2, f"expected two workers, saw {len(pids)}"


def test_small_jobs_stay_in_process():
    assert set(parallel_map(lambda _i: os.getpid(), 5, workers=2, min_items=16)) == {os.getpid()}


def test_no_fork_while_another_thread_runs():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not can_fork()
        assert worker_count(2, 100, 1) == 1
        pids = set(parallel_map(lambda _i: os.getpid(), 40, workers=2, min_items=1))
        assert pids == {os.getpid()}, "forked although a thread was running"
    finally:
        stop.set()
        thread.join()


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_counts_up_to_the_total(workers):
    seen = []
    parallel_map(lambda i: i, 30, workers=workers, min_items=1, progress=lambda *a: seen.append(a))
    assert seen[-1] == (30, 30)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen), "progress went back"

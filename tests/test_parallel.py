"""sitetools.build.parallel: work fanned out to forked processes, safely."""

import json
import os
import threading

import pytest

from sitetools.build import parallel
from sitetools.build.parallel import MIN_ITEMS, available_cpus, can_fork, parallel_each
from tests.conftest import run_python


def test_results_come_back_in_order_from_other_processes():
    """In a fresh process (as in a real build) the work runs on a worker a CPU."""
    out = run_python(
        """
        import json, os, time
        from sitetools.build.parallel import parallel_each
        def work(i):
            time.sleep(0.005)  # long enough that every worker takes a share
            return i * i, os.getpid()
        results = parallel_each(work, list(range(60)))
        print(json.dumps({"parent": os.getpid(), "results": results}))
        """
    )
    report = json.loads(out)
    assert [square for square, _ in report["results"]] == [i * i for i in range(60)]
    pids = {pid for _, pid in report["results"]}
    if available_cpus() >= 2:
        assert report["parent"] not in pids, "the work ran in the parent"
        assert len(pids) == min(available_cpus(), 60), f"expected a worker a CPU, saw {len(pids)}"


def test_small_jobs_stay_in_process():
    assert set(parallel_each(lambda _i: os.getpid(), [0] * (MIN_ITEMS - 1))) == {os.getpid()}


def test_no_fork_while_another_thread_runs():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not can_fork()
        pids = set(parallel_each(lambda _i: os.getpid(), list(range(40))))
        assert pids == {os.getpid()}, "forked although a thread was running"
    finally:
        stop.set()
        thread.join()


@pytest.mark.parametrize("off", ["workers", ""])
def test_progress_counts_up_to_the_total(off, monkeypatch):
    """In process (the bench's "workers" switch off) and on workers alike."""
    seen = []
    monkeypatch.setenv(parallel.SWITCHES_OFF, off)
    monkeypatch.setattr(parallel, "report", lambda *a: seen.append(a))
    parallel_each(lambda i: i, list(range(30)), label="work")
    assert seen[-1] == ("work", 30, 30)
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen), (
        "progress went back"
    )

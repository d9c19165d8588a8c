"""The service's worker processes (eur1pdf/service/process_pool.py), fed by the event loop.

Real processes, real pipes: results and errors come back to the right
caller, a job a worker already has cannot be cancelled (its slot in the
service is given back when it ends), a dead worker breaks the pool as
``ProcessPoolExecutor`` does, and workers exit when their pipes close, also
when the server's process is killed outright.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from eur1pdf.service.process_pool import AsyncProcessPool

pytestmark = pytest.mark.slow


def square(n: int) -> int:
    return n * n


def fail(message: str) -> None:
    raise ValueError(message)


def nap(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def unpicklable() -> object:
    return lambda: None


def test_results_and_errors_reach_their_callers():
    async def main() -> None:
        pool = AsyncProcessPool(2)
        try:
            futures = [pool.submit(square, n) for n in range(50)]
            assert [await asyncio.wrap_future(f) for f in futures] == [n * n for n in range(50)]
            with pytest.raises(ValueError, match="no good"):
                await asyncio.wrap_future(pool.submit(fail, "no good"))
            with pytest.raises(RuntimeError, match="pickle"):
                await asyncio.wrap_future(pool.submit(unpicklable))
            big = "x" * 3_000_000  # larger than a pipe's buffer both ways: the loop never blocks on it
            assert await asyncio.wrap_future(pool.submit(len, big)) == len(big)
            assert await asyncio.wrap_future(pool.submit(square, 7)) == 49  # still working
        finally:
            pool.shutdown(wait=True)

    asyncio.run(main())


def remember(value: str) -> None:
    os.environ["EUR1PDF_TEST_STARTED"] = value


def started() -> str:
    return os.environ.get("EUR1PDF_TEST_STARTED", "")


def test_each_worker_runs_the_initializer_with_its_arguments():
    async def main() -> None:
        pool = AsyncProcessPool(2, initializer=remember, initargs=("yes",))
        try:
            assert await asyncio.wrap_future(pool.submit(started)) == "yes"
            assert sorted(pool._processes) == sorted(w.process.pid for w in pool.workers)
        finally:
            pool.shutdown(wait=True)

    asyncio.run(main())


def test_both_workers_work_and_each_holds_at_most_depth_jobs():
    async def main() -> None:
        pool = AsyncProcessPool(2, depth=2)
        try:
            futures = [pool.submit(nap, 0.05) for _ in range(10)]
            assert max(len(w.in_hand) for w in pool.workers) == 2 and len(pool.waiting) == 6
            pids = {await asyncio.wrap_future(f) for f in futures}
            assert pids == {w.process.pid for w in pool.workers}
        finally:
            pool.shutdown(wait=True)

    asyncio.run(main())


def test_a_job_a_worker_has_cannot_be_cancelled_a_waiting_one_can():
    async def main() -> None:
        pool = AsyncProcessPool(1, depth=1)
        try:
            running = pool.submit(nap, 0.3)
            waiting = pool.submit(nap, 0.3)
            assert not running.cancel() and waiting.cancel()
            await asyncio.wrap_future(running)
            assert await asyncio.wrap_future(pool.submit(square, 3)) == 9  # the cancelled one was skipped
        finally:
            pool.shutdown(wait=True)

    asyncio.run(main())


def test_a_dead_worker_breaks_the_pool():
    async def main() -> None:
        pool = AsyncProcessPool(2)
        try:
            in_hand = pool.submit(nap, 5)
            await asyncio.sleep(0.2)
            os.kill(pool.workers[0].process.pid, signal.SIGKILL)
            os.kill(pool.workers[1].process.pid, signal.SIGKILL)
            with pytest.raises(BrokenProcessPool):
                await asyncio.wait_for(asyncio.wrap_future(in_hand), 10)
            with pytest.raises(BrokenProcessPool):
                pool.submit(square, 2)
        finally:
            pool.shutdown(wait=True)

    asyncio.run(main())


PARENT = """
import asyncio, sys, time
from eur1pdf.service.process_pool import AsyncProcessPool
from tests.test_process_pool import nap

async def main():
    pool = AsyncProcessPool(2)
    futures = [pool.submit(nap, 0.01) for _ in range(4)]
    for f in futures:
        await asyncio.wrap_future(f)
    print(" ".join(str(w.process.pid) for w in pool.workers), flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_workers_exit_when_the_server_is_killed():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert parent.stdout is not None
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        parent.kill()  # no shutdown, no clean-up: SIGKILL
        parent.wait()
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(p) for p in pids), "a worker outlived the server"
    finally:
        parent.kill()

"""The process pool :func:`~eur1pdf.bulk.render_many.render_many` owns: its workers die with
the process that owns them, and a worker that dies is replaced.

A batch killed outright (``kill -9``, the OOM killer, a CI job's timeout)
runs no clean-up code, so a process pool's workers would live on as orphans,
each holding a hundred megabytes and rendering nothing. Two mechanisms, so
that one covers what the other cannot:

- ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` (Linux): the kernel kills the worker
  the moment its parent dies. The "parent" is the *thread* that forked the
  worker: :class:`~concurrent.futures.ProcessPoolExecutor` forks its workers
  in the thread that submits work (Python 3.11+; a management thread only
  replaces workers under ``max_tasks_per_child``), so it is asked for only
  when that thread is the main thread, which ends with the process. From
  another thread it would kill the workers when that thread ends.
- A watchdog thread in each worker that notices its parent is gone (the
  worker is handed to another parent, so ``getppid`` changes) and kills the
  worker within :data:`WATCH_INTERVAL`: any platform, any start method, any
  thread. With ``forkserver`` the parent is the fork server, which itself
  ends when its owner does.

A worker killed on its own (the OOM killer, a crash in a C library) breaks a
:class:`~concurrent.futures.ProcessPoolExecutor` for good; :class:`OwnPool`
can be replaced by a fresh one, so the batch goes on (see ``render_many``).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from eur1pdf.bulk.gc_tuning import tune_for_bulk

WATCH_INTERVAL = 0.25  # seconds between two looks at the parent
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def lifeline() -> tuple[int, bool, bool]:
    """The arguments for :func:`bind_to_owner`, made in the process that starts the pool.

    (owner's pid, whether the workers are its own children, whether the
    parent-death signal is safe: only from the main thread, see above).
    """
    method = multiprocessing.get_start_method(allow_none=False)
    direct = method in ("fork", "spawn")  # forkserver: the fork server is the parent
    main = threading.current_thread() is threading.main_thread()
    return os.getpid(), direct, direct and main and sys.platform.startswith("linux")


def bind_to_owner(owner: int, direct: bool, deathsig: bool) -> None:
    """In a worker, first thing: die with the owner (see the module docstring)."""
    if deathsig:
        _set_parent_death_signal()
    parent = os.getppid()
    if direct and parent != owner:  # the owner died before the signal was asked for
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="eur1pdf-lifeline", daemon=True).start()


def _set_parent_death_signal() -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_INTERVAL)
    os._exit(1)  # no clean-up: the owner's next run removes what is left


def worker_start(owner: int, direct: bool, deathsig: bool) -> None:
    """Ctrl-C is for the parent: it stops handing out work and leaves clean files.

    The worker dies with its parent, even one killed outright (see above).
    The worker is eur1pdf's own process: its garbage collector is set for bulk work.
    """
    bind_to_owner(owner, direct, deathsig)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tune_for_bulk()


class OwnPool:
    """A process pool of ``workers`` bound to this process, replaced by a fresh one on demand."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, initializer=worker_start, initargs=lifeline())

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        """A future; one that failed already when a worker died before (handled where results are)."""
        try:
            return self.pool.submit(fn, *args)
        except BrokenProcessPool as exc:
            broken: Future[Any] = Future()
            broken.set_exception(exc)
            return broken

    def replace(self) -> None:
        """A fresh pool for a broken one (its workers are gone already)."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = self._new()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)

"""The process pool :func:`~eur1pdf.bulk.render_many.render_many` owns: its workers die with
the process that owns them (:mod:`eur1pdf.lifeline`), and a worker that dies is replaced.

A worker killed on its own (the OOM killer, a crash in a C library) breaks a
:class:`~concurrent.futures.ProcessPoolExecutor` for good; :class:`OwnPool`
can be replaced by a fresh one, so the batch goes on (see ``render_many``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from eur1pdf.bulk.gc_tuning import tune_for_bulk
from eur1pdf.lifeline import bind_to_owner, lifeline


def worker_start(owner: int, direct: bool, deathsig: bool) -> None:
    """Ctrl-C is for the parent: it stops handing out work and leaves clean files.

    The worker dies with its parent, even one killed outright (see above).
    The worker is eur1pdf's own process: its garbage collector is set for bulk work.
    """
    bind_to_owner(owner, direct, deathsig)  # also: Ctrl-C ignored, the default SIGTERM
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

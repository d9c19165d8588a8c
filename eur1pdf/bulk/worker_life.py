"""Worker processes die with the process that owns them.

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

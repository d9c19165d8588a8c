"""Worker processes never outlive the process that owns them (a batch, the HTTP server), nor
the pool they belong to.

A process killed outright (``kill -9``, the out-of-memory killer, a CI job's
timeout) runs no clean-up code, and its rendering workers would live on as
orphans, each holding about a hundred megabytes and rendering nothing. Two
mechanisms, so that one covers what the other cannot:

- ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` (Linux): the kernel kills the worker
  the moment its parent dies. The "parent" is the *thread* that forked the
  worker (:class:`~concurrent.futures.ProcessPoolExecutor` forks in the thread
  that submits work), so it is asked for only when that thread is the main
  thread, which ends with the process; from another thread it would kill the
  workers when that thread ends.
- A watchdog thread in each worker that notices its parent or its owner is
  gone (a new parent, or no owner) and ends the worker within
  :data:`WATCH_INTERVAL`: any platform, any start method, any thread. With
  ``forkserver`` the parent is the fork server, so the owner is watched too.

Workers also take back the default SIGTERM (the server's workers inherited
uvicorn's handler, which asks only the server to stop, so a pool's
``terminate()`` did nothing) and ignore Ctrl-C, which reaches the whole
process group: the owner stops them. A pool replaced after a crash is killed
outright (:func:`kill_workers`).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time

log = logging.getLogger("eur1pdf.lifeline")
WATCH_INTERVAL = 0.25  # seconds between two looks at the parent and the owner
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def lifeline() -> tuple[int, bool, bool]:
    """The arguments for :func:`bind_to_owner`, made in the process that starts the pool.

    (owner's pid, whether the workers are its own children, whether the
    parent-death signal is safe: Linux, and only from the main thread, see above).
    """
    method = multiprocessing.get_start_method(allow_none=False)
    direct = method in ("fork", "spawn")  # forkserver: the fork server is the parent
    main = threading.current_thread() is threading.main_thread()
    return os.getpid(), direct, direct and main and sys.platform.startswith("linux")


def bind_to_owner(owner: int, direct: bool, deathsig: bool) -> None:
    """In a worker, first thing: die with the owner, and on the signals a pool sends."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)  # an inherited event loop's: not ours to write to
    if deathsig:
        _die_with_parent()
    parent = os.getppid()
    if (direct and parent != owner) or not _alive(owner):  # the owner died before the lines above
        os._exit(1)
    threading.Thread(target=_watch, args=(owner, parent), name="eur1pdf-lifeline", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # there, though not ours
        return True
    return True


def _die_with_parent() -> None:
    """Ask the kernel for SIGKILL when the parent ends (the owner's next run cleans up)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the process's own symbols (libc's); find_library forks
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    except (OSError, AttributeError) as exc:  # no libc or no prctl: the watchdog is left
        log.warning("no prctl: %s", exc)


def _watch(owner: int, parent: int) -> None:
    """The fallback where the kernel does not do it: a new parent, or no owner, means it is gone."""
    while os.getppid() == parent and _alive(owner):
        time.sleep(WATCH_INTERVAL)
    os._exit(1)  # no clean-up: nothing of the worker's is half written


def pool_processes(pool: object) -> list[multiprocessing.Process]:
    """The pool's processes now (``ProcessPoolExecutor`` and ``AsyncProcessPool`` keep them in
    ``_processes`` and forget them on shutdown: take them before)."""
    processes = getattr(pool, "_processes", None) or {}
    return list(processes.values())


def kill_workers(processes: list[multiprocessing.Process]) -> None:
    """SIGKILL each of a discarded pool's processes not yet ended (a crashed pool's queues may be in
    any state: no clean shutdown is to be hoped for). ``Process.kill`` signals only a process not
    yet waited for, so a pid the system has given to another process since is never hit."""
    for process in processes:
        with contextlib.suppress(OSError, ValueError):
            process.kill()

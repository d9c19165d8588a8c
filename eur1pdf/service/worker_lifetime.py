"""Rendering processes never outlive their pool or the server.

Three ways they did (each ~100 MB, for good):

- The workers are forked from the server, and inherit uvicorn's handler for
  SIGTERM, which only asks *the server* to stop: the ``terminate()`` a broken
  pool sends its other workers did nothing. Workers take back the default.
- A server killed outright (``kill -9``, the out-of-memory killer) tells no one;
  its workers waited on their queue for ever. On Linux the kernel now kills
  them with their parent (``PR_SET_PDEATHSIG``); everywhere, a watchdog
  thread ends a worker whose parent has changed.
- A pool replaced after a crash is killed outright (:func:`kill_workers`), not
  left to finish on its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time

log = logging.getLogger("eur1pdf.service.app")
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_EVERY_S = 1.0


def lifeline() -> tuple[int, bool]:
    """:func:`bind_to_parent`'s arguments, made where the pool is: the server's pid, and whether the
    kernel may kill the workers with their parent. That "parent" is the *thread* that forked them
    (the one submitting work, for ``ProcessPoolExecutor``): only the main thread ends with the
    server; a worker forked from another (a test client's event loop) has only the watchdog."""
    return os.getpid(), threading.current_thread() is threading.main_thread()


def bind_to_parent(server_pid: int, deathsig: bool = True) -> None:
    """In a worker, first thing: die with the server, and on the signals a pool sends."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the server stops us
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)  # the server's event loop's, inherited: not ours to write to
    parent = os.getppid()  # the server when forked from it; a fork server with other start methods
    if deathsig and parent == server_pid and sys.platform.startswith("linux"):
        _die_with_parent()
    if not _alive(server_pid):  # the server died before the lines above: nothing to serve
        os._exit(1)
    watchdog = threading.Thread(target=_watch, args=(server_pid, parent), name="server-watchdog", daemon=True)
    watchdog.start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # there, though not ours (cannot be: a worker runs as its server)
        return True
    return True


def _die_with_parent() -> None:
    """Ask the kernel for SIGKILL when the parent ends (no clean-up is needed: nothing is written)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    except OSError as exc:  # no libc to load: the watchdog is left
        log.warning("no prctl: %s", exc)


def _watch(server_pid: int, parent: int) -> None:
    """The fallback where the kernel does not do it: a new parent, or no server, means it is gone."""
    while os.getppid() == parent and _alive(server_pid):
        time.sleep(WATCH_EVERY_S)
    os._exit(1)


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

"""The service's rendering processes, fed by the event loop itself: no thread stands in between.

``concurrent.futures.ProcessPoolExecutor`` hands work to its processes
through two threads of the server's process (one moves jobs to the call
queue and reads results, one pickles into the pipe). Both need the GIL,
which the event loop thread holds while it reads requests; under load each
hand-over waited for the loop's switch interval, so a worker finished a
certificate and then sat idle for milliseconds before the next one reached
it (measured: gaps of 3-13 ms between jobs of 5-25 ms), and the more clients,
the busier the loop and the longer the gaps: 32 clients got less done than 8.

Here the loop writes each job straight into the worker's pipe and reads the
results as they arrive (asyncio pipes), and every worker holds up to
``depth`` jobs (default 2: one rendering, the next waiting in its pipe), so
it never waits for the server's process between two certificates. Jobs wait
beyond that in one FIFO queue, handed to whichever worker is free first, so
latency grows evenly with the number of clients instead of some requests
waiting much longer than others.

The surface is the part of ``ProcessPoolExecutor`` the service uses:
``submit`` returns a :class:`concurrent.futures.Future` (running once a
worker has it, so a caller that stops waiting cannot cancel a job that is
rendering), a worker that dies breaks the pool (:class:`BrokenProcessPool`
for every job in hand, as the executor does), and ``shutdown``. ``submit``
must be called from the event loop's thread. A worker exits when its job
pipe closes: at shutdown, and also when the server's process is killed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import multiprocessing
import os
import pickle
import signal
import struct
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

HEADER = struct.Struct("!Q")  # each message: its length, then the pickled (id, function, args) or result


@dataclass
class _Job:
    number: int
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    future: concurrent.futures.Future[Any]


class _JobPipe:
    """The write end of a worker's job pipe: bytes not taken yet wait here, the loop is never blocked."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int):
        self.loop, self.fd = loop, fd
        self.buffer = bytearray()
        os.set_blocking(fd, False)

    def write(self, data: bytes) -> None:
        if self.fd < 0:
            return
        if not self.buffer:
            try:
                data = data[os.write(self.fd, data) :]
            except BlockingIOError:
                pass  # the pipe is full: the rest goes when the worker has read
            except OSError:
                return  # the worker is gone; its reader notices and breaks the pool
            if data:
                self.loop.add_writer(self.fd, self._flush)
        self.buffer += data

    def _flush(self) -> None:
        try:
            del self.buffer[: os.write(self.fd, self.buffer)]
        except BlockingIOError:
            return
        except OSError:  # the worker is gone; its reader notices
            self.buffer.clear()
        if not self.buffer:
            self.loop.remove_writer(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            self.loop.remove_writer(self.fd)
            os.close(self.fd)
            self.fd = -1


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process
    jobs: _JobPipe
    results_fd: int = -1
    in_hand: dict[int, concurrent.futures.Future[Any]] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None


class AsyncProcessPool:
    """``workers`` processes, each started with ``initializer()``; created inside the running loop."""

    def __init__(
        self,
        workers: int,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
        depth: int = 2,
    ):
        if workers < 1 or depth < 1:
            raise ValueError("a pool needs at least one worker and one job per worker")
        self.loop = asyncio.get_running_loop()
        self.depth = depth
        self.waiting: deque[_Job] = deque()
        self.numbers = itertools.count()
        self.broken: str | None = None
        self.closing = False
        self.workers: list[_Worker] = []
        context = multiprocessing.get_context()  # the platform's default, as ProcessPoolExecutor's
        for _ in range(workers):
            self.workers.append(self._start(context, initializer, initargs))
        # under the name ProcessPoolExecutor uses, for code that lists a pool's processes
        self._processes = {worker.process.pid: worker.process for worker in self.workers}

    # ------------------------------------------------------------------------- starting

    def _start(
        self, context: Any, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
    ) -> _Worker:
        job_read, job_write = os.pipe()
        result_read, result_write = os.pipe()
        # a forked child holds every descriptor of this process: it closes the pool's other ends,
        # or a worker would never see its job pipe close
        ours = [job_write, result_read] + [fd for w in self.workers for fd in (w.jobs.fd, w.results_fd)]
        start = (initializer, initargs)
        process = context.Process(target=_worker_main, args=(job_read, result_write, start, ours))
        process.daemon = True
        process.start()
        os.close(job_read)
        os.close(result_write)
        worker = _Worker(process, _JobPipe(self.loop, job_write), results_fd=result_read)
        worker.reader = self.loop.create_task(self._read_results(worker, result_read))
        return worker

    async def _read_results(self, worker: _Worker, fd: int) -> None:
        reader = asyncio.StreamReader(limit=1 << 20)
        transport, _ = await self.loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
        )
        try:
            while True:
                (size,) = HEADER.unpack(await reader.readexactly(HEADER.size))
                number, ok, value = pickle.loads(await reader.readexactly(size))
                future = worker.in_hand.pop(number, None)
                if future is not None and not future.done():
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
                self._feed(worker)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            if not self.closing:
                self._break(f"a rendering process (pid {worker.process.pid}) died")
        finally:
            transport.close()

    # ------------------------------------------------------------------------- jobs

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> concurrent.futures.Future[Any]:
        """Run ``fn(*args)`` in a worker (a module-level function, picklable arguments and result)."""
        if self.broken is not None:
            raise BrokenProcessPool(self.broken)
        if self.closing:
            raise RuntimeError("cannot schedule new futures after shutdown")
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.waiting.append(_Job(next(self.numbers), fn, args, future))
        worker = min(self.workers, key=lambda w: len(w.in_hand))
        self._feed(worker)
        return future

    def _feed(self, worker: _Worker) -> None:
        """Give ``worker`` waiting jobs until it holds ``depth``."""
        while self.waiting and len(worker.in_hand) < self.depth and self.broken is None:
            job = self.waiting.popleft()
            if not job.future.set_running_or_notify_cancel():
                continue  # its caller stopped waiting before any worker had it
            try:
                message = pickle.dumps((job.number, job.fn, job.args), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # an argument that cannot cross: this job's failure only
                job.future.set_exception(exc)
                continue
            worker.in_hand[job.number] = job.future
            worker.jobs.write(HEADER.pack(len(message)) + message)

    def _break(self, reason: str) -> None:
        """A worker died: every job in hand or waiting fails, the other workers are stopped."""
        if self.broken is not None:
            return
        self.broken = reason
        error = BrokenProcessPool(reason)
        for worker in self.workers:
            for future in worker.in_hand.values():
                future.set_exception(error)
            worker.in_hand.clear()
            worker.jobs.close()
            with contextlib.suppress(OSError):
                worker.process.terminate()
        while self.waiting:
            job = self.waiting.popleft()
            if job.future.set_running_or_notify_cancel():
                job.future.set_exception(error)
        _reap([worker.process for worker in self.workers])

    # ------------------------------------------------------------------------- the end

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Close the job pipes: each worker finishes the job it renders and exits. Jobs not yet
        begun are cancelled (``cancel_futures``) or fail; ``wait`` joins the processes."""
        self.closing = True
        while self.waiting:
            job = self.waiting.popleft()
            if cancel_futures:
                job.future.cancel()
            elif job.future.set_running_or_notify_cancel():
                job.future.set_exception(RuntimeError("the pool was shut down"))
        for worker in self.workers:
            worker.jobs.close()
        if wait:
            for worker in self.workers:
                worker.process.join()
        else:
            _reap([worker.process for worker in self.workers])
        for worker in self.workers:
            if worker.reader is not None:
                worker.reader.cancel()
            for future in worker.in_hand.values():
                if not future.done():
                    future.set_exception(BrokenProcessPool("the pool was shut down"))
            worker.in_hand.clear()


def _reap(processes: list[Any]) -> None:
    """Wait for ended workers in a thread: a dead child not waited for stays a zombie (with its pid
    and its entry in the process table) until the server ends; ProcessPoolExecutor's management
    thread did this."""
    threading.Thread(target=lambda: [p.join() for p in processes], name="reaper", daemon=True).start()


# ----------------------------------------------------------------------------- worker side


def _read_exactly(fd: int, size: int) -> bytes | None:
    parts, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _worker_main(
    jobs: int,
    results: int,
    start: tuple[Callable[..., None] | None, tuple[Any, ...]],
    parents_ends: list[int],
) -> None:
    """A worker: read a job, run it, write the result; until the job pipe closes."""
    for fd in parents_ends:  # the pool's ends, held by a forked child too: closed, or no EOF ever comes
        with contextlib.suppress(OSError):
            os.close(fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which closes the pipes
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the server's handler, inherited by the fork
    initializer, initargs = start
    if initializer is not None:
        initializer(*initargs)
    while True:
        header = _read_exactly(jobs, HEADER.size)
        if header is None:
            return
        payload = _read_exactly(jobs, HEADER.unpack(header)[0])
        if payload is None:
            return
        number, fn, args = pickle.loads(payload)
        try:
            outcome: tuple[int, bool, Any] = (number, True, fn(*args))
        except Exception as exc:
            outcome = (number, False, exc)
        try:
            message = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # a result or an exception that cannot be pickled
            message = pickle.dumps((number, False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        _write_all(results, HEADER.pack(len(message)) + message)

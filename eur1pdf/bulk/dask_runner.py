"""Many certificates on a Dask cluster: what :func:`~eur1pdf.bulk.render_many.render_many` does there.

Handing ``render_many`` a cluster's ``Client.get_executor()`` as a plain
``concurrent.futures`` executor made a 2-worker LocalCluster slower than one
process (0.93x): the executor submits "pure" tasks, so the client hashed every
record of every chunk (dask's ``tokenize`` walks each certificate's dicts),
the scheduler then walked the arguments again looking for futures, and a
custom layout or a blank travelled with every chunk and was prepared again
each time. Here:

- the job's fixed state (options, a custom layout, the bytes of a user's
  blank) is scattered to every worker once; each task names it, so a worker
  keeps one layout object and prepares it once (built-in layouts are
  prepared once per process anyway, by name);
- a chunk's records travel as one pickled ``bytes`` object, under a key of
  our own: nothing on the client or the scheduler walks them;
- chunks are larger than for a local pool (a task costs the client, the
  scheduler and the worker a few milliseconds), a few per worker thread are
  in flight, and results come back in input order, as from ``render_many``.

Records are isolated as everywhere (a bad one is a result with an error),
and a user's blank reaches workers on other machines without a shared
folder: each worker writes the bytes to a private temporary file once.

``distributed`` is imported only here, when a cluster is used; it is the
``[dask]`` extra.
"""

from __future__ import annotations

import atexit
import hashlib
import math
import os
import pickle
import shutil
import tempfile
import threading
import uuid
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eur1pdf import __version__
from eur1pdf.bulk.render_many import RenderResult, render_chunk
from eur1pdf.errors import Eur1pdfError
from eur1pdf.layouts.schema import Layout
from eur1pdf.options import FillOptions

MIN_CHUNK, MAX_CHUNK, UNSIZED_CHUNK = 8, 64, 32  # records per task
CHUNKS_PER_THREAD = 4  # chunks per worker thread over a sized input: the last ones balance the load
IN_FLIGHT_PER_THREAD = 3  # chunks submitted and not yet collected, per worker thread


@dataclass(frozen=True)
class DaskJob:
    """What every chunk of one run shares, sent to each worker once."""

    options: FillOptions
    layout: Layout | None
    blank: bytes | None  # a user's blank form, its bytes (its path need not exist on the workers)
    blank_sha256: str | None
    spool: str | None
    version: str = __version__  # the client's eur1pdf: a worker with another one would make other bytes


class ClusterError(Eur1pdfError):
    """The cluster could not be reached, or could not run eur1pdf's tasks (not a record's fault)."""


def connect_scheduler(address: str, timeout: float | None = None) -> Any:
    """A ``distributed.Client`` for the scheduler at ``address`` (``tcp://host:8786``); ClusterError
    when it does not answer within ``timeout`` seconds (None: Dask's setting
    ``distributed.comm.timeouts.connect``, e.g. ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s``)."""
    from distributed import Client

    waiting = {} if timeout is None else {"timeout": timeout}
    try:
        return Client(address, set_as_default=False, **waiting)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"--scheduler {address}: cannot reach the Dask scheduler ({exc})") from None


def dask_client_of(executor: Any) -> Any | None:
    """The ``distributed.Client`` behind ``executor`` (the client itself or its ``get_executor()``),
    or None for any other executor. Looks at the type's module: no import of ``distributed``."""
    if executor is None or not type(executor).__module__.startswith("distributed"):
        return None
    if hasattr(executor, "scatter") and hasattr(executor, "submit"):
        return executor  # a Client
    return getattr(executor, "_client", None)  # a ClientExecutor


def submit_options_of(executor: Any) -> dict[str, Any]:
    """The keyword arguments given to ``client.get_executor(...)`` (workers, resources …), kept."""
    kwargs = dict(getattr(executor, "_kwargs", None) or {})
    kwargs.pop("pure", None)  # our tasks are never pure: their keys are ours
    return kwargs


def worker_threads(client: Any) -> int:
    """The cluster's worker threads now (at least 1: workers may still be joining)."""
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:  # a scheduler that does not answer now is found by the first task
        return 1


def auto_chunk_size(certs: Iterable[Any], threads: int) -> int:
    """Records per task: about ``CHUNKS_PER_THREAD`` chunks per thread, within MIN..MAX_CHUNK."""
    try:
        total = len(certs)  # type: ignore[arg-type]
    except TypeError:
        return UNSIZED_CHUNK
    return max(MIN_CHUNK, min(MAX_CHUNK, math.ceil(total / (threads * CHUNKS_PER_THREAD))))


def make_job(
    options: FillOptions, layout: Layout | None, blank: str | Path | None, spool: str | None
) -> DaskJob:
    """The run's shared state; a user's blank is read here, on the client, where its path is valid."""
    if blank is None:
        return DaskJob(options, layout, None, None, spool)
    from eur1pdf.errors import Eur1pdfError

    try:
        data = Path(blank).read_bytes()
    except OSError as exc:
        raise Eur1pdfError(f"--blank {blank}: cannot read ({exc.strerror})") from None
    return DaskJob(options, layout, data, hashlib.sha256(data).hexdigest(), spool)


def render_on_dask(
    certs: Iterable[Any],
    options: FillOptions,
    client: Any,
    *,
    layout: Layout | None = None,
    blank: str | Path | None = None,
    chunk_size: int | None = None,
    spool: str | None = None,
    submit_options: dict[str, Any] | None = None,
) -> Generator[RenderResult, None, None]:
    """Render on the cluster behind ``client``; one :class:`RenderResult` per input, in input order.

    Closing the generator early (Ctrl-C in a batch) cancels the chunks still
    out; the client itself is the caller's and stays open.
    """
    threads = worker_threads(client)
    size = chunk_size or auto_chunk_size(certs, threads)
    job = client.scatter(make_job(options, layout, blank, spool), broadcast=True, hash=False)
    run = uuid.uuid4().hex
    window = max(2, IN_FLIGHT_PER_THREAD * threads)
    in_flight: deque[Any] = deque()
    extra = submit_options or {}
    try:
        for number, chunk in enumerate(_chunks(certs, size, threads)):
            payload = pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)
            key = f"eur1pdf-render-{run}-{number}"
            in_flight.append(client.submit(render_chunk_task, job, payload, key=key, pure=False, **extra))
            if len(in_flight) >= window:
                yield from _collect(in_flight.popleft())
        while in_flight:
            yield from _collect(in_flight.popleft())
    finally:
        for future in in_flight:
            future.cancel()
        job.cancel()


def _collect(future: Any) -> list[RenderResult]:
    """A chunk's results. Each record's own failure is in its result; an exception here is the
    cluster's (a worker lost again and again, eur1pdf missing or of another version on a worker)."""
    try:
        payload = future.result()
    except Eur1pdfError:
        raise
    except Exception as exc:
        raise ClusterError(
            f"the Dask cluster could not render a chunk ({type(exc).__name__}: {exc}); every worker "
            f"needs eur1pdf {__version__} installed, as on this machine"
        ) from exc
    results: list[RenderResult] = pickle.loads(payload)
    future.release()  # the worker may forget the chunk's results now
    return results


def _chunks(records: Iterable[Any], size: int, threads: int) -> Iterator[list[tuple[int, Any]]]:
    """Chunks of ``size`` records; the first round of chunks smaller (from MIN_CHUNK, doubling per
    round of ``threads`` chunks), so every worker starts at once and the first results come soon."""
    chunk: list[tuple[int, Any]] = []
    number = 0
    for index, record in enumerate(records):
        chunk.append((index, record))
        if len(chunk) >= min(size, MIN_CHUNK << min(number // threads, 8)):
            yield chunk
            chunk = []
            number += 1
    if chunk:
        yield chunk


# ----------------------------------------------------------------------------- worker side


def render_chunk_task(job: DaskJob, payload: bytes) -> bytes:
    """Run on a worker: one chunk's results, pickled (the worker hands bytes on without looking)."""
    if job.version != __version__:
        raise ClusterError(f"this worker has eur1pdf {__version__}, the client {job.version}")
    chunk = pickle.loads(payload)
    blank = _blank_file(job.blank, job.blank_sha256) if job.blank is not None else None
    results = render_chunk(chunk, job.options, job.layout, blank, job.spool)
    return pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)


_blank_files: dict[str, str] = {}
_blank_lock = threading.Lock()


def _blank_file(data: bytes, sha256: str | None) -> str:
    """A worker's copy of the user's blank, written once per process into a private folder.

    ``render`` reads a blank by path (and caches it by path, size and time);
    the output records only the blank's SHA-256, so the copy's name changes nothing.
    """
    key = sha256 or hashlib.sha256(data).hexdigest()
    with _blank_lock:
        path = _blank_files.get(key)
        if path is None:
            folder = tempfile.mkdtemp(prefix="eur1pdf-blank-")
            atexit.register(shutil.rmtree, folder, True)
            path = os.path.join(folder, f"{key}.pdf")
            with open(path, "wb") as fh:
                fh.write(data)
            _blank_files[key] = path
        return path

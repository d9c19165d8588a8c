"""Many certificates at once: :func:`render_many`, on any ``concurrent.futures`` executor.

The work is cut into small chunks of records; each chunk is one task, so the
cost of sending work to another process is paid per chunk, not per document.
At most a few chunks per worker are in flight at any time, so memory stays
flat however long the input is, and results come back in input order.

A record that breaks a rule, does not parse or makes anything inside fail is
a result with an ``error``, never an exception: one bad record must not cost
the good ones. Any executor works: the default process pool, a thread pool,
or a cluster's (``dask.distributed.Client.get_executor()``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from eur1pdf.api import render
from eur1pdf.bulk.crash_points import crash_point
from eur1pdf.bulk.worker_life import OwnPool
from eur1pdf.certificate.model import Certificate, certificate_from_data, parse_text
from eur1pdf.errors import Eur1pdfError, InputError, Problem, internal_error
from eur1pdf.files import current_umask
from eur1pdf.layouts.schema import Layout
from eur1pdf.options import FillOptions
from eur1pdf.rules import Finding, RuleViolation, findings_from_input_error


@dataclass(frozen=True)
class RecordText:
    """A record not parsed yet: parsing is work too, so it happens in the worker."""

    text: str
    source: str  # "certs.jsonl:12" or a file name, for messages
    fmt: str = "json"  # json | yaml
    stem: str = ""  # the input file's stem, for output names
    problem: str | None = None  # why the record could not even be read (too large, not UTF-8)


@dataclass
class RenderResult:
    """One record's outcome: the PDF, or the error that stopped it; the findings either way.

    With a spool folder (:func:`render_many`) the PDF is not carried back:
    ``spooled`` is the temporary file the worker wrote it to, with its
    ``sha256`` and ``size``, for the caller to rename into place.
    """

    index: int  # position in the input, from 0
    pdf: bytes | None = None
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # values for output-name templates
    spooled: str | None = None
    sha256: str | None = None
    size: int | None = None
    output_error: bool = False  # made, but the spool folder would not take it (a full disk, say)

    @property
    def ok(self) -> bool:
        return self.pdf is not None or self.spooled is not None


SPOOL_PREFIX = ".eur1pdf-spool-"


def spool_files(folder: Path) -> list[Path]:
    """Temporary files a spooling run left in ``folder`` (removed when a run ends)."""
    return sorted(folder.glob(f"{SPOOL_PREFIX}*.tmp"))


def _spool(result: RenderResult, folder: str) -> RenderResult:
    """Write the PDF to a temporary file in ``folder`` (the output folder: renaming is then atomic)."""
    if result.pdf is None:
        return result
    path = None
    try:
        fd, path = tempfile.mkstemp(prefix=SPOOL_PREFIX, suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(result.pdf)
        os.chmod(path, 0o666 & ~current_umask())  # the usual file mode, as write_atomic gives
    except OSError as exc:  # a full disk: not the record's fault; the caller decides (a batch stops)
        if path is not None:
            with contextlib.suppress(OSError):
                os.unlink(path)
        error = f"cannot write the PDF ({exc.strerror or exc})"
        return RenderResult(result.index, None, result.findings, error, output_error=True)
    digest = hashlib.sha256(result.pdf).hexdigest()
    size = len(result.pdf)
    return RenderResult(result.index, None, result.findings, None, result.names, path, digest, size)


def _names(cert: Certificate, index: int, stem: str) -> dict[str, str]:
    return {
        "index": str(index + 1),
        "serial": cert.serial or "",
        "form": cert.form,
        "agreement": cert.agreement or "",
        "issue_date": cert.issue_date.isoformat(),
        "exporter.name": cert.exporter.name,
        "consignee.name": cert.consignee.name if cert.consignee else "",
        "stem": stem or str(index + 1),
    }


def render_one(
    index: int,
    record: Certificate | dict[str, Any] | RecordText,
    options: FillOptions,
    layout: Layout | None = None,
    blank: str | Path | None = None,
) -> RenderResult:
    """Render one record; every failure becomes the result's error (isolation)."""
    crash_point(f"render-{index + 1}")  # a test hook: a record that kills the process rendering it
    findings: list[Finding] = []
    source = record.source if isinstance(record, RecordText) else None
    head = f"{source}: " if source else ""
    try:
        if isinstance(record, RecordText) and record.problem is not None:
            raise InputError([Problem(None, None, record.problem)], record.source)
        if isinstance(record, RecordText):
            cert = certificate_from_data(parse_text(record.text, record.source, record.fmt), record.source)
            stem = record.stem
        else:
            cert, stem = certificate_from_data(record), ""
        pdf = render(cert, options, layout, blank, on_findings=findings.extend)
        return RenderResult(index, pdf, findings, names=_names(cert, index, stem))
    except RuleViolation as exc:
        return RenderResult(index, None, exc.findings, head + str(exc))
    except InputError as exc:
        return RenderResult(index, None, findings_from_input_error(exc.problems), str(exc))
    except Eur1pdfError as exc:
        return RenderResult(index, None, findings, head + str(exc))
    except Exception as exc:  # a bug of ours must not cost the other records
        internal_error(exc)  # counted; raised again under the test suite (EUR1PDF_FAIL_ON_INTERNAL)
        return RenderResult(index, None, findings, f"{head}internal error ({type(exc).__name__}: {exc})")


def render_chunk(
    chunk: list[tuple[int, Any]],
    options: FillOptions,
    layout: Layout | None,
    blank: str | Path | None,
    spool: str | None = None,
) -> list[RenderResult]:
    results = [render_one(index, record, options, layout, blank) for index, record in chunk]
    return [_spool(r, spool) for r in results] if spool is not None else results


def default_jobs() -> int:
    """The machine's cores, or the ones this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _chunks(records: Iterable[Any], size: int) -> Iterator[list[tuple[int, Any]]]:
    chunk: list[tuple[int, Any]] = []
    for index, record in enumerate(records):
        chunk.append((index, record))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def render_many(
    certs: Iterable[Certificate | dict[str, Any] | RecordText],
    options: FillOptions | None = None,
    executor: Executor | None = None,
    *,
    jobs: int | None = None,
    layout: Layout | None = None,
    blank: str | Path | None = None,
    chunk_size: int | None = None,
    spool: str | Path | None = None,
) -> Generator[RenderResult, None, None]:
    """Render every certificate; yields one :class:`RenderResult` per input, in input order.

    ``executor``: any :class:`concurrent.futures.Executor`; None makes a
    process pool of ``jobs`` workers (default: the machine's cores) for the
    duration of the call; ``jobs=1`` without an executor renders in this
    process. Options, layout and blank must be picklable for other processes.
    ``spool``: a folder the workers write each PDF to (a temporary file
    named in the result) instead of sending the bytes back, so the process
    that collects the results has little to do and does not hold up the
    workers; the caller renames or removes the files (:func:`spool_files`).
    In its own pool a worker that dies (the OOM killer, a crash) costs no
    record: see :func:`_first_done`.
    ``chunk_size``: records per task (default 8; on a Dask cluster, sized to it).
    A Dask ``Client`` (or its ``get_executor()``) runs the work as
    :mod:`eur1pdf.bulk.dask_runner` does: the shared state sent once, chunks opaque.
    """
    spool = str(spool) if spool is not None else None
    options = options or FillOptions()
    if chunk_size is not None and chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    from eur1pdf.bulk.dask_runner import dask_client_of, render_on_dask, submit_options_of

    client = dask_client_of(executor)
    if client is not None:  # a Dask cluster: its own way of sending work (eur1pdf.bulk.dask_runner)
        yield from render_on_dask(
            certs, options, client, layout=layout, blank=blank, chunk_size=chunk_size, spool=spool,
            submit_options=submit_options_of(executor),
        )  # fmt: skip
        return
    chunk_size = chunk_size or 8
    chunks = _chunks(certs, chunk_size)
    if executor is None and (jobs or default_jobs()) == 1:
        for chunk in chunks:
            yield from render_chunk(chunk, options, layout, blank, spool)
        return
    workers = jobs or default_jobs()
    pool: Executor | OwnPool = executor or OwnPool(workers)
    task = partial(render_chunk, options=options, layout=layout, blank=blank, spool=spool)
    in_flight: deque[tuple[list[tuple[int, Any]], Future[list[RenderResult]]]] = deque()
    window = max(2, 3 * workers)
    try:
        for chunk in chunks:
            in_flight.append((chunk, pool.submit(task, chunk)))
            if len(in_flight) >= window:
                yield from _first_done(in_flight, pool, task)
        while in_flight:
            yield from _first_done(in_flight, pool, task)
    finally:
        for _, future in in_flight:
            future.cancel()
        if isinstance(pool, OwnPool):
            pool.shutdown(wait=True, cancel_futures=True)


Task = Callable[[list[tuple[int, Any]]], list[RenderResult]]


def _first_done(
    in_flight: deque[tuple[list[tuple[int, Any]], Future[list[RenderResult]]]],
    pool: Executor | OwnPool,
    task: Task,
) -> Iterator[RenderResult]:
    """The results of the first chunk in flight, waited for.

    When a worker of our own pool died (the OOM killer, a crash), every chunk
    in flight not finished is lost with it: their records are rendered again
    one at a time in a fresh pool, so that only a record that kills its worker
    again fails. Results are still given in input order.
    """
    future = in_flight[0][1]
    try:
        results = future.result()
    except BrokenProcessPool:
        if not isinstance(pool, OwnPool):
            raise
        lost = list(in_flight)
        in_flight.clear()
        pool.replace()
        for chunk, earlier in lost:
            finished = earlier.done() and not earlier.cancelled() and earlier.exception() is None
            yield from earlier.result() if finished else _one_at_a_time(chunk, pool, task)
        return
    in_flight.popleft()
    yield from results


def _one_at_a_time(records: list[tuple[int, Any]], pool: OwnPool, task: Task) -> Iterator[RenderResult]:
    for index, record in records:
        try:
            results = pool.submit(task, [(index, record)]).result()
        except BrokenProcessPool:
            pool.replace()
            source = record.source if isinstance(record, RecordText) else None
            head = f"{source}: " if source else ""
            results = [RenderResult(index, None, error=f"{head}{WORKER_DIED}")]
        yield from results


WORKER_DIED = "the process rendering this record died (killed, out of memory, or crashed)"

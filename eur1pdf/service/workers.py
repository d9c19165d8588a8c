"""Rendering in worker processes, so the event loop never blocks.

Each worker renders the bundled example once when it starts, so the first
real request finds its caches warm. Work in hand is bounded (503 beyond),
each job's time too, and a pool whose process died is started again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import anyio.from_thread
from fastapi import HTTPException
from fastapi.responses import Response

from eur1pdf.api import render
from eur1pdf.bulk.gc_tuning import tune_for_bulk
from eur1pdf.errors import (
    Eur1pdfError,
    FitError,
    InputError,
    LayoutError,
    MissingGlyphError,
    OutputError,
    UnknownLayoutError,
)
from eur1pdf.lifeline import bind_to_owner, kill_workers, lifeline, pool_processes
from eur1pdf.options import FillOptions, OptionsError
from eur1pdf.resources import examples_dir
from eur1pdf.rules import Finding, RuleViolation, findings_from_input_error, findings_from_render_error
from eur1pdf.service.config import ServerConfig
from eur1pdf.service.previews import page_png
from eur1pdf.service.process_pool import AsyncProcessPool

log = logging.getLogger("eur1pdf.service.app")  # the name operators' logging configurations know
T = TypeVar("T")


class ServerFault(Eur1pdfError):
    """A certificate could not be made for a reason of the server's own (answered 500)."""


# ----------------------------------------------------------------------------- worker side


def _outcome_of_error(exc: Eur1pdfError) -> tuple[int, dict[str, Any]]:
    """An error as (HTTP status, JSON body): the data's problems are 422 with findings, the
    request's 400, the server's own (its key, its layouts, its settings) 500."""
    if isinstance(exc, RuleViolation):
        return 422, {
            "message": "the certificate breaks rules",
            "findings": [f.to_dict() for f in exc.findings],
        }
    if isinstance(exc, InputError):
        findings = [f.to_dict() for f in findings_from_input_error(exc.problems)]
        return 422, {"message": "the certificate does not follow the input format", "findings": findings}
    if isinstance(exc, FitError | MissingGlyphError):  # registered rules, as every finding's code
        findings = [f.to_dict() for f in findings_from_render_error(exc)]
        return 422, {"message": str(exc), "findings": findings}
    if is_server_fault(exc):  # nothing the client can change: the reason goes to the server's log
        log.error("a certificate could not be made, the server's fault: %s", exc)
        return 500, {"message": SERVER_FAULT, "findings": []}
    return 400, {"message": str(exc), "findings": []}


SERVER_FAULT = "the server could not make the certificate: its configuration is at fault (see its log)"
SERVER_OPTIONS = {"verify_url", "lock_password", "signing", "pdfa", "printer"}  # set by the operator


def is_server_fault(exc: Eur1pdfError) -> bool:
    """The errors no request can cause: signing or locking (the server's key and password), a
    broken layout file, an option only the operator sets, an output that cannot be written."""
    from eur1pdf.finish.signatures import FinishError

    if isinstance(exc, OptionsError):
        return exc.option in SERVER_OPTIONS
    if isinstance(exc, UnknownLayoutError):  # the form a request names
        return False
    return isinstance(exc, FinishError | LayoutError | OutputError)


def _render_job(data: Any, options: FillOptions, preview: tuple[int, int] | None) -> tuple[int, str, bytes]:
    """Run in a worker: (status, media type, body). Only plain values cross the process boundary."""
    try:
        pdf = render(data, options)
    except Eur1pdfError as exc:
        status, body = _outcome_of_error(exc)
        return status, "application/json", json.dumps(body, ensure_ascii=False).encode()
    if preview is None:
        return 200, "application/pdf", pdf
    page, dpi = preview
    try:
        return 200, "image/png", page_png(pdf, page, dpi)
    except IndexError as exc:
        body = {"message": str(exc), "findings": []}
        return 422, "application/json", json.dumps(body).encode()


RegistryRender = tuple[bytes | None, list[dict] | None, str | None, int]  # (PDF, findings, message, status)


def render_for_registry(data: Any, options: FillOptions) -> RegistryRender:
    """Run in a worker for the registry: (PDF, None, None, 200), or the findings that stop it, or a
    message and its status. Errors cross the process boundary as plain values; the registry turns
    findings into RuleErrors, a server's fault into :class:`ServerFault` (500)."""
    try:
        return render(data, options), None, None, 200
    except Eur1pdfError as exc:
        status, body = _outcome_of_error(exc)
        if status == 422:
            return None, body["findings"], None, status
        return None, None, body["message"], status


def _start_worker(server_pid: int, direct: bool, deathsig: bool) -> None:
    """A worker's initializer: bound to the server's life (:mod:`eur1pdf.lifeline`), then warmed up."""
    bind_to_owner(server_pid, direct, deathsig)
    _warm_up()


def _warm_up() -> None:
    """Render the bundled example once, so the worker's caches are warm for the first request."""
    example = json.loads((examples_dir() / "eur1-ch-mx.json").read_text(encoding="utf-8"))
    for options in (FillOptions(), FillOptions(draft=True), FillOptions(overlay_only=True)):
        render(example, options)
    tune_for_bulk()  # after the warm-up, so the layouts and fonts it loaded are never walked again


# ----------------------------------------------------------------------------- server side


class RenderingPool:
    """The worker processes and the slots of work in hand; started and shut down with the app."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.pool: AsyncProcessPool | None = None
        self.slots: asyncio.Semaphore | None = None

    def _new_pool(self) -> AsyncProcessPool:
        # fed by the event loop itself, not through threads that wait for the GIL (see process_pool);
        # each worker is bound to the server's life (eur1pdf.lifeline)
        return AsyncProcessPool(self.config.workers, initializer=_start_worker, initargs=lifeline())

    def start(self) -> None:
        """Called in the app's lifespan, inside the event loop the slots belong to."""
        self.pool = self._new_pool()
        # Work in hand is bounded: a slot is taken per request and given back when its job ends
        # (not when its client stops waiting), so slow or flooding clients get 503, not a queue.
        self.slots = asyncio.Semaphore(self.config.workers * self.config.queue_per_worker)

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)  # workers finish and exit with the server

    def _replace(self, broken: AsyncProcessPool) -> None:
        if self.pool is broken:  # once, however many requests noticed
            self.pool = self._new_pool()
            survivors = pool_processes(broken)
            broken.shutdown(wait=False, cancel_futures=True)
            kill_workers(survivors)  # the pool's other workers: never left behind (~100 MB each)
            log.error("a rendering process died; the pool was started again")

    async def run(self, data: Any, options: FillOptions, preview: tuple[int, int] | None = None) -> Response:
        """Render in a worker: the answer, or 503 when busy, too slow or a worker died."""
        status, media, body = await self.call(_render_job, data, options, preview)
        return Response(body, status_code=status, media_type=media)

    async def call(self, job: Callable[..., T], *args: Any) -> T:
        """``job(*args)`` in a worker (a module-level function, plain values in and out); 503 when
        busy, too slow, or a worker died."""
        slots = self.slots
        assert slots is not None, "the slots and the pool start with the app's lifespan"
        if slots.locked():
            raise HTTPException(
                503, "busy: every worker has work waiting; retry", headers={"Retry-After": "1"}
            )
        await slots.acquire()
        pool = self.pool
        assert pool is not None
        try:
            future = pool.submit(job, *args)
        except BrokenProcessPool:
            slots.release()
            self._replace(pool)
            raise HTTPException(503, "a rendering process had died; retry") from None
        loop = asyncio.get_running_loop()  # the callback runs in the pool's thread: hand it to the loop
        future.add_done_callback(lambda _: loop.call_soon_threadsafe(slots.release))
        timeout_s = self.config.timeout_s
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout_s)
        except TimeoutError:
            raise HTTPException(503, f"it took longer than {timeout_s:g} s (the server's timeout)") from None
        except BrokenProcessPool:  # a worker was killed (out of memory …): start afresh, say so
            self._replace(pool)
            raise HTTPException(503, "a rendering process died; retry") from None

    def registry_renderer(self) -> Callable[[Mapping[str, Any], FillOptions], bytes]:
        """A renderer for :class:`eur1pdf.service.registry.Registry`, which calls it in a thread
        of the event loop's (``anyio.to_thread``): the PDF is made in a worker, as every other."""

        def render_in_worker(data: Mapping[str, Any], options: FillOptions) -> bytes:
            outcome = anyio.from_thread.run(self.call, render_for_registry, dict(data), options)
            pdf, findings, message, status = outcome
            if findings is not None:
                raise RuleViolation([Finding.from_dict(finding) for finding in findings])
            if pdf is None:
                fault = ServerFault if status >= 500 else Eur1pdfError
                raise fault(message or "the certificate could not be made")
            return pdf

        return render_in_worker

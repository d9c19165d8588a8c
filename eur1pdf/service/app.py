"""eur1pdf as an HTTP service: FastAPI on uvicorn, for back offices in any language.

Safe by default: it listens on loopback unless told otherwise, can require
an API key (compared in constant time), refuses bodies over a limit (413)
before reading them whole, bounds each request's time, and never answers
with a traceback or a file path. Signing keys, passwords and printer
profiles are server configuration; a request can only name a profile.

Rendering runs in worker processes (:class:`ProcessPoolExecutor`), so the
event loop never blocks; each worker renders the bundled example once when
it starts, so the first real request finds its caches warm.
"""

from __future__ import annotations

import asyncio
import hmac
import io
import logging
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response

from eur1pdf.api import FillOptions, render
from eur1pdf.bulk.gc_tuning import tune_for_bulk
from eur1pdf.certificate.model import Certificate, certificate_from_data
from eur1pdf.errors import Eur1pdfError, FitError, InputError, MissingGlyphError
from eur1pdf.layouts import geometry_json, get_layout, layout_names
from eur1pdf.printer import PrinterProfile
from eur1pdf.resources import examples_dir
from eur1pdf.rules.checks import Finding, RuleViolation, findings_from_input_error, validate

log = logging.getLogger("eur1pdf.service.app")

MAX_PREVIEW_DPI = 200
OPEN_PATHS = {"/healthz"}  # answered without the API key (load balancers, systemd checks)


@dataclass(frozen=True)
class ServerConfig:
    """What the operator decides; nothing here can be set by a request."""

    workers: int = 1
    api_key: str | None = None
    max_body_bytes: int = 1_000_000
    timeout_s: float = 30.0
    queue_per_worker: int = 64  # requests waiting or rendering per worker; beyond, 503 at once
    printers: dict[str, PrinterProfile] = field(default_factory=dict)  # name -> profile
    base: FillOptions = field(default_factory=FillOptions)  # verify URL, lock password, signing key


# ----------------------------------------------------------------------------- worker side


def _finding(severity: str, code: str, box: str | None, field_: str | None, message: str) -> dict[str, Any]:
    return Finding(severity, code, box, field_, message).to_dict()  # type: ignore[arg-type]


def _outcome_of_error(exc: Eur1pdfError) -> tuple[int, dict[str, Any]]:
    """An error as (HTTP status, JSON body): the data's problems are 422 with findings."""
    if isinstance(exc, RuleViolation):
        return 422, {
            "message": "the certificate breaks rules",
            "findings": [f.to_dict() for f in exc.findings],
        }
    if isinstance(exc, InputError):
        findings = [f.to_dict() for f in findings_from_input_error(exc.problems)]
        return 422, {"message": "the certificate does not follow the input format", "findings": findings}
    if isinstance(exc, FitError):
        finding = _finding("error", "fit.overflow", exc.box, exc.field, str(exc))
        return 422, {"message": str(exc), "findings": [finding]}
    if isinstance(exc, MissingGlyphError):
        finding = _finding("error", "text.missing_glyph", None, exc.field, str(exc))
        return 422, {"message": str(exc), "findings": [finding]}
    return 400, {"message": str(exc), "findings": []}


def _render_job(data: Any, options: FillOptions, preview: tuple[int, int] | None) -> tuple[int, str, bytes]:
    """Run in a worker: (status, media type, body). Only plain values cross the process boundary."""
    import json

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


def page_png(pdf: bytes, page: int, dpi: int) -> bytes:
    """Page ``page`` (from 1) of ``pdf`` as PNG at ``dpi`` (pypdfium2)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        if not 1 <= page <= len(document):
            raise IndexError(f"page {page}: the document has {len(document)} page(s)")
        image = document[page - 1].render(scale=dpi / 72).to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=False)
        return buffer.getvalue()
    finally:
        document.close()


def _warm_up() -> None:
    """Render the bundled example once, so the worker's caches are warm for the first request."""
    import json

    example = json.loads((examples_dir() / "eur1-ch-mx.json").read_text(encoding="utf-8"))
    for options in (FillOptions(), FillOptions(draft=True), FillOptions(overlay_only=True)):
        render(example, options)
    tune_for_bulk()  # after the warm-up, so the layouts and fonts it loaded are never walked again


# ----------------------------------------------------------------------------- HTTP side


class _BodyLimit:
    """ASGI middleware: 413 for a body over the limit, counted as it arrives (chunked too)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(self.limit, send)
            return
        # Read the body here, up to the limit (it is that small or refused), then hand it on.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nobody to answer
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await _too_large(self.limit, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay(body, receive), send)


def _replay(body: dict, then: Any) -> Any:
    """An ASGI receive that gives the body read already, then waits on the real one (disconnects)."""
    pending = [body]

    async def receive() -> dict:
        if pending:
            return pending.pop()
        return await then()

    return receive


async def _too_large(limit: int, send: Any) -> None:
    body = f'{{"message":"the request body is over the limit of {limit} bytes"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _api_key_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


def _sheets(text: str | None) -> tuple[int, ...] | None:
    if text is None or not text.strip():
        return None
    try:
        sheets = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise HTTPException(400, "sheets: give sheet numbers separated by commas, e.g. 1 or 1,3") from None
    if any(n < 1 for n in sheets):
        raise HTTPException(400, "sheets: sheet numbers start at 1")
    return sheets


Mode = Literal["draft", "final"]
CertificateBody = Annotated[
    dict[str, Any],
    Body(description="one certificate in the input format (certificate-json), as for `eur1pdf fill`"),
]


# Query parameters shared by /v1/certificates and /v1/preview (module level: FastAPI resolves them by name)
QueryMode = Annotated[Mode | None, Query(description="draft or final; none: an unmarked certificate")]
QueryOverlay = Annotated[bool, Query(description="the data alone, for pre-printed stock")]
QuerySheets = Annotated[str | None, Query(description="sheets, e.g. 1 or 1,3 (default: the whole set)")]
QueryPrinter = Annotated[str | None, Query(description="a printer profile configured on the server")]
QueryOverflow = Annotated[Literal["error", "split"], Query(description="when box 8 is full")]
QueryPage = Annotated[int, Query(ge=1, le=10_000, description="page number, from 1")]
QueryDpi = Annotated[int, Query(ge=18, le=MAX_PREVIEW_DPI, description="resolution of the PNG")]


def create_app(config: ServerConfig | None = None) -> FastAPI:
    """The ASGI application; ``uvicorn.run(create_app(config))`` serves it."""
    config = config or ServerConfig()
    if config.api_key is not None and not config.api_key.strip():
        raise ValueError("an empty API key would let everyone in")
    state: dict[str, Any] = {}

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=config.workers, initializer=_warm_up)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state["pool"] = new_pool()
        # Work in hand is bounded: a slot is taken per request and given back when its job ends
        # (not when its client stops waiting), so slow or flooding clients get 503, not a queue.
        state["slots"] = asyncio.Semaphore(config.workers * config.queue_per_worker)
        try:
            yield
        finally:
            state["pool"].shutdown(wait=True, cancel_futures=True)  # workers finish and exit with the server

    app = FastAPI(
        title="eur1pdf",
        version="1",
        summary="Proof-of-origin certificates (EUR.1 and family) as PDF, checked against the agreements",
        lifespan=lifespan,
    )

    @app.middleware("http")
    async def api_key(request: Request, call_next):
        if config.api_key is not None and request.url.path not in OPEN_PATHS:
            given = _api_key_of(request) or ""
            if not hmac.compare_digest(given.encode(), config.api_key.encode()):
                return JSONResponse(
                    {"message": "an API key is required (Authorization: Bearer KEY or X-API-Key)"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return await call_next(request)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s", request.url.path)  # the details stay in the server's log
        return JSONResponse({"message": "internal error"}, status_code=500)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"message": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    def fill_options(
        mode: QueryMode = None,
        overlay_only: QueryOverlay = False,
        sheets: QuerySheets = None,
        printer: QueryPrinter = None,
        on_overflow: QueryOverflow = "error",
    ) -> FillOptions:
        """The query parameters /v1/certificates and /v1/preview share, with the server's settings."""
        profile = None
        if printer is not None:
            profile = config.printers.get(printer)
            if profile is None:
                known = ", ".join(sorted(config.printers)) or "none configured"
                raise HTTPException(
                    400, f"printer {printer!r} is not configured on this server (known: {known})"
                )
        base = config.base
        final = mode == "final"
        if final and base.verify_url is None:
            raise HTTPException(
                400, "final certificates need a verification link: the server has no verify_url"
            )
        return replace(
            base,
            sheets=_sheets(sheets),
            overlay_only=overlay_only,
            on_overflow=on_overflow,  # type: ignore[arg-type]
            printer=profile,
            draft=mode == "draft",
            final=final,
            lock_password=base.lock_password if final else None,
            signing=base.signing if final else None,
        )

    from_query = Depends(fill_options)  # FastAPI reads fill_options' query parameters for each request

    def replace_pool(broken: ProcessPoolExecutor) -> None:
        if state["pool"] is broken:  # once, however many requests noticed
            state["pool"] = new_pool()
            broken.shutdown(wait=False, cancel_futures=True)
            log.error("a rendering process died; the pool was started again")

    async def run(data: Any, options: FillOptions, preview: tuple[int, int] | None = None) -> Response:
        slots: asyncio.Semaphore = state["slots"]
        if slots.locked():
            raise HTTPException(
                503, "busy: every worker has work waiting; retry", headers={"Retry-After": "1"}
            )
        await slots.acquire()
        pool: ProcessPoolExecutor = state["pool"]
        try:
            future = pool.submit(_render_job, data, options, preview)
        except BrokenProcessPool:
            slots.release()
            replace_pool(pool)
            raise HTTPException(503, "a rendering process had died; retry") from None
        loop = asyncio.get_running_loop()  # the callback runs in the pool's thread: hand it to the loop
        future.add_done_callback(lambda _: loop.call_soon_threadsafe(slots.release))
        try:
            status, media, body = await asyncio.wait_for(asyncio.wrap_future(future), config.timeout_s)
        except TimeoutError:
            raise HTTPException(503, f"the certificate took longer than {config.timeout_s:g} s") from None
        except BrokenProcessPool:  # a worker was killed (out of memory …): start afresh, say so
            replace_pool(pool)
            raise HTTPException(503, "a rendering process died; retry") from None
        return Response(body, status_code=status, media_type=media)

    @app.post(
        "/v1/certificates",
        response_class=Response,
        responses={
            200: {"content": {"application/pdf": {}}, "description": "the certificate"},
            422: {"description": "the findings that stop it (as `eur1pdf validate --format json`)"},
        },
    )
    async def certificates(certificate: CertificateBody, options: FillOptions = from_query) -> Response:
        """Fill one certificate: the PDF, or 422 with the findings."""
        return await run(certificate, options)

    @app.post(
        "/v1/preview",
        response_class=Response,
        responses={200: {"content": {"image/png": {}}, "description": "one page as PNG"}},
    )
    async def preview(
        certificate: CertificateBody,
        page: QueryPage = 1,
        dpi: QueryDpi = 100,
        options: FillOptions = from_query,
    ) -> Response:
        """One page of the certificate as PNG, to look at before printing."""
        return await run(certificate, options, (page, dpi))

    @app.post("/v1/validate")
    async def validate_certificate(certificate: CertificateBody) -> dict[str, Any]:
        """Every finding (errors and warnings) for the certificate; nothing is rendered."""
        try:
            findings = validate(certificate_from_data(certificate))
        except InputError as exc:
            findings = findings_from_input_error(exc.problems)
        errors = [f for f in findings if f.severity == "error"]
        return {"valid": not errors, "findings": [f.to_dict() for f in findings]}

    @app.get("/v1/layouts")
    async def layouts() -> list[dict[str, str]]:
        """The forms this server fills."""
        return [{"name": name, "title": get_layout(name).title} for name in layout_names()]

    @app.get("/v1/layouts/{name}")
    async def layout(name: str) -> dict[str, Any]:
        """A form's geometry in mm (as `eur1pdf layouts show NAME --json`)."""
        if name not in layout_names():
            raise HTTPException(404, f"no layout {name!r}")
        return geometry_json(get_layout(name))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def openapi() -> dict[str, Any]:
        """The generated document, with the certificate's own JSON schema as the request body.

        The handlers take a plain object so that a broken certificate gets
        eur1pdf's findings (field, box) rather than FastAPI's generic 422;
        the document still tells clients, and API fuzzers, what to send.
        """
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            body = Certificate.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(body.pop("$defs", {}))
            schemas["Certificate"] = body
            for path in ("/v1/certificates", "/v1/preview", "/v1/validate"):
                content = document["paths"][path]["post"]["requestBody"]["content"]
                content["application/json"]["schema"] = {"$ref": "#/components/schemas/Certificate"}
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    return _BodyLimit(app, config.max_body_bytes)  # type: ignore[return-value]

"""``POST /v1/certificates``, ``/v1/preview`` and ``/v1/validate``: one certificate in, its PDF,
a page as PNG, or its findings out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, HTTPException, Query
from fastapi.responses import Response

from eur1pdf.certificate.model import certificate_from_data
from eur1pdf.errors import InputError
from eur1pdf.options import FillOptions
from eur1pdf.rules import findings_from_input_error, validate
from eur1pdf.service.config import ServerConfig
from eur1pdf.service.previews import MAX_PREVIEW_DPI
from eur1pdf.service.workers import RenderingPool

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


def fill_options_reader(config: ServerConfig) -> Callable[..., Awaitable[FillOptions]]:
    """A FastAPI dependency: the request's query parameters joined with the server's settings."""

    async def fill_options(  # async: FastAPI would run a plain function in a thread, per request
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
            on_overflow=on_overflow,
            printer=profile,
            draft=mode == "draft",
            final=final,
            lock_password=base.lock_password if final else None,
            signing=base.signing if final else None,
        )

    return fill_options


def add_certificate_routes(app: FastAPI, config: ServerConfig, workers: RenderingPool) -> None:
    """Fill, preview (rendered by ``workers``) and validate (answered here: nothing is rendered)."""
    from_query = Depends(fill_options_reader(config))  # FastAPI reads its query parameters per request

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
        return await workers.run(certificate, options)

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
        return await workers.run(certificate, options, (page, dpi))

    @app.post("/v1/validate")
    async def validate_certificate(certificate: CertificateBody) -> dict[str, Any]:
        """Every finding (errors and warnings) for the certificate; nothing is rendered."""
        try:
            findings = validate(certificate_from_data(certificate))
        except InputError as exc:
            findings = findings_from_input_error(exc.problems)
        errors = [f for f in findings if f.severity == "error"]
        return {"valid": not errors, "findings": [f.to_dict() for f in findings]}

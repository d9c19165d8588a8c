"""``POST /v1/declarations``: the user's invoice PDF and a declaration's data in, the stamped PDF out;
``POST /v1/declarations/text``: the declaration's wording alone.

Two ways to send the invoice: multipart/form-data (a file part ``invoice``
and a part ``declaration`` holding the JSON), or JSON
(``{"invoice_pdf_base64": …, "declaration": {…}}``). The body's size limit,
the API keys and the error answers are the service's own. Stamping reads a
stranger's PDF (held to limits first, see docs/declarations.md): it runs in
the rendering workers, as certificates do, so the server's timeout is a real
deadline (a thread cannot be stopped) and the event loop never waits on it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from eur1pdf.certificate.model import parse_text
from eur1pdf.errors import Eur1pdfError, InputError, Problem
from eur1pdf.rules import RuleViolation, findings_from_input_error
from eur1pdf.service.workers import RenderingPool

_DECLARATION_DOC = "a declaration in the input format of docs/declarations.md (eur1pdf schema --declaration)"
_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["invoice", "declaration"],
                    "properties": {
                        "invoice": {"type": "string", "format": "binary", "description": "the invoice PDF"},
                        "declaration": {"type": "string", "description": _DECLARATION_DOC + ", as JSON text"},
                    },
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["invoice_pdf_base64", "declaration"],
                    "properties": {
                        "invoice_pdf_base64": {"type": "string", "description": "the invoice PDF, base64"},
                        "declaration": {"type": "object", "description": _DECLARATION_DOC},
                    },
                }
            },
        },
    }
}


def _refusal(exc: Eur1pdfError) -> tuple[dict[str, Any], int]:
    """The data's problems as 422 with findings (as for certificates); a PDF that cannot be read, 400."""
    if isinstance(exc, RuleViolation):
        findings = [f.to_dict() for f in exc.findings]
        return {"message": "the declaration breaks rules", "findings": findings}, 422
    if isinstance(exc, InputError):
        findings = [f.to_dict() for f in findings_from_input_error(exc.problems)]
        return {"message": "the declaration does not follow the input format", "findings": findings}, 422
    return {"message": str(exc), "findings": []}, 400


def _refused(exc: Eur1pdfError) -> JSONResponse:
    return JSONResponse(*_refusal(exc))


def stamp_in_worker(pdf: bytes, data: Any) -> tuple[bytes | None, dict[str, str], dict[str, Any], int]:
    """In a rendering worker: (stamped PDF, headers) or (None, {}, refusal body, status). Plain values
    only cross back (an exception with its own arguments may not survive pickling)."""
    from eur1pdf.declaration.api import declare

    try:
        result = declare(pdf, data)
    except Eur1pdfError as exc:
        return None, {}, *_refusal(exc)
    headers = {
        "X-Eur1pdf-Placement": json.dumps(result.placement),
        "X-Eur1pdf-Findings": json.dumps([f.to_dict() for f in result.findings]),  # ASCII-escaped
        "X-Eur1pdf-Retention-Years": str(result.metadata["retention_years"]),
    }
    return result.pdf, headers, {}, 200


def _text(body: bytes) -> str:
    """The body as text: JSON is UTF-8 (RFC 8259); anything else is refused, not guessed at."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError([Problem(None, None, "the body is not UTF-8 text")], "request body") from None


async def _read_request(request: Request) -> tuple[bytes, Any]:
    """(invoice PDF, declaration data) from a multipart or a JSON body."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await request.form()
        invoice, text = form.get("invoice"), form.get("declaration")
        if invoice is None or isinstance(invoice, str) or not isinstance(text, str):
            raise HTTPException(422, "multipart: a file part 'invoice' and a text part 'declaration' (JSON)")
        pdf = await invoice.read()
        return pdf, parse_text(text, "declaration", "json")
    if kind == "application/json":
        body = parse_text(_text(await request.body()), "request body", "json")
        if not isinstance(body, dict) or not isinstance(body.get("invoice_pdf_base64"), str):
            raise HTTPException(422, "JSON: an object with 'invoice_pdf_base64' and 'declaration'")
        try:
            pdf = base64.b64decode(body["invoice_pdf_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise HTTPException(422, "invoice_pdf_base64: not base64") from None
        return pdf, body.get("declaration")
    raise HTTPException(415, "send multipart/form-data (invoice, declaration) or application/json")


def add_declaration_routes(app: FastAPI, workers: RenderingPool) -> None:
    """Stamp a declaration onto an invoice; give a declaration's wording."""

    @app.post(
        "/v1/declarations",
        response_class=Response,
        openapi_extra=_BODY_DOC,
        responses={
            200: {"content": {"application/pdf": {}}, "description": "the invoice with the declaration"},
            422: {"description": "the findings that stop it"},
        },
    )
    async def declarations(request: Request) -> Response:
        """The invoice with the declaration stamped on it; warnings in the X-Eur1pdf-Findings header."""
        try:
            pdf, data = await _read_request(request)
        except Eur1pdfError as exc:
            return _refused(exc)
        stamped, headers, refusal, status = await workers.call(stamp_in_worker, pdf, data)  # 503 beyond
        if stamped is None:
            return JSONResponse(refusal, status)
        return Response(stamped, media_type="application/pdf", headers=headers)

    @app.post("/v1/declarations/text", response_class=PlainTextResponse)
    async def declaration_text(request: Request) -> Response:
        """The declaration's wording alone (JSON body: the declaration), for an ERP that prints it."""
        from eur1pdf.declaration.api import text_of

        try:
            data = parse_text(_text(await request.body()), "request body", "json")
            return PlainTextResponse(text_of(data).plain())
        except Eur1pdfError as exc:
            return _refused(exc)

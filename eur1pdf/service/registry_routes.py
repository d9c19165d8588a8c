"""``/v1/registry``: the life of a certificate over HTTP — issue, replace, read, finalize, cancel.

Each endpoint needs a scope of the caller's API key (:mod:`eur1pdf.service.keys`);
every change is recorded in the registry's audit trail under the key's name.
Registry calls block (SQLAlchemy), so they run in threads
(``anyio.to_thread``); the PDFs they need are made in the worker processes.
Refusals are ``{"message", "findings"}``: 404 unknown id, 403 another key's
certificate (a key changes only its own without the scope ``others``,
:mod:`eur1pdf.service.ownership`), 409 the state forbids it (the message says
why), 422 the rules fail (the findings say which), 400 an unusable argument.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

import anyio.to_thread
from fastapi import Body, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response

from eur1pdf.errors import Eur1pdfError
from eur1pdf.service.auth import scope
from eur1pdf.service.certificates import CertificateBody
from eur1pdf.service.config import ServerConfig
from eur1pdf.service.keys import ApiKey
from eur1pdf.service.ownership import changeable
from eur1pdf.service.registry import Conflict, InvalidRequest, NotAllowed, NotFound, Registry, RuleErrors
from eur1pdf.service.registry import verify_url_template as link_template
from eur1pdf.service.workers import ServerFault

T = TypeVar("T")
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

QuerySheets = Annotated[str | None, Query(description="sheets its PDFs hold, e.g. 1 or 1,3 (default: all)")]
QueryEndMark = Annotated[str | None, Query(description="how box 8 is closed (default: the layout's)")]
QueryStatus = Annotated[
    Literal["provisional", "final", "cancelled"] | None, Query(description="only certificates of this status")
]
QueryCreatedBy = Annotated[
    str | None,
    Query(max_length=200, pattern=r"^[^\x00-\x1f]+$", description="only the certificates this actor created"),
]
QueryLimit = Annotated[int, Query(ge=1, le=1000, description="how many, newest first")]
QueryOffset = Annotated[int, Query(ge=0, le=1_000_000, description="how many to skip")]
CancelBody = Annotated[
    dict[str, Any], Body(description='{"reason": "…"}: why (shown on the verification page)')
]


def _status_of(exc: Eur1pdfError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, NotAllowed):  # another key's certificate (eur1pdf.service.ownership)
        return 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, RuleErrors):
        return 422
    if isinstance(exc, ServerFault):  # the server's key, layouts or settings: never the client's fault
        return 500
    return 400


def add_registry_error_handler(app: FastAPI) -> None:
    """The registry's refusals as ``{"message", "findings"}`` with their status."""

    @app.exception_handler(Eur1pdfError)
    async def registry_refusal(request: Request, exc: Eur1pdfError) -> JSONResponse:
        findings = [f.to_dict() for f in exc.findings] if isinstance(exc, RuleErrors) else []
        message = "the certificate breaks rules" if isinstance(exc, RuleErrors) else str(exc)
        return JSONResponse({"message": message, "findings": findings}, status_code=_status_of(exc))


def _options(sheets: str | None, end_mark: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if sheets is not None and sheets.strip():
        try:
            options["sheets"] = [int(part) for part in sheets.split(",")]
        except ValueError:
            raise InvalidRequest("sheets: give sheet numbers separated by commas, e.g. 1 or 1,3") from None
    if end_mark is not None:
        options["end_mark"] = end_mark
    return options


def _known_id(certificate_id: str) -> str:
    """Ids are URL-safe tokens: anything else is unknown without asking the database (PostgreSQL
    refuses text with NUL characters in a query, which would otherwise be a 500)."""
    if not _ID.fullmatch(certificate_id):
        raise NotFound(certificate_id[:64])
    return certificate_id


async def _blocking(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A registry call in a thread: the event loop goes on answering meanwhile."""
    return await anyio.to_thread.run_sync(functools.partial(call, *args, **kwargs))


def _with_audit(registry: Registry, certificate_id: str) -> dict[str, Any]:
    record = registry.get(certificate_id)
    return record.to_dict() | {"audit": [entry.to_dict() for entry in registry.audit(certificate_id)]}


def _changed(
    registry: Registry, certificate_id: str, key: ApiKey, action: str, change: Callable[..., Any], *args: Any
) -> dict[str, Any]:
    """``change(certificate_id, *args)`` if the key may ``action`` this certificate (its own, or any
    with ``others``: 403 otherwise, before its state is told), then the record with its audit trail;
    to a key without ``read`` the record without its data and audit trail (what it may not read)."""
    changeable(registry, certificate_id, key, action)
    record = change(certificate_id, *args)
    if not key.allows("read"):
        return record.to_dict(with_data=False)
    return _with_audit(registry, certificate_id)


def _add_reading_routes(app: FastAPI, opened: Callable[[], Registry], read: Any) -> None:
    """``GET /v1/registry/{id}`` and its PDF: the scope read, any key's certificate."""

    @app.get("/v1/registry/{certificate_id}", tags=["registry"])
    async def show(certificate_id: str, key: ApiKey = read) -> dict[str, Any]:
        """The record: status, serial, digest, data, findings, verification link, audit trail."""
        return await _blocking(_with_audit, opened(), _known_id(certificate_id))

    @app.get(
        "/v1/registry/{certificate_id}/pdf",
        response_class=Response,
        tags=["registry"],
        responses={200: {"content": {"application/pdf": {}}, "description": "the draft or the final"}},
    )
    async def pdf(certificate_id: str, key: ApiKey = read) -> Response:
        """A provisional certificate's draft (made now), or the final's stored bytes."""
        pdf = await _blocking(opened().pdf, _known_id(certificate_id))
        return Response(pdf, media_type="application/pdf")


def add_registry_routes(app: FastAPI, config: ServerConfig, opened: Callable[[], Registry]) -> None:
    """The ``/v1/registry`` endpoints over the registry ``opened()`` gives (opened at start-up)."""
    add_registry_error_handler(app)
    issue, finalize_scope, cancel_scope, read = (scope(s) for s in ("issue", "finalize", "cancel", "read"))
    template = link_template(config.public_url)
    final_kwargs: dict[str, Any] = {
        "lock_password": config.base.lock_password,
        "signing": config.base.signing,
    }

    @app.post("/v1/registry", status_code=201, tags=["registry"])
    async def create(
        certificate: CertificateBody,
        sheets: QuerySheets = None,
        end_mark: QueryEndMark = None,
        key: ApiKey = issue,
    ) -> JSONResponse:
        """Store a new provisional certificate: 201 with its id and the findings still open."""
        record = await _blocking(opened().create, certificate, key.name, _options(sheets, end_mark))
        body: dict[str, Any] = {"id": record.id, "status": record.status, "serial": record.serial}
        body |= {"digest": record.digest, "findings": [f.to_dict() for f in record.findings]}
        return JSONResponse(body, status_code=201, headers={"Location": f"/v1/registry/{record.id}"})

    @app.get("/v1/registry", tags=["registry"])
    async def listing(
        status: QueryStatus = None,
        created_by: QueryCreatedBy = None,
        limit: QueryLimit = 100,
        offset: QueryOffset = 0,
        key: ApiKey = read,
    ) -> list[dict[str, Any]]:
        """Certificates, newest first (without their data); ``created_by``: only one key's own."""
        records = await _blocking(
            opened().records, status=status, created_by=created_by, limit=limit, offset=offset
        )
        return [record.to_dict(with_data=False) for record in records]

    @app.put("/v1/registry/{certificate_id}", tags=["registry"])
    async def replace(
        certificate_id: str,
        certificate: CertificateBody,
        sheets: QuerySheets = None,
        end_mark: QueryEndMark = None,
        key: ApiKey = issue,
    ) -> dict[str, Any]:
        """Replace a provisional certificate's data (409 once it is final; 403 another key's, without
        the scope ``others``)."""
        options = _options(sheets, end_mark)
        registry, known = opened(), _known_id(certificate_id)
        return await _blocking(
            _changed, registry, known, key, "replace", registry.replace, certificate, key.name, options
        )

    _add_reading_routes(app, opened, read)

    @app.post("/v1/registry/{certificate_id}/finalize", tags=["registry"])
    async def finalize(certificate_id: str, key: ApiKey = finalize_scope) -> dict[str, Any]:
        """Make it final: 422 with the findings when rules fail, 409 when not provisional or the
        serial was issued already, 403 another key's without ``others``. Its QR code opens this
        server's verification page."""
        registry = opened()
        finalize = functools.partial(registry.finalize, **final_kwargs)
        return await _blocking(
            _changed, registry, _known_id(certificate_id), key, "finalize", finalize, key.name, template
        )

    @app.post("/v1/registry/{certificate_id}/cancel", tags=["registry"])
    async def cancel(certificate_id: str, body: CancelBody, key: ApiKey = cancel_scope) -> dict[str, Any]:
        """Cancel a final certificate, with a reason (the only change a final allows)."""
        reason = body.get("reason")
        if not isinstance(reason, str):
            raise InvalidRequest('give the reason as {"reason": "…"}')
        registry = opened()
        return await _blocking(
            _changed, registry, _known_id(certificate_id), key, "cancel", registry.cancel, reason, key.name
        )

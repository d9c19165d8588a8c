"""What is about the service itself: ``GET /healthz``, the OpenAPI document, and error answers
that never carry a traceback or a file path."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from eur1pdf.certificate.model import Certificate

log = logging.getLogger("eur1pdf.service.app")  # the name operators' logging configurations know

# the operations that take a certificate as their body (those of the registry when it is served)
BODY_PATHS = (
    ("/v1/certificates", "post"),
    ("/v1/preview", "post"),
    ("/v1/validate", "post"),
    ("/v1/registry", "post"),
    ("/v1/registry/{certificate_id}", "put"),
)


def add_error_handlers(app: FastAPI) -> None:
    """Errors as ``{"message": …}``; an internal error's details stay in the server's log."""

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s", request.url.path)  # the details stay in the server's log
        return JSONResponse({"message": "internal error"}, status_code=500)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"message": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def add_health_route(app: FastAPI) -> None:
    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}


def use_certificate_schema(app: FastAPI) -> None:
    """Make the app's OpenAPI document show the certificate's own JSON schema as the request body."""

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
            for path, method in BODY_PATHS:
                if path not in document["paths"]:
                    continue
                content = document["paths"][path][method]["requestBody"]["content"]
                content["application/json"]["schema"] = {"$ref": "#/components/schemas/Certificate"}
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

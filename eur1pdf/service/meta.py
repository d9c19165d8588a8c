"""What is about the service itself: ``GET /healthz``, the OpenAPI document, and error answers
that never carry a traceback or a file path."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from eur1pdf.certificate.model import Certificate
from eur1pdf.errors import internal_error as count_internal_error
from eur1pdf.service.auth import is_open

log = logging.getLogger("eur1pdf.service.app")  # the name operators' logging configurations know

# the operations that take a certificate as their body (those of the registry when it is served)
BODY_PATHS = (
    ("/v1/certificates", "post"),
    ("/v1/preview", "post"),
    ("/v1/validate", "post"),
    ("/v1/registry", "post"),
    ("/v1/registry/{certificate_id}", "put"),
)


#: The vendored Swagger UI (swagger-ui-dist from npm, see static/swagger-ui/VERSION): /docs loads nothing
#: from a CDN, so it works offline and behind a strict proxy.
SWAGGER_DIR = Path(__file__).with_name("static") / "swagger-ui"
SWAGGER_FILES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}
FAVICON = Path(__file__).with_name("static") / "favicon.svg"


def refusal(message: str, status_code: int, headers: dict[str, str] | None = None) -> JSONResponse:
    """The documented error body, ``{"message", "findings"}``, for a refusal without findings."""
    return JSONResponse({"message": message, "findings": []}, status_code=status_code, headers=headers)


def add_error_handlers(app: FastAPI) -> None:
    """Errors as ``{"message", "findings"}``; never a traceback, and never the request's own data.

    FastAPI's defaults answer ``{"detail": …}`` and a 422 echoes the body it
    could not take (a certificate's data in a log or a proxy's error page).
    """

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s", request.url.path)  # the details stay in the server's log
        count_internal_error(exc)  # counted; raised again under the tests (EUR1PDF_FAIL_ON_INTERNAL)
        return refusal("internal error", 500)

    @app.exception_handler(HTTPException)  # Starlette's: also the 404 and 405 of the routing
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return refusal(str(exc.detail), exc.status_code, dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def request_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return refusal(_request_error_message(exc), 422)


def _request_error_message(exc: RequestValidationError) -> str:
    """Which part of the request is wrong, in words, without the value sent (it is not echoed)."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()))
        if error.get("type") == "json_invalid":
            reason = error.get("ctx", {}).get("error", "")
            parts.append(f"the body is not valid JSON{f' ({reason})' if reason else ''}")
        elif where == "body" and error.get("type") in ("model_attributes_type", "dict_type"):
            parts.append("the body must be a JSON object (Content-Type: application/json)")
        else:
            parts.append(f"{where or 'the request'}: {error.get('msg', 'not valid')}")
    return "; ".join(dict.fromkeys(parts)) or "the request is not valid"


def add_docs_routes(app: FastAPI) -> None:
    """``/docs``: Swagger UI from the package's own files, with an Authorize button for the API key.

    It is documentation, so it is open like ``/healthz`` (and ``/openapi.json``
    it reads); every operation it tries still needs the key.
    """

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title}: API",
            swagger_js_url="/docs/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/docs/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/docs/swagger-ui/favicon.svg",
            swagger_ui_parameters={"persistAuthorization": True},
        )

    @app.get("/docs/swagger-ui/{name}", include_in_schema=False)
    async def swagger_file(name: str) -> Response:
        if name == "favicon.svg":
            return Response(FAVICON.read_bytes(), media_type="image/svg+xml")
        if name not in SWAGGER_FILES:  # only the listed files: the name never becomes a path
            raise HTTPException(404, "no such file")
        headers = {"Cache-Control": "public, max-age=86400"}
        return Response((SWAGGER_DIR / name).read_bytes(), media_type=SWAGGER_FILES[name], headers=headers)


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
            _declare_api_keys(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _declare_api_keys(document: dict[str, Any]) -> None:
    """The two ways to send the key (what Swagger UI's Authorize button offers); open paths need neither."""
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["bearer"] = {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer KEY"}
    schemes["apiKey"] = {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    document["security"] = [{"bearer": []}, {"apiKey": []}]
    for path, operations in document["paths"].items():
        if is_open(path):
            for operation in operations.values():
                operation["security"] = []

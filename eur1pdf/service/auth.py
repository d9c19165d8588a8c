"""API keys: every path but the open ones needs one (compared in constant time); registry
endpoints also need a scope (:mod:`eur1pdf.service.keys`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from eur1pdf.service.keys import ANONYMOUS, ApiKey, KeyRing

# answered without the API key: load balancers' and systemd's checks, and the API's documentation
OPEN_PATHS = {"/healthz", "/docs", "/openapi.json"}
# the verification page the QR code opens, its style, and the documentation's Swagger UI files
OPEN_PREFIXES = ("/verify/", "/static/", "/docs/")


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def _api_key_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


def require_api_keys(app: FastAPI, ring: KeyRing) -> None:
    """Add the middleware that answers 401 without a known key (no keys: everyone may ask, as
    ``anonymous``); the key found is ``request.state.api_key``."""

    @app.middleware("http")
    async def api_key_check(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        key: ApiKey | None = ANONYMOUS
        if ring and not is_open(request.url.path):
            key = ring.find(_api_key_of(request) or "")
            if key is None:
                return JSONResponse(
                    {
                        "message": "an API key is required (Authorization: Bearer KEY or X-API-Key)",
                        "findings": [],
                    },
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        request.state.api_key = key
        return await call_next(request)


def scope(name: str) -> Any:
    """A FastAPI dependency: the request's key, which must hold scope ``name`` (else 403)."""

    def key_with_scope(request: Request) -> ApiKey:
        key: ApiKey = getattr(request.state, "api_key", None) or ANONYMOUS
        if not key.allows(name):
            raise HTTPException(403, f"the API key {key.name!r} does not have the scope {name!r}")
        return key

    return Depends(key_with_scope)

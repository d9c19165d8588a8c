"""The API key: every path but the open ones needs it, compared in constant time."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

OPEN_PATHS = {"/healthz"}  # answered without the API key (load balancers, systemd checks)


def _api_key_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


def require_api_key(app: FastAPI, api_key: str | None) -> None:
    """Add the middleware that answers 401 without the key (none: everyone may ask)."""

    @app.middleware("http")
    async def api_key_check(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if api_key is not None and request.url.path not in OPEN_PATHS:
            given = _api_key_of(request) or ""
            if not hmac.compare_digest(given.encode(), api_key.encode()):
                return JSONResponse(
                    {"message": "an API key is required (Authorization: Bearer KEY or X-API-Key)"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return await call_next(request)

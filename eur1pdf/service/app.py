"""eur1pdf as an HTTP service: FastAPI on uvicorn, for back offices in any language.

Safe by default: it listens on loopback unless told otherwise, can require
an API key (compared in constant time), refuses bodies over a limit (413)
before reading them whole, bounds each request's time, and never answers
with a traceback or a file path. Signing keys, passwords and printer
profiles are server configuration; a request can only name a profile.

Rendering runs in worker processes (:mod:`eur1pdf.service.workers`), so the
event loop never blocks. This module only assembles the pieces:

- :mod:`~eur1pdf.service.config`: what the operator decides
- :mod:`~eur1pdf.service.auth`, :mod:`~eur1pdf.service.limits`: the API key, the body's size
- :mod:`~eur1pdf.service.certificates`, :mod:`~eur1pdf.service.layouts`,
  :mod:`~eur1pdf.service.meta`: the endpoints, error answers, the OpenAPI document
- :mod:`~eur1pdf.service.previews`: a page as PNG (also for ``eur1pdf preview``)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from eur1pdf.service.auth import require_api_key
from eur1pdf.service.certificates import add_certificate_routes
from eur1pdf.service.config import ServerConfig
from eur1pdf.service.layouts import add_layout_routes
from eur1pdf.service.limits import BodyLimit
from eur1pdf.service.meta import add_error_handlers, add_health_route, use_certificate_schema
from eur1pdf.service.previews import MAX_PREVIEW_DPI, page_png
from eur1pdf.service.workers import RenderingPool

__all__ = ["MAX_PREVIEW_DPI", "ServerConfig", "create_app", "page_png"]


def create_app(config: ServerConfig | None = None) -> FastAPI:
    """The ASGI application; ``uvicorn.run(create_app(config))`` serves it."""
    config = config or ServerConfig()
    if config.api_key is not None and not config.api_key.strip():
        raise ValueError("an empty API key would let everyone in")
    workers = RenderingPool(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        workers.start()
        try:
            yield
        finally:
            workers.shutdown()

    app = FastAPI(
        title="eur1pdf",
        version="1",
        summary="Proof-of-origin certificates (EUR.1 and family) as PDF, checked against the agreements",
        lifespan=lifespan,
    )
    require_api_key(app, config.api_key)
    add_error_handlers(app)
    add_certificate_routes(app, config, workers)
    add_layout_routes(app)
    add_health_route(app)
    use_certificate_schema(app)
    return BodyLimit(app, config.max_body_bytes)  # type: ignore[return-value]

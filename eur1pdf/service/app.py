"""eur1pdf as an HTTP service: FastAPI on uvicorn, for back offices in any language.

Safe by default: it listens on loopback unless told otherwise, can require
an API key (compared in constant time), refuses bodies over a limit (413)
before reading them whole, bounds each request's time, and never answers
with a traceback or a file path. Signing keys, passwords and printer
profiles are server configuration; a request can only name a profile.

Rendering runs in worker processes (:mod:`eur1pdf.service.workers`), so the
event loop never blocks. This module only assembles the pieces:

- :mod:`~eur1pdf.service.config`: what the operator decides
- :mod:`~eur1pdf.service.auth`, :mod:`~eur1pdf.service.keys`, :mod:`~eur1pdf.service.limits`:
  API keys and their scopes, the body's size
- :mod:`~eur1pdf.service.certificates`, :mod:`~eur1pdf.service.layouts`,
  :mod:`~eur1pdf.service.meta`: the endpoints, error answers, the OpenAPI document
- :mod:`~eur1pdf.service.previews`: a page as PNG (also for ``eur1pdf preview``)
- :mod:`~eur1pdf.service.registry_routes`, :mod:`~eur1pdf.service.verification_page`: the certificate
  registry's life cycle under ``/v1/registry`` and the public ``/verify`` page (with a registry URL)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from eur1pdf.service.auth import ApiKeyGate
from eur1pdf.service.certificates import add_certificate_routes
from eur1pdf.service.config import ServerConfig
from eur1pdf.service.declarations import add_declaration_routes
from eur1pdf.service.keys import SCOPES, SINGLE_KEY_NAME, KeyRing, key_with_secret
from eur1pdf.service.layouts import add_layout_routes
from eur1pdf.service.limits import BodyLimit
from eur1pdf.service.meta import add_docs_routes, add_error_handlers, add_health_route, use_certificate_schema
from eur1pdf.service.previews import MAX_PREVIEW_DPI, page_png
from eur1pdf.service.ratelimit import TokenBuckets
from eur1pdf.service.workers import RenderingPool

if TYPE_CHECKING:
    from eur1pdf.service.registry import Registry

__all__ = ["MAX_PREVIEW_DPI", "ServerConfig", "create_app", "page_png"]


def _key_ring(config: ServerConfig) -> KeyRing:
    keys = list(config.api_keys)
    if config.api_key is not None:
        if not config.api_key.strip():
            raise ValueError("an empty API key would let everyone in")
        keys.append(key_with_secret(SINGLE_KEY_NAME, SCOPES, config.api_key))
    return KeyRing(keys, config.api_keys_file)


def create_app(config: ServerConfig | None = None) -> FastAPI:
    """The ASGI application; ``uvicorn.run(create_app(config))`` serves it.

    With ``config.registry_url`` the registry is opened (and its schema migrated)
    here, before the server listens, and closed with the app.
    """
    config = config or ServerConfig()
    ring = _key_ring(config)
    workers = RenderingPool(config)
    registry = _open_registry(config, workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        workers.start()
        try:
            yield
        finally:
            workers.shutdown()
            if registry is not None:
                registry.close()

    app = FastAPI(
        title="eur1pdf",
        version="1",
        summary="Proof-of-origin certificates (EUR.1 and family) as PDF, checked against the agreements",
        lifespan=lifespan,
        docs_url=None,  # served by add_docs_routes from the package's own files, not a CDN
        redoc_url=None,  # ReDoc only exists as a CDN script: /docs is the one documentation page
    )
    add_error_handlers(app)
    add_certificate_routes(app, config, workers)
    if registry is not None:
        from eur1pdf.service.registry_routes import add_registry_routes
        from eur1pdf.service.verification_page import add_verification_routes

        add_registry_routes(app, config, lambda: registry)
        add_verification_routes(app, config, lambda: registry, workers)
    add_layout_routes(app)
    add_declaration_routes(app, workers)  # POST /v1/declarations: an origin declaration stamped on an invoice
    add_health_route(app)
    add_docs_routes(app)
    use_certificate_schema(app)
    # the key is checked from the request's head, before the body is read (then size, deadline, keys)
    body = BodyLimit(app, config.max_body_bytes, config.body_timeout_s)
    failures = TokenBuckets(config.key_failures_per_minute, config.key_failure_burst)  # wrong keys
    gated = ApiKeyGate(body, ring, failures)
    if registry is None:
        return gated  # type: ignore[return-value]
    from eur1pdf.service.webapp import with_webapp  # the clerk's page at /app (its own sign-in)

    return with_webapp(gated, config, ring, lambda: registry, workers, failures)  # type: ignore[return-value]


def _open_registry(config: ServerConfig, workers: RenderingPool) -> Registry | None:
    """The registry at ``config.registry_url``, migrated; its PDFs are made in the worker processes."""
    if config.registry_url is None:
        return None
    from eur1pdf.service.registry import Registry

    return Registry(config.registry_url, renderer=workers.registry_renderer())

"""The clerk's web page at ``/app``: sign in with a service key, fill a certificate in the form's own
arrangement with live findings and preview, save it as provisional, finalize it, download its PDFs.

Server-rendered HTML with vendored htmx (:mod:`.routes`, :mod:`.certificate_routes`, :mod:`.pages`,
:mod:`.editor`), a signed session cookie with CSRF tokens (:mod:`.session`), the form's grid from its
layout (:mod:`.grid`), and the live check (:mod:`.checking`). It needs the registry (``eur1pdf serve``
always opens one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from eur1pdf.service.config import ServerConfig
from eur1pdf.service.keys import KeyRing
from eur1pdf.service.limits import BodyLimit
from eur1pdf.service.ratelimit import TokenBuckets
from eur1pdf.service.workers import RenderingPool

if TYPE_CHECKING:
    from eur1pdf.service.registry import Registry

PREFIX = "/app"


class WithWebapp:
    """The API, with ``/app`` answered by the page's own application (before the API's key check;
    the page has its own sign-in). Lifespan events go to the API, which starts the shared workers."""

    def __init__(self, api: Any, web: Any):
        self.api, self.web = api, web

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == PREFIX or path.startswith(PREFIX + "/"):
            await self.web(scope, receive, send)
        else:
            await self.api(scope, receive, send)

    def __getattr__(self, name: str) -> Any:  # app.state, app.routes … of the API, for its callers
        return getattr(self.api, name)


def with_webapp(
    api: Any,
    config: ServerConfig,
    ring: KeyRing,
    opened: Callable[[], Registry],
    workers: RenderingPool,
    failures: TokenBuckets | None = None,
) -> WithWebapp:
    """``api`` with the clerk's page mounted at ``/app``; ``failures``: the wrong keys counted per
    client address, shared with the API's key check."""
    from eur1pdf.service.webapp.routes import Clerk, add_routes
    from eur1pdf.service.webapp.session import Sessions

    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    failures = failures or TokenBuckets(config.key_failures_per_minute, config.key_failure_burst)
    add_routes(web, Clerk(config, Sessions(ring), opened, workers, failures))
    # the page's bodies are held to the same size and deadline as the API's
    return WithWebapp(api, BodyLimit(web, config.max_body_bytes, config.body_timeout_s))

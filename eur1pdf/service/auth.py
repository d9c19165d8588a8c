"""API keys: every path but the open ones needs one (compared in constant time); registry
endpoints also need a scope (:mod:`eur1pdf.service.keys`). Wrong keys are counted per client
address (shared with the clerk's sign-in): beyond the limit, 429 with ``Retry-After`` and the
key is not looked at until the client's bucket refills (:class:`~eur1pdf.service.ratelimit.TokenBuckets`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, HTTPException, Request

from eur1pdf.service.keys import ANONYMOUS, ApiKey, KeyRing
from eur1pdf.service.limits import send_refusal
from eur1pdf.service.ratelimit import TokenBuckets

# answered without the API key: load balancers' and systemd's checks, and the API's documentation
OPEN_PATHS = {"/healthz", "/docs", "/openapi.json"}
# the verification page the QR code opens, its style, and the documentation's Swagger UI files
OPEN_PREFIXES = ("/verify/", "/static/", "/docs/")


def client_address(scope: Mapping[str, Any]) -> str:
    """The client's address, as uvicorn gives it (from ``X-Forwarded-For`` behind a trusted proxy)."""
    client = scope.get("client")
    return str(client[0]) if client else ""


def too_many_wrong_keys(wait_s: float) -> str:
    return f"too many wrong API keys from this address: try again in {TokenBuckets.retry_after(wait_s)} s"


@dataclass(frozen=True)
class KeyCheck:
    """A key looked up under the wrong-key throttle: the key, or None; ``wait`` > 0 when the
    client's wrong keys are used up (the key was then not looked at)."""

    key: ApiKey | None
    wait: float = 0.0


def checked_key(
    find: Callable[[str], ApiKey | None], secret: str, failures: TokenBuckets | None, client: str
) -> KeyCheck:
    """The one wrong-key rule of the API's gate and the clerk's sign-in: a client whose bucket is
    empty is not asked for its key; a wrong key takes a token (no key at all is not a guess).

    The look at the bucket, the comparison and the count are one step: call it with the whole
    request in hand and never put an ``await`` inside. Otherwise N requests sent at once from one
    address (heads first, then every body) would all pass the look before the first is counted,
    and N keys would be compared where the bucket allows its burst.
    """
    wait = failures.wait(client) if failures is not None and secret else 0.0
    if wait > 0:
        return KeyCheck(None, wait)
    key = find(secret)
    if key is None and secret and failures is not None:
        failures.take(client)
    return KeyCheck(key)


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def _api_key_of(headers: dict[bytes, bytes]) -> str | None:
    header = headers.get(b"authorization", b"").decode("latin-1")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    key = headers.get(b"x-api-key")
    return key.decode("latin-1") if key is not None else None


class ApiKeyGate:
    """ASGI middleware answering 401 without a known key (no keys: everyone may ask, as
    ``anonymous``); the key found is ``request.state.api_key``.

    It wraps the body's reader (:class:`~eur1pdf.service.limits.BodyLimit`), so a request without
    a key is refused from its head alone, at once: its body is never read, and the connection is
    closed rather than kept waiting for the rest of it.
    """

    def __init__(self, app: Any, ring: KeyRing, failures: TokenBuckets | None = None) -> None:
        self.app = app
        self.ring = ring
        self.failures = failures  # wrong keys per client address (None: not counted)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key: ApiKey | None = ANONYMOUS
        if self.ring and not is_open(scope["path"]):
            secret = _api_key_of(dict(scope.get("headers") or [])) or ""
            checked = checked_key(self.ring.find, secret, self.failures, client_address(scope))
            if checked.wait > 0:  # guessing: not even looked at until the bucket refills
                retry = [(b"retry-after", TokenBuckets.retry_after(checked.wait).encode())]
                await send_refusal(send, 429, too_many_wrong_keys(checked.wait), close=True, headers=retry)
                return
            key = checked.key
            if key is None:
                message = "an API key is required (Authorization: Bearer KEY or X-API-Key)"
                await send_refusal(send, 401, message, close=True, headers=[(b"www-authenticate", b"Bearer")])
                return
        scope.setdefault("state", {})["api_key"] = key
        await self.app(scope, receive, send)


def scope(name: str) -> Any:
    """A FastAPI dependency: the request's key, which must hold scope ``name`` (else 403)."""

    def key_with_scope(request: Request) -> ApiKey:
        key: ApiKey = getattr(request.state, "api_key", None) or ANONYMOUS
        if not key.allows(name):
            raise HTTPException(403, f"the API key {key.name!r} does not have the scope {name!r}")
        return key

    return Depends(key_with_scope)

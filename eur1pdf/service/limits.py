"""The request body's size limit, enforced before the body is read whole."""

from __future__ import annotations

from typing import Any


class BodyLimit:
    """ASGI middleware: 413 for a body over the limit, counted as it arrives (chunked too)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(self.limit, send)
            return
        # Read the body here, up to the limit (it is that small or refused), then hand it on.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nobody to answer
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await _too_large(self.limit, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay(body, receive), send)


def _replay(body: dict, then: Any) -> Any:
    """An ASGI receive that gives the body read already, then waits on the real one (disconnects)."""
    pending = [body]

    async def receive() -> dict:
        if pending:
            return pending.pop()
        return await then()

    return receive


async def _too_large(limit: int, send: Any) -> None:
    body = f'{{"message":"the request body is over the limit of {limit} bytes","findings":[]}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})

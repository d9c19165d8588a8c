"""The request body: its size limit and its deadline, enforced before the body is read whole, and
a JSON body's keys given twice refused as the CLI refuses them (:mod:`eur1pdf.service.json_body`)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from eur1pdf.service.json_body import duplicate_key_findings

# sent with a refusal given before the body was read: the rest of it is never waited for
CLOSE = (b"connection", b"close")
IN_A_THREAD = 64_000  # bodies larger than this are checked for keys given twice in a thread


class BodyLimit:
    """ASGI middleware: 413 for a body over the limit, counted as it arrives (chunked too); 408 for
    one that has not arrived whole ``deadline_s`` seconds after the request's head (a client sending
    a byte a second would otherwise hold its connection, and the memory read so far, for ever)."""

    def __init__(self, app: Any, limit: int, deadline_s: float = 20.0) -> None:
        self.app = app
        self.limit = limit
        self.deadline_s = deadline_s

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(self.limit, send)
            return
        try:
            body = await asyncio.wait_for(self._read(receive, send), self.deadline_s)
        except TimeoutError:
            message = f"the request body did not arrive whole within {self.deadline_s:g} s"
            await send_refusal(send, 408, message, close=True)
            return
        if body is None:  # refused, or the client went away
            return
        if len(body) > IN_A_THREAD:  # about 65 ms a megabyte: not on the event loop
            findings = await asyncio.to_thread(duplicate_key_findings, scope, body)
        else:
            findings = duplicate_key_findings(scope, body)
        if findings:
            await send_refusal(send, 422, findings[0]["message"], findings=findings)
            return
        whole = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay(whole, receive), send)

    async def _read(self, receive: Any, send: Any) -> bytes | None:
        """The whole body, up to the limit (it is that small or refused); None when answered."""
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nobody to answer
                return None
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await _too_large(self.limit, send)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: dict, then: Any) -> Any:
    """An ASGI receive that gives the body read already, then waits on the real one (disconnects)."""
    pending = [body]

    async def receive() -> dict:
        if pending:
            return pending.pop()
        return await then()

    return receive


async def _too_large(limit: int, send: Any) -> None:
    await send_refusal(send, 413, f"the request body is over the limit of {limit} bytes", close=True)


async def send_refusal(
    send: Any,
    status: int,
    message: str,
    *,
    findings: list[dict] | None = None,
    close: bool = False,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """The service's error body, ``{"message", "findings"}``, sent from an ASGI middleware; ``close``:
    the connection is closed after it (the rest of an unread body is not waited for)."""
    body = json.dumps({"message": message, "findings": findings or []}, ensure_ascii=False).encode()
    fields = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    fields += (headers or []) + ([CLOSE] if close else [])
    await send({"type": "http.response.start", "status": status, "headers": fields})
    await send({"type": "http.response.body", "body": body})

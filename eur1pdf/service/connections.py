"""Connections: slow or idle clients cannot hold the server's sockets (``eur1pdf serve``'s
``--header-timeout``, ``--keep-alive``, ``--max-connections``; the body's deadline is
:class:`eur1pdf.service.limits.BodyLimit`'s).

uvicorn closes a keep-alive connection idle for ``timeout_keep_alive``, but
only after a response, and any byte received stops that clock: a connection
opened and left silent, or a request head sent a line a second, stays open
for good, and a few hundred of them use up the process's file descriptors.
Its protocol for HTTP/1.1 (h11) is subclassed here with one more clock: the
request's head must be complete within ``header_timeout_s`` of the
connection being opened, or of the previous response; otherwise the
connection is closed (with a 408 when part of a head had come). Connections
beyond ``max_connections`` are closed as soon as they are accepted.
"""

from __future__ import annotations

import asyncio
import resource
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
FULL = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
SPARE_FILES = 128  # descriptors beside the connections: listening socket, workers' pipes, database, logs


@dataclass(frozen=True)
class ConnectionLimits:
    """What ``eur1pdf serve`` passes uvicorn about connections (README, "HTTP service")."""

    header_timeout_s: float = 10.0  # the request's head, complete, from connecting or the last response
    keep_alive_s: float = 5.0  # an idle keep-alive connection is closed after this
    max_connections: int = 500  # open at once; beyond, closed when accepted

    def uvicorn_options(self) -> dict[str, Any]:
        """``uvicorn.run``'s keyword arguments: this protocol class and the keep-alive timeout."""
        make_room_for(self.max_connections)
        protocol = type(
            "Eur1pdfH11Protocol",
            (GuardedH11Protocol,),
            {"header_timeout_s": self.header_timeout_s, "max_connections": self.max_connections},
        )
        return {"http": protocol, "timeout_keep_alive": self.keep_alive_s}


def make_room_for(connections: int) -> None:
    """Raise the soft limit on open files up to the hard one if ``connections`` need it;
    ValueError when even that is too few (found at start-up, not when the server runs out)."""
    needed = connections + SPARE_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise ValueError(
                f"--max-connections {connections}: needs {needed} open files, the limit is {hard} "
                "(raise it with ulimit -n, or give fewer connections)"
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for the request's head and a connection cap."""

    header_timeout_s: float = 10.0
    max_connections: int = 500

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            transport.write(FULL)
            transport.close()
            return
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self._in_request():  # the head is complete: from here the body's deadline and the job's count
            self._cancel_header_timer()

    def on_response_complete(self) -> None:
        if not self.transport.is_closing():  # armed first: a pipelined request started below cancels it
            self._arm_header_timer()
        super().on_response_complete()

    def _in_request(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self.header_timer = self.loop.call_later(self.header_timeout_s, self._header_timed_out)

    def _cancel_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _header_timed_out(self) -> None:
        """No complete request head in time: silent or slow (or still sending a body refused
        before it was read): the connection is closed, with a 408 when a head had begun."""
        self.header_timer = None
        if self.transport.is_closing() or self._in_request():
            return
        begun = self.conn.their_state is h11.IDLE and bool(self.conn.trailing_data[0])
        if begun and self.conn.our_state is h11.IDLE:
            self.transport.write(TIMED_OUT)
        self.transport.close()

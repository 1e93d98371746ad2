"""Deadlines on what a client sends: its request headers, then its request body.

A client that opens a request and then trickles bytes (slowloris) holds whatever the
server gave it meanwhile. uvicorn has no header deadline and ASGI none on bodies, so:

* :class:`BodyDeadline` (ASGI middleware): the whole body must arrive within ``seconds``
  of the request's start, or the request ends with 408 and ``Connection: close``, whatever
  the handler was doing with the body (a parse error it raised is replaced by the 408).
* :func:`uvicorn_config`: uvicorn's h11 protocol with a timer from the connection's start
  (or the previous response's end) to the end of the next request's headers; a client
  that has not sent them by then is answered 408 and disconnected.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from ecoute.config import Settings

TIMEOUT_BODY = b'{"detail":"the request body did not arrive in time"}'


class BodyTimeout(Exception):
    """The client did not send its request body within the deadline (becomes a 408)."""


class BodyDeadline:
    def __init__(self, app: ASGIApp, seconds: float):
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.seconds
        state = {"body_done": False, "timed_out": False, "started": False}

        async def timed_receive() -> Message:
            if state["body_done"]:
                return await receive()  # after the body only a disconnect can come: no deadline
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                state["timed_out"] = True
                raise BodyTimeout from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                state["body_done"] = True
            return message

        async def guarded_send(message: Message) -> None:
            if state["timed_out"]:
                return  # whatever the handler makes of the missing body, the answer is our 408
            state["started"] = True
            await send(message)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except Exception:
            if not state["timed_out"]:
                raise
        if state["timed_out"] and not state["started"]:
            await send({"type": "http.response.start", "status": 408,
                        "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                                    (b"content-length", str(len(TIMEOUT_BODY)).encode())]})
            await send({"type": "http.response.body", "body": TIMEOUT_BODY})


class _HeaderDeadlineH11(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request headers do not arrive in time."""

    header_timeout_s: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn's own signature
        super().connection_made(transport)
        self._arm_header_timer()

    def on_response_complete(self) -> None:
        self._arm_header_timer()  # armed before the next request's pipelined events are handled
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._cycle_when_armed = self.cycle
        self._header_timer: asyncio.TimerHandle | None = self.loop.call_later(self.header_timeout_s,
                                                                              self._headers_late)

    def _cancel_header_timer(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.cycle is not self._cycle_when_armed or self.transport.is_closing():
            return  # the next request's headers arrived: its body has its own deadline
        try:
            if self.conn.our_state is h11.IDLE and self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
                out = self.conn.send(h11.Response(status_code=408, headers=[(b"connection", b"close"),
                                                                            (b"content-length", b"0")]))
                out = (out or b"") + (self.conn.send(h11.EndOfMessage()) or b"")
                self.transport.write(out)
        except h11.LocalProtocolError:
            pass  # nothing sensible to say at this point of the exchange: just close
        self.transport.close()


def header_deadline_protocol(seconds: float) -> type[H11Protocol]:
    """The h11 protocol class with a header deadline of ``seconds``."""
    return type("HeaderDeadlineH11", (_HeaderDeadlineH11,), {"header_timeout_s": seconds})


def uvicorn_config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration ``ecoute serve`` uses: our app, host/port, the header deadline."""
    options.setdefault("log_level", "warning")
    return uvicorn.Config(app, host=settings.server.host, port=settings.server.port,
                          http=header_deadline_protocol(settings.server.request_header_timeout_s), **options)

"""Who is on the other end of a connection: address, scheme and host as the server may trust them.

Forwarded headers are honoured only with ``ECOUTE_TRUST_PROXY`` set: without a proxy
that overwrites them, anyone can send ``X-Forwarded-For`` to dodge per-address limits,
or ``X-Forwarded-Proto`` to make the server believe it is on TLS.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import Scope

from ecoute.config import Settings


def _last(value: str) -> str:
    """The hop the proxy itself appended (the others are whatever the client claimed)."""
    return value.split(",")[-1].strip()


def client_address(scope: Scope, settings: Settings) -> str:
    if settings.server.trust_proxy:
        forwarded = Headers(scope=scope).get("x-forwarded-for")
        if forwarded and _last(forwarded):
            return _last(forwarded)
    client = scope.get("client")
    return client[0] if client else "unknown"


def scheme(scope: Scope, settings: Settings) -> str:
    if settings.server.trust_proxy:
        proto = Headers(scope=scope).get("x-forwarded-proto")
        if proto:
            return _last(proto).lower()
    return str(scope.get("scheme", "http"))


def host(scope: Scope, settings: Settings) -> str:
    headers = Headers(scope=scope)
    if settings.server.trust_proxy and headers.get("x-forwarded-host"):
        return _last(headers["x-forwarded-host"]).lower()
    return headers.get("host", "").lower()

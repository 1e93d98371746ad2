"""Defences of the HTTP server against hostile clients (issue 12).

- :mod:`.deadlines`: header and body deadlines (408); ``ecoute serve`` uses :func:`uvicorn_config`.
- :mod:`.upload_slots`: turn uploads in flight per device (429).
- :mod:`.headers`: CSP, frame-ancestors, nosniff, no-referrer, no-store, ``Secure`` cookies.
- :mod:`.csrf`: same-origin check and a per-session token on every state-changing request.
- :mod:`.throttle`: failure budgets (logins, pairing) counted in the database.
- :mod:`.login`: the one way a password is checked: throttled, bounded in parallelism,
  and as slow for an unknown email as for a known one.

:func:`install` wires them into an app; ``server/app.py`` calls it once.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from ecoute.config import Settings
from ecoute.server.security import csrf, headers, throttle
from ecoute.server.security.deadlines import BodyDeadline, uvicorn_config
from ecoute.server.security.upload_slots import UploadSlots


def docs_options(settings: Settings) -> dict[str, Any]:
    """FastAPI's docs pages load swagger-ui/redoc from a CDN: never on the owner cookie's origin.

    With ``ECOUTE_API_DOCS=1`` only the machine-readable ``/openapi.json`` is served (the
    swagger-ui assets are not in any installed package, so there is no local UI to offer).
    """
    return {"docs_url": None, "redoc_url": None,
            "openapi_url": "/openapi.json" if settings.server.api_docs else None}


def install(app: FastAPI, settings: Settings) -> None:
    """Headers, CSRF template helper, throttles, the body deadline and per-device upload slots."""
    app.add_middleware(headers.SecurityHeaders, settings=settings)
    csrf.install_template_helpers()
    app.state.throttles = throttle.Throttles.for_store(app.state.store)
    throttle.install_error_handler(app)
    app.add_middleware(BodyDeadline, seconds=settings.server.request_body_timeout_s)
    app.state.upload_slots = UploadSlots(settings.server.max_uploads_per_device)


__all__ = ["BodyDeadline", "UploadSlots", "docs_options", "install", "uvicorn_config"]

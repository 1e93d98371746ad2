"""Defences of the HTTP server against hostile clients (issue 12).

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


def docs_options(settings: Settings) -> dict[str, Any]:
    """FastAPI's docs pages load swagger-ui/redoc from a CDN: never on the owner cookie's origin.

    With ``ECOUTE_API_DOCS=1`` only the machine-readable ``/openapi.json`` is served (the
    swagger-ui assets are not in any installed package, so there is no local UI to offer).
    """
    return {"docs_url": None, "redoc_url": None,
            "openapi_url": "/openapi.json" if settings.api_docs else None}


def install(app: FastAPI) -> None:
    """Headers middleware, CSRF templates helper, throttles and their error answers."""
    from ecoute.server.security import csrf, headers, throttle

    settings: Settings = app.state.settings
    app.add_middleware(headers.SecurityHeaders, settings=settings)
    csrf.install_template_helpers()
    app.state.throttles = throttle.Throttles.for_store(app.state.store)
    throttle.install_error_handler(app)

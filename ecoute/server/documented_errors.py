"""The error statuses each route family can return, so the OpenAPI lists them (issue 12).

FastAPI documents only a route's success and 422; the rest come from layers it cannot see:
the CSRF dependency (403), the login handler (401 for ``/api`` and htmx, 303 to the login
page for browsers), ``EcouteError`` kinds (400/403/404/409/413, ``server/errors.py``), the
body deadline (408), throttles and upload slots (429), capped password hashing (503). Kept in one place so routes stay as
they are; ``tests/test_schemathesis.py`` fails if a route returns a status not listed here.
"""

from __future__ import annotations

from typing import Any

_REASONS = {
    303: "Redirect: after a form is handled, or to the login page when not signed in",
    400: "Bad input (EcouteError: BadInput, AudioError)",
    401: "Not signed in (API and htmx requests), or a bad device token",
    403: "Cross-origin or token-less state-changing request (CSRF), or a role that may not do this",
    404: "No such resource, or not this caller's",
    408: "The request body did not arrive within the body deadline",
    409: "Conflict with the current state",
    413: "Upload larger than the configured limit",
    429: "Too many attempts or uploads in flight; retry later",
    503: "Too many password checks in parallel; retry shortly",
}

_EVERY_ROUTE = (400, 401, 403, 404, 408)
#: router module → statuses it adds to the common ones (401/403/404 from auth, CSRF and lookups).
_FAMILY = {
    "ecoute.server.routes.devices": (409, 413, 429),  # pairing throttle, upload slots, size cap
    "ecoute.server.routes.owner": (303, 429, 503),  # login throttle, capped hashing; pages redirect
    "ecoute.server.routes.review": (303, 429, 503),  # opting in re-checks the password
    "ecoute.server.routes.rights": (303, 409, 429, 503),  # re-authentication is throttled
    "ecoute.server.routes.improve": (303,),
    "ecoute.server.routes.account": (303, 429, 503),
}


def responses_for(module: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` mapping for ``app.include_router`` of one router module."""
    codes = sorted(set(_EVERY_ROUTE) | set(_FAMILY.get(module, ())))
    return {code: {"description": _REASONS[code]} for code in codes}

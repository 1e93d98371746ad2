"""Cross-site request forgery: every state-changing request must come from our own pages.

Two independent checks, both needed because ``SameSite=Strict`` alone does not stop a
page on *another port of the same host* (same-site, different origin):

1. Origin: a browser's ``Sec-Fetch-Site`` must be ``same-origin`` (or ``none``), and an
   ``Origin`` header, when sent, must be this server's own. Scripts and devices send
   neither and pass; they carry no ambient cookie the browser would add for an attacker.
2. Token: a request that carries an owner or staff session cookie must also carry the
   session's token, in the ``csrf_token`` form field or the ``X-CSRF-Token`` header
   (htmx sends it from ``hx-headers`` on ``<body>``). The token is derived from the
   session cookie (HttpOnly, so another origin can neither read it nor compute the
   token); a new session gets a new token, and nothing needs storing.

Pages put the token in every form (``{{ csrf_field(request) }}``); scripts read it from
the ``X-CSRF-Token`` response header of any authenticated answer, e.g. the login's.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from markupsafe import Markup
from starlette.datastructures import Headers
from starlette.types import Scope

from ecoute.server.auth import OWNER_COOKIE, STAFF_COOKIE
from ecoute.server.pages import templates
from ecoute.server.security import client

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FIELD = "csrf_token"
HEADER = "x-csrf-token"
SESSION_COOKIES = (OWNER_COOKIE, STAFF_COOKIE)
#: Sign-in forms act only with the credentials they carry, not with a cookie: they need the
#: origin check (no login CSRF) but no session token (a stale cookie must not block signing in).
TOKEN_EXEMPT = frozenset({"/login", "/staff/login"})


def token_for(session_cookie: str) -> str:
    return hashlib.sha256(b"ecoute-csrf\0" + session_cookie.encode()).hexdigest()


def session_cookies(cookies: dict[str, str]) -> list[str]:
    return [cookies[name] for name in SESSION_COOKIES if cookies.get(name)]


def token_for_request(request: Request | None) -> str:
    """The token pages embed: the owner session's if there is one, else the staff session's.

    A page rendered outside a request (a test of the template alone) has no session: no token.
    """
    if request is None:
        return ""
    found = session_cookies(request.cookies)
    return token_for(found[0]) if found else ""


def cross_origin_reason(scope: Scope, settings) -> str | None:
    """Why this request looks like it came from another site's page (None if it does not)."""
    headers = Headers(scope=scope)
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return f"cross-origin request refused (Sec-Fetch-Site: {fetch_site})"
    origin = headers.get("origin")
    if origin == "null":
        # Our own pages say "Referrer-Policy: no-referrer", under which browsers send
        # "Origin: null" even for same-origin forms; they also send Sec-Fetch-Site, so a
        # null origin passes only when the browser vouches for it being same-origin.
        if fetch_site == "same-origin":
            return None
        return "cross-origin request refused (Origin: null without Sec-Fetch-Site: same-origin)"
    if origin is not None:
        parts = urlsplit(origin)
        if not parts.netloc or parts.netloc.lower() != client.host(scope, settings):
            return f"cross-origin request refused (Origin: {origin[:100]})"
    return None


async def protect(request: Request) -> None:
    """App-wide dependency: refuse forged state-changing requests with 403 and the reason."""
    if request.method not in UNSAFE_METHODS:
        return
    reason = cross_origin_reason(request.scope, request.app.state.settings)
    if reason:
        raise HTTPException(status_code=403, detail=reason)
    cookies = session_cookies(request.cookies)
    if not cookies or request.url.path in TOKEN_EXEMPT:
        return  # no session: nothing a forged request could act with (logins, devices)
    sent = request.headers.get(HEADER, "")
    content_type = request.headers.get("content-type", "")
    if not sent and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(FIELD)
        sent = value if isinstance(value, str) else ""
    if not sent or not any(hmac.compare_digest(sent, token_for(c)) for c in cookies):
        raise HTTPException(status_code=403,
                            detail="missing or wrong CSRF token: reload the page and try again")


def install_template_helpers() -> None:
    """``csrf_token(request)`` and ``csrf_field(request)`` in every template."""

    def field(request: Request | None) -> Markup:
        return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, token_for_request(request))

    templates.env.globals["csrf_token"] = token_for_request
    templates.env.globals["csrf_field"] = field

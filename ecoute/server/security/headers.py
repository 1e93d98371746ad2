"""Response headers every answer gets, and the ``Secure`` flag on session cookies.

- ``Content-Security-Policy``: scripts and styles from our own origin only (no inline
  script, no ``style`` attribute JS, no CDN), ``frame-ancestors 'none'`` (no
  clickjacking), forms post only to us.
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` (page URLs carry
  ids and notices), ``X-Frame-Options: DENY`` for browsers without CSP 3.
- ``Cache-Control: no-store`` on everything but ``/static``: pages and JSON carry
  transcripts and audit entries, which must not sit in a shared or browser cache. A
  handler that sets its own ``Cache-Control`` keeps it.
- Session cookies get ``Secure`` when ``cookie_secure`` is ``always``, or ``auto`` and the
  request came over TLS (directly, or by a trusted proxy's ``X-Forwarded-Proto``).
- Authenticated answers carry ``X-CSRF-Token`` so scripts can send it back (another
  origin cannot read our response headers).
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecoute.config import Settings
from ecoute.server.security import client, csrf

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
ALWAYS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


def wants_secure(scope: Scope, settings: Settings) -> bool:
    mode = settings.server.cookie_secure.lower()
    if mode == "always":
        return True
    if mode == "never":
        return False
    return client.scheme(scope, settings) == "https"


def _request_cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header: treat as no cookie
                continue
    return {key: morsel.value for key, morsel in jar.items()}


class SecurityHeaders:
    """Pure ASGI middleware (no body buffering, works for streamed files too)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")
        secure = wants_secure(scope, self.settings)
        sessions = csrf.session_cookies(_request_cookies(scope))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                new_session = self._rewrite_cookies(message, secure)
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    if name not in headers:
                        headers[name] = value
                if not static and "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
                current = new_session or (sessions[0] if sessions else None)
                if current:
                    headers["x-csrf-token"] = csrf.token_for(current)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _rewrite_cookies(message: Message, secure: bool) -> str | None:
        """Add ``Secure`` to our session cookies; return a session cookie set by this answer."""
        new_session = None
        raw: list[tuple[bytes, bytes]] = []
        for name, value in message.get("headers", []):
            if name.lower() == b"set-cookie":
                text = value.decode("latin-1")
                cookie_name, _, rest = text.partition("=")
                if cookie_name in csrf.SESSION_COOKIES:
                    cookie_value = rest.split(";", 1)[0].strip('"')
                    if cookie_value and "max-age=0" not in text.lower():
                        new_session = cookie_value
                    if secure and "; secure" not in text.lower():
                        value = (text + "; Secure").encode("latin-1")
            raw.append((name, value))
        message["headers"] = raw
        return new_session

"""Exception handlers: errors become a reason a person can act on, never a stack trace.

- ``LoginRequired`` (from ``server/auth.py``): 401 JSON for ``/api`` calls; pages redirect
  to the right login page (owner or staff) and come back afterwards.
- ``EcouteError`` subclasses raised by services map to 4xx by kind, with ``{"detail": …}``
  for the API and a small readable page for browsers.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ecoute.errors import AudioError, BadInput, EcouteError, Forbidden, NotFound
from ecoute.server.auth import LoginRequired
from ecoute.server.pages import templates
from ecoute.services.ingest import Conflict, UploadTooLarge

#: Error kind → HTTP status; the first matching class (in order) wins.
STATUS: tuple[tuple[type[Exception], int], ...] = (
    (AudioError, 400),
    (BadInput, 400),
    (NotFound, 404),
    (Forbidden, 403),
)


def status_for(err: Exception) -> int:
    if isinstance(err, UploadTooLarge):
        return 413
    if isinstance(err, Conflict):
        return 409
    for kind, status in STATUS:
        if isinstance(err, kind):
            return status
    return 500


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or "text/html" not in request.headers.get("accept", "")


def _login_page(kind: str) -> str:
    return "/staff/login" if kind == "staff" else "/login"


async def login_required(request: Request, err: LoginRequired) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": err.detail}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = f"{_login_page(err.kind)}?next={quote(target, safe='')}"
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


async def ecoute_error(request: Request, err: EcouteError) -> Response:
    status = status_for(err)
    if wants_json(request):
        return JSONResponse({"detail": str(err)}, status_code=status)

    return templates.TemplateResponse(request, "owner/error.html", {"message": str(err), "status": status},
                                      status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(EcouteError, ecoute_error)


__all__ = ["HTMLResponse", "install_error_handlers", "status_for"]

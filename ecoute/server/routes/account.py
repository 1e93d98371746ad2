"""An owner changes their password: the old one again (throttled like a sign-in), and the new
one must pass the password policy (``store/password_policy.py``), with the reason shown.

Other sessions of the owner end when the password changes: whoever else was signed in
with the old one is signed out.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import delete
from sqlalchemy.orm import Session

from ecoute.server.auth import current_owner, db_session
from ecoute.server.pages import templates
from ecoute.server.security.login import authenticate
from ecoute.store.passwords import hash_password
from ecoute.store.schema.owner import LoginSession, Owner

router = APIRouter(tags=["owner"])


def _page(request: Request, owner: Owner, error: str = "", status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, "owner/password.html", {"owner": owner, "error": error},
                                      status_code=status)


@router.get("/privacy/password", response_class=HTMLResponse)
def password_form(request: Request, owner: Owner = Depends(current_owner)) -> HTMLResponse:
    return _page(request, owner)


@router.post("/privacy/password")
def change_password(request: Request, current: str = Form(""), new: str = Form(""), again: str = Form(""),
                    owner: Owner = Depends(current_owner), session: Session = Depends(db_session)) -> Response:
    if not authenticate(request, "owner", owner.email or "", owner.password_hash, current, session=session):
        return _page(request, owner, "Your current password is not right: nothing was changed.", 403)
    if new != again:
        return _page(request, owner, "The two new passwords differ: nothing was changed.", 400)
    try:
        owner.password_hash = hash_password(request.app.state.settings, new, (owner.email or "", owner.display_name))
    except ValueError as err:
        return _page(request, owner, f"Not changed: {err}", 400)
    this = request.state.login.token_hash
    session.execute(delete(LoginSession).where(LoginSession.subject_kind == "owner",
                                               LoginSession.subject_id == owner.id,
                                               LoginSession.token_hash != this))
    session.commit()
    return RedirectResponse(f"/privacy?notice={quote('Your password was changed.')}", status_code=303)

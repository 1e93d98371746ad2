"""Who is calling: owners and staff by session cookie, devices by bearer token.

Only hashes of tokens are stored. Owners and staff are different kinds of subject with
different cookies, so a reviewer session can never be mistaken for an owner's.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from fastapi import Depends, HTTPException, Request, Response
from sqlalchemy.orm import Session

from ecoute.store.schema.base import utcnow
from ecoute.store.schema.owner import Device, LoginSession, Owner
from ecoute.store.schema.review import Staff
from ecoute.store.store import Store
from ecoute.store.tokens import token_hash

OWNER_COOKIE = "ecoute_owner"
STAFF_COOKIE = "ecoute_staff"
SESSION_HOURS = 12
#: An export needs the password entered within this window.
REAUTH_WINDOW = timedelta(minutes=5)


def get_store(request: Request) -> Store:
    return request.app.state.store


def db_session(store: Store = Depends(get_store)):
    """One transaction per request, committed when the handler returns without error."""
    with store.session() as session:
        yield session


def start_session(session: Session, response: Response, kind: str, subject_id: str) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(LoginSession(token_hash=token_hash(token), subject_kind=kind, subject_id=subject_id,
                             created_at=now, authenticated_at=now, expires_at=now + timedelta(hours=SESSION_HOURS)))
    response.set_cookie(OWNER_COOKIE if kind == "owner" else STAFF_COOKIE, token, httponly=True,
                        samesite="strict", max_age=SESSION_HOURS * 3600)
    return token


def end_session(session: Session, request: Request, response: Response, kind: str) -> None:
    cookie = OWNER_COOKIE if kind == "owner" else STAFF_COOKIE
    token = request.cookies.get(cookie)
    if token:
        row = session.get(LoginSession, token_hash(token))
        if row is not None:
            session.delete(row)
    response.delete_cookie(cookie)


def login_session(session: Session, request: Request, kind: str) -> LoginSession | None:
    token = request.cookies.get(OWNER_COOKIE if kind == "owner" else STAFF_COOKIE)
    if not token:
        return None
    row = session.get(LoginSession, token_hash(token))
    if row is None or row.subject_kind != kind or row.expires_at < utcnow():
        return None
    return row


class LoginRequired(HTTPException):
    """401 for APIs; pages turn it into a redirect to the right login page."""

    def __init__(self, kind: str):
        super().__init__(status_code=401, detail=f"{kind} login required")
        self.kind = kind


def current_owner(request: Request, session: Session = Depends(db_session)) -> Owner:
    row = login_session(session, request, "owner")
    owner = session.get(Owner, row.subject_id) if row else None
    if owner is None or owner.status != "active":
        raise LoginRequired("owner")
    request.state.login = row
    return owner


def require_staff(*roles: str) -> Callable[..., Staff]:
    """Dependency: a logged-in staff member holding one of ``roles`` (403 otherwise)."""

    def dependency(request: Request, session: Session = Depends(db_session)) -> Staff:
        row = login_session(session, request, "staff")
        staff = session.get(Staff, row.subject_id) if row else None
        if staff is None:
            raise LoginRequired("staff")
        if roles and staff.role not in roles:
            raise HTTPException(status_code=403, detail=f"this needs the role {' or '.join(roles)}")
        request.state.login = row
        return staff

    return dependency


def current_device(request: Request, session: Session = Depends(db_session)) -> Device:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise HTTPException(status_code=401, detail="device token missing (Authorization: Bearer …)")
    device = session.query(Device).filter(Device.token_hash == token_hash(header[7:].strip())).one_or_none()
    if device is None:
        raise HTTPException(status_code=401, detail="unknown or revoked device token")
    return device

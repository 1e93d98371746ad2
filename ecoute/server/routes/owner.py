"""Owner pages: login, the privacy page (recordings, auto-delete, devices, audit), and the
staff login that the review and rights pages share.

Pages work without JavaScript (plain forms, 303 redirects); htmx only makes deleting a
row or pairing a device happen in place. Every handler that changes something commits
before it answers, so a page never says "deleted" about something that was not.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.errors import BadInput
from ecoute.review.staff import find_staff_by_email
from ecoute.server.auth import current_owner, db_session, end_session, get_store, start_session
from ecoute.server.pages import templates
from ecoute.services import devices as pairing
from ecoute.services import recordings as rec
from ecoute.services.privacy_actions import review_consent
from ecoute.store.accounts import find_owner_by_email
from ecoute.store.identity import owner_name
from ecoute.store.passwords import check_password
from ecoute.store.schema.owner import Device, Owner
from ecoute.store.store import Store
from ecoute.store.vault import Vault

router = APIRouter(tags=["owner"])


def _vault(session: Session, store: Store) -> Vault:
    return Vault(session, store.keys, store.blobs)


def _safe_next(target: str | None, default: str) -> str:
    """Only local paths: a login link must not bounce people to another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return default


def _done(request: Request, url: str, fragment: str = "") -> Response:
    """htmx gets the fragment to swap in; a plain form gets a redirect back to the page."""
    if request.headers.get("hx-request"):
        return HTMLResponse(fragment)
    return RedirectResponse(url, status_code=303)


# -- login -------------------------------------------------------------------------------

@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/privacy", status_code=303)


def _login_page(request: Request, kind: str, error: str = "", status: int = 200, next_url: str = "") -> HTMLResponse:
    return templates.TemplateResponse(request, "owner/login.html",
                                      {"kind": kind, "error": error, "next": next_url,
                                       "action": "/staff/login" if kind == "staff" else "/login"},
                                      status_code=status)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "") -> HTMLResponse:
    return _login_page(request, "owner", next_url=next)


@router.post("/login")
def login(request: Request, email: str = Form(""), password: str = Form(""), next: str = Form(""),
          session: Session = Depends(db_session)) -> Response:
    settings = request.app.state.settings
    owner = find_owner_by_email(session, request.app.state.store.keys, email)
    if owner is None or owner.status != "active" or not check_password(settings, owner.password_hash, password):
        return _login_page(request, "owner", "Wrong email or password.", 401, next)
    response = RedirectResponse(_safe_next(next, "/privacy"), status_code=303)
    start_session(session, response, "owner", owner.id)
    session.commit()
    return response


@router.api_route("/logout", methods=["GET", "POST"], include_in_schema=False)
def logout(request: Request, session: Session = Depends(db_session)) -> Response:
    response = RedirectResponse("/login", status_code=303)
    end_session(session, request, response, "owner")
    session.commit()
    return response


@router.get("/staff/login", response_class=HTMLResponse)
def staff_login_form(request: Request, next: str = "") -> HTMLResponse:
    return _login_page(request, "staff", next_url=next)


@router.post("/staff/login")
def staff_login(request: Request, email: str = Form(""), password: str = Form(""), next: str = Form(""),
                session: Session = Depends(db_session)) -> Response:
    settings = request.app.state.settings
    staff = find_staff_by_email(session, request.app.state.store.keys, email)
    if staff is None or not check_password(settings, staff.password_hash, password):
        return _login_page(request, "staff", "Wrong email or password.", 401, next)
    response = RedirectResponse(_safe_next(next, "/review"), status_code=303)
    start_session(session, response, "staff", staff.id)
    session.commit()
    return response


@router.api_route("/staff/logout", methods=["GET", "POST"], include_in_schema=False)
def staff_logout(request: Request, session: Session = Depends(db_session)) -> Response:
    response = RedirectResponse("/staff/login", status_code=303)
    end_session(session, request, response, "staff")
    session.commit()
    return response


# -- the privacy page ----------------------------------------------------------------------

@router.get("/privacy", response_class=HTMLResponse)
def privacy_page(request: Request, before: str = "", owner: Owner = Depends(current_owner),
                 session: Session = Depends(db_session), store: Store = Depends(get_store)) -> HTMLResponse:
    vault = _vault(session, store)
    try:
        before_at = datetime.fromisoformat(before) if before else None
    except ValueError:
        raise BadInput("'before' must be an ISO date and time") from None
    if before_at is not None and before_at.tzinfo is None:
        before_at = before_at.replace(tzinfo=UTC)
    items = rec.list_recordings(session, vault, owner.id, before=before_at)
    kept, discarded = rec.count_recordings(session, owner.id)
    devices = session.execute(select(Device).where(Device.household_id == owner.household_id)
                              .order_by(Device.created_at)).scalars().all()
    members = {o.id: owner_name(vault, o) for o in session.execute(
        select(Owner).where(Owner.household_id == owner.household_id)).scalars()}
    audit = list(reversed(vault.audit_entries_for(owner.id)))[:100]
    return templates.TemplateResponse(request, "owner/privacy.html", {
        "owner": owner, "owner_name": owner_name(vault, owner), "items": items, "kept": kept, "discarded": discarded,
        "older": items[-1].created_at.isoformat() if len(items) == 50 else "",
        "auto_choice": rec.auto_delete_choice(owner.auto_delete_days), "devices": devices, "members": members,
        "audit": audit, "review_on": review_consent(session, owner.id),
        "notice": request.query_params.get("notice", ""),
    })


@router.get("/privacy/recordings/{turn_id}/audio")
def recording_audio(turn_id: str, owner: Owner = Depends(current_owner), session: Session = Depends(db_session),
                    store: Store = Depends(get_store)) -> Response:
    wav = rec.recording_audio(session, _vault(session, store), owner.id, turn_id)
    return Response(wav, media_type="audio/wav", headers={"Cache-Control": "private, no-store"})


def _notice(text: str) -> str:
    return f"/privacy?notice={quote(text)}"


@router.post("/privacy/recordings/{turn_id}/delete")
def delete_one(request: Request, turn_id: str, owner: Owner = Depends(current_owner),
               session: Session = Depends(db_session), store: Store = Depends(get_store)) -> Response:
    rec.delete_selection(session, _vault(session, store), owner.id, [turn_id])
    session.commit()
    return _done(request, _notice("Deleted 1 recording."))


@router.post("/privacy/recordings/delete")
def delete_selected(request: Request, turn_id: list[str] = Form(default_factory=list),
                    owner: Owner = Depends(current_owner), session: Session = Depends(db_session),
                    store: Store = Depends(get_store)) -> Response:
    n = rec.delete_selection(session, _vault(session, store), owner.id, turn_id)
    session.commit()
    return RedirectResponse(_notice(f"Deleted {n} recording(s)."), status_code=303)


@router.post("/privacy/recordings/delete-range")
def delete_range(request: Request, first: str = Form(""), last: str = Form(""),
                 owner: Owner = Depends(current_owner), session: Session = Depends(db_session),
                 store: Store = Depends(get_store)) -> Response:
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        raise BadInput("give both dates of the range as YYYY-MM-DD") from None
    n = rec.delete_range(session, _vault(session, store), owner.id, start, end)
    session.commit()
    return RedirectResponse(_notice(f"Deleted {n} recording(s) from {start} to {end}."), status_code=303)


@router.post("/privacy/recordings/delete-all")
def delete_all(request: Request, confirm: str = Form(""), owner: Owner = Depends(current_owner),
               session: Session = Depends(db_session), store: Store = Depends(get_store)) -> Response:
    if confirm != "yes":
        raise BadInput("tick the box to confirm that every recording should be deleted")
    n = rec.delete_all(session, _vault(session, store), owner.id)
    session.commit()
    return RedirectResponse(_notice(f"Deleted all {n} recording(s)."), status_code=303)


@router.post("/privacy/auto-delete")
def auto_delete(request: Request, choice: str = Form(""), days: str = Form(""),
                owner: Owner = Depends(current_owner), session: Session = Depends(db_session)) -> Response:
    kept = rec.set_auto_delete(session, owner, choice, days, request.app.state.settings.policy.max_retention_days)
    session.commit()
    text = "Recordings are kept until you delete them." if kept is None else \
        f"Recordings older than {kept} days are deleted automatically."
    return RedirectResponse(_notice(text), status_code=303)


@router.post("/privacy/devices/pair")
def pair_device(request: Request, code: str = Form(""), owner: Owner = Depends(current_owner),
                session: Session = Depends(db_session)) -> Response:
    device = pairing.claim_pairing(session, owner, code)
    session.commit()
    return RedirectResponse(_notice(f"“{device.name}” joined your household."), status_code=303)


@router.post("/privacy/devices/{device_id}/speaker")
def select_speaker(request: Request, device_id: str, owner: Owner = Depends(current_owner),
                   session: Session = Depends(db_session)) -> Response:
    """'It's me talking to this speaker now': what follows is stored as this owner's."""
    device = pairing.household_device(session, owner, device_id)
    device.selected_owner_id = owner.id
    session.commit()
    return RedirectResponse(_notice(f"“{device.name}” now stores what it hears as yours."), status_code=303)


# -- the same, as JSON for scripts -----------------------------------------------------------

@router.get("/api/v1/me/recordings")
def api_recordings(owner: Owner = Depends(current_owner), session: Session = Depends(db_session),
                   store: Store = Depends(get_store)) -> JSONResponse:
    items = rec.list_recordings(session, _vault(session, store), owner.id, limit=200)
    return JSONResponse([{"id": i.id, "created_at": i.created_at.isoformat(), "device": i.device,
                          "false_activation": i.false_activation, "transcript": i.transcript,
                          "answer": i.answer, "intent": i.intent} for i in items])


@router.delete("/api/v1/me/recordings/{turn_id}")
def api_delete(turn_id: str, owner: Owner = Depends(current_owner), session: Session = Depends(db_session),
               store: Store = Depends(get_store)) -> JSONResponse:
    rec.delete_selection(session, _vault(session, store), owner.id, [turn_id])
    session.commit()
    return JSONResponse({"deleted": 1})

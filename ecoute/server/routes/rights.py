"""Owners' rights pages: export (with re-authentication), account erasure, and the privacy
officer's list of data-subject requests.

Why re-authentication: an export is everything about a person in one file; a session
cookie left on a shared computer must not be enough to take it. The owner re-enters their
password, unless they entered it within :data:`~ecoute.server.auth.REAUTH_WINDOW`.

Why the officer sees no content: the officer's job is to see that requests are honoured
on time — kind, status, timing, counts. The page reads only ``dsr_requests`` and never
opens the vault.
"""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.jobs import run_stage
from ecoute.privacy.erasure import request_erasure
from ecoute.privacy.export import archive_path, open_prepared, public_key_hex, request_export
from ecoute.server.auth import REAUTH_WINDOW, current_owner, db_session, get_store, require_staff
from ecoute.server.pages import templates
from ecoute.store.crypto import DecryptionError
from ecoute.store.passwords import check_password
from ecoute.store.schema.base import utcnow
from ecoute.store.schema.owner import DataSubjectRequest, Owner
from ecoute.store.schema.review import Staff
from ecoute.store.store import Store
from ecoute.store.vault import Actor, Vault

log = logging.getLogger(__name__)

router = APIRouter(tags=["rights"])


# -- helpers ------------------------------------------------------------------------------

def _fresh_login(request: Request) -> bool:
    login = getattr(request.state, "login", None)
    return login is not None and utcnow() - login.authenticated_at <= REAUTH_WINDOW


def _enqueue(request: Request, stage: str, request_id: str) -> None:
    """Hand the stage to the job runner (committed first: the worker must see the row)."""
    jobs = getattr(request.app.state, "jobs", None)
    if jobs is not None:
        jobs.enqueue(stage, request_id=request_id)
    else:  # an app without a runner (bare tests): run it now
        run_stage(request.app.state.store, stage, request_id=request_id)


def _duration(req: DataSubjectRequest) -> str:
    end = req.completed_at or (utcnow() if req.status in ("pending", "running") else None)
    if end is None:
        return ""
    seconds = max(0, int((end - req.requested_at).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def _view(req: DataSubjectRequest, store: Store) -> dict:
    """A request as pages show it: status and timing, never content."""
    progress = req.progress or {}
    downloadable = (req.kind == "export" and req.status == "done" and progress.get("archive")
                    not in (None, "delivered", "expired") and archive_path(store.settings, req.id).exists())
    receipt = req.receipt or {}
    return {
        "id": req.id, "kind": req.kind, "status": req.status,
        "requested_at": req.requested_at, "started_at": req.started_at, "completed_at": req.completed_at,
        "duration": _duration(req), "error": req.error, "downloadable": downloadable,
        "size": progress.get("size"), "expired": progress.get("archive") == "expired",
        "done": progress.get("done"), "total": progress.get("total"),
        "steps_done": progress.get("done", []) if req.kind == "erasure" else [],
        "counts": receipt.get("deleted") or receipt.get("counts") or {},
        "key_destroyed_at": progress.get("key_destroyed_at"),
    }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat(timespec="seconds") if at else None


def _my_requests(session: Session, store: Store, owner_id: str) -> list[dict]:
    rows = session.execute(select(DataSubjectRequest).where(DataSubjectRequest.owner_id == owner_id,
                                                            DataSubjectRequest.kind == "export")
                           .order_by(DataSubjectRequest.requested_at.desc()).limit(20)).scalars()
    return [_view(r, store) for r in rows]


def _export_page(request: Request, session: Session, store: Store, owner: Owner, *, error: str = "",
                 notice: str = "", status: int = 200) -> HTMLResponse:
    exports = _my_requests(session, store, owner.id)
    return templates.TemplateResponse(request, "rights/export.html", {
        "owner": owner, "exports": exports, "fresh": _fresh_login(request), "error": error, "notice": notice,
        "busy": any(e["status"] in ("pending", "running") for e in exports),
        "window_min": int(REAUTH_WINDOW.total_seconds() // 60),
    }, status_code=status)


# -- owner: export --------------------------------------------------------------------------

@router.get("/privacy/export", response_class=HTMLResponse)
def export_page(request: Request, notice: str = "", owner: Owner = Depends(current_owner),
                session: Session = Depends(db_session), store: Store = Depends(get_store)) -> HTMLResponse:
    return _export_page(request, session, store, owner, notice=notice)


@router.get("/privacy/export/requests", response_class=HTMLResponse, include_in_schema=False)
def export_requests_fragment(request: Request, owner: Owner = Depends(current_owner),
                             session: Session = Depends(db_session),
                             store: Store = Depends(get_store)) -> HTMLResponse:
    """The list alone, for htmx to poll while an export is being built."""
    exports = _my_requests(session, store, owner.id)
    return templates.TemplateResponse(request, "rights/_exports.html", {
        "exports": exports, "busy": any(e["status"] in ("pending", "running") for e in exports)})


@router.post("/privacy/export")
def export_request(request: Request, password: str = Form(""), owner: Owner = Depends(current_owner),
                   session: Session = Depends(db_session), store: Store = Depends(get_store)) -> Response:
    settings = request.app.state.settings
    if password:
        if not check_password(settings, owner.password_hash, password):
            return _export_page(request, session, store, owner, status=403,
                                error="Wrong password: no export was requested.")
        request.state.login.authenticated_at = utcnow()  # entering it counts as a fresh login
    elif not _fresh_login(request):
        return _export_page(request, session, store, owner, status=403,
                            error="Please enter your password to export your data.")
    busy = session.execute(select(DataSubjectRequest.id).where(
        DataSubjectRequest.owner_id == owner.id, DataSubjectRequest.kind == "export",
        DataSubjectRequest.status.in_(("pending", "running")))).first()
    if busy is not None:
        return _export_page(request, session, store, owner, status=409,
                            error="An export is already being prepared; it will appear below.")
    vault = Vault(session, store.keys, store.blobs)
    export = request_export(session, vault, owner_id=owner.id, actor=Actor.owner(owner.id))
    session.commit()
    _enqueue(request, "export", export.id)
    notice = "Your export is being prepared. It will be ready to download below."
    return RedirectResponse(f"/privacy/export?notice={quote(notice)}", status_code=303)


@router.get("/privacy/export/{request_id}/download")
def export_download(request_id: str, owner: Owner = Depends(current_owner),
                    session: Session = Depends(db_session), store: Store = Depends(get_store)) -> Response:
    req = session.get(DataSubjectRequest, request_id) if request_id.isalnum() else None
    # someone else's request looks exactly like a missing one
    if req is None or req.owner_id != owner.id or req.kind != "export":
        raise HTTPException(status_code=404, detail="no such export")
    if req.status == "done" and not _view(req, store)["downloadable"]:
        raise HTTPException(status_code=410, detail="this export was already downloaded, or it expired")
    if req.status != "done":
        raise HTTPException(status_code=409, detail=f"this export is {req.status} and cannot be downloaded")
    try:
        _size, chunks = open_prepared(store, req.id, owner.id)
    except FileNotFoundError:
        raise HTTPException(status_code=410, detail="this export was already downloaded, or it expired") from None
    except DecryptionError:
        log.error("export %s: its archive key does not unwrap (erased owner or damaged file)", req.id)
        raise HTTPException(status_code=410, detail="this export can no longer be read") from None
    day = req.completed_at.date().isoformat() if req.completed_at else "export"
    # Decrypted while streamed; deleted once the last byte is written (see open_prepared).
    # Chunked on purpose (no Content-Length): the client sees the end of the body only after
    # the generator has finished, i.e. after the archive is deleted, and a body cut short by a
    # damaged segment lacks its terminating chunk, which every client reports as an error.
    return StreamingResponse(chunks, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="ecoute-export-{day}.zip"',
        "Cache-Control": "private, no-store"})


@router.get("/privacy/export/public-key")
def export_public_key(request: Request) -> JSONResponse:
    """The key exports are signed with, for ``ecoute verify-export --public-key``."""
    return JSONResponse({"algorithm": "ed25519", "public_key": public_key_hex(request.app.state.settings)})


# -- owner: erasure ---------------------------------------------------------------------------

@router.post("/privacy/erase")
def erase_account(request: Request, password: str = Form(""), confirm: str = Form(""),
                  owner: Owner = Depends(current_owner), session: Session = Depends(db_session),
                  store: Store = Depends(get_store)) -> Response:
    settings = request.app.state.settings
    if confirm != "erase":
        return _export_page(request, session, store, owner, status=400,
                            error="Tick the box to confirm: erasing your account cannot be undone.")
    if not check_password(settings, owner.password_hash, password):
        return _export_page(request, session, store, owner, status=403,
                            error="Wrong password: your account was not erased.")
    owner_id = owner.id
    session.rollback()  # request_erasure runs its own transactions
    request_id = request_erasure(store, owner_id, actor=Actor.owner(owner_id))
    _enqueue(request, "erasure", request_id)
    response = RedirectResponse(f"/erasure/{request_id}", status_code=303)
    response.delete_cookie("ecoute_owner")
    return response


@router.get("/erasure/{request_id}", response_class=HTMLResponse)
def erasure_receipt(request: Request, request_id: str, session: Session = Depends(db_session),
                    store: Store = Depends(get_store)) -> HTMLResponse:
    """The receipt, reachable by its unguessable id alone (the account no longer exists to log in)."""
    req = session.get(DataSubjectRequest, request_id) if request_id.isalnum() else None
    if req is None or req.kind != "erasure":
        raise HTTPException(status_code=404, detail="no such erasure request")
    return templates.TemplateResponse(request, "rights/receipt.html", {"req": _view(req, store),
                                                                       "receipt": req.receipt})


# -- privacy officer ----------------------------------------------------------------------------

def _all_requests(session: Session, store: Store, kind: str, status: str) -> list[dict]:
    query = select(DataSubjectRequest).order_by(DataSubjectRequest.requested_at.desc()).limit(500)
    if kind:
        query = query.where(DataSubjectRequest.kind == kind)
    if status:
        query = query.where(DataSubjectRequest.status == status)
    return [_view(r, store) for r in session.execute(query).scalars()]


def _filters(kind: str, status: str) -> tuple[str, str]:
    if kind not in ("", "export", "erasure"):
        raise HTTPException(status_code=400, detail="kind must be export or erasure")
    if status not in ("", "pending", "running", "done", "failed"):
        raise HTTPException(status_code=400, detail="status must be pending, running, done or failed")
    return kind, status


@router.get("/officer/requests", response_class=HTMLResponse)
def officer_requests(request: Request, kind: str = "", status: str = "",
                     staff: Staff = Depends(require_staff("officer")), session: Session = Depends(db_session),
                     store: Store = Depends(get_store)) -> HTMLResponse:
    kind, status = _filters(kind, status)
    rows = _all_requests(session, store, kind, status)
    return templates.TemplateResponse(request, "rights/officer.html", {
        "staff": staff, "rows": rows, "kind": kind, "status": status})


@router.get("/api/v1/officer/requests")
def officer_requests_api(kind: str = "", status: str = "", staff: Staff = Depends(require_staff("officer")),
                         session: Session = Depends(db_session), store: Store = Depends(get_store)) -> JSONResponse:
    kind, status = _filters(kind, status)
    rows = _all_requests(session, store, kind, status)
    keep = ("id", "kind", "status", "duration", "error", "steps_done", "counts", "key_destroyed_at")
    return JSONResponse([{**{k: r[k] for k in keep}, "requested_at": _iso(r["requested_at"]),
                          "started_at": _iso(r["started_at"]), "completed_at": _iso(r["completed_at"])}
                         for r in rows])

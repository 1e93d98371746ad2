"""Review zone pages and API: the reviewer workstation, the lead's page, and the owner's
"human review" page (consent and who listened).

What a reviewer or lead receives comes only from the review zone (task id, language, coarse
context, week, redacted text, prepared audio) plus staff data; owner ids, device ids,
emails, exact times and unredacted values never reach these responses (a crawler test
checks every page and API answer). The clip is streamed from the key broker — there is no
download link and the response is not cacheable.

Errors of the review pipeline map to clear 4xx answers; on any refusal the transaction is
rolled back (nothing changed), except when a task vanished because its owner was erased,
where the removal itself is committed before answering 410.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Body, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoute.errors import EcouteError
from ecoute.review import annotate, consent
from ecoute.review import lead as lead_ops
from ecoute.review.assignment import completed_today, daily_cap, next_task, open_assignment_of, stream_clip
from ecoute.review.errors import InvalidAnnotation, TaskGone, http_status
from ecoute.review.listening import who_listened
from ecoute.review.vocab import intent_names
from ecoute.server.auth import current_owner, db_session, get_store, require_staff
from ecoute.server.pages import templates
from ecoute.store.identity import staff_name
from ecoute.store.keys import KeyProvider
from ecoute.store.schema.owner import Owner
from ecoute.store.schema.review import Staff
from ecoute.store.store import Store
from ecoute.store.vault import Vault

router = APIRouter(tags=["review"])

reviewer_or_lead = require_staff("reviewer", "lead")
lead_only = require_staff("lead")

AUDIO_HEADERS = {
    "Cache-Control": "no-store, private",
    "Content-Disposition": "inline",
    "X-Content-Type-Options": "nosniff",
}


def _vault(session: Session, store: Store) -> Vault:
    return Vault(session, store.keys, store.blobs)


def _settings(request: Request):
    return request.app.state.settings


def _refusal(session: Session, err: EcouteError) -> int:
    """Undo whatever the refused request did — unless the task vanished (keep that)."""
    if isinstance(err, TaskGone):
        session.commit()
    else:
        session.rollback()
    return http_status(err)


def _api(session: Session, work: Callable[[], Any]) -> Response:
    try:
        result = work()
        session.commit()  # acknowledged means committed (and audited) before the answer leaves
        return JSONResponse(result)
    except EcouteError as err:
        return JSONResponse({"detail": str(err)}, status_code=_refusal(session, err))


def _page(request: Request, session: Session, work: Callable[[], Response]) -> Response:
    try:
        response = work()
        session.commit()
        return response
    except EcouteError as err:
        status = _refusal(session, err)
        return templates.TemplateResponse(
            request, "review/error.html", {"message": str(err), "status": status}, status_code=status
        )


def _me(session: Session, settings, keys: KeyProvider, staff: Staff) -> dict:
    done = completed_today(session, staff)
    every = max(1, settings.policy.review_break_every)
    return {
        "name": staff_name(keys, staff),
        "role": staff.role,
        "languages": staff.languages,
        "completed_today": done,
        "daily_cap": daily_cap(settings, staff),
        "paused": staff.paused,
        "paused_reason": staff.paused_reason or "",
        "break_due": done > 0 and done % every == 0,
    }


# -- the reviewer workstation -----------------------------------------------------------


@router.get("/review", response_class=HTMLResponse)
def workstation(
    request: Request,
    done: str = "",
    staff: Staff = Depends(reviewer_or_lead),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> Response:
    settings = _settings(request)

    def render() -> Response:
        task = None
        current = open_assignment_of(session, staff)
        if current is not None and not staff.paused:
            task = annotate.task_view(session, _vault(session, store), staff, current.task_id)
        return templates.TemplateResponse(
            request,
            "review/workstation.html",
            {
                "me": _me(session, settings, store.keys, staff),
                "task": task,
                "done": done[:20],
                "categories": annotate.SENSITIVE_CATEGORIES,
                "intents": intent_names(task["language"], settings.store.extra_sentences_dir) if task else (),
                "procedure": settings.policy.review_escalation_procedure,
            },
        )

    return _page(request, session, render)


@router.post("/review/next")
def take_next(
    request: Request,
    staff: Staff = Depends(reviewer_or_lead),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> Response:
    def work() -> Response:
        task = next_task(session, _vault(session, store), _settings(request), staff)
        return RedirectResponse("/review" if task else "/review?done=empty", status_code=303)

    return _page(request, session, work)


@router.post("/review/tasks/{task_id}/label")
def label_page(
    request: Request,
    task_id: str,
    transcript: str = Form(""),
    intent: str = Form(""),
    slots: str = Form(""),
    seconds: str = Form(""),
    staff: Staff = Depends(reviewer_or_lead),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> Response:
    def work() -> Response:
        annotate.label(
            session,
            _vault(session, store),
            _settings(request),
            staff,
            task_id,
            transcript=transcript,
            intent=intent,
            slots=slots,
            seconds_spent=_seconds(seconds),
        )
        return RedirectResponse("/review?done=saved", status_code=303)

    return _page(request, session, work)


@router.post("/review/tasks/{task_id}/sensitive")
def sensitive_page(
    request: Request,
    task_id: str,
    category: str = Form(""),
    staff: Staff = Depends(reviewer_or_lead),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> Response:
    def work() -> Response:
        annotate.flag_sensitive(session, _vault(session, store), staff, task_id, category=category)
        return RedirectResponse("/review?done=sensitive", status_code=303)

    return _page(request, session, work)


@router.post("/review/tasks/{task_id}/escalate")
def escalate_page(
    request: Request,
    task_id: str,
    reason: str = Form(""),
    staff: Staff = Depends(reviewer_or_lead),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> Response:
    def work() -> Response:
        annotate.escalate(session, _vault(session, store), _settings(request), staff, task_id, reason=reason)
        return RedirectResponse("/review?done=escalated", status_code=303)

    return _page(request, session, work)


@router.post("/review/tasks/{task_id}/skip")
def skip_page(
    request: Request,
    task_id: str,
    staff: Staff = Depends(reviewer_or_lead),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> Response:
    def work() -> Response:
        annotate.skip(session, staff, task_id, _vault(session, store))
        return RedirectResponse("/review?done=skipped", status_code=303)

    return _page(request, session, work)


def _seconds(value: str) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if 0 <= seconds < 86400 else None


# -- the reviewer API ---------------------------------------------------------------------


@router.get("/review/api/tasks/{task_id}/audio")
def task_audio(
    task_id: str,
    staff: Staff = Depends(reviewer_or_lead),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> Response:
    """The prepared clip, decrypted by the key broker for the reviewer holding the task (audited)."""
    try:
        wav = stream_clip(session, _vault(session, store), staff, task_id)
        session.commit()  # the audit entry of this play is durable before a byte is served
    except EcouteError as err:
        return JSONResponse({"detail": str(err)}, status_code=_refusal(session, err))
    return Response(wav, media_type="audio/wav", headers=AUDIO_HEADERS)


@router.get("/review/api/me")
def api_me(
    request: Request, staff: Staff = Depends(reviewer_or_lead), session: Session = Depends(db_session),
    store: Store = Depends(get_store),
):
    return _me(session, _settings(request), store.keys, staff)


@router.post("/review/api/next")
def api_next(
    request: Request,
    staff: Staff = Depends(reviewer_or_lead),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> Response:
    def work() -> dict:
        vault = _vault(session, store)
        task = next_task(session, vault, _settings(request), staff)
        return {"task": annotate.task_view(session, vault, staff, task.id) if task else None}

    return _api(session, work)


@router.get("/review/api/tasks/{task_id}")
def api_task(
    task_id: str,
    staff: Staff = Depends(reviewer_or_lead),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> Response:
    return _api(session, lambda: annotate.task_view(session, _vault(session, store), staff, task_id))


@router.post("/review/api/tasks/{task_id}/annotations")
def api_annotate(
    request: Request,
    task_id: str,
    body: dict = Body(...),
    staff: Staff = Depends(reviewer_or_lead),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> Response:
    """One outcome per task: ``{"kind": "label"|"sensitive"|"escalate"|"skip", ...}``."""

    def work() -> dict:
        vault = _vault(session, store)
        kind = body.get("kind")
        if kind == "label":
            out = annotate.label(
                session,
                vault,
                _settings(request),
                staff,
                task_id,
                transcript=str(body.get("transcript", "")),
                intent=body.get("intent"),
                slots=body.get("slots"),
                seconds_spent=_seconds(body.get("seconds", "")),
            )
        elif kind == "sensitive":
            out = annotate.flag_sensitive(
                session, vault, staff, task_id, category=str(body.get("category", ""))
            )
        elif kind == "escalate":
            out = annotate.escalate(
                session, vault, _settings(request), staff, task_id, reason=str(body.get("reason", ""))
            )
        elif kind == "skip":
            out = annotate.skip(session, staff, task_id, _vault(session, store))
        else:
            raise InvalidAnnotation("kind must be one of label, sensitive, escalate, skip")
        return {"task_id": out.task_id, "kind": out.kind, "paused": out.paused}

    return _api(session, work)


# -- the lead ---------------------------------------------------------------------------


@router.get("/review/lead", response_class=HTMLResponse)
def lead_page(
    request: Request,
    staff: Staff = Depends(lead_only),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
    task: str = "",
) -> Response:
    def render() -> Response:
        detail = None
        if task:
            detail = {
                "task_id": task,
                "transcript": lead_ops.escalation_text(session, _vault(session, store), staff, task),
            }
        return templates.TemplateResponse(
            request,
            "review/lead.html",
            {"me": staff, "stats": lead_ops.stats(session, _settings(request), store.keys), "detail": detail},
        )

    return _page(request, session, render)


@router.get("/review/api/lead/stats")
def lead_stats(request: Request, staff: Staff = Depends(lead_only), session: Session = Depends(db_session),
               store: Store = Depends(get_store)):
    return lead_ops.stats(session, _settings(request), store.keys)


@router.get("/review/api/lead/escalations/{task_id}/audio")
def lead_audio(
    task_id: str,
    staff: Staff = Depends(lead_only),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> Response:
    try:
        wav = lead_ops.escalation_audio(session, _vault(session, store), staff, task_id)
        session.commit()
    except EcouteError as err:
        return JSONResponse({"detail": str(err)}, status_code=_refusal(session, err))
    return Response(wav, media_type="audio/wav", headers=AUDIO_HEADERS)


@router.post("/review/lead/reviewers/{staff_id}/pause")
def lead_pause(
    request: Request,
    staff_id: str,
    reason: str = Form(""),
    staff: Staff = Depends(lead_only),
    session: Session = Depends(db_session),
) -> Response:
    def work() -> Response:
        lead_ops.set_paused(session, staff, staff_id, True, reason)
        return RedirectResponse("/review/lead", status_code=303)

    return _page(request, session, work)


@router.post("/review/lead/reviewers/{staff_id}/unpause")
def lead_unpause(
    request: Request, staff_id: str, staff: Staff = Depends(lead_only), session: Session = Depends(db_session)
) -> Response:
    def work() -> Response:
        lead_ops.set_paused(session, staff, staff_id, False)
        return RedirectResponse("/review/lead", status_code=303)

    return _page(request, session, work)


@router.post("/review/lead/reviewers/{staff_id}/cap")
def lead_cap(
    request: Request,
    staff_id: str,
    daily_cap: str = Form(""),
    staff: Staff = Depends(lead_only),
    session: Session = Depends(db_session),
) -> Response:
    def work() -> Response:
        lead_ops.set_cap(session, staff, staff_id, daily_cap)
        return RedirectResponse("/review/lead", status_code=303)

    return _page(request, session, work)


@router.post("/review/lead/escalations/{task_id}/resolve")
def lead_resolve(
    request: Request,
    task_id: str,
    action: str = Form(""),
    note: str = Form(""),
    staff: Staff = Depends(lead_only),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> Response:
    def work() -> Response:
        lead_ops.resolve(session, _vault(session, store), staff, task_id, action, note)
        return RedirectResponse("/review/lead", status_code=303)

    return _page(request, session, work)


# -- the owner's human-review page ---------------------------------------------------------


def _owner_review(session: Session, store: Store, owner: Owner) -> dict:
    vault = _vault(session, store)
    row = consent.latest(session, owner.id)
    return {
        "opted_in": consent.is_opted_in(session, owner.id),
        "is_child": owner.is_child,
        "consent_version": row.text_version if row and row.granted else None,
        "consent_hash": row.text_hash if row and row.granted else None,
        "since_day": row.created_at.date().isoformat() if row else None,
        "text": consent.consent_text(owner.language),
        "current_version": consent.CURRENT_VERSION,
        "who_listened": who_listened(session, vault, owner.id),
    }


@router.get("/privacy/review", response_class=HTMLResponse)
def owner_review_page(
    request: Request,
    notice: str = "",
    owner: Owner = Depends(current_owner),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> Response:
    def render() -> Response:
        return templates.TemplateResponse(
            request,
            "review/owner.html",
            {
                "owner": owner,
                "lang": owner.language,
                "review": _owner_review(session, store, owner),
                "notice": notice[:40],
            },
        )

    return _page(request, session, render)


@router.post("/privacy/review/opt-in")
def owner_opt_in(
    request: Request,
    owner: Owner = Depends(current_owner),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> Response:
    def work() -> Response:
        consent.opt_in(session, _vault(session, store), owner.id, "web")
        return RedirectResponse("/privacy/review?notice=on", status_code=303)

    return _page(request, session, work)


@router.post("/privacy/review/opt-out")
def owner_opt_out(
    request: Request,
    owner: Owner = Depends(current_owner),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> Response:
    def work() -> Response:
        removed = consent.opt_out(session, _vault(session, store), owner.id, "web")
        return RedirectResponse(f"/privacy/review?notice=off-{removed}", status_code=303)

    return _page(request, session, work)


@router.get("/api/v1/me/review")
def api_owner_review(
    owner: Owner = Depends(current_owner),
    session: Session = Depends(db_session),
    store: Store = Depends(get_store),
) -> dict:
    data = _owner_review(session, store, owner)
    data.pop("text")
    return data

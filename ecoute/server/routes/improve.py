"""The improvement page (/improve): eval trends, dataset versions, template proposals.

For review leads, ML engineers and privacy officers. Everything shown comes from the review
zone or is an aggregate: dataset counts and stale flags, eval numbers, proposed templates
(written from redacted, reviewed transcripts, supported by k distinct owners), and how many
devices had their wake threshold tuned — never a device id, owner or exact time.
Only a review lead may accept or reject a proposal.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoute.improve import proposals as props
from ecoute.improve.datasets import versions
from ecoute.improve.evaluate import history
from ecoute.improve.plots import METRICS, trend_png
from ecoute.server.auth import db_session, require_staff
from ecoute.server.pages import templates
from ecoute.store.schema.datasets import EvalRun, TemplateProposal, WakeTuning
from ecoute.store.schema.enums import ProposalStatus, StaffRole
from ecoute.store.schema.review import Staff

router = APIRouter(tags=["improve"])

viewer = require_staff(StaffRole.LEAD, StaffRole.ML, StaffRole.OFFICER)
lead_only = require_staff(StaffRole.LEAD)


def _page_data(session: Session) -> dict:
    runs = history(session)
    latest: dict[str, EvalRun] = {}
    for run in runs:
        latest[run.language] = run
    decided = session.execute(
        select(TemplateProposal).where(TemplateProposal.status != ProposalStatus.PENDING).order_by(TemplateProposal.day.desc())
        .limit(50)).scalars().all()
    tuned = session.execute(select(func.count(WakeTuning.id), func.avg(WakeTuning.threshold_after))).one()
    return {
        "metrics": METRICS,
        "latest": [latest[lang] for lang in sorted(latest)],
        "runs": runs[-30:],
        "datasets": versions(session),
        "pending": props.pending(session),
        "decided": decided,
        "wake": {"tunings": tuned[0] or 0, "mean_threshold": tuned[1]},
    }


@router.get("/improve", response_class=HTMLResponse)
def improve_page(request: Request, staff: Staff = Depends(viewer), session: Session = Depends(db_session)):
    return templates.TemplateResponse(request, "improve/index.html", {
        **_page_data(session), "role": staff.role, "can_decide": staff.role == StaffRole.LEAD})


@router.get("/improve/plots/{metric}.png")
def plot(metric: str, _staff: Staff = Depends(viewer), session: Session = Depends(db_session)) -> Response:
    if metric not in METRICS:
        return Response(f"unknown metric {metric!r}; one of {', '.join(METRICS)}", status_code=404,
                         media_type="text/plain")
    return Response(trend_png(history(session), metric), media_type="image/png",
                    headers={"Cache-Control": "no-store"})


@router.post("/improve/proposals/{proposal_id}/{decision}")
def decide(proposal_id: str, decision: str, request: Request, staff: Staff = Depends(lead_only),
           session: Session = Depends(db_session)) -> Response:
    if decision not in ("accept", "reject"):
        return Response("decision must be accept or reject", status_code=404, media_type="text/plain")
    props.decide(session, request.app.state.settings, proposal_id, accept=decision == "accept", staff_id=staff.id)
    return RedirectResponse("/improve#proposals", status_code=303)


@router.get("/api/improve/evals")
def evals_api(_staff: Staff = Depends(viewer), session: Session = Depends(db_session)) -> list[dict]:
    return [{"seq": r.seq, "day": r.day, "language": r.language, "label": r.label, "dataset": r.dataset_label,
             "asr_version": r.asr_version, "sentences_version": r.sentences_version, "n": r.n, "wer": r.wer,
             "intent_accuracy": r.intent_accuracy, "slot_f1": r.slot_f1, "unhandled_rate": r.unhandled_rate,
             "false_accepts_per_device_hour": r.false_accepts_per_device_hour} for r in history(session)]


@router.get("/api/improve/datasets")
def datasets_api(_staff: Staff = Depends(viewer), session: Session = Depends(db_session)) -> list[dict]:
    return [{"name": v.name, "version": v.version, "kind": v.kind, "items": v.item_count, "languages": v.languages,
             "stale": v.stale, "stale_reason": v.stale_reason, "lineage_digest": v.lineage_digest,
             "built_day": v.built_day} for v in versions(session)]

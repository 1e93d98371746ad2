"""The review lead's view and actions: QC figures, escalations, caps, pause/unpause.

Everything here is about staff and tasks; nothing names an owner. Escalation handling is
audited against the owner (through the vault), like any other act on their content.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoute.config import Settings
from ecoute.review import quality
from ecoute.review.assignment import LISTEN_PURPOSE, completed_today, daily_cap, languages_of, reviewer_actor
from ecoute.review.errors import InvalidAnnotation, NotYours, TaskGone
from ecoute.review.purge import delete_tasks, destroy_task_content
from ecoute.review.tasks import get_task, read_audio, read_content, task_key
from ecoute.store.identity import staff_name
from ecoute.store.keys import KeyProvider
from ecoute.store.schema.owner import ReviewLink
from ecoute.store.schema.review import Annotation, ReviewTask, Staff
from ecoute.store.vault import KeyDestroyed, Vault

RESOLUTIONS = ("requeue", "destroy")


def require_lead(staff: Staff) -> None:
    if staff.role != "lead":
        raise NotYours("this needs the role lead")


def reviewer_rows(session: Session, settings: Settings, keys: KeyProvider) -> list[dict]:
    rows = []
    team = session.execute(select(Staff).where(Staff.role.in_(("reviewer", "lead")))).scalars()
    for name, staff in sorted(((staff_name(keys, s), s) for s in team), key=lambda pair: (pair[0], pair[1].id)):
        accuracy, n_gold = quality.gold_accuracy(session, staff.id, settings.policy.review_gold_window)
        skips = session.execute(
            select(func.count())
            .select_from(Annotation)
            .where(Annotation.reviewer_id == staff.id, Annotation.kind == "skip")
        ).scalar_one()
        rows.append(
            {
                "id": staff.id,
                "name": name,
                "role": staff.role,
                "site": staff.site,
                "country": staff.site_country,
                "languages": staff.languages,
                "today": completed_today(session, staff),
                "daily_cap": daily_cap(settings, staff),
                "gold_accuracy": accuracy,
                "gold_n": n_gold,
                "skips": skips,
                "paused": staff.paused,
                "paused_reason": staff.paused_reason or "",
            }
        )
    return rows


def escalations(session: Session, keys: KeyProvider) -> list[dict]:
    out = []
    tasks = (
        session.execute(
            select(ReviewTask)
            .where(ReviewTask.status == "escalated")
            .order_by(ReviewTask.created_week, ReviewTask.id)
        )
        .scalars()
        .all()
    )
    for task in tasks:
        note = (
            session.execute(
                select(Annotation)
                .where(Annotation.task_id == task.id, Annotation.kind == "escalate")
                .order_by(Annotation.created_at.desc())
            )
            .scalars()
            .first()
        )
        by = session.get(Staff, note.reviewer_id) if note else None
        out.append(
            {
                "task_id": task.id,
                "language": task.language,
                "week": task.created_week,
                "intent": task.intent,
                "reason": note.reason if note else "",
                "by": staff_name(keys, by) if by else "?",
            }
        )
    return out


def queue_sizes(session: Session) -> list[dict]:
    counts: Counter = Counter()
    for language, queue, status in session.execute(
        select(ReviewTask.language, ReviewTask.queue, ReviewTask.status)
    ):
        counts[(language, queue, status)] += 1
    return [
        {"language": lang, "queue": q, "status": s, "count": n} for (lang, q, s), n in sorted(counts.items())
    ]


def stats(session: Session, settings: Settings, keys: KeyProvider) -> dict:
    names = {s.id: staff_name(keys, s) for s in session.execute(select(Staff)).scalars()}
    pairs = [
        {**p, "reviewer_a": names.get(p["reviewer_a"], "?"), "reviewer_b": names.get(p["reviewer_b"], "?")}
        for p in quality.pair_stats(session)
    ]
    return {
        "reviewers": reviewer_rows(session, settings, keys),
        "pairs": pairs,
        "escalations": escalations(session, keys),
        "queues": queue_sizes(session),
        "settings": {
            "gold_rate": settings.policy.review_gold_rate,
            "double_fraction": settings.policy.review_double_fraction,
            "pause_below": settings.policy.review_gold_pause_below,
            "daily_cap": settings.policy.review_daily_cap,
        },
    }


def set_paused(session: Session, lead: Staff, staff_id: str, paused: bool, reason: str = "") -> Staff:
    require_lead(lead)
    staff = session.get(Staff, staff_id) if staff_id else None
    if staff is None or staff.role not in ("reviewer", "lead"):
        raise InvalidAnnotation("no such reviewer")
    staff.paused = paused
    staff.paused_reason = (reason.strip() or "paused by a review lead") if paused else None
    session.flush()
    return staff


def set_cap(session: Session, lead: Staff, staff_id: str, cap: str | int) -> Staff:
    require_lead(lead)
    staff = session.get(Staff, staff_id) if staff_id else None
    if staff is None or staff.role not in ("reviewer", "lead"):
        raise InvalidAnnotation("no such reviewer")
    try:
        value = int(cap)
    except (TypeError, ValueError):
        raise InvalidAnnotation("a daily cap is a whole number") from None
    if not 1 <= value <= 2000:
        raise InvalidAnnotation("a daily cap is between 1 and 2000")
    staff.daily_cap = value
    session.flush()
    return staff


def _escalated(session: Session, lead: Staff, task_id: str) -> ReviewTask:
    require_lead(lead)
    task = get_task(session, task_id)
    if task.status != "escalated":
        raise InvalidAnnotation("this task is not waiting for a lead")
    if task.language not in languages_of(lead):
        raise NotYours("this task is outside your languages")
    return task


def escalation_audio(session: Session, vault: Vault, lead: Staff, task_id: str) -> bytes:
    task = _escalated(session, lead, task_id)
    try:
        key = task_key(
            session, vault, task, actor=reviewer_actor(lead, task.language), purpose=LISTEN_PURPOSE
        )
    except (KeyDestroyed, TaskGone):
        delete_tasks(session, vault.blobs, [task.id])
        raise TaskGone("the owner removed this recording; the task is gone") from None
    return read_audio(session, vault.blobs, key, task)


def escalation_text(session: Session, vault: Vault, lead: Staff, task_id: str) -> str:
    task = _escalated(session, lead, task_id)
    try:
        key = task_key(
            session,
            vault,
            task,
            actor=reviewer_actor(lead, task.language),
            purpose="review: read redacted transcript",
        )
    except (KeyDestroyed, TaskGone):
        delete_tasks(session, vault.blobs, [task.id])
        raise TaskGone("the owner removed this recording; the task is gone") from None
    return read_content(key, task).get("transcript", "")


def resolve(session: Session, vault: Vault, lead: Staff, task_id: str, action: str, note: str = "") -> str:
    """``requeue``: back to the general queue; ``destroy``: treated as sensitive (content destroyed)."""
    task = _escalated(session, lead, task_id)
    if action not in RESOLUTIONS:
        raise InvalidAnnotation(f"resolve with one of: {', '.join(RESOLUTIONS)}")
    link = session.get(ReviewLink, task.id)
    if link is not None and not task.is_gold:
        try:
            actor = reviewer_actor(lead, task.language)
            vault.audit(
                actor,
                action="escalation-resolved",
                purpose=f"review: escalation {action}",
                owner_id=link.owner_id,
                item_id=task.id,
                details={**actor.details, "resolution": action},
            )
        except KeyDestroyed:
            delete_tasks(session, vault.blobs, [task.id])
            raise TaskGone("the owner removed this recording; the task is gone") from None
    session.add(
        Annotation(task_id=task.id, reviewer_id=lead.id, kind="resolve", reason=(note or action)[:1000])
    )
    if action == "requeue":
        task.status, task.queue = "pending", "general"
    else:
        task.status = "sensitive"
        destroy_task_content(session, vault.blobs, task)
    session.flush()
    return task.status

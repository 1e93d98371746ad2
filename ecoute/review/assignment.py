"""Handing tasks to reviewers, and the key broker that lets them listen.

A reviewer only gets tasks in their languages and queue, one at a time, within their daily
cap, never while paused, and never two tasks from the same owner within
``reviewer_owner_spacing_days``: exposures are recorded in the owner zone under a keyed
hash of the owner (``vault.owner_tag``), so the spacing holds without the review zone ever
knowing who the owner is. Gold tasks (known answers) are mixed in at ``review_gold_rate``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoute.config import Settings
from ecoute.review.errors import AlreadySubmitted, CapReached, NotYours, TaskGone
from ecoute.review.purge import delete_tasks
from ecoute.review.tasks import get_task, read_audio, task_key
from ecoute.store.schema.base import utcnow
from ecoute.store.schema.owner import ReviewerExposure, ReviewLink
from ecoute.store.schema.review import ReviewAssignment, ReviewTask, Staff
from ecoute.store.vault import Actor, KeyDestroyed, Vault

REVIEW_ROLES = ("reviewer", "lead")
LISTEN_PURPOSE = "review: listen to prepared clip"
ANNOTATE_PURPOSE = "review: annotate"
#: Assignment states that use up one of a task's ``reviews_needed``.
ACTIVE_STATES = ("open", "done")
#: Candidate tasks read per page while looking for one the owner spacing allows.
SCAN_LIMIT = 200


def languages_of(staff: Staff) -> list[str]:
    return [lang.strip() for lang in (staff.languages or "").split(",") if lang.strip()]


def queues_of(staff: Staff) -> list[str]:
    return ["general", "lead"] if staff.role == "lead" else ["general"]


def reviewer_actor(staff: Staff, language: str) -> Actor:
    """The actor written to the audit log: what an owner may learn about who listened."""
    return Actor(
        staff.id,
        staff.role,
        {"site_country": staff.site_country, "language_team": language, "site": staff.site},
    )


def start_of_day(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def completed_today(session: Session, staff: Staff, now: datetime | None = None) -> int:
    """Tasks this reviewer finished today (labelled, flagged or escalated; skips don't count)."""
    now = now or utcnow()
    return session.execute(
        select(func.count())
        .select_from(ReviewAssignment)
        .where(
            ReviewAssignment.reviewer_id == staff.id,
            ReviewAssignment.state.in_(("done", "sensitive", "escalated")),
            ReviewAssignment.completed_at >= start_of_day(now),
        )
    ).scalar_one()


def daily_cap(settings: Settings, staff: Staff) -> int:
    return staff.daily_cap if staff.daily_cap is not None else settings.policy.review_daily_cap


def open_assignment_of(session: Session, staff: Staff) -> ReviewAssignment | None:
    return (
        session.execute(
            select(ReviewAssignment)
            .where(ReviewAssignment.reviewer_id == staff.id, ReviewAssignment.state == "open")
            .order_by(ReviewAssignment.assigned_at)
        )
        .scalars()
        .first()
    )


def check_can_review(staff: Staff) -> None:
    if staff.role not in REVIEW_ROLES:
        raise NotYours(f"the role {staff.role!r} does not review tasks")
    if staff.paused:
        raise NotYours(f"your reviewing is paused: {staff.paused_reason or 'ask your lead'}")


def _active_count(session: Session, task_id: str) -> int:
    return session.execute(
        select(func.count())
        .select_from(ReviewAssignment)
        .where(ReviewAssignment.task_id == task_id, ReviewAssignment.state.in_(ACTIVE_STATES))
    ).scalar_one()


def _assign(
    session: Session, staff: Staff, task: ReviewTask, owner_tag: str | None, now: datetime
) -> ReviewTask:
    session.add(ReviewAssignment(task_id=task.id, reviewer_id=staff.id, assigned_at=now, state="open"))
    if owner_tag is not None:
        session.add(ReviewerExposure(reviewer_id=staff.id, owner_tag=owner_tag, at=now))
    session.flush()
    if _active_count(session, task.id) >= task.reviews_needed:
        task.status = "assigned"
    session.flush()
    return task


def _candidates(
    session: Session,
    staff: Staff,
    *,
    gold: bool,
    after: tuple[str, str] | None = None,
    limit: int = SCAN_LIMIT,
) -> list[ReviewTask]:
    mine = select(ReviewAssignment.task_id).where(ReviewAssignment.reviewer_id == staff.id)
    query = (
        select(ReviewTask)
        .where(
            ReviewTask.status == "pending",
            ReviewTask.is_gold.is_(gold),
            ReviewTask.language.in_(languages_of(staff)),
            ReviewTask.queue.in_(queues_of(staff)),
            ReviewTask.id.not_in(mine),
        )
        # oldest week first; within a week the random ids give a random order
        .order_by(ReviewTask.created_week, ReviewTask.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if after is not None:  # keyset pagination: the next page after (week, id)
        week, task_id = after
        query = query.where(
            (ReviewTask.created_week > week) | ((ReviewTask.created_week == week) & (ReviewTask.id > task_id))
        )
    return list(session.execute(query).scalars())


def next_task(
    session: Session,
    vault: Vault,
    settings: Settings,
    staff: Staff,
    *,
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> ReviewTask | None:
    """The reviewer's current task, or a new one; ``None`` when nothing suitable is waiting."""
    check_can_review(staff)
    now = now or utcnow()
    current = open_assignment_of(session, staff)
    if current is not None:
        return session.get(ReviewTask, current.task_id)
    cap = daily_cap(settings, staff)
    if completed_today(session, staff, now) >= cap:
        raise CapReached(f"you reached today's limit of {cap} tasks; thank you — see you tomorrow")
    rng = rng or random.SystemRandom()
    if rng.random() < settings.policy.review_gold_rate:
        gold = _candidates(session, staff, gold=True)
        if gold:
            return _assign(session, staff, rng.choice(gold), None, now)
    since = now - timedelta(days=settings.policy.reviewer_owner_spacing_days)
    exposed = set(
        session.execute(
            select(ReviewerExposure.owner_tag).where(
                ReviewerExposure.reviewer_id == staff.id, ReviewerExposure.at > since
            )
        ).scalars()
    )
    vanished: list[str] = []
    chosen: ReviewTask | None = None
    tags: dict[str, str | None] = {}
    after: tuple[str, str] | None = None
    while chosen is None:
        page = _candidates(session, staff, gold=False, after=after)
        for task in page:
            link = session.get(ReviewLink, task.id)
            if link is None:
                vanished.append(task.id)
                continue
            if link.owner_id not in tags:
                try:
                    tags[link.owner_id] = vault.owner_tag(link.owner_id)
                except KeyDestroyed:  # the owner was erased: the task can never be read again
                    tags[link.owner_id] = None
            tag = tags[link.owner_id]
            if tag is None:
                vanished.append(task.id)
                continue
            if tag in exposed:
                continue
            chosen = _assign(session, staff, task, tag, now)
            break
        if len(page) < SCAN_LIMIT:
            break
        after = (page[-1].created_week, page[-1].id)
    if vanished:
        delete_tasks(session, vault.blobs, vanished)
    return chosen


@dataclass
class Held:
    task: ReviewTask
    assignment: ReviewAssignment


def held_task(session: Session, staff: Staff, task_id: str, *, need_open: bool = True) -> Held:
    """The task if this reviewer may work on it now; a clear refusal otherwise."""
    check_can_review(staff)
    task = get_task(session, task_id)
    if task.language not in languages_of(staff):
        raise NotYours("this task is outside your languages")
    rows = (
        session.execute(
            select(ReviewAssignment)
            .where(ReviewAssignment.task_id == task.id, ReviewAssignment.reviewer_id == staff.id)
            .order_by(ReviewAssignment.assigned_at.desc())
        )
        .scalars()
        .all()
    )
    if not rows:
        raise NotYours("this task is not assigned to you")
    open_rows = [r for r in rows if r.state == "open"]
    if need_open and not open_rows:
        raise AlreadySubmitted(f"you already finished this task ({rows[0].state}); nothing was changed")
    return Held(task, open_rows[0] if open_rows else rows[0])


def vanish(session: Session, vault: Vault, task: ReviewTask) -> None:
    """A task whose owner was erased (or recording deleted) disappears from every queue."""
    delete_tasks(session, vault.blobs, [task.id])


def stream_clip(session: Session, vault: Vault, staff: Staff, task_id: str) -> bytes:
    """The key broker: decrypt the prepared clip for a reviewer holding the task.

    The vault audits the unwrap of the task key (reviewer role, site, site country, language
    team, purpose, day); that entry is what "who listened to my recordings?" counts.
    """
    held = held_task(session, staff, task_id)
    try:
        key = task_key(
            session, vault, held.task, actor=reviewer_actor(staff, held.task.language), purpose=LISTEN_PURPOSE
        )
    except (KeyDestroyed, TaskGone):
        vanish(session, vault, held.task)
        raise TaskGone("the owner removed this recording; the task is gone") from None
    return read_audio(session, vault.blobs, key, held.task)

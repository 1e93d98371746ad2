"""What a reviewer does with a task: label it, flag it sensitive, escalate it, or skip it.

Each outcome closes the reviewer's assignment exactly once (a second submission is a 409
and changes nothing). Labels and flags are audited against the owner (the unwrap of the
task key for a label, an explicit entry for flags and escalations), so an owner's log
shows every annotation of their recordings, never who made it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.config import Settings
from ecoute.review import quality
from ecoute.review.assignment import ANNOTATE_PURPOSE, Held, held_task, reviewer_actor, vanish
from ecoute.review.errors import InvalidAnnotation, TaskGone
from ecoute.review.purge import destroy_task_content
from ecoute.review.tasks import read_content, task_key
from ecoute.store.schema.base import new_id, utcnow
from ecoute.store.schema.owner import ReviewLink
from ecoute.store.schema.review import Annotation, ReviewAssignment, ReviewTask, Staff
from ecoute.store.schema.review_qc import ReviewAgreement
from ecoute.store.taskseal import open_for_task, seal_for_task
from ecoute.store.vault import KeyDestroyed, Vault

SENSITIVE_CATEGORIES = (
    "financial",
    "health",
    "credentials",
    "distress",
    "violence",
    "sexual",
    "minors",
    "other",
)
MAX_TRANSCRIPT = 2000
MAX_REASON = 1000
READ_PURPOSE = "review: read redacted transcript"


@dataclass
class Outcome:
    task_id: str
    kind: str
    gold_correct: bool | None = None
    paused: bool = False


def _clean_intent(intent: str | None) -> str | None:
    intent = (intent or "").strip()
    if not intent:
        return None
    if len(intent) > 64 or not all(c.isalnum() or c in "_-." for c in intent):
        raise InvalidAnnotation("an intent is a name like HassTurnOn (letters, digits, _ - .)")
    return intent


def _clean_slots(slots: dict | str | None) -> dict:
    """Slots as a dict, or as text lines ``name=value`` (what the page's textarea sends)."""
    if slots is None or slots == "":
        return {}
    if isinstance(slots, str):
        out = {}
        for line in slots.splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep or not name.strip():
                raise InvalidAnnotation(f"slot line {line.strip()!r}: write name=value")
            out[name.strip()] = value.strip()
        return out
    if not isinstance(slots, dict):
        raise InvalidAnnotation("slots must be an object of name → value")
    return {str(k): str(v) for k, v in slots.items()}


def _close(held: Held, state: str) -> None:
    held.assignment.state = state
    held.assignment.completed_at = utcnow()


def _with_key(
    session: Session, vault: Vault, staff: Staff, held: Held, purpose: str = ANNOTATE_PURPOSE
) -> bytes:
    try:
        return task_key(
            session, vault, held.task, actor=reviewer_actor(staff, held.task.language), purpose=purpose
        )
    except (KeyDestroyed, TaskGone):
        vanish(session, vault, held.task)
        raise TaskGone("the owner removed this recording; the task is gone") from None


def _audit(
    session: Session, vault: Vault, staff: Staff, task: ReviewTask, action: str, details: dict
) -> None:
    """Flags and escalations carry no decrypt, so they get an explicit entry about the owner."""
    if task.is_gold:
        return
    link = session.get(ReviewLink, task.id)
    if link is None:
        return
    actor = reviewer_actor(staff, task.language)
    vault.audit(
        actor,
        action=action,
        purpose=f"review: {action}",
        owner_id=link.owner_id,
        item_id=task.id,
        details={**actor.details, **details},
    )


def label(
    session: Session,
    vault: Vault,
    settings: Settings,
    staff: Staff,
    task_id: str,
    *,
    transcript: str,
    intent: str | None,
    slots: dict | str | None = None,
    seconds_spent: float | None = None,
) -> Outcome:
    """Save a corrected transcript, intent and slots (sealed with the task key)."""
    held = held_task(session, staff, task_id)
    transcript = (transcript or "").strip()
    if len(transcript) > MAX_TRANSCRIPT:
        raise InvalidAnnotation(f"a transcript has at most {MAX_TRANSCRIPT} characters")
    intent = _clean_intent(intent)
    slot_values = _clean_slots(slots)
    key = _with_key(session, vault, staff, held)
    task = held.task
    ann_id = new_id()
    payload = {"transcript": transcript, "slots": slot_values}
    gold_correct = None
    if task.is_gold and task.gold_answer:
        gold_correct = quality.gold_correct(task.gold_answer, transcript, intent)
    session.add(
        Annotation(
            id=ann_id,
            task_id=task.id,
            reviewer_id=staff.id,
            kind="label",
            intent=intent,
            payload_ct=seal_for_task(key, task.id, f"annotation:{ann_id}", json.dumps(payload).encode()),
            gold_correct=gold_correct,
            seconds_spent=seconds_spent,
            created_at=utcnow(),
        )
    )
    _close(held, "done")
    session.flush()
    labels = (
        session.execute(
            select(Annotation)
            .where(Annotation.task_id == task.id, Annotation.kind == "label")
            .order_by(Annotation.created_at, Annotation.id)
        )
        .scalars()
        .all()
    )
    if len(labels) >= task.reviews_needed:
        task.status = "done"
    elif task.status == "assigned":
        task.status = "pending"
    if len(labels) == 2 and session.get(ReviewAgreement, task.id) is None:
        first, second = labels
        texts = [
            json.loads(open_for_task(key, task.id, f"annotation:{a.id}", a.payload_ct))["transcript"]
            for a in (first, second)
        ]
        session.add(
            ReviewAgreement(
                task_id=task.id,
                reviewer_a=first.reviewer_id,
                reviewer_b=second.reviewer_id,
                intent_a=first.intent or "",
                intent_b=second.intent or "",
                wer=quality.wer(texts[0], texts[1]),
                week=task.created_week,
            )
        )
    paused = False
    if gold_correct is not None:
        paused = quality.check_pause(session, settings, staff)
    session.flush()
    return Outcome(task.id, "label", gold_correct, paused)


def flag_sensitive(session: Session, vault: Vault, staff: Staff, task_id: str, *, category: str) -> Outcome:
    """The clip leaves the queue for good: excluded from datasets, content and audio destroyed."""
    held = held_task(session, staff, task_id)
    category = (category or "").strip().lower()
    if category not in SENSITIVE_CATEGORIES:
        raise InvalidAnnotation(f"pick a category: {', '.join(SENSITIVE_CATEGORIES)}")
    task = held.task
    try:
        _audit(session, vault, staff, task, "flag-sensitive", {"category": category})
    except KeyDestroyed:
        vanish(session, vault, task)
        raise TaskGone("the owner removed this recording; the task is gone") from None
    session.add(
        Annotation(
            task_id=task.id,
            reviewer_id=staff.id,
            kind="sensitive",
            sensitive_category=category,
            created_at=utcnow(),
        )
    )
    _close(held, "sensitive")
    for other in session.execute(
        select(ReviewAssignment).where(ReviewAssignment.task_id == task.id, ReviewAssignment.state == "open")
    ).scalars():
        other.state = "expired"
    task.status = "sensitive"
    destroy_task_content(session, vault.blobs, task)
    session.flush()
    return Outcome(task.id, "sensitive")


def escalate(
    session: Session, vault: Vault, settings: Settings, staff: Staff, task_id: str, *, reason: str
) -> Outcome:
    """Send the task to a lead with a reason; audited. The reviewer is done with it."""
    held = held_task(session, staff, task_id)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidAnnotation("say why you escalate (the lead reads it)")
    if len(reason) > MAX_REASON:
        raise InvalidAnnotation(f"a reason has at most {MAX_REASON} characters")
    task = held.task
    try:
        _audit(session, vault, staff, task, "escalate", {})
    except KeyDestroyed:
        vanish(session, vault, task)
        raise TaskGone("the owner removed this recording; the task is gone") from None
    session.add(
        Annotation(task_id=task.id, reviewer_id=staff.id, kind="escalate", reason=reason, created_at=utcnow())
    )
    _close(held, "escalated")
    task.status = "escalated"
    task.queue = "lead"
    session.flush()
    return Outcome(task.id, "escalate")


def skip(session: Session, staff: Staff, task_id: str, vault: Vault | None = None) -> Outcome:
    """No reason needed: nobody is made to listen to what they would rather not.

    With a vault the skip is audited like every other outcome (the owner sees "skipped").
    """
    held = held_task(session, staff, task_id)
    if vault is not None:
        try:
            _audit(session, vault, staff, held.task, "skip", {})
        except KeyDestroyed:
            vanish(session, vault, held.task)
            raise TaskGone("the owner removed this recording; the task is gone") from None
    session.add(Annotation(task_id=held.task.id, reviewer_id=staff.id, kind="skip", created_at=utcnow()))
    _close(held, "skipped")
    if held.task.status == "assigned":
        held.task.status = "pending"
    session.flush()
    return Outcome(held.task.id, "skip")


def task_view(session: Session, vault: Vault, staff: Staff, task_id: str) -> dict:
    """What the workstation shows for a held task: nothing that points back to anyone.

    Decrypting the redacted text is audited like listening (it is owner-derived content).
    """
    held = held_task(session, staff, task_id)
    key = _with_key(session, vault, staff, held, READ_PURPOSE)
    content = read_content(key, held.task)
    return {
        "task_id": held.task.id,
        "language": held.task.language,
        "intent": held.task.intent,
        "context": held.task.context,
        "week": held.task.created_week,
        "transcript": content.get("transcript", ""),
        "slots": content.get("slots", {}),
        "entities": content.get("entities", []),
        "audio_url": f"/review/api/tasks/{held.task.id}/audio",
    }

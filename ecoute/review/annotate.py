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
from ecoute.review.tasks import link_owner, read_content, task_key, task_key_to_seal
from ecoute.store.schema.base import new_id, utcnow
from ecoute.store.schema.enums import AnnotationKind, AssignmentState, TaskQueue, TaskStatus
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
    kind: AnnotationKind
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


def _close(held: Held, state: AssignmentState) -> None:
    held.assignment.state = state
    held.assignment.completed_at = utcnow()


def seal_reason(key: bytes, task_id: str, annotation_id: str, text: str) -> bytes:
    """Escalation reasons and lead notes are sealed with the task key, like the task itself."""
    return seal_for_task(key, task_id, f"reason:{annotation_id}", text.encode())


def open_reason(key: bytes, annotation: Annotation) -> str:
    if annotation.reason_ct is None:  # written before revision 0007
        return annotation.reason or ""
    return open_for_task(key, annotation.task_id, f"reason:{annotation.id}", annotation.reason_ct).decode()


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
        owner_id=link_owner(vault.keys, link),
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
            kind=AnnotationKind.LABEL,
            intent=intent,
            payload_ct=seal_for_task(key, task.id, f"annotation:{ann_id}", json.dumps(payload).encode()),
            gold_correct=gold_correct,
            seconds_spent=seconds_spent,
            created_at=utcnow(),
        )
    )
    _close(held, AssignmentState.DONE)
    session.flush()
    labels = (
        session.execute(
            select(Annotation)
            .where(Annotation.task_id == task.id, Annotation.kind == AnnotationKind.LABEL)
            .order_by(Annotation.created_at, Annotation.id)
        )
        .scalars()
        .all()
    )
    if len(labels) >= task.reviews_needed:
        task.status = TaskStatus.DONE
    elif task.status == TaskStatus.ASSIGNED:
        task.status = TaskStatus.PENDING
    if len(labels) == 2 and session.get(ReviewAgreement, task.id) is None:
        first, second = labels
        texts = [_label_transcript(key, task.id, a) for a in (first, second)]
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
    return Outcome(task.id, AnnotationKind.LABEL, gold_correct, paused)


def _label_transcript(key: bytes, task_id: str, label: Annotation) -> str:
    """The transcript a reviewer typed; every label is written with its sealed payload."""
    if label.payload_ct is None:
        raise ValueError(f"label {label.id} of task {task_id} has no payload")
    return json.loads(open_for_task(key, task_id, f"annotation:{label.id}", label.payload_ct))["transcript"]


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
            kind=AnnotationKind.SENSITIVE,
            sensitive_category=category,
            created_at=utcnow(),
        )
    )
    _close(held, AssignmentState.SENSITIVE)
    for other in session.execute(
        select(ReviewAssignment).where(ReviewAssignment.task_id == task.id, ReviewAssignment.state == AssignmentState.OPEN)
    ).scalars():
        other.state = AssignmentState.EXPIRED
    task.status = TaskStatus.SENSITIVE
    destroy_task_content(session, vault.blobs, task)
    session.flush()
    return Outcome(task.id, AnnotationKind.SENSITIVE)


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
    try:
        key = task_key_to_seal(session, vault, task)
    except (KeyDestroyed, TaskGone):
        vanish(session, vault, task)
        raise TaskGone("the owner removed this recording; the task is gone") from None
    ann_id = new_id()
    session.add(
        Annotation(id=ann_id, task_id=task.id, reviewer_id=staff.id, kind=AnnotationKind.ESCALATE,
                   reason_ct=seal_reason(key, task.id, ann_id, reason), created_at=utcnow())
    )
    _close(held, AssignmentState.ESCALATED)
    task.status = TaskStatus.ESCALATED
    task.queue = TaskQueue.LEAD
    session.flush()
    return Outcome(task.id, AnnotationKind.ESCALATE)


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
    session.add(Annotation(task_id=held.task.id, reviewer_id=staff.id, kind=AnnotationKind.SKIP, created_at=utcnow()))
    _close(held, AssignmentState.SKIPPED)
    if held.task.status == TaskStatus.ASSIGNED:
        held.task.status = TaskStatus.PENDING
    session.flush()
    return Outcome(held.task.id, AnnotationKind.SKIP)


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

"""Review zone: tasks, staff, assignments, annotations.

Nothing here names an owner, a device or an exact time. A task's content (prepared
audio, redacted text) and every annotation are sealed with the task's own key, which
is stored only wrapped by the owner's DEK in the owner zone (``review_links``): when an
owner is erased, every task and annotation of theirs becomes unreadable at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ecoute.store.schema.base import Base, UTCDateTime, new_id, utcnow


class Staff(Base):
    """Reviewers, review leads, privacy officers, ML engineers: never owners."""

    __tablename__ = "staff"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    #: Keyed hash of the normalised email; email and name sealed with the staff-data key.
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email_ct: Mapped[bytes] = mapped_column(LargeBinary)
    name_ct: Mapped[bytes] = mapped_column(LargeBinary)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # reviewer | lead | officer | ml
    site: Mapped[str] = mapped_column(String(100), default="")
    site_country: Mapped[str] = mapped_column(String(2), default="")
    #: Comma-separated language codes this person reviews.
    languages: Mapped[str] = mapped_column(String(100), default="")
    daily_cap: Mapped[int | None] = mapped_column(Integer)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewTask(Base):
    """A prepared clip waiting for (or done with) human review; its id is fresh and random."""

    __tablename__ = "review_tasks"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    language: Mapped[str] = mapped_column(String(8), index=True)
    task_type: Mapped[str] = mapped_column(String(16), default="transcript")  # transcript | intent
    #: general | lead (sensitive content routed by policy to leads only)
    queue: Mapped[str] = mapped_column(String(16), default="general")
    #: pending | assigned | done | sensitive | escalated | withdrawn
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    intent: Mapped[str | None] = mapped_column(String(64))
    #: Coarse context only, e.g. "evening, weekday".
    context: Mapped[str] = mapped_column(String(64), default="")
    audio_blob: Mapped[str | None] = mapped_column(String(200))
    #: Sealed with the task key: {"transcript": redacted, "slots": ..., "entities": [types]}.
    content_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    disguise: Mapped[dict] = mapped_column(JSON, default=dict)
    is_gold: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Gold answers for gold tasks (synthetic content, not owner data).
    gold_answer: Mapped[dict | None] = mapped_column(JSON)
    reviews_needed: Mapped[int] = mapped_column(Integer, default=1)
    #: ISO week ("2026-W48"): enough for queue ageing, too coarse to identify a moment.
    created_week: Mapped[str] = mapped_column(String(10), default="")


class ReviewAssignment(Base):
    __tablename__ = "review_assignments"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    task_id: Mapped[str] = mapped_column(ForeignKey("review_tasks.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: open | done | skipped | escalated | sensitive | expired
    state: Mapped[str] = mapped_column(String(16), default="open")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Annotation(Base):
    """A reviewer's work on a task; the corrected transcript and slots are sealed with the task key."""

    __tablename__ = "annotations"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    task_id: Mapped[str] = mapped_column(ForeignKey("review_tasks.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # label | sensitive | escalate | skip
    intent: Mapped[str | None] = mapped_column(String(64))
    payload_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    sensitive_category: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    gold_correct: Mapped[bool | None] = mapped_column(Boolean)
    seconds_spent: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

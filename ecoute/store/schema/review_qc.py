"""Tables of the human-review pipeline beyond the core review zone (issue 5).

- ``review_samples`` (owner zone): which turns the sampling stage picked, per owner, so the
  per-owner 30-day cap can be enforced and preparation can resume after a crash. Owner and
  turn are keyed tags and sealed ids (``store/reviewrefs.py``), never ids in the clear.
- ``review_strata`` (neither zone's content): per-language sampling state, no identifiers.
- ``gold_task_keys`` (review zone): keys of gold tasks. Gold tasks are synthetic content
  written by leads, with no owner, so their key cannot be wrapped by an owner's DEK.
- ``review_agreements`` (review zone): numbers only, one row per double-reviewed task,
  so agreement and Cohen's kappa can be computed without decrypting annotations again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ecoute.store.schema.base import Base, UTCDateTime, utcnow
from ecoute.store.schema.enums import SampleStatus


class ReviewSample(Base):
    """A turn picked for review; ``status`` is a :class:`SampleStatus`."""

    __tablename__ = "review_samples"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: HMAC(provider index key, owner id) and the owner id sealed under a provider key.
    owner_tag: Mapped[str] = mapped_column(String(64), index=True)
    owner_ref_ct: Mapped[bytes] = mapped_column(LargeBinary)
    #: The same for the turn; NULL once the turn is deleted (the row still counts to the cap).
    turn_tag: Mapped[str | None] = mapped_column(String(64), index=True)
    turn_ref_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    language: Mapped[str] = mapped_column(String(8))
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    boosted: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=SampleStatus.PREPARING, index=True)


class ReviewStratum(Base):
    """Systematic sampling state of one language: the accumulated probability mass."""

    __tablename__ = "review_strata"
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    accumulator: Mapped[float] = mapped_column(Float, default=0.0)
    eligible: Mapped[int] = mapped_column(Integer, default=0)
    sampled: Mapped[int] = mapped_column(Integer, default=0)


class GoldTaskKey(Base):
    __tablename__ = "gold_task_keys"
    task_id: Mapped[str] = mapped_column(ForeignKey("review_tasks.id", ondelete="CASCADE"), primary_key=True)
    task_key: Mapped[bytes] = mapped_column(LargeBinary)


class ReviewAgreement(Base):
    """Agreement of two independent reviews of one task (numbers and intent names only)."""

    __tablename__ = "review_agreements"
    task_id: Mapped[str] = mapped_column(ForeignKey("review_tasks.id", ondelete="CASCADE"), primary_key=True)
    reviewer_a: Mapped[str] = mapped_column(String(32), index=True)
    reviewer_b: Mapped[str] = mapped_column(String(32), index=True)
    intent_a: Mapped[str] = mapped_column(String(64), default="")
    intent_b: Mapped[str] = mapped_column(String(64), default="")
    wer: Mapped[float] = mapped_column(Float)
    #: ISO week, like tasks: enough for "over time".
    week: Mapped[str] = mapped_column(String(10), default="")


__all__ = ["GoldTaskKey", "ReviewAgreement", "ReviewSample", "ReviewStratum"]

"""Review zone: datasets built from reviewed tasks, evaluation runs, template proposals.

Owned by the learning loop (issue 7). Nothing here names an owner or a device, and no
exact time is kept (days only, for ordering and the trend plots). A dataset item refers
to its review task by the task's random id and holds its content sealed with that task's
key: the item is readable only while the task key is, so deleting a recording or erasing
an owner makes every copy in every dataset version unreadable at once, and
:func:`ecoute.improve.lineage.mark_tasks_removed` marks the versions that held it stale.

Items keep the task id *without* a foreign key on purpose: when a task is deleted the
lineage record (which version contained which task) must survive, or staleness could
not be decided.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecoute.store.schema.base import Base, new_id
from ecoute.store.schema.enums import DatasetKind, ProposalStatus, Split


class DatasetVersion(Base):
    """One immutable build of a named dataset; a rebuild makes a new version."""

    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_dataset_versions_name_version"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    #: Day of the build (YYYY-MM-DD): enough to order and plot, too coarse to date a request.
    built_day: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(16), default=DatasetKind.BUILD)  # a DatasetKind
    parent_id: Mapped[str | None] = mapped_column(String(32))
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    #: {"en": 12, "fr": 3}
    languages: Mapped[dict] = mapped_column(JSON, default=dict)
    #: sha256 over the sorted task ids: two versions with the same lineage have the same digest.
    lineage_digest: Mapped[str] = mapped_column(String(64))
    #: What the selection skipped and why (counts only): {"sensitive": 2, "disagreed": 1, ...}
    skipped: Mapped[dict] = mapped_column(JSON, default=dict)
    #: A stale version contains a task whose recording was deleted or whose owner was erased.
    stale: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    stale_reason: Mapped[str | None] = mapped_column(String(200))
    #: The version that replaced this stale one (set by the automatic rebuild).
    rebuilt_as: Mapped[str | None] = mapped_column(String(32))


class DatasetItem(Base):
    """One reviewed request in one dataset version (lineage: ``task_id``; a task at most once)."""

    __tablename__ = "dataset_items"
    version_id: Mapped[str] = mapped_column(ForeignKey("dataset_versions.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    language: Mapped[str] = mapped_column(String(8))
    #: The agreed intent label (a closed vocabulary, not content).
    intent: Mapped[str | None] = mapped_column(String(64))
    #: A Split, fixed by a hash of the task id so a task never changes side.
    split: Mapped[str] = mapped_column(String(8), default=Split.TRAIN)
    #: The agreed annotation's payload (corrected transcript, slots), copied as ciphertext:
    #: it stays sealed with the task key, so building a dataset needs no key at all.
    content_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Id of the annotation the payload came from (part of its associated data).
    annotation_id: Mapped[str | None] = mapped_column(String(32))
    #: The task's redacted ASR transcript (what the assistant heard), copied sealed likewise.
    asr_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: The task's prepared (bleeped, disguised) audio, by reference: never copied.
    audio_blob: Mapped[str | None] = mapped_column(String(200))
    #: Set when the task was removed after this version was built; content is dropped then.
    removed: Mapped[bool] = mapped_column(Boolean, default=False)


class EvalRun(Base):
    """One evaluation of the assistant on a dataset version, per language.

    ``asr_version`` and ``sentences_version`` identify what was measured (model name and
    options; a digest of every sentence file loaded) so the trend can be plotted per version.
    """

    __tablename__ = "eval_runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    seq: Mapped[int] = mapped_column(Integer, index=True)
    day: Mapped[str] = mapped_column(String(10))
    dataset_version_id: Mapped[str | None] = mapped_column(String(32))
    dataset_label: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(8))
    asr_version: Mapped[str] = mapped_column(String(200))
    sentences_version: Mapped[str] = mapped_column(String(64))
    #: Free label of the round ("before", "after", "vocabulary", ...).
    label: Mapped[str] = mapped_column(String(64), default="")
    n: Mapped[int] = mapped_column(Integer)
    wer: Mapped[float | None] = mapped_column(Float)
    intent_accuracy: Mapped[float | None] = mapped_column(Float)
    slot_f1: Mapped[float | None] = mapped_column(Float)
    unhandled_rate: Mapped[float | None] = mapped_column(Float)
    false_accepts_per_device_hour: Mapped[float | None] = mapped_column(Float)
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class TemplateProposal(Base):
    """A sentence template (hassil syntax) proposed from corrected transcripts.

    ``support_tasks`` is the lineage of the proposal: the task ids whose corrected
    transcripts produced it. When one of them is removed it leaves the support, and a
    pending proposal whose support falls below the minimum is withdrawn.
    """

    __tablename__ = "template_proposals"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    language: Mapped[str] = mapped_column(String(8), index=True)
    intent: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(String(400))
    #: True when the assistant knew no such intent: accepting it adds a new intent.
    new_intent: Mapped[bool] = mapped_column(Boolean, default=False)
    support: Mapped[int] = mapped_column(Integer, default=0)
    support_tasks: Mapped[list] = mapped_column(JSON, default=list)
    #: {slot: "number" | "text"}: lets an accepted file define a list no loaded file defines.
    slot_types: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=ProposalStatus.PENDING, index=True)  # a ProposalStatus
    decided_by: Mapped[str | None] = mapped_column(String(32))
    day: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)


class WakeTuning(Base):
    """A wake-threshold change the loop made: before/after and the evidence counts.

    The per-device threshold itself lives on the device (owner zone); this history keeps no
    device id, so the improvement page can show what tuning did without naming a device.
    """

    __tablename__ = "wake_tunings"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    day: Mapped[str] = mapped_column(String(10))
    threshold_before: Mapped[float | None] = mapped_column(Float)
    threshold_after: Mapped[float] = mapped_column(Float)
    false_scores: Mapped[int] = mapped_column(Integer, default=0)
    true_scores: Mapped[int] = mapped_column(Integer, default=0)
    reported: Mapped[int] = mapped_column(Integer, default=0)


__all__ = ["DatasetItem", "DatasetVersion", "EvalRun", "TemplateProposal", "WakeTuning"]

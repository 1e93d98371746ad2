"""Owner zone: accounts, devices, recordings, consents, keys, links to review tasks, audit.

Content columns (``*_ct``) hold AES-GCM ciphertext sealed with the owner's data key and
``(owner id, item id, kind)`` as associated data (see ``store/vault.py``); nothing of an
owner's content is stored in the clear. Metadata kept in the clear is only what the
platform needs to work without decrypting: times, durations, flags, counters.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ecoute.store.schema.base import Base, UTCDateTime, new_id, utcnow


class Household(Base):
    __tablename__ = "households"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Owner(Base):
    """A member of a household; owns a data key (DEK) wrapped by the key provider's KEK."""

    __tablename__ = "owners"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    #: Keyed hash of the normalised email (login lookup, uniqueness); see ``store/identity.py``.
    email_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Email and display name sealed with the owner's DEK: unreadable once the owner is erased.
    email_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    name_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="en")
    is_child: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The owner's DEK wrapped by the KEK; set to NULL first when the owner is erased.
    wrapped_dek: Mapped[bytes | None] = mapped_column(LargeBinary)
    kek_id: Mapped[str | None] = mapped_column(String(200))
    #: Auto-delete after this many days (None = keep until deleted).
    auto_delete_days: Mapped[int | None] = mapped_column(Integer)
    #: active | erasing | erased
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Device(Base):
    """A speaker or satellite of a household; authenticates with a token hash, never the token."""

    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    pairing_code_hash: Mapped[str | None] = mapped_column(String(128))
    pairing_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    selected_owner_id: Mapped[str | None] = mapped_column(ForeignKey("owners.id", ondelete="SET NULL"))
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    wake_model: Mapped[str] = mapped_column(String(64), default="alexa")
    #: Per-device detection threshold tuned by the learning loop (None = engine default).
    wake_threshold: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Turn(Base):
    """One voice turn of an owner: the recording and what the assistant made of it.

    A false activation keeps a row with ``false_activation=True`` and no content at all
    (no audio, no transcript): it is counted and shown to the owner, never kept.
    """

    __tablename__ = "turns"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("owners.id"), index=True)
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    false_activation: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Blob key of the encrypted audio (None for false activations).
    audio_blob: Mapped[str | None] = mapped_column(String(200))
    #: Sealed UTF-8 transcript, answer and JSON {"intent","slots","words"}.
    transcript_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    answer_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    meta_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    handled: Mapped[bool] = mapped_column(Boolean, default=True)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    wake_score: Mapped[float | None] = mapped_column(Float)
    #: Set once the sampling stage has looked at this turn (sampled or not), so it runs once.
    review_considered: Mapped[bool] = mapped_column(Boolean, default=False)


class FalseActivationCount(Base):
    """Per device and day: how many activations were discarded (the only trace they leave)."""

    __tablename__ = "false_activation_counts"
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    #: Of those, how many an owner reported ("that wasn't for you").
    reported: Mapped[int] = mapped_column(Integer, default=0)


class SkillState(Base):
    """Per-owner state of skills (timers, shopping list), sealed with the owner's key."""

    __tablename__ = "skill_state"
    owner_id: Mapped[str] = mapped_column(ForeignKey("owners.id"), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(64), primary_key=True)
    value_ct: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Consent(Base):
    """Append-only consent ledger: the latest row per (owner, purpose) is in force.

    ``text_hash`` is the sha256 of the exact text the owner agreed to, by version.
    """

    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("owners.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))  # review | partner
    granted: Mapped[bool] = mapped_column(Boolean)
    text_version: Mapped[str] = mapped_column(String(32))
    text_hash: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16), default="web")  # web | voice | api
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewLink(Base):
    """The only link from a review task to an owner's recording, kept in the owner zone.

    ``turn_ref_ct`` (the turn id) and ``wrapped_task_key`` are sealed with the owner's DEK,
    so erasing the owner makes the task's content and its link unreadable at once.
    """

    __tablename__ = "review_links"
    task_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("owners.id"), index=True)
    turn_ref_ct: Mapped[bytes] = mapped_column(LargeBinary)
    #: Lookup of links by turn without revealing the turn id: HMAC(owner key, turn id).
    turn_tag: Mapped[str] = mapped_column(String(64), index=True)
    wrapped_task_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewerExposure(Base):
    """Which reviewer got a task from which owner, and when: enforces spacing per owner.

    ``owner_tag`` is a keyed hash of the owner (not the id), in the owner zone.
    """

    __tablename__ = "reviewer_exposure"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reviewer_id: Mapped[str] = mapped_column(String(32), index=True)
    owner_tag: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Append-only, hash-chained audit log (see ``store/audit.py``).

    ``owner_tag`` lets an owner find entries about them; ``subject_ct`` (owner id, item id)
    is sealed with that owner's DEK. ``entry_hash`` = sha256(prev_hash || canonical row).
    """

    __tablename__ = "audit_entries"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))  # staff id, "system:<job>", device id
    role: Mapped[str] = mapped_column(String(32))  # owner | reviewer | lead | officer | system | device
    action: Mapped[str] = mapped_column(String(64))  # decrypt | listen | annotate | export | erase ...
    purpose: Mapped[str] = mapped_column(String(200))
    owner_tag: Mapped[str | None] = mapped_column(String(64), index=True)
    subject_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Non-identifying facts an owner may see: site country, language team, kind of item.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """One row: the chain's last sequence number and hash; updating it serialises appends."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class LoginSession(Base):
    """A web session of an owner or staff member; only the token's hash is stored."""

    __tablename__ = "login_sessions"
    token_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))  # owner | staff
    subject_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Last time the password was (re-)entered: exports need one within 5 minutes.
    authenticated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DataSubjectRequest(Base):
    """Export and erasure requests: status and timing, never content (the officer's view)."""

    __tablename__ = "dsr_requests"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    #: Kept after erasure so the receipt can be checked; points at an erased row then.
    owner_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # export | erasure
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|running|done|failed
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Resumable progress (e.g. which stage of an erasure is done) and the receipt.
    progress: Mapped[dict] = mapped_column(JSON, default=dict)
    receipt: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class PartnerHandoff(Base):
    """A request handed to a partner assistant (only with the owner's 'partner' consent)."""

    __tablename__ = "partner_handoffs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("owners.id"), index=True)
    turn_id: Mapped[str | None] = mapped_column(ForeignKey("turns.id", ondelete="SET NULL"))
    partner: Mapped[str] = mapped_column(String(64))
    payload_ct: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BlobTombstone(Base):
    """A blob whose rows are deleted: written in the deleting transaction, removed after commit.

    Blobs cannot take part in a database transaction, so deletion records the keys here and
    deletes the files only once the rows are gone for good; a crash in between leaves a
    tombstone that ``store.tombstones.purge_tombstones`` finishes (never an orphan blob).
    """

    __tablename__ = "blob_tombstones"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


__all__ = [
    "AuditEntry",
    "AuditHead",
    "Consent",
    "DataSubjectRequest",
    "Device",
    "FalseActivationCount",
    "Household",
    "LoginSession",
    "Owner",
    "PartnerHandoff",
    "ReviewLink",
    "ReviewerExposure",
    "SkillState",
    "Turn",
]


"""Append-only, hash-chained audit log.

Each entry's hash covers the previous hash and the entry as stored (owner fields sealed),
so the chain still verifies after an owner is erased while nothing about them can be read.
Appends are serialised by updating the single ``audit_head`` row first (a row lock on
PostgreSQL, the write lock on SQLite), so concurrent writers can never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ecoute.store.schema.base import utcnow
from ecoute.store.schema.owner import AuditEntry, AuditHead

GENESIS = "0" * 64


def _canonical(entry: AuditEntry) -> bytes:
    body = [
        entry.seq,
        entry.at.isoformat(timespec="microseconds"),
        entry.actor,
        entry.role,
        entry.action,
        entry.purpose,
        entry.owner_tag,
        entry.subject_ct.hex() if entry.subject_ct else None,
        entry.details or {},
    ]
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + _canonical(entry)).hexdigest()


def append(
    session: Session,
    *,
    actor: str,
    role: str,
    action: str,
    purpose: str,
    owner_tag: str | None = None,
    subject_ct: bytes | None = None,
    details: dict | None = None,
) -> AuditEntry:
    """Add one entry in the caller's transaction (it commits or rolls back with the work)."""
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1))
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
    session.refresh(head)
    entry = AuditEntry(
        seq=head.seq,
        at=utcnow().replace(microsecond=utcnow().microsecond),
        actor=actor,
        role=role,
        action=action,
        purpose=purpose,
        owner_tag=owner_tag,
        subject_ct=subject_ct,
        details=details or {},
        prev_hash=head.last_hash,
    )
    entry.entry_hash = entry_hash(head.last_hash, entry)
    head.last_hash = entry.entry_hash
    session.add(entry)
    session.flush()
    return entry


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    """Walk the chain from the start; any edited, removed or inserted entry breaks it."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, f"entry {expected_seq} is missing")
            if entry.prev_hash != prev:
                return VerifyResult(False, checked, entry.seq, "previous-hash link broken")
            if entry_hash(prev, entry) != entry.entry_hash:
                return VerifyResult(False, checked, entry.seq, "entry content does not match its hash")
            prev = entry.entry_hash
            expected_seq += 1
            checked += 1
            last_seq = entry.seq
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != checked or head.last_hash != prev):
        return VerifyResult(False, checked, checked + 1, "entries removed from the end of the chain")
    return VerifyResult(True, checked)


def entries_with_tag(session: Session, owner_tag: str) -> list[AuditEntry]:
    return list(
        session.execute(select(AuditEntry).where(AuditEntry.owner_tag == owner_tag).order_by(AuditEntry.seq))
        .scalars()
        .all()
    )


@dataclass
class OwnerAuditView:
    """What an owner sees of an entry: role, site country, team, purpose, day — no names."""

    seq: int
    day: str
    at: datetime
    role: str
    action: str
    purpose: str
    item_id: str | None
    details: dict

    @classmethod
    def from_entry(cls, entry: AuditEntry, item_id: str | None) -> OwnerAuditView:
        shown = {k: v for k, v in (entry.details or {}).items() if k in {"kind", "site_country", "language_team", "site"}}
        return cls(entry.seq, entry.at.date().isoformat(), entry.at, entry.role, entry.action,
                   entry.purpose, item_id, shown)

"""Per-item deletion that cascades: recording, transcript, answer, hand-offs, review task,
annotations, link, dataset membership — all in the caller's transaction.

Why the blob dance: blobs live outside the database and cannot roll back. Deleting them
before the commit would lose acknowledged data if the transaction then failed; deleting
them never would leave a decryptable copy behind. So the deleting transaction writes a
:class:`~ecoute.store.schema.owner.BlobTombstone` per blob key, and only *after* it commits
are the blobs removed (by a session hook, immediately; or by :func:`purge_tombstones`, which
the retention sweep and erasure run, if the process died in between). A rollback takes the
tombstones back with the rows, so the blobs stay exactly as long as their rows do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from ecoute.errors import NotFound
from ecoute.store.blobs import BlobStore
from ecoute.store.db import rows_affected
from ecoute.store.schema.enums import ActorRole
from ecoute.store.schema.owner import BlobTombstone, PartnerHandoff, ReviewLink, Turn
from ecoute.store.schema.review import ReviewTask
from ecoute.store.vault import Actor, Vault

log = logging.getLogger(__name__)

_PENDING = "ecoute.blob_tombstones"
_HOOKED = "ecoute.blob_tombstones.hooked"


@dataclass
class DeletionReport:
    """What one deletion removed (ids only, never content)."""

    owner_id: str
    turn_ids: list[str] = field(default_factory=list)
    task_ids: list[str] = field(default_factory=list)
    handoffs: int = 0
    #: Blob keys tombstoned in this transaction; removed from the blob store after commit.
    blob_keys: list[str] = field(default_factory=list)
    datasets_marked: int = 0

    def as_dict(self) -> dict:
        return {"turns": len(self.turn_ids), "review_tasks": len(self.task_ids), "handoffs": self.handoffs,
                "blobs": len(self.blob_keys), "datasets_marked": self.datasets_marked}


# -- blobs: tombstone now, delete after commit ---------------------------------------------

def schedule_blob_deletion(session: Session, blobs: BlobStore, keys: Iterable[str]) -> list[str]:
    """Tombstone ``keys`` in this transaction; the blobs go once it commits (never before).

    Public so that other cascades (review opt-out, dataset rebuilds) can use the same rule.
    """
    keys = sorted({k for k in keys if k})
    if not keys:
        return []
    existing = set(session.execute(select(BlobTombstone.key).where(BlobTombstone.key.in_(keys))).scalars())
    session.add_all(BlobTombstone(key=k) for k in keys if k not in existing)
    session.info.setdefault(_PENDING, set()).update(keys)
    if not session.info.get(_HOOKED):
        session.info[_HOOKED] = True
        event.listen(session, "after_commit", lambda s: _after_commit(s, blobs))
        event.listen(session, "after_rollback", lambda s: s.info.pop(_PENDING, None))
    session.flush()
    return keys


def _after_commit(session: Session, blobs: BlobStore) -> None:
    """Delete the blobs whose tombstones just committed. Best effort: the sweep retries."""
    keys = session.info.pop(_PENDING, None)
    if not keys:
        return
    try:
        # This session cannot emit SQL inside after_commit: use a fresh one on the same engine,
        # and trust only tombstones that really committed (a rolled-back savepoint has none).
        with Session(bind=session.get_bind()) as fresh:
            _purge(fresh, blobs, sorted(keys))
            fresh.commit()
    except Exception:  # the commit stands; purge_tombstones finishes later
        log.warning("blob clean-up after commit failed; the retention sweep will retry", exc_info=True)


def _purge(session: Session, blobs: BlobStore, keys: list[str] | None, limit: int = 1000) -> int:
    removed = 0
    while True:
        query = select(BlobTombstone.key).order_by(BlobTombstone.key).limit(limit)
        if keys is not None:
            batch_keys, keys = keys[:limit], keys[limit:]
            if not batch_keys:
                return removed
            query = select(BlobTombstone.key).where(BlobTombstone.key.in_(batch_keys))
        batch = list(session.execute(query).scalars())
        if not batch and keys is None:
            return removed
        for key in batch:
            blobs.delete(key)  # idempotent: a missing blob is fine
        if batch:
            session.execute(delete(BlobTombstone).where(BlobTombstone.key.in_(batch)))
            session.flush()
        removed += len(batch)
        if keys is None and len(batch) < limit:
            return removed


def purge_tombstones(session: Session, blobs: BlobStore) -> int:
    """Delete every tombstoned blob, then its tombstone; returns how many. Commit after it.

    Deleting the blob first means a crash between the two leaves a tombstone for a blob that
    is already gone, which the next run removes harmlessly.
    """
    return _purge(session, blobs, None)


# -- review zone ------------------------------------------------------------------------------

def _tasks_for_turns(session: Session, vault: Vault, owner_id: str, turn_ids: list[str]) -> list[str]:
    """Links are found by the turn tag (HMAC under the owner's key): no turn id in the clear."""
    tags = [vault.item_tag(owner_id, t) for t in turn_ids]
    found: list[str] = []
    for chunk in _chunks(tags):
        found += session.execute(
            select(ReviewLink.task_id).where(ReviewLink.owner_id == owner_id, ReviewLink.turn_tag.in_(chunk))
        ).scalars().all()
    return sorted(found)


def _remove_review_for_turns(session: Session, vault: Vault, owner_id: str, turn_ids: list[str]) -> tuple[
        list[str], list[str]]:
    """(task ids removed, their clip blob keys) — the review pipeline's own cascade does the work.

    The keys are read first only for the report: the cascade tombstones them itself.
    """
    from ecoute.review import purge

    task_ids = _tasks_for_turns(session, vault, owner_id, turn_ids)
    blob_keys: list[str] = []
    for chunk in _chunks(task_ids):
        blob_keys += [k for k in session.execute(select(ReviewTask.audio_blob).where(ReviewTask.id.in_(chunk)))
                      .scalars() if k]
    purge.remove_tasks_for_turns(session, vault, owner_id, turn_ids)
    return task_ids, blob_keys


# -- the cascade ------------------------------------------------------------------------------

def delete_turns(session: Session, vault: Vault, *, owner_id: str, turn_ids: list[str], actor: Actor,
                 purpose: str = "owner deleted recordings") -> DeletionReport:
    """Delete an owner's turns and everything derived from them, in the caller's transaction.

    Every id must name a turn of ``owner_id``; otherwise :class:`NotFound` is raised before
    anything changes (one owner can never delete, or learn about, another owner's turn).
    Blobs are removed only after the caller commits (see the module docstring).
    """
    from ecoute.improve.lineage import mark_tasks_removed

    wanted = sorted(set(turn_ids))
    report = DeletionReport(owner_id=owner_id)
    if not wanted:
        return report
    turns: list[Turn] = []
    for chunk in _chunks(wanted):
        turns += session.execute(select(Turn).where(Turn.id.in_(chunk), Turn.owner_id == owner_id)).scalars().all()
    if len(turns) != len(wanted):
        raise NotFound(f"{len(wanted) - len(turns)} of these recordings do not exist or are not yours")

    task_ids, blob_keys = _remove_review_for_turns(session, vault, owner_id, wanted)
    blob_keys += [t.audio_blob for t in turns if t.audio_blob]
    for chunk in _chunks(wanted):
        report.handoffs += rows_affected(
            session, delete(PartnerHandoff).where(PartnerHandoff.owner_id == owner_id, PartnerHandoff.turn_id.in_(chunk)))
        session.execute(delete(Turn).where(Turn.id.in_(chunk), Turn.owner_id == owner_id))
    session.flush()
    report.turn_ids = wanted
    report.task_ids = task_ids
    report.datasets_marked = mark_tasks_removed(session, task_ids) if task_ids else 0
    report.blob_keys = schedule_blob_deletion(session, vault.blobs, blob_keys)
    # the owner acting is recorded as "self": the chain outlives an erasure and must not keep their id
    shown = Actor("self", ActorRole.OWNER, actor.details) if actor.role == ActorRole.OWNER else actor
    vault.audit(shown, action="delete", purpose=purpose, owner_id=owner_id,
                item_id=wanted[0] if len(wanted) == 1 else None,
                details={"kind": "turn", "count": len(wanted), "review_tasks": len(task_ids)})
    session.flush()
    return report


def _chunks(items: list, size: int = 500) -> Iterable[list]:
    """IN lists stay well under SQLite's bound-parameter limit."""
    for i in range(0, len(items), size):
        yield items[i : i + size]

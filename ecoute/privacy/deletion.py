"""Per-item deletion that cascades: recording, transcript, answer, hand-offs, review task,
annotations, link, dataset membership — all in the caller's transaction.

Blobs are tombstoned, never deleted before the commit (see :mod:`ecoute.store.tombstones`).
The review tasks and dataset items are higher layers' data: they go through the required
hooks of :mod:`ecoute.privacy.hooks`, in this same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ecoute.errors import NotFound
from ecoute.privacy import hooks
from ecoute.store.schema.owner import PartnerHandoff, Turn
from ecoute.store.tombstones import schedule_blob_deletion
from ecoute.store.vault import Actor, Vault


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


# -- the cascade ------------------------------------------------------------------------------

def delete_turns(session: Session, vault: Vault, *, owner_id: str, turn_ids: list[str], actor: Actor,
                 purpose: str = "owner deleted recordings") -> DeletionReport:
    """Delete an owner's turns and everything derived from them, in the caller's transaction.

    Every id must name a turn of ``owner_id``; otherwise :class:`NotFound` is raised before
    anything changes (one owner can never delete, or learn about, another owner's turn).
    Blobs are removed only after the caller commits (see the module docstring).
    """
    wanted = sorted(set(turn_ids))
    report = DeletionReport(owner_id=owner_id)
    if not wanted:
        return report
    turns: list[Turn] = []
    for chunk in _chunks(wanted):
        turns += session.execute(select(Turn).where(Turn.id.in_(chunk), Turn.owner_id == owner_id)).scalars().all()
    if len(turns) != len(wanted):
        raise NotFound(f"{len(wanted) - len(turns)} of these recordings do not exist or are not yours")

    # the review zone removes its tasks (and tombstones their clips) through the hook
    removed = hooks.turns_deleted.fire(hooks.TurnsDeleted(session, vault, owner_id, tuple(wanted)))
    task_ids = sorted({t for r in removed for t in r.task_ids})
    blob_keys = [k for r in removed for k in r.blob_keys] + [t.audio_blob for t in turns if t.audio_blob]
    for chunk in _chunks(wanted):
        report.handoffs += session.execute(
            delete(PartnerHandoff).where(PartnerHandoff.owner_id == owner_id, PartnerHandoff.turn_id.in_(chunk))
        ).rowcount or 0
        session.execute(delete(Turn).where(Turn.id.in_(chunk), Turn.owner_id == owner_id))
    session.flush()
    report.turn_ids = wanted
    report.task_ids = task_ids
    report.datasets_marked = sum(hooks.review_tasks_gone.fire(
        hooks.ReviewTasksGone(session, tuple(task_ids)))) if task_ids else 0
    report.blob_keys = schedule_blob_deletion(session, vault.blobs, blob_keys)
    # the owner acting is recorded as "self": the chain outlives an erasure and must not keep their id
    shown = Actor("self", "owner", actor.details) if actor.role == "owner" else actor
    vault.audit(shown, action="delete", purpose=purpose, owner_id=owner_id,
                item_id=wanted[0] if len(wanted) == 1 else None,
                details={"kind": "turn", "count": len(wanted), "review_tasks": len(task_ids)})
    session.flush()
    return report


def _chunks(items: list, size: int = 500) -> Iterable[list]:
    """IN lists stay well under SQLite's bound-parameter limit."""
    for i in range(0, len(items), size):
        yield items[i : i + size]

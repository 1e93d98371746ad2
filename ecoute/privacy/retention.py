"""Retention: each owner's auto-delete setting and the platform-wide maximum, enforced.

Why through :func:`~ecoute.privacy.deletion.delete_turns`: expiry is a deletion like any
other, so transcripts, answers, hand-offs, prepared clips, review tasks, annotations and
dataset membership follow the same clock as the audio, and the owner's audit log says that
the system removed them and why. The sweep is idempotent (it deletes what is due *now*;
run twice, the second run finds nothing) and reports what it removed, in counts only.

A turn is due when it is at least ``days`` old: ``created_at <= now - days``, where
``days`` is the stricter of the owner's ``auto_delete_days`` and ``max_retention_days``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ecoute.privacy.deletion import delete_turns
from ecoute.privacy.export import archive_path
from ecoute.store.schema.base import utcnow
from ecoute.store.schema.owner import DataSubjectRequest, Owner, Turn
from ecoute.store.store import Store
from ecoute.store.tombstones import purge_tombstones
from ecoute.store.vault import Actor

#: Turns deleted per transaction: bounded work per commit, so a long sweep can be interrupted.
BATCH = 500
#: Finished export archives (sealed) wait this long for their one download, then go.
EXPORT_KEEP = timedelta(days=7)
ACTOR = Actor.system("retention")


def retention_days(owner_days: int | None, platform_days: int) -> int | None:
    """The stricter of the two limits (None: keep until the owner deletes)."""
    limits = [d for d in (owner_days, platform_days or None) if d is not None and d > 0]
    return min(limits) if limits else None


def sweep(store: Store, now: datetime | None = None) -> dict:
    """Delete every turn past its retention, with everything derived; return the counts."""
    now = now or utcnow()
    platform_days = store.settings.policy.max_retention_days
    report = {"owners": 0, "turns": 0, "review_tasks": 0, "blobs": 0, "datasets_marked": 0,
              "exports_expired": 0, "tombstones_purged": 0}
    with store.session() as session:
        owners = list(session.execute(
            select(Owner.id, Owner.auto_delete_days).where(Owner.status == "active").order_by(Owner.id)).all())
    for owner_id, owner_days in owners:
        days = retention_days(owner_days, platform_days)
        if days is None:
            continue
        cutoff = now - timedelta(days=days)
        touched = False
        while True:
            with store.vault_session() as (session, vault):
                due = list(session.execute(
                    select(Turn.id).where(Turn.owner_id == owner_id, Turn.created_at <= cutoff)
                    .order_by(Turn.created_at, Turn.id).limit(BATCH)).scalars())
                if not due:
                    break
                why = "auto-delete" if owner_days == days else "platform maximum retention"
                deleted = delete_turns(session, vault, owner_id=owner_id, turn_ids=due, actor=ACTOR,
                                       purpose=f"retention: {why} of {days} days")
            touched = True
            report["turns"] += len(deleted.turn_ids)
            report["review_tasks"] += len(deleted.task_ids)
            report["blobs"] += len(deleted.blob_keys)
            report["datasets_marked"] += deleted.datasets_marked
        report["owners"] += int(touched)
    report["exports_expired"] = _expire_exports(store, now)
    with store.session() as session:
        report["tombstones_purged"] = purge_tombstones(session, store.blobs)
    return report


def _expire_exports(store: Store, now: datetime) -> int:
    expired = 0
    with store.session() as session:
        for request in session.execute(select(DataSubjectRequest).where(
                DataSubjectRequest.kind == "export", DataSubjectRequest.status == "done",
                DataSubjectRequest.completed_at <= now - EXPORT_KEEP)).scalars():
            if (request.progress or {}).get("archive") in (None, "delivered", "expired"):
                continue
            archive_path(store.settings, request.id).unlink(missing_ok=True)
            request.progress = {**request.progress, "archive": "expired"}
            expired += 1
    return expired

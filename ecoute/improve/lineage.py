"""Dataset lineage: what deletion and erasure do to datasets (through the ``review_tasks_gone`` hook).

``mark_tasks_removed`` is called, in the deleting transaction (via :func:`on_review_tasks_gone`),
with the ids of review tasks whose source recording was deleted or whose owner was erased. It

- drops the content of those tasks' items in every dataset version (it was already
  unreadable once the task key went; dropping the ciphertext too leaves nothing behind),
  keeping the task id so the lineage — *which* versions held it — is still known;
- marks every version that contained one of them stale: it refuses training until rebuilt;
- takes the tasks out of the support of template proposals (pending or accepted) and
  vocabulary words, withdrawing those left with fewer than k distinct owners and rewriting
  the accepted-templates and vocabulary files without them (:mod:`ecoute.improve.withdrawal`);
- and thereby schedules the rebuild: the stale flag, committed with the deletion, *is* the
  durable job. The stage ``ecoute.improve.datasets:rebuild_stale`` rebuilds every dataset
  whose newest version is stale (the job runner can resume it from that flag after a crash),
  and every use of a dataset by name (``latest_fresh``: eval, proposals, rounds, vocabulary)
  rebuilds it first, so no consumer ever waits for the job to have run.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ecoute.improve.withdrawal import withdraw_unsupported
from ecoute.privacy import hooks
from ecoute.store.db import rows_affected
from ecoute.store.schema.datasets import DatasetItem, DatasetVersion

#: The job stage that rebuilds stale datasets (for ``ecoute.jobs.STAGES``).
REBUILD_STAGE = "ecoute.improve.datasets:rebuild_stale"
_CHUNK = 500


def mark_tasks_removed(session: Session, task_ids: list[str], *, reason: str = "source deleted or erased") -> int:
    """Mark dataset versions containing ``task_ids`` stale; returns how many were newly marked."""
    ids = sorted(set(task_ids))
    if not ids:
        return 0
    version_ids: set[str] = set()
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        version_ids.update(session.execute(
            select(DatasetItem.version_id).where(DatasetItem.task_id.in_(chunk)).distinct()
        ).scalars())
        session.execute(
            update(DatasetItem).where(DatasetItem.task_id.in_(chunk))
            .values(removed=True, content_ct=None, asr_ct=None, audio_blob=None)
            .execution_options(synchronize_session=False)
        )
    marked = 0
    if version_ids:
        marked = rows_affected(
            session,
            update(DatasetVersion)
            .where(DatasetVersion.id.in_(sorted(version_ids)), DatasetVersion.stale.is_(False))
            .values(stale=True, stale_reason=f"{len(ids)} task(s) removed: {reason}")
            .execution_options(synchronize_session=False),
        )
    withdraw_unsupported(session, set(ids))
    # The bulk updates bypassed the identity map: refresh our rows only, never the caller's.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, (DatasetItem, DatasetVersion)):
            session.expire(obj)
    return marked


def on_review_tasks_gone(event: hooks.ReviewTasksGone) -> int:
    """Hook handler (wired by ``ecoute.services.wiring``): deletion or erasure removed these tasks."""
    return mark_tasks_removed(event.session, list(event.task_ids))

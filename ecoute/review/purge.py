"""Removing review tasks: after deletion of recordings, opt-out, erasure, or a sensitive flag.

Rows go in the caller's transaction; blobs (the sealed prepared audio) are deleted only
*after* that transaction commits, so a failure half-way never leaves a task row pointing at
a missing clip, and a rollback loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ecoute.privacy import hooks
from ecoute.store.blobs import BlobStore
from ecoute.store.schema.owner import ReviewLink
from ecoute.store.schema.review import Annotation, ReviewAssignment, ReviewTask
from ecoute.store.schema.review_qc import GoldTaskKey, ReviewAgreement, ReviewSample
from ecoute.store.tombstones import schedule_blob_deletion
from ecoute.store.vault import Vault

#: IN lists stay well under SQLite's bound-parameter limit.
_CHUNK = 500


def delete_blob_after_commit(session: Session, blobs: BlobStore, key: str) -> None:
    """Schedule a blob for deletion once the session's transaction has committed.

    Uses the deletion cascade's tombstones, so a crash between the commit and the blob
    deletion still ends with the blob gone (the retention sweep finishes it).
    """
    schedule_blob_deletion(session, blobs, [key])


def destroy_task_content(session: Session, blobs: BlobStore, task: ReviewTask) -> None:
    """Destroy what a task holds (audio, text) but keep its row as a content-free marker."""
    if task.audio_blob:
        delete_blob_after_commit(session, blobs, task.audio_blob)
    task.audio_blob = None
    task.content_ct = None
    task.disguise = {}


def delete_tasks(session: Session, blobs: BlobStore, task_ids: Iterable[str]) -> list[str]:
    """Delete tasks with their assignments, annotations, QC rows, keys, links and blobs."""
    ids = sorted(set(task_ids))
    if not ids:
        return []
    for task in session.execute(select(ReviewTask).where(ReviewTask.id.in_(ids))).scalars():
        if task.audio_blob:
            delete_blob_after_commit(session, blobs, task.audio_blob)
    for table in (Annotation, ReviewAssignment):
        session.execute(delete(table).where(table.task_id.in_(ids)))
    session.execute(delete(ReviewAgreement).where(ReviewAgreement.task_id.in_(ids)))
    session.execute(delete(GoldTaskKey).where(GoldTaskKey.task_id.in_(ids)))
    session.execute(delete(ReviewLink).where(ReviewLink.task_id.in_(ids)))
    session.execute(delete(ReviewTask).where(ReviewTask.id.in_(ids)))
    session.flush()
    return ids


def remove_tasks_for_turns(session: Session, vault: Vault, owner_id: str, turn_ids: list[str]) -> list[str]:
    """Remove every review task made from these turns of this owner; returns the task ids.

    Called by recording deletion in its own transaction. Links are found by the turn tag
    (a keyed hash under the owner's key), so the link table never names a turn in the clear.
    """
    if not turn_ids:
        return []
    tags = {vault.item_tag(owner_id, turn_id) for turn_id in turn_ids}
    task_ids = (
        session.execute(
            select(ReviewLink.task_id).where(ReviewLink.owner_id == owner_id, ReviewLink.turn_tag.in_(tags))
        )
        .scalars()
        .all()
    )
    session.execute(
        update(ReviewSample)
        .where(ReviewSample.owner_id == owner_id, ReviewSample.turn_id.in_(list(turn_ids)))
        .values(turn_id=None, status="gone")
    )
    return delete_tasks(session, vault.blobs, task_ids)


def remove_tasks_for_owner(session: Session, blobs: BlobStore, owner_id: str) -> list[str]:
    """Every task of an owner (erasure): needs no key, so it works after the DEK is destroyed."""
    task_ids = (
        session.execute(select(ReviewLink.task_id).where(ReviewLink.owner_id == owner_id)).scalars().all()
    )
    session.execute(delete(ReviewSample).where(ReviewSample.owner_id == owner_id))
    return delete_tasks(session, blobs, task_ids)


def remove_unreviewed_tasks_for_owner(session: Session, vault: Vault, owner_id: str) -> int:
    """Opt-out: tasks no reviewer has labelled yet go now; labelled ones need no second review.

    Samples still waiting for preparation are cancelled too, so nothing of the owner's
    enters the queue after they said stop.
    """
    task_ids = (
        session.execute(select(ReviewLink.task_id).where(ReviewLink.owner_id == owner_id)).scalars().all()
    )
    reviewed = (
        set(
            session.execute(
                select(Annotation.task_id).where(Annotation.task_id.in_(task_ids), Annotation.kind == "label")
            ).scalars()
        )
        if task_ids
        else set()
    )
    unreviewed = [t for t in task_ids if t not in reviewed]
    if reviewed:
        for task in session.execute(select(ReviewTask).where(ReviewTask.id.in_(reviewed))).scalars():
            task.reviews_needed = 1
            if task.status in ("pending", "assigned"):
                task.status = "done"
        session.execute(
            update(ReviewAssignment)
            .where(ReviewAssignment.task_id.in_(reviewed), ReviewAssignment.state == "open")
            .values(state="expired")
        )
    session.execute(
        update(ReviewSample)
        .where(ReviewSample.owner_id == owner_id, ReviewSample.status == "preparing")
        .values(status="cancelled")
    )
    return len(delete_tasks(session, vault.blobs, unreviewed))


# -- hook handlers (registered by ecoute.services.wiring.wire_hooks) ----------------------------

def on_turns_deleted(event: hooks.TurnsDeleted) -> hooks.TasksRemoved:
    """Recording deletion: the tasks made from those turns go, in the deleting transaction.

    The clip keys are read first only for the caller's report: the cascade tombstones them.
    """
    task_ids: list[str] = []
    tags = [event.vault.item_tag(event.owner_id, t) for t in event.turn_ids]
    for i in range(0, len(tags), _CHUNK):
        task_ids += event.session.execute(
            select(ReviewLink.task_id).where(ReviewLink.owner_id == event.owner_id,
                                             ReviewLink.turn_tag.in_(tags[i : i + _CHUNK]))
        ).scalars().all()
    blob_keys: list[str] = []
    for i in range(0, len(task_ids), _CHUNK):
        blob_keys += [k for k in event.session.execute(
            select(ReviewTask.audio_blob).where(ReviewTask.id.in_(task_ids[i : i + _CHUNK]))).scalars() if k]
    remove_tasks_for_turns(event.session, event.vault, event.owner_id, list(event.turn_ids))
    return hooks.TasksRemoved(tuple(sorted(task_ids)), tuple(blob_keys))


def on_owner_erased(event: hooks.OwnerErased) -> hooks.TasksRemoved:
    """Erasure: every task of the owner goes (needs no key; works after the DEK is destroyed)."""
    return hooks.TasksRemoved(tuple(remove_tasks_for_owner(event.session, event.blobs, event.owner_id)))

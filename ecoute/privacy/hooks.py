"""The hooks the owner-rights cascades fire, and their payloads.

Deletion and erasure live in the privacy layer, below review and improve, yet must remove
what those layers made from an owner's data. They fire these hooks; review and improve
register handlers through :func:`ecoute.services.wiring.wire_hooks`. All three are
required: a deletion that could not purge review tasks or dataset items must fail, never
report success (see :class:`ecoute.hooks.HookNotWired`).

Payloads carry the caller's session, so handlers write in the deleting transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ecoute.hooks import Hook
from ecoute.store.blobs import BlobStore
from ecoute.store.vault import Vault


@dataclass(frozen=True)
class TurnsDeleted:
    """An owner's turns are being deleted in ``session``'s transaction."""

    session: Session
    vault: Vault
    owner_id: str
    turn_ids: tuple[str, ...]


@dataclass(frozen=True)
class OwnerErased:
    """An owner is being erased; their key may already be destroyed, so there is no vault."""

    session: Session
    blobs: BlobStore
    owner_id: str


@dataclass(frozen=True)
class TasksRemoved:
    """What a handler removed of the review zone (ids only): for the caller's report."""

    task_ids: tuple[str, ...]
    #: The removed tasks' clip blobs, already tombstoned by the handler.
    blob_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewTasksGone:
    """Review tasks made from an owner's data were removed in ``session``'s transaction."""

    session: Session
    task_ids: tuple[str, ...]


turns_deleted: Hook[TurnsDeleted, TasksRemoved] = Hook(
    "turns_deleted", required=True, doc="remove the review tasks made from deleted turns")
owner_erased: Hook[OwnerErased, TasksRemoved] = Hook(
    "owner_erased", required=True, doc="remove every review task of an erased owner")
review_tasks_gone: Hook[ReviewTasksGone, int] = Hook(
    "review_tasks_gone", required=True,
    doc="drop dataset items of removed review tasks and mark their versions stale")

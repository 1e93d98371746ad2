"""Reading reviewed task content and sealing dataset items, with the task's own key.

The task key is the only key that opens a review task, its annotations and every dataset
item built from it. It is stored wrapped by the owner's DEK in the owner zone, so this is
the one module of the learning loop that goes through the key broker (audited as
``system:improve``). Everything else in ``ecoute.improve`` handles ciphertext or plaintext
handed to it, never keys.

The associated data of task-sealed blobs names the task and the kind of blob, never the
owner: the review zone must not learn who the task came from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ecoute.store import crypto
from ecoute.store.schema.owner import ReviewLink
from ecoute.store.vault import Actor, KeyDestroyed, Vault

ACTOR = Actor.system("improve")


def task_aad(task_id: str, kind: str) -> bytes:
    """Associated data of a blob sealed with a task key (task id and kind, no owner)."""
    return crypto.aad_for("task", task_id, kind)


@dataclass
class TaskKeys:
    """Task keys unwrapped for one job, cached per task; a missing or erased owner gives None."""

    session: Session
    vault: Vault
    purpose: str
    _cache: dict[str, bytes | None] | None = None

    def get(self, task_id: str) -> bytes | None:
        if self._cache is None:
            self._cache = {}
        if task_id in self._cache:
            return self._cache[task_id]
        key: bytes | None = None
        link = self.session.get(ReviewLink, task_id)
        if link is not None:
            try:
                key = self.vault.unwrap_task_key(link.owner_id, task_id, link.wrapped_task_key,
                                                 actor=ACTOR, purpose=self.purpose)
            except (KeyDestroyed, crypto.DecryptionError):
                key = None
        else:
            key = _gold_key(self.session, task_id)
        self._cache[task_id] = key
        return key


def _gold_key(session: Session, task_id: str) -> bytes | None:
    """Gold tasks are synthetic and have no owner: their key is kept in the review zone."""
    try:
        from ecoute.store.schema.review_qc import GoldTaskKey
    except ImportError:  # pragma: no cover - review pipeline absent
        return None
    row = session.get(GoldTaskKey, task_id)
    return row.task_key if row is not None else None


def content_aad(task_id: str) -> bytes:
    """AAD of a task's prepared content (redacted transcript, slots, entity types)."""
    return task_aad(task_id, "content")


def annotation_aad(task_id: str, annotation_id: str) -> bytes:
    """AAD of one annotation's payload: bound to its task and to the annotation itself."""
    return task_aad(task_id, f"annotation:{annotation_id}")


def open_content(task_key: bytes, task_id: str, blob: bytes) -> dict:
    return json.loads(crypto.open_sealed(task_key, blob, content_aad(task_id)))


def open_annotation(task_key: bytes, task_id: str, annotation_id: str, blob: bytes) -> dict:
    return json.loads(crypto.open_sealed(task_key, blob, annotation_aad(task_id, annotation_id)))


def seal_content(task_key: bytes, task_id: str, value: dict) -> bytes:
    return crypto.seal(task_key, json.dumps(value, ensure_ascii=False).encode(), content_aad(task_id))


def seal_annotation(task_key: bytes, task_id: str, annotation_id: str, value: dict) -> bytes:
    return crypto.seal(task_key, json.dumps(value, ensure_ascii=False).encode(),
                       annotation_aad(task_id, annotation_id))

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

from ecoute.store import crypto, taskseal
from ecoute.store.schema.owner import ReviewLink
from ecoute.store.schema.review_qc import GoldTaskKey
from ecoute.store.vault import Actor, KeyDestroyed, Vault

ACTOR = Actor.system("improve")


def task_aad(task_id: str, kind: str) -> bytes:
    """Associated data of a blob sealed with a task key (the convention of ``ecoute.store.taskseal``)."""
    return taskseal.task_aad(task_id, kind)


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
    row = session.get(GoldTaskKey, task_id)
    return row.task_key if row is not None else None


def _annotation_kind(annotation_id: str) -> str:
    return f"annotation:{annotation_id}"


def open_content(task_key: bytes, task_id: str, blob: bytes) -> dict:
    """A task's prepared content: {"transcript" (redacted ASR text), "slots", "entities"}."""
    return json.loads(taskseal.open_for_task(task_key, task_id, "content", blob))


def open_annotation(task_key: bytes, task_id: str, annotation_id: str, blob: bytes) -> dict:
    """One annotation's payload: {"transcript" (corrected), "slots"}; the intent is a column."""
    return json.loads(taskseal.open_for_task(task_key, task_id, _annotation_kind(annotation_id), blob))


def open_audio(task_key: bytes, task_id: str, blob: bytes) -> bytes:
    """The prepared (bleeped, disguised) clip of a task, as WAV bytes."""
    return taskseal.open_for_task(task_key, task_id, "audio", blob)


def seal_content(task_key: bytes, task_id: str, value: dict) -> bytes:
    return taskseal.seal_for_task(task_key, task_id, "content", json.dumps(value, ensure_ascii=False).encode())


def seal_annotation(task_key: bytes, task_id: str, annotation_id: str, value: dict) -> bytes:
    return taskseal.seal_for_task(task_key, task_id, _annotation_kind(annotation_id),
                                      json.dumps(value, ensure_ascii=False).encode())

"""Sealing with a review task's key: the one convention for every blob a task key opens.

The review pipeline seals task content and annotations with it, the learning loop seals
dataset items, and an owner's export opens annotations made from their recordings. It is
in the store so that all three use it without the privacy layer importing review. The
associated data names the task and the kind of blob, never the owner.
"""

from __future__ import annotations

from ecoute.store import crypto


def task_aad(task_id: str, kind: str) -> bytes:
    return crypto.aad_for("review-task", task_id, kind)


def seal_for_task(task_key: bytes, task_id: str, kind: str, data: bytes) -> bytes:
    return crypto.seal(task_key, data, task_aad(task_id, kind))


def open_for_task(task_key: bytes, task_id: str, kind: str, data: bytes) -> bytes:
    return crypto.open_sealed(task_key, data, task_aad(task_id, kind))

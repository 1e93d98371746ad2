"""Erasure of an account: destroy the key first, then remove everything, resumably.

Why this order: the moment the owner's data key is destroyed (crypto-shredding), every copy
of their content anywhere — rows, blobs, review tasks (their task keys are wrapped by the
DEK), dataset items (sealed with those task keys), replicas, backups taken before — is
unreadable at once, in constant time. The clean-up that follows is only housekeeping, so
it may take as long as it needs, be interrupted and resumed: each step commits its work
together with its progress mark in ``DataSubjectRequest.progress``, and every step is
idempotent (it deletes whatever is still there), so a restart after a kill at any point
completes the erasure. The owner row stays as a content-free marker (status ``erased``) so
that the request and its receipt can be checked; nothing in it identifies the person.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ecoute.errors import BadInput, NotFound
from ecoute.privacy import hooks
from ecoute.privacy.export import archive_path
from ecoute.store.identity import clear_owner_identity
from ecoute.store.schema import Base
from ecoute.store.schema.base import utcnow
from ecoute.store.schema.owner import (
    DataSubjectRequest,
    Device,
    LoginSession,
    Owner,
    PartnerHandoff,
    ReviewerExposure,
    Turn,
)
from ecoute.store.store import Store
from ecoute.store.tombstones import purge_tombstones, schedule_blob_deletion
from ecoute.store.vault import Actor, Vault

log = logging.getLogger(__name__)

#: The steps, in order; each is idempotent and commits with its progress mark.
STEPS = ("key", "sessions", "review", "turns", "owner_rows", "exports", "blobs", "owner")
#: Turns are removed in batches of this many per transaction (bounded work per commit).
TURN_BATCH = 500
#: Tables holding per-owner rows that are not content of a turn but still about the owner.
_KEEP_TABLES = {"owners", "dsr_requests", "turns"}

#: Called with a point name at every place a kill could happen (tests inject failures here).
Checkpoint = Callable[[str], None]


def _nothing(_point: str) -> None:
    return None


def _iso(at: datetime | None) -> str | None:
    return at.isoformat(timespec="seconds") if at else None


def request_erasure(store: Store, owner_id: str, *, actor: Actor, checkpoint: Checkpoint = _nothing) -> str:
    """Record the request, destroy the owner's key and commit; return the request id.

    Two transactions: the request (and an audit entry sealed while the key still exists)
    first, so a crash right after still leaves a request that :func:`run_erasure` finishes;
    then the key destruction, committed before any other clean-up happens.
    """
    with store.vault_session() as (session, vault):
        owner = session.get(Owner, owner_id)
        if owner is None:
            raise NotFound("no such owner")
        if owner.status != "active":
            existing = session.execute(
                select(DataSubjectRequest.id).where(DataSubjectRequest.owner_id == owner_id,
                                                    DataSubjectRequest.kind == "erasure")
                .order_by(DataSubjectRequest.requested_at.desc())
            ).scalars().first()
            if existing is None:
                raise BadInput(f"this account is already {owner.status}")
            return existing
        # logged out everywhere at once: an erasing account cannot act any more
        logged_out = session.execute(delete(LoginSession).where(LoginSession.subject_kind == "owner",
                                                                LoginSession.subject_id == owner_id)).rowcount or 0
        # which reviewer heard this owner when: keyed by a tag only the owner's key can compute,
        # so these rows must go now, while the key still exists
        exposure = session.execute(delete(ReviewerExposure).where(
            ReviewerExposure.owner_tag == vault.owner_tag(owner_id))).rowcount or 0
        counts = {k: v for k, v in (("login_sessions", logged_out), ("reviewer_exposure", exposure)) if v}
        request = DataSubjectRequest(owner_id=owner_id, kind="erasure", status="pending",
                                     progress={"done": [], "counts": counts})
        session.add(request)
        session.flush()
        vault.audit(_shown(actor), action="erase", purpose="owner asked to erase the account", owner_id=owner_id,
                    details={"kind": "account"})
        owner.status = "erasing"
        request_id = request.id
    checkpoint("requested")
    _destroy_key(store, request_id)
    checkpoint("key-destroyed")
    return request_id


def _shown(actor: Actor) -> Actor:
    """Audit entries by the owner name them as "self": the chain must not keep their id in clear."""
    return Actor("self", "owner", actor.details) if actor.role == "owner" else actor


def _destroy_key(store: Store, request_id: str) -> None:
    with store.vault_session() as (session, vault):
        request = session.get(DataSubjectRequest, request_id)
        vault.destroy_owner_key(request.owner_id)
        progress = dict(request.progress or {})
        progress.setdefault("key_destroyed_at", _iso(utcnow()))
        progress["done"] = sorted(set(progress.get("done", [])) | {"key"}, key=STEPS.index)
        request.progress = progress


def run_erasure(store: Store, request_id: str, *, checkpoint: Checkpoint = _nothing) -> dict:
    """Run (or resume) the clean-up of an erasure request; returns the receipt.

    ``checkpoint`` is called inside each transaction before it commits and again after
    it commits: raising there is how tests kill the job at any point.
    """
    with store.session() as session:
        request = session.get(DataSubjectRequest, request_id)
        if request is None or request.kind != "erasure":
            raise NotFound("no such erasure request")
        if request.status == "done":
            return request.receipt or {}
        request.status = "running"
        request.started_at = request.started_at or utcnow()
        request.error = None
    try:
        for step in STEPS:
            while not _step_done(store, request_id, step):
                _run_step(store, request_id, step, checkpoint)
                checkpoint(f"after:{step}")
    except Exception as err:
        with store.session() as session:
            failed = session.get(DataSubjectRequest, request_id)
            failed.error = f"{type(err).__name__}: {err}"[:500]
        raise
    return _finish(store, request_id)


def _step_done(store: Store, request_id: str, step: str) -> bool:
    with store.session() as session:
        return step in (session.get(DataSubjectRequest, request_id).progress or {}).get("done", [])


def _run_step(store: Store, request_id: str, step: str, checkpoint: Checkpoint) -> None:
    """One unit of work of one step, committed together with its progress."""
    if step == "key":
        _destroy_key(store, request_id)  # a crash inside request_erasure lands here
        return
    with store.vault_session() as (session, vault):
        request = session.get(DataSubjectRequest, request_id)
        owner_id = request.owner_id
        progress = dict(request.progress or {})
        counts = dict(progress.get("counts", {}))
        finished = _STEP_FUNCS[step](session, vault, store, owner_id, counts)
        progress["counts"] = counts
        if finished:
            progress["done"] = [*progress.get("done", []), step]
        request.progress = progress
        checkpoint(f"commit:{step}")


def _add(counts: dict, name: str, n: int) -> None:
    if n:
        counts[name] = counts.get(name, 0) + n


def _step_sessions(session: Session, vault: Vault, store: Store, owner_id: str, counts: dict) -> bool:
    n = session.execute(delete(LoginSession).where(LoginSession.subject_kind == "owner",
                                                   LoginSession.subject_id == owner_id)).rowcount or 0
    _add(counts, "login_sessions", n)
    session.execute(update(Device).where(Device.selected_owner_id == owner_id).values(selected_owner_id=None))
    return True


def _step_review(session: Session, vault: Vault, store: Store, owner_id: str, counts: dict) -> bool:
    """Review tasks, annotations, assignments, links, samples; datasets marked for rebuild."""
    # the review zone's handler needs no key, so it works after shredding; it tombstones the clips
    removed = hooks.owner_erased.fire(hooks.OwnerErased(session, vault.blobs, owner_id))
    task_ids = tuple(sorted({t for r in removed for t in r.task_ids}))
    _add(counts, "review_tasks", len(task_ids))
    _add(counts, "datasets_marked",
         sum(hooks.review_tasks_gone.fire(hooks.ReviewTasksGone(session, task_ids))) if task_ids else 0)
    return True


def _step_turns(session: Session, vault: Vault, store: Store, owner_id: str, counts: dict) -> bool:
    """One batch of turns (and their blobs, via tombstones); done when none is left."""
    batch = list(session.execute(select(Turn.id, Turn.audio_blob).where(Turn.owner_id == owner_id)
                                 .limit(TURN_BATCH)).all())
    if not batch:
        return True
    ids = [row.id for row in batch]
    _add(counts, "partner_handoffs", session.execute(
        delete(PartnerHandoff).where(PartnerHandoff.owner_id == owner_id, PartnerHandoff.turn_id.in_(ids))
    ).rowcount or 0)
    _add(counts, "recordings", sum(1 for row in batch if row.audio_blob))
    _add(counts, "turns", session.execute(delete(Turn).where(Turn.id.in_(ids))).rowcount or 0)
    schedule_blob_deletion(session, vault.blobs, [row.audio_blob for row in batch if row.audio_blob])
    return len(batch) < TURN_BATCH


def _step_owner_rows(session: Session, vault: Vault, store: Store, owner_id: str, counts: dict) -> bool:
    """Every other table with an ``owner_id``: consents, skill state, hand-offs, samples…

    Found from the schema, not listed by hand, so a table another area adds later is
    covered without anyone remembering to extend erasure. Dependents go first.
    """
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in _KEEP_TABLES or "owner_id" not in table.c:
            continue
        _add(counts, table.name, session.execute(delete(table).where(table.c.owner_id == owner_id)).rowcount or 0)
    return True


def _step_exports(session: Session, vault: Vault, store: Store, owner_id: str, counts: dict) -> bool:
    """Prepared export archives go too (already unreadable: their key was wrapped by the DEK)."""
    requests = session.execute(select(DataSubjectRequest).where(
        DataSubjectRequest.owner_id == owner_id, DataSubjectRequest.kind == "export")).scalars().all()
    for req in requests:
        path = archive_path(store.settings, req.id)
        for candidate in (path, *path.parent.glob(f".{req.id}*")):
            if candidate.exists():
                candidate.unlink()
                _add(counts, "export_archives", 1)
        req.progress = {k: v for k, v in (req.progress or {}).items() if k not in ("archive",)}
    return True


def _step_blobs(session: Session, vault: Vault, store: Store, owner_id: str, counts: dict) -> bool:
    """Tombstoned blobs, then anything left under the owner's prefix (e.g. a blob written by
    a turn whose transaction failed before it could be recorded)."""
    purge_tombstones(session, vault.blobs)
    strays = list(vault.blobs.keys(f"owners/{owner_id}/"))
    for key in strays:
        vault.blobs.delete(key)
    _add(counts, "stray_blobs", len(strays))
    return True


def _step_owner(session: Session, vault: Vault, store: Store, owner_id: str, counts: dict) -> bool:
    owner = session.get(Owner, owner_id)
    if owner is not None:
        clear_owner_identity(owner)
        owner.password_hash = None
        owner.wrapped_dek = None
        owner.auto_delete_days = None
        owner.status = "erased"
        owner.erased_at = owner.erased_at or utcnow()
    return True


_STEP_FUNCS = {
    "sessions": _step_sessions,
    "review": _step_review,
    "turns": _step_turns,
    "owner_rows": _step_owner_rows,
    "exports": _step_exports,
    "blobs": _step_blobs,
    "owner": _step_owner,
}


def _finish(store: Store, request_id: str) -> dict:
    with store.vault_session() as (session, vault):
        request = session.get(DataSubjectRequest, request_id)
        if request.status == "done":
            return request.receipt or {}
        now = utcnow()
        progress = request.progress or {}
        request.receipt = {
            "request": request.id,
            "kind": "erasure",
            "requested_at": _iso(request.requested_at),
            "key_destroyed_at": progress.get("key_destroyed_at"),
            "completed_at": _iso(now),
            "deleted": dict(sorted(progress.get("counts", {}).items())),
            "statement": "The account's data key was destroyed first: from then on nothing of this account "
                         "could be decrypted anywhere, including backups. Rows and files listed were then removed.",
        }
        request.status = "done"
        request.completed_at = now
        # No owner fields: the key is gone, and the entry must not name them in the clear.
        vault.audit(Actor.system("erasure"), action="erasure-complete", purpose="account erased",
                    details={"request": request.id})
        return request.receipt


def pending_erasures(store: Store) -> list[str]:
    with store.session() as session:
        return list(session.execute(select(DataSubjectRequest.id).where(
            DataSubjectRequest.kind == "erasure", DataSubjectRequest.status != "done")
            .order_by(DataSubjectRequest.requested_at)).scalars())


def resume_erasures(store: Store) -> list[dict]:
    """Finish every erasure left incomplete (run at start-up and by the job runner)."""
    return [run_erasure(store, request_id) for request_id in pending_erasures(store)]


def erase_owner(store: Store, owner_id: str, *, actor: Actor) -> dict:
    """Request and run an erasure to the end (CLI, tests)."""
    return run_erasure(store, request_erasure(store, owner_id, actor=actor))


__all__ = ["STEPS", "erase_owner", "pending_erasures", "request_erasure", "resume_erasures", "run_erasure"]


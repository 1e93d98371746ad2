"""Blob tombstones: a blob is deleted only after the transaction that dropped its row commits.

Why the blob dance: blobs live outside the database and cannot roll back. Deleting them
before the commit would lose acknowledged data if the transaction then failed; deleting
them never would leave a decryptable copy behind. So the deleting transaction writes a
:class:`~ecoute.store.schema.owner.BlobTombstone` per blob key, and only *after* it commits
are the blobs removed (by a session hook, immediately; or by :func:`purge_tombstones`, which
the retention sweep and erasure run, if the process died in between). A rollback takes the
tombstones back with the rows, so the blobs stay exactly as long as their rows do.

It lives in the store because every zone that deletes (owner deletion, review opt-out,
dataset rebuilds) needs the same rule and the store is below all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from ecoute.store.blobs import BlobStore
from ecoute.store.schema.owner import BlobTombstone

log = logging.getLogger(__name__)

_PENDING = "ecoute.blob_tombstones"
_HOOKED = "ecoute.blob_tombstones.hooked"


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

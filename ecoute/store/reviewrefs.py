"""Owner and turn references of review links and samples: keyed tags and sealed values.

SQL read access alone must not map a review task to its owner or recording. So
``review_links`` and ``review_samples`` hold no owner id and no turn id: they hold

- tags, ``HMAC(index key, id)`` from the key provider (:meth:`KeyProvider.keyed_hash`),
  to find an owner's rows (opt-out, erasure, deletion, who listened, support counts);
- the ids themselves sealed under a key derived from the same provider, for the few
  places that must go from a task to its owner (the key broker, consent re-checks).

Neither can be computed or opened without the key provider; both keep working after the
owner's DEK is destroyed, so erasure still finds what to remove.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, inspect, select, text, update
from sqlalchemy.orm import Session

from ecoute.store import crypto, taskseal
from ecoute.store.keys import KeyProvider
from ecoute.store.schema.owner import ReviewLink

OWNER_TAG = "review-owner"
TURN_TAG = "review-turn"
_REF_KEY = "review-ref-key"


def owner_tag(keys: KeyProvider, owner_id: str) -> str:
    return keys.keyed_hash(OWNER_TAG, owner_id.encode()).hex()


def turn_tag(keys: KeyProvider, turn_id: str) -> str:
    return keys.keyed_hash(TURN_TAG, turn_id.encode()).hex()


def _ref_key(keys: KeyProvider) -> bytes:
    return keys.keyed_hash(_REF_KEY, b"v1")


def seal_ref(keys: KeyProvider, table: str, kind: str, value: str) -> bytes:
    """Seal an id for ``table`` (``kind`` = owner | turn); AAD binds table and kind."""
    return crypto.seal(_ref_key(keys), value.encode(), crypto.aad_for("review-ref", table, kind))


def open_ref(keys: KeyProvider, table: str, kind: str, sealed: bytes) -> str:
    return crypto.open_sealed(_ref_key(keys), sealed, crypto.aad_for("review-ref", table, kind)).decode()


def distinct_owners(session: Session, task_ids: list[str]) -> int:
    """How many distinct owners these review tasks come from (k-anonymity support), counted
    by keyed owner tag: the same count as distinct owner ids, without knowing any of them."""
    tags: set[str] = set()
    ids = sorted(set(task_ids))
    for i in range(0, len(ids), 500):
        tags.update(session.execute(
            select(ReviewLink.owner_tag).where(ReviewLink.task_id.in_(ids[i : i + 500]))).scalars())
    return len(tags)


def mark_review_links_inactive(session: Session, keys: KeyProvider, owner_id: str) -> int:
    """The owner is being erased: their links stop counting as live (datasets, hand-out)."""
    result = session.execute(
        update(ReviewLink).where(ReviewLink.owner_tag == owner_tag(keys, owner_id)).values(owner_active=False)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def backfill(engine: Engine, keys: KeyProvider) -> int:
    """Convert links and samples written before revision 0007 (owner/turn ids in the clear).

    A migration cannot reach the key provider, so this runs when the store opens: it fills
    the tags and sealed ids, then clears the old columns. Idempotent; returns rows converted.
    """
    converted = 0
    with engine.begin() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("review_links")}
        if "owner_id" in columns:
            rows = conn.execute(text(
                "SELECT l.task_id, l.owner_id, o.wrapped_dek IS NOT NULL AND o.status = 'active' "
                "FROM review_links l LEFT JOIN owners o ON o.id = l.owner_id WHERE l.owner_id IS NOT NULL"
            )).all()
            for task_id, owner_id, active in rows:
                conn.execute(text(
                    "UPDATE review_links SET owner_tag = :tag, owner_ref_ct = :ref, owner_active = :active, "
                    "owner_id = NULL WHERE task_id = :task"
                ), {"tag": owner_tag(keys, owner_id), "ref": seal_ref(keys, "review_links", "owner", owner_id),
                    "active": bool(active), "task": task_id})
            converted += len(rows)
        columns = {c["name"] for c in inspect(conn).get_columns("review_samples")}
        if "owner_id" in columns:
            rows = conn.execute(text(
                "SELECT id, owner_id, turn_id FROM review_samples WHERE owner_id IS NOT NULL OR turn_id IS NOT NULL"
            )).all()
            for sample_id, owner_id, turn_id in rows:
                conn.execute(text(
                    "UPDATE review_samples SET owner_tag = :otag, owner_ref_ct = :oref, turn_tag = :ttag, "
                    "turn_ref_ct = :tref, owner_id = NULL, turn_id = NULL WHERE id = :id"
                ), {"otag": owner_tag(keys, owner_id), "oref": seal_ref(keys, "review_samples", "owner", owner_id),
                    "ttag": turn_tag(keys, turn_id) if turn_id else None,
                    "tref": seal_ref(keys, "review_samples", "turn", turn_id) if turn_id else None, "id": sample_id})
            converted += len(rows)
    return converted


def seal_legacy_reasons(engine: Engine, keys: KeyProvider) -> int:
    """Seal escalation reasons and lead notes stored in the clear before revision 0007.

    Each is sealed with its task's key (gold key, or the task key unwrapped with the owner's
    DEK); a reason whose key is gone (owner erased) can never be sealed, so it is dropped.
    Sealing writes and reads nothing of the owner, so it is not an audited access.
    """
    with engine.begin() as conn:
        rows = conn.execute(text(
            "SELECT id, task_id, reason FROM annotations WHERE reason IS NOT NULL AND reason_ct IS NULL"
        )).all()
        for ann_id, task_id, reason in rows:
            key = _task_key_for_migration(conn, keys, task_id)
            sealed = taskseal.seal_for_task(key, task_id, f"reason:{ann_id}", reason.encode()) if key else None
            conn.execute(text("UPDATE annotations SET reason_ct = :ct, reason = NULL WHERE id = :id"),
                         {"ct": sealed, "id": ann_id})
    return len(rows)


def _task_key_for_migration(conn: Connection, keys: KeyProvider, task_id: str) -> bytes | None:
    gold = conn.execute(text("SELECT task_key FROM gold_task_keys WHERE task_id = :t"), {"t": task_id}).first()
    if gold is not None:
        return bytes(gold[0])
    link = conn.execute(text("SELECT owner_ref_ct, wrapped_task_key FROM review_links WHERE task_id = :t"),
                        {"t": task_id}).first()
    if link is None or link[0] is None:
        return None
    owner_id = open_ref(keys, "review_links", "owner", bytes(link[0]))
    owner = conn.execute(text("SELECT wrapped_dek FROM owners WHERE id = :o"), {"o": owner_id}).first()
    if owner is None or owner[0] is None:
        return None
    try:
        dek = keys.unwrap(bytes(owner[0]), owner_id)
        return crypto.open_sealed(dek, bytes(link[1]), crypto.aad_for(owner_id, task_id, "task-key"))
    except crypto.DecryptionError:
        return None

"""Per-item deletion cascades (invariant 5) and never leaves an orphan blob (invariant 7)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from test_rights_support import (
    binary_values,
    capture_dek,
    decryptable_with,
    decryptable_with_task_key,
    make_dataset_item,
    make_owner,
    make_task,
    make_turn,
    staff,
    task_key_of,
    task_kinds,
)

from ecoute.errors import NotFound
from ecoute.privacy.deletion import delete_turns
from ecoute.store import audit
from ecoute.store.schema.owner import BlobTombstone, PartnerHandoff, ReviewLink, Turn
from ecoute.store.schema.review import Annotation, ReviewTask
from ecoute.store.store import Store
from ecoute.store.tombstones import purge_tombstones
from ecoute.store.vault import Actor


def test_delete_cascades_to_review_zone_and_leaves_nothing_decryptable(store: Store):
    ana, ben = make_owner(store, "Ana"), make_owner(store, "Ben")
    reviewer = staff(store)
    gone, kept = make_turn(store, ana, 1, handoff=True), make_turn(store, ana, 2)
    bens = make_turn(store, ben, 3)
    task_gone, task_kept = make_task(store, ana, gone, reviewer), make_task(store, ana, kept, reviewer)
    make_task(store, ben, bens, reviewer)
    dek = capture_dek(store, ana)
    with store.vault_session() as (session, vault):
        report = delete_turns(session, vault, owner_id=ana, turn_ids=[gone], actor=Actor.owner(ana))
        assert report.task_ids == [task_gone] and report.handoffs == 1
        assert sorted(report.blob_keys) == sorted([f"owners/{ana}/audio/{gone}", f"review/tasks/{task_gone}/audio"])
    with store.session() as session:
        assert session.get(Turn, gone) is None and session.get(Turn, kept) is not None
        assert session.get(ReviewTask, task_gone) is None and session.get(ReviewLink, task_gone) is None
        assert session.scalar(select(func.count()).select_from(Annotation).where(Annotation.task_id == task_gone)) == 0
        assert session.get(ReviewTask, task_kept) is not None
        assert session.scalar(select(func.count()).select_from(PartnerHandoff)) == 0
        assert session.scalar(select(func.count()).select_from(BlobTombstone)) == 0  # purged right after commit
        assert audit.verify(session).ok
    assert not store.blobs.exists(f"owners/{ana}/audio/{gone}")
    assert not store.blobs.exists(f"review/tasks/{task_gone}/audio")
    assert store.blobs.exists(f"owners/{ana}/audio/{kept}")
    values = binary_values(store)
    assert decryptable_with(dek, ana, [gone], values) == []
    assert decryptable_with(dek, ana, [kept], values)  # the scanner does find what is still there
    with store.vault_session() as (session, vault):
        assert [v.action for v in vault.audit_entries_for(ana)] == ["delete"]


def test_someone_elses_turn_is_refused_and_nothing_changes(store: Store):
    ana, ben = make_owner(store, "Ana"), make_owner(store, "Ben")
    mine, theirs = make_turn(store, ana, 1), make_turn(store, ben, 2)
    with store.vault_session() as (session, vault):
        with pytest.raises(NotFound):
            delete_turns(session, vault, owner_id=ana, turn_ids=[mine, theirs], actor=Actor.owner(ana))
        with pytest.raises(NotFound):
            delete_turns(session, vault, owner_id=ana, turn_ids=["nope"], actor=Actor.owner(ana))
    with store.session() as session:
        assert session.get(Turn, mine) is not None and session.get(Turn, theirs) is not None
    assert store.blobs.exists(f"owners/{ana}/audio/{mine}") and store.blobs.exists(f"owners/{ben}/audio/{theirs}")


def test_failed_transaction_keeps_rows_and_blobs(store: Store):
    ana = make_owner(store)
    turn_id = make_turn(store, ana)
    with pytest.raises(RuntimeError), store.vault_session() as (session, vault):
        delete_turns(session, vault, owner_id=ana, turn_ids=[turn_id], actor=Actor.owner(ana))
        raise RuntimeError("crash before commit")
    with store.session() as session:
        assert session.get(Turn, turn_id) is not None
        assert session.scalar(select(func.count()).select_from(BlobTombstone)) == 0
    assert store.blobs.exists(f"owners/{ana}/audio/{turn_id}")


def test_crash_after_commit_leaves_a_tombstone_that_the_purge_finishes(sqlite_store: Store, monkeypatch):
    store = sqlite_store
    ana = make_owner(store)
    turn_id = make_turn(store, ana)
    key = f"owners/{ana}/audio/{turn_id}"

    def dying_delete(_key: str) -> None:
        raise OSError("disk went away")

    monkeypatch.setattr(store.blobs, "delete", dying_delete)
    with store.vault_session() as (session, vault):
        delete_turns(session, vault, owner_id=ana, turn_ids=[turn_id], actor=Actor.owner(ana))
    assert store.blobs.exists(key)  # the post-commit clean-up failed…
    with store.session() as session:
        assert session.scalar(select(BlobTombstone.key)) == key  # …but the tombstone remembers it
    monkeypatch.undo()
    with store.session() as session:
        assert purge_tombstones(session, store.blobs) == 1
    with store.session() as session:
        assert purge_tombstones(session, store.blobs) == 0
        assert session.scalar(select(func.count()).select_from(BlobTombstone)) == 0
    assert not store.blobs.exists(key)


def test_deletion_reaches_dataset_membership(store: Store):
    from ecoute.store.schema.datasets import DatasetItem, DatasetVersion

    ana = make_owner(store)
    reviewer = staff(store)
    turn = make_turn(store, ana)
    task = make_task(store, ana, turn, reviewer)
    task_key = task_key_of(store, ana, task)
    kinds = task_kinds(store, task)
    version_id, item_task = make_dataset_item(store, task, task_key)
    assert decryptable_with_task_key(task_key, task, kinds, binary_values(store))  # the scanner sees them before
    with store.vault_session() as (session, vault):
        report = delete_turns(session, vault, owner_id=ana, turn_ids=[turn], actor=Actor.owner(ana))
        assert report.datasets_marked == 1
    with store.session() as session:
        version = session.get(DatasetVersion, version_id)
        item = session.execute(select(DatasetItem).where(DatasetItem.version_id == version_id,
                                                         DatasetItem.task_id == item_task)).scalar_one()
        assert version.stale and item.removed and item.content_ct is None
        assert session.get(ReviewLink, task) is None  # the only place the task key lived
    # even someone who kept the task key finds nothing left to open
    assert decryptable_with_task_key(task_key, task, kinds, binary_values(store)) == []

"""Datasets: selection rules, exact lineage, staleness after deletion/erasure, automatic rebuild."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ecoute.improve import datasets as ds
from ecoute.improve.household import Request, gold_check, reviewed_task, reviewer
from ecoute.store.accounts import create_household, create_owner
from ecoute.store.schema.datasets import DatasetItem
from ecoute.store.turns import TurnContent, save_turn
from ecoute.store.vault import Actor


def _team(session, keys):
    a, b, sloppy = (reviewer(session, keys, f"{n}@review.test") for n in ("ana", "ben", "sloppy"))
    gold_check(session, a, correct=5)
    gold_check(session, b, correct=4, wrong=1)
    gold_check(session, sloppy, correct=1, wrong=4)  # 20%: below the gold bar
    return a, b, sloppy


def _req(text: str, item: str) -> Request:
    return Request("en", text, "HassShoppingListAddItem", {"shopping_list_item": item})


def _turn(session, vault, owner_id: str) -> str:
    turn = save_turn(session, vault, owner_id=owner_id, device_id=None, audio_wav=b"RIFF", language="en",
                     content=TurnContent("pop milk on the list", "ok"), duration_s=1.0, handled=False,
                     confidence=0.2)
    session.flush()
    return turn.id


def test_selection_keeps_only_reviewed_gold_checked_agreed_non_sensitive(store, settings):
    with store.vault_session() as (session, vault):
        owner = create_owner(session, vault, settings, create_household(session, "h"), display_name="o")
        a, b, sloppy = _team(session, vault.keys)
        good = reviewed_task(session, vault, owner_id=owner.id, request=_req("pop milk on the list", "milk"),
                             reviewers=[a])
        double = reviewed_task(session, vault, owner_id=owner.id, request=_req("pop eggs on the list", "eggs"),
                               reviewers=[a, b])
        flagged = reviewed_task(session, vault, owner_id=owner.id, request=_req("x", "x"), reviewers=[a],
                                sensitive=True)
        flagged.status = "done"  # closed by a lead: the sensitive flag still keeps it out
        reviewed_task(session, vault, owner_id=owner.id, request=_req("y", "y"), reviewers=[a, b], disagree=True)
        reviewed_task(session, vault, owner_id=owner.id, request=_req("z", "z"), reviewers=[sloppy])
        version = ds.build_dataset(session, "shop")
        items = session.execute(select(DatasetItem).where(DatasetItem.version_id == version.id)).scalars().all()
        assert {i.task_id for i in items} == {good.id, double.id}
        assert version.item_count == 2 and version.version == 1
        assert version.skipped == {"sensitive": 1, "disagreed": 1, "gold_unchecked": 1}
        assert version.lineage_digest == ds.lineage_digest([good.id, double.id])
        examples = ds.load_examples(session, vault, version)
        assert sorted(e.transcript for e in examples) == ["pop eggs on the list", "pop milk on the list"]
        assert {e.slots["shopping_list_item"] for e in examples} == {"milk", "eggs"}
        # review zone: the items name no owner, device or exact time
        assert not {"owner_id", "device_id", "created_at"} & set(DatasetItem.__table__.columns.keys())


def test_deleted_item_leaves_later_builds_and_marks_earlier_ones_stale(store, settings):
    from ecoute.privacy.deletion import delete_turns
    from ecoute.privacy.erasure import erase_owner

    with store.vault_session() as (session, vault):
        house = create_household(session, "h")
        alice = create_owner(session, vault, settings, house, display_name="alice")
        bob = create_owner(session, vault, settings, house, display_name="bob")
        a, _b, _ = _team(session, vault.keys)
        turn = _turn(session, vault, alice.id)
        deleted = reviewed_task(session, vault, owner_id=alice.id, request=_req("pop milk on the list", "milk"),
                                reviewers=[a], turn_id=turn)
        kept = reviewed_task(session, vault, owner_id=alice.id, request=_req("pop tea on the list", "tea"),
                             reviewers=[a])
        bobs = reviewed_task(session, vault, owner_id=bob.id, request=_req("we are out of rice", "rice"),
                             reviewers=[a])
        v1 = ds.build_dataset(session, "shop")
        v1_id, alice_id, bob_id = v1.id, alice.id, bob.id

    with store.vault_session() as (session, vault):
        report = delete_turns(session, vault, owner_id=alice_id, turn_ids=[turn], actor=Actor.owner(alice_id))
        assert report.datasets_marked == 1
    with store.vault_session() as (session, vault):
        v1 = session.get(ds.DatasetVersion, v1_id)
        assert v1.stale and "1 task(s) removed" in v1.stale_reason
        gone = session.execute(select(DatasetItem).where(DatasetItem.task_id == deleted.id)).scalar_one()
        assert gone.removed and gone.content_ct is None  # lineage kept, content dropped
        with pytest.raises(ds.StaleDataset):
            ds.load_examples(session, vault, v1)
        v2 = ds.build_dataset(session, "shop")
        assert v2.version == 2 and not v2.stale
        v2_tasks = {e.task_id for e in ds.load_examples(session, vault, v2)}
        assert v2_tasks == {kept.id, bobs.id}
        v2_id = v2.id

    erase_owner(store, bob_id, actor=Actor("officer-1", "officer"))
    with store.vault_session() as (session, vault):
        assert session.get(ds.DatasetVersion, v2_id).stale
    result = ds.rebuild_stale(store)
    assert result["rebuilt"] == [{"name": "shop", "from": 2, "to": 3, "items": 1, "removed": 1}]
    assert ds.rebuild_stale(store) == {"rebuilt": []}  # idempotent
    with store.vault_session() as (session, vault):
        v3 = ds.latest(session, "shop")
        assert v3.kind == "rebuild" and v3.parent_id == v2_id
        assert [e.task_id for e in ds.load_examples(session, vault, v3)] == [kept.id]
        # every later build lacks both removed tasks
        v4 = ds.build_dataset(session, "shop")
        assert v4.lineage_digest == ds.lineage_digest([kept.id])


def test_stale_dataset_refuses_training_until_rebuilt(sqlite_store, settings):
    from ecoute.improve.lineage import mark_tasks_removed

    store = sqlite_store
    with store.vault_session() as (session, vault):
        owner = create_owner(session, vault, settings, create_household(session, "h"), display_name="o")
        a, _, _ = _team(session, vault.keys)
        t1 = reviewed_task(session, vault, owner_id=owner.id, request=_req("pop milk on the list", "milk"),
                           reviewers=[a])
        reviewed_task(session, vault, owner_id=owner.id, request=_req("pop tea on the list", "tea"), reviewers=[a])
        v1 = ds.build_dataset(session, "shop")
        assert mark_tasks_removed(session, [t1.id]) == 1
        assert mark_tasks_removed(session, [t1.id]) == 0  # already stale
        with pytest.raises(ds.StaleDataset, match="stale"):
            ds.require_trainable(v1)
        fresh = ds.latest_fresh(session, "shop")
        assert fresh.version == 2 and fresh.item_count == 1 and fresh.parent_id == v1.id
        assert v1.rebuilt_as == fresh.id
        assert [e.transcript for e in ds.load_examples(session, vault, fresh)] == ["pop tea on the list"]


def test_dataset_name_is_checked(sqlite_store):
    from ecoute.errors import BadInput

    with sqlite_store.session() as session, pytest.raises(BadInput):
        ds.build_dataset(session, "../etc")

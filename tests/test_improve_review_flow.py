"""The loop on tasks made and labelled by the real review pipeline (create_task, next_task, label)."""

from __future__ import annotations

import random

from test_review_support import add_owner, add_staff, add_task, add_turn

from ecoute.improve import datasets as ds
from ecoute.improve.household import gold_check
from ecoute.privacy.deletion import delete_turns
from ecoute.review import annotate
from ecoute.review.assignment import next_task
from ecoute.store.schema.review import Staff
from ecoute.store.vault import Actor


def test_dataset_from_the_review_pipeline_and_a_deletion(sqlite_store):
    store = sqlite_store
    owner, device = add_owner(store)
    turn = add_turn(store, owner, device, text="pop the milk on the list", handled=False, confidence=0.2)
    task_id = add_task(store, owner, turn, transcript="pop the milk on the list", intent=None)
    reviewer_id = add_staff(store, "en@review.example")
    with store.vault_session() as (session, vault):
        staff = session.get(Staff, reviewer_id)
        gold_check(session, staff)  # this reviewer passed their gold items
        assert next_task(session, vault, store.settings, staff, rng=random.Random(1)).id == task_id
    with store.vault_session() as (session, vault):
        staff = session.get(Staff, reviewer_id)
        annotate.label(session, vault, store.settings, staff, task_id, transcript="pop the milk on the list",
                       intent="HassShoppingListAddItem", slots={"shopping_list_item": "the milk"})
    with store.vault_session() as (session, vault):
        version = ds.build_dataset(session, "main")
        (example,) = ds.load_examples(session, vault, version)
        assert (example.task_id, example.intent, example.transcript) == (
            task_id, "HassShoppingListAddItem", "pop the milk on the list")
        assert example.slots == {"shopping_list_item": "the milk"}
        assert example.asr_transcript == "pop the milk on the list"  # the prepared (redacted) text
        version_id = version.id
    with store.vault_session() as (session, vault):
        report = delete_turns(session, vault, owner_id=owner, turn_ids=[turn], actor=Actor.owner(owner))
        assert report.task_ids == [task_id] and report.datasets_marked == 1
    with store.vault_session() as (session, vault):
        assert session.get(ds.DatasetVersion, version_id).stale
        assert ds.latest_fresh(session, "main").item_count == 0

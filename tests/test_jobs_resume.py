"""The in-process job runner resumes review preparations that a crash interrupted."""

from __future__ import annotations

from test_platform_support import add_turn, household

from ecoute.jobs import InlineJobRunner
from ecoute.store.schema.owner import Turn
from ecoute.store.schema.review_qc import ReviewSample
from ecoute.store.store import Store


def test_runner_resumes_an_interrupted_preparation(sqlite_store: Store):
    store = sqlite_store
    _, alice, _ = household(store)
    turn_id = add_turn(store, alice, "turn left half prepared")
    with store.session() as session:
        session.get(Turn, turn_id).review_considered = True  # the sampling decision was taken…
        sample = ReviewSample(owner_id=alice, turn_id=turn_id, language="en", status="preparing")
        session.add(sample)  # …but the process died while preparing the clip
        session.flush()
        sample_id = sample.id
    runner = InlineJobRunner(store, sweep_interval_s=0)
    runner.start()
    try:
        assert runner.wait_idle(60)
    finally:
        runner.stop()
    assert runner.completed.get("review_prepare") == 1 and not runner.failures
    with store.session() as session:
        # Alice never opted in, so the resumed preparation cancels instead of making a task
        assert session.get(ReviewSample, sample_id).status == "cancelled"


def test_runner_rebuilds_datasets_a_deletion_made_stale(sqlite_store: Store):
    from ecoute.improve import datasets as ds
    from ecoute.improve.household import Request, gold_check, reviewed_task, reviewer
    from ecoute.improve.lineage import mark_tasks_removed
    from ecoute.store.accounts import create_household, create_owner

    store = sqlite_store
    with store.vault_session() as (session, vault):
        owner = create_owner(session, vault, store.settings, create_household(session, "h"), display_name="o")
        ana = reviewer(session, vault.keys, "ana@review.test")
        gold_check(session, ana, correct=5)
        tasks = [reviewed_task(session, vault, owner_id=owner.id, reviewers=[ana],
                               request=Request("en", f"pop {item} on the list", "HassShoppingListAddItem",
                                               {"shopping_list_item": item}))
                 for item in ("milk", "tea")]
        first_id = ds.build_dataset(session, "shop").id
        mark_tasks_removed(session, [tasks[0].id])
    runner = InlineJobRunner(store, sweep_interval_s=3600)  # periodic stages also run once at start
    runner.start()
    try:
        assert runner.wait_idle(60)
    finally:
        runner.stop()
    assert runner.completed.get("rebuild_stale_datasets") == 1 and not runner.failures
    with store.session() as session:
        newest = ds.latest(session, "shop")
        assert newest.version == 2 and newest.item_count == 1 and newest.parent_id == first_id

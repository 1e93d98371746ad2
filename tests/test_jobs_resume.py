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

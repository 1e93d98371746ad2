"""The hook registry: how deletion and erasure (privacy) reach review and datasets (higher layers).

What must hold: a required hook that nobody wired fails loudly (a purge is never skipped
silently), and the handlers write in the caller's transaction (deletion and purge commit
or roll back together).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from test_rights_support import make_dataset_item, make_owner, make_task, make_turn, staff, task_key_of

from ecoute.hooks import Hook, HookNotWired, declared
from ecoute.improve import lineage
from ecoute.privacy import hooks as privacy_hooks
from ecoute.privacy.deletion import delete_turns
from ecoute.privacy.erasure import request_erasure, run_erasure
from ecoute.review import purge
from ecoute.services.wiring import wire_hooks
from ecoute.store.schema.datasets import DatasetItem, DatasetVersion
from ecoute.store.schema.owner import ReviewLink, Turn
from ecoute.store.schema.review import ReviewTask
from ecoute.store.store import Store
from ecoute.store.vault import Actor


@pytest.fixture
def unwired() -> Iterator[None]:
    """Start-up forgot ``wire_hooks``: every privacy hook has no handler (restored afterwards)."""
    saved = {h: h.handlers for h in (privacy_hooks.turns_deleted, privacy_hooks.owner_erased,
                                     privacy_hooks.review_tasks_gone)}
    for hook, handlers in saved.items():
        for handler in handlers:
            hook.unregister(handler)
    try:
        yield
    finally:
        wire_hooks()


def test_a_required_hook_without_handler_raises_and_an_optional_one_does_nothing() -> None:
    required: Hook[int, int] = Hook("test_required", required=True, doc="a promise")
    optional: Hook[int, int] = Hook("test_optional", required=False, doc="a nicety")
    with pytest.raises(HookNotWired, match="test_required.*wire_hooks"):
        required.fire(1)
    assert optional.fire(1) == []
    required.register(lambda n: n + 1)
    required.register(lambda n: n * 10)
    assert required.fire(2) == [3, 20]  # every handler, in registration order
    with pytest.raises(ValueError, match="declared twice"):
        Hook("test_required", required=True, doc="again")


def test_wiring_registers_each_handler_once_however_often_it_runs() -> None:
    wire_hooks()
    wire_hooks()
    assert privacy_hooks.turns_deleted.handlers == (purge.on_turns_deleted,)
    assert privacy_hooks.owner_erased.handlers == (purge.on_owner_erased,)
    assert privacy_hooks.review_tasks_gone.handlers == (lineage.on_review_tasks_gone,)
    assert {"turns_deleted", "owner_erased", "review_tasks_gone"} <= set(declared())
    assert all(declared()[n].required for n in ("turns_deleted", "owner_erased", "review_tasks_gone"))


def test_deletion_with_unwired_hooks_fails_and_deletes_nothing(store: Store, unwired: None) -> None:
    ana = make_owner(store)
    turn = make_turn(store, ana)
    task = make_task(store, ana, turn, staff(store))
    with pytest.raises(HookNotWired, match="turns_deleted"), store.vault_session() as (session, vault):
        delete_turns(session, vault, owner_id=ana, turn_ids=[turn], actor=Actor.owner(ana))
    with store.session() as session:
        assert session.get(Turn, turn) is not None and session.get(ReviewTask, task) is not None
    assert store.blobs.exists(f"owners/{ana}/audio/{turn}")


def test_erasure_with_unwired_hooks_fails_and_keeps_the_review_step_pending(sqlite_store: Store,
                                                                            unwired: None) -> None:
    store = sqlite_store
    ana = make_owner(store)
    task = make_task(store, ana, make_turn(store, ana), staff(store))
    request_id = request_erasure(store, ana, actor=Actor.owner(ana))
    with pytest.raises(HookNotWired, match="owner_erased"):
        run_erasure(store, request_id)
    with store.session() as session:
        assert session.get(ReviewTask, task) is not None  # not skipped: still to do
    wire_hooks()
    run_erasure(store, request_id)  # resumes where it stopped, now with the handlers
    with store.session() as session:
        assert session.get(ReviewTask, task) is None


def test_handlers_write_in_the_deleting_transaction(store: Store) -> None:
    ana = make_owner(store)
    turn = make_turn(store, ana)
    task = make_task(store, ana, turn, staff(store))
    version_id, _ = make_dataset_item(store, task, task_key_of(store, ana, task))
    seen: list[object] = []

    def after_lineage(event: privacy_hooks.ReviewTasksGone) -> int:
        seen.append(event.session)
        raise RuntimeError("a later step of the same deletion fails")

    privacy_hooks.review_tasks_gone.register(after_lineage)
    try:
        with pytest.raises(RuntimeError), store.vault_session() as (session, vault):
            delete_turns(session, vault, owner_id=ana, turn_ids=[turn], actor=Actor.owner(ana))
    finally:
        privacy_hooks.review_tasks_gone.unregister(after_lineage)
    assert seen == [session]  # the handler was given the deleting session itself
    with store.session() as check:  # …so the review purge and the dataset marking rolled back with it
        assert check.get(Turn, turn) is not None
        assert check.get(ReviewTask, task) is not None and check.get(ReviewLink, task) is not None
        assert not check.get(DatasetVersion, version_id).stale
        assert not any(i.removed for i in check.execute(select(DatasetItem)).scalars())
    with store.vault_session() as (session, vault):  # the same deletion, committed: all of it goes
        report = delete_turns(session, vault, owner_id=ana, turn_ids=[turn], actor=Actor.owner(ana))
        assert report.task_ids == [task] and report.datasets_marked == 1
    with store.session() as check:
        assert check.get(Turn, turn) is None and check.get(ReviewTask, task) is None
        assert check.get(DatasetVersion, version_id).stale

"""The optional scikit-learn fallback for near-misses, and its refusal of stale training data."""

from __future__ import annotations

from ecoute.improve import datasets as ds
from ecoute.improve import fallback as fb
from ecoute.improve.datasets import Example
from ecoute.improve.evaluate import assistant_recognizer
from ecoute.improve.household import Request, gold_check, reviewed_task, reviewer
from ecoute.store.accounts import create_household, create_owner

TRAIN = [
    ("have you got the time", "HassGetCurrentTime", {}), ("how late is it", "HassGetCurrentTime", {}),
    ("got the time on you", "HassGetCurrentTime", {}), ("what's left to buy", "HassShoppingListGetItems", {}),
    ("what do we still need to buy", "HassShoppingListGetItems", {}), ("tell me a joke", "EcouteTellJoke", {}),
    ("make me laugh", "EcouteTellJoke", {}), ("say something funny", "EcouteTellJoke", {}),
    ("pop milk on the list", "HassShoppingListAddItem", {"shopping_list_item": "milk"}),
    ("pop eggs on the list", "HassShoppingListAddItem", {"shopping_list_item": "eggs"}),
]


def _examples() -> list[Example]:
    return [Example(f"t{i}", "en", intent, text, None, slots) for i, (text, intent, slots) in enumerate(TRAIN)]


def test_near_misses_of_slotless_intents_only(settings):
    model = fb.train(_examples(), "en")
    assert model is not None and "HassShoppingListAddItem" not in model.intents  # takes a slot
    assert model.predict("have you the time")[0] == "HassGetCurrentTime"
    assert model.predict("tell me a jokes")[0] == "EcouteTellJoke"
    recognise = fb.with_fallback(assistant_recognizer(settings), {"en": model})
    assert recognise("have you the time", "en") == ("HassGetCurrentTime", {})
    assert recognise("pop tea on the list", "en") == (None, {})  # never guesses an intent needing slots
    assert recognise("set a timer for 5 minutes", "en") == ("HassStartTimer", {"timer_minutes": 5})  # templates first
    assert fb.train(_examples()[:2], "en") is None  # one intent: nothing to tell apart


def test_a_model_from_a_stale_dataset_is_not_used(sqlite_store, settings):
    from ecoute.improve.lineage import mark_tasks_removed

    with sqlite_store.vault_session() as (session, vault):
        owner = create_owner(session, vault, settings, create_household(session, "h"), display_name="o")
        staff = reviewer(session, vault.keys, "ana@review.test")
        gold_check(session, staff)
        tasks = [reviewed_task(session, vault, owner_id=owner.id, request=Request("en", t, i, s), reviewers=[staff])
                 for t, i, s in TRAIN]
        version = ds.build_dataset(session, "main")
        model = fb.train(ds.load_examples(session, vault, version), "en", dataset_version_id=version.id)
        fb.save(settings, model)
        assert fb.load(session, settings, "en") is not None
        mark_tasks_removed(session, [tasks[0].id])
        assert fb.load(session, settings, "en") is None

"""Template proposals: from reviewed misses to sentence files the assistant really loads."""

from __future__ import annotations

import pytest
import yaml

from ecoute.assistant.context import TurnContext
from ecoute.assistant.intents import recognize
from ecoute.assistant.skills import answer
from ecoute.improve import datasets as ds
from ecoute.improve import proposals as props
from ecoute.improve.household import Request, gold_check, reviewed_task, reviewer
from ecoute.store.accounts import create_household, create_owner


@pytest.fixture
def loop_settings(settings, tmp_path):
    return settings.replace(extra_sentences_dir=str(tmp_path / "extra"))


def _reviewed(store, settings, requests: list[Request]):
    with store.vault_session() as (session, vault):
        owner = create_owner(session, vault, settings, create_household(session, "h"), display_name="o")
        staff = reviewer(session, vault.keys, "ana@review.test")
        gold_check(session, staff)
        for r in requests:
            reviewed_task(session, vault, owner_id=owner.id, request=r, reviewers=[staff])
        version = ds.build_dataset(session, "main")
        return ds.load_examples(session, vault, version)


def _add(text: str, item: str) -> Request:
    return Request("en", text, "HassShoppingListAddItem", {"shopping_list_item": item})


def test_templatize_replaces_slot_values():
    assert props.templatize("Pop milk on the list.", {"shopping_list_item": "milk"}, "en") == \
        "pop {shopping_list_item} on the list"
    assert props.templatize("count down five minutes", {"timer_minutes": 5}, "en") == \
        "count down {timer_minutes} minutes"
    assert props.templatize("milk", {"shopping_list_item": "milk"}, "en") is None  # slots only
    assert props.templatize("pop milk on it", {"shopping_list_item": "tea"}, "en") is None  # value absent


def test_accepted_template_changes_the_assistants_answer(sqlite_store, loop_settings):
    settings = loop_settings
    examples = _reviewed(sqlite_store, settings, [
        _add("pop milk on the list", "milk"), _add("pop eggs on the list", "eggs"),
        _add("we are out of rice", "rice"),  # one task only: below the support needed
        _add("add tea to my shopping list", "tea"),  # already handled: no proposal
    ])
    extra = settings.store.extra_sentences_dir
    assert recognize("pop bread on the list", "en", extra_dir=extra) is None
    before = answer(recognize("pop bread on the list", "en", extra_dir=extra), TurnContext(), "en")
    assert before.handled is False

    with sqlite_store.session() as session:
        made = props.propose(session, settings, examples)
        assert [(p.intent, p.template, p.support) for p in made] == [
            ("HassShoppingListAddItem", "pop {shopping_list_item} on the list", 2)]
        assert made[0].new_intent is False
        pid = made[0].id
    with sqlite_store.session() as session:
        props.decide(session, settings, pid, accept=True, staff_id="lead-1")

    written = yaml.safe_load((props.extra_dir(settings) / "en" / props.ACCEPTED_FILE).read_text())
    assert written["intents"]["HassShoppingListAddItem"]["data"][0]["sentences"] == [
        "pop {shopping_list_item} on the list"]
    match = recognize("pop bread on the list", "en", extra_dir=extra)
    assert match is not None and match.intent == "HassShoppingListAddItem"
    assert match.slots == {"shopping_list_item": "bread"}
    after = answer(match, TurnContext(), "en")
    assert after.handled is True and "bread" in after.text.lower()
    # a decided proposal cannot be decided again
    from ecoute.errors import BadInput

    with sqlite_store.session() as session, pytest.raises(BadInput):
        props.decide(session, settings, pid, accept=False, staff_id="lead-1")


def test_new_intent_is_proposed_and_defined_in_its_own_file(sqlite_store, loop_settings):
    settings = loop_settings
    joke = [Request("en", "tell me a joke", "EcouteTellJoke", {}) for _ in range(2)]
    examples = _reviewed(sqlite_store, settings, joke)
    with sqlite_store.session() as session:
        made = props.propose(session, settings, examples)
        assert [(p.intent, p.template, p.new_intent) for p in made] == [("EcouteTellJoke", "tell me a joke", True)]
        props.decide(session, settings, made[0].id, accept=True, staff_id="lead-1")
    match = recognize("tell me a joke", "en", extra_dir=settings.store.extra_sentences_dir)
    assert match is not None and match.intent == "EcouteTellJoke"


def test_rejected_or_unsupported_proposals_are_not_written(sqlite_store, loop_settings):
    settings = loop_settings
    examples = _reviewed(sqlite_store, settings, [_add("pop milk on the list", "milk"),
                                                  _add("pop eggs on the list", "eggs")])
    with sqlite_store.session() as session:
        made = props.propose(session, settings, examples)
        props.decide(session, settings, made[0].id, accept=False, staff_id="lead-1")
        assert props.propose(session, settings, examples) == []  # a rejected template is not proposed again
    assert recognize("pop bread on the list", "en", extra_dir=settings.store.extra_sentences_dir) is None


def test_removed_support_withdraws_a_pending_proposal(sqlite_store, loop_settings):
    from ecoute.improve.lineage import mark_tasks_removed

    examples = _reviewed(sqlite_store, loop_settings, [_add("pop milk on the list", "milk"),
                                                       _add("pop eggs on the list", "eggs")])
    with sqlite_store.session() as session:
        (made,) = props.propose(session, loop_settings, examples)
        mark_tasks_removed(session, [examples[0].task_id])
        assert made.status == "withdrawn" and made.support == 1
        assert props.pending(session) == []

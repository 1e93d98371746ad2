"""Domain vocabulary from reviewed corrections, slot values and shared device names."""

from __future__ import annotations

from ecoute.improve import vocabulary as voc
from ecoute.improve.datasets import Example
from ecoute.improve.household import Request, gold_check, neighbours, reviewed_task, reviewer
from ecoute.store.accounts import create_household
from ecoute.store.schema.base import new_id
from ecoute.store.schema.owner import Device


def _ex(said: str, heard: str, item: str | None = None, task_id: str | None = None) -> Example:
    return Example(task_id or new_id(), "en", "HassShoppingListAddItem", said, heard,
                   {"shopping_list_item": item} if item else {})


def _linked(store, examples: list[Example], owner_of) -> list[Example]:
    """Give example i a reviewed task of owner ``owner_of(i)`` (distinct people for the k-owner rule)."""
    with store.vault_session() as (session, vault):
        owners = neighbours(session, vault, store.settings, 1 + max(owner_of(i) for i in range(len(examples))))
        staff = reviewer(session, "ana@review.test")
        gold_check(session, staff)
        out = []
        for i, ex in enumerate(examples):
            task = reviewed_task(session, vault, owner_id=owners[owner_of(i)], reviewers=[staff],
                                 request=Request("en", ex.transcript, ex.intent or "", ex.slots))
            out.append(_ex(ex.transcript, ex.asr_transcript or "", ex.slots.get("shopping_list_item"), task.id))
        return out


def test_corrected_words_are_what_the_asr_missed():
    assert voc.corrected_words("add keen wa to my list", "add quinoa to my list") == ["quinoa"]
    assert voc.corrected_words("add to my list", "add tahini to my list") == ["tahini"]
    assert voc.corrected_words("what time is it", "What time is it?") == []


def test_vocabulary_keeps_repeated_evidence_only(sqlite_store):
    # quinoa and tahini from five owners each (k = 5); gnocchi from one owner, ten times: not enough
    examples = _linked(sqlite_store, [
        *(_ex("add quinoa to my list", ("add keen wa to my list", "add quinoa to my list")[i % 2], "quinoa")
          for i in range(5)),
        *(_ex("add tahini to my list", ("add tahiti to my list", "add to hini to my list")[i % 2], "tahini")
          for i in range(5)),
        *(_ex("add gnocchi to my list", "add nookie to my list", "gnocchi") for _ in range(10))],
        owner_of=lambda i: i % 5 if i < 10 else 5)
    with sqlite_store.session() as session:
        vocab = voc.build_vocabulary(session, examples, "en", min_owners=5, device_names=["kitchen"])
    assert vocab.words == ["quinoa", "tahini", "kitchen"]
    assert vocab.hotwords == "quinoa tahini kitchen"
    assert vocab.initial_prompt == "quinoa, tahini, kitchen."


def test_only_device_names_shared_by_several_households(sqlite_store):
    with sqlite_store.session() as session:
        for i in range(3):
            house = create_household(session, f"h{i}")
            session.add(Device(id=new_id(), household_id=house.id, name="Kitchen"))
        session.add(Device(id=new_id(), household_id=house.id, name="Grandma Lucy's room"))
        session.flush()
        assert voc.shared_device_names(session) == ["kitchen"]

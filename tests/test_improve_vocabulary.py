"""Domain vocabulary from reviewed corrections, slot values and shared device names."""

from __future__ import annotations

from ecoute.improve import vocabulary as voc
from ecoute.improve.datasets import Example
from ecoute.store.accounts import create_household
from ecoute.store.schema.base import new_id
from ecoute.store.schema.owner import Device


def _ex(said: str, heard: str, item: str | None = None) -> Example:
    return Example(new_id(), "en", "HassShoppingListAddItem", said, heard,
                   {"shopping_list_item": item} if item else {})


def test_corrected_words_are_what_the_asr_missed():
    assert voc.corrected_words("add keen wa to my list", "add quinoa to my list") == ["quinoa"]
    assert voc.corrected_words("add to my list", "add tahini to my list") == ["tahini"]
    assert voc.corrected_words("what time is it", "What time is it?") == []


def test_vocabulary_keeps_repeated_evidence_only():
    examples = [_ex("add quinoa to my list", "add keen wa to my list", "quinoa"),
                _ex("add quinoa to my list", "add quinoa to my list", "quinoa"),
                _ex("add tahini to my list", "add tahiti to my list", "tahini"),
                _ex("add tahini to my list", "add to hini to my list", "tahini"),
                _ex("add gnocchi to my list", "add nookie to my list", "gnocchi")]  # once: not enough
    vocab = voc.build_vocabulary(examples, "en", device_names=["kitchen"])
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

"""Attacks on the learning loop's k-anonymity: what it learns needs k distinct owners.

One person repeating themselves, a template or word carrying a phone number or a name, a
k set below the floor, a row edited to smuggle personal data past the scan, and the
withdrawal that must follow an erasure or a deletion all the way into the sentence file the
assistant loads and the vocabulary file the ASR reads.
"""

from __future__ import annotations

import json

import pytest
import yaml
from sqlalchemy import select
from test_review_support import add_owner, add_turn

from ecoute.assistant.intents import recognize
from ecoute.config import ConfigError
from ecoute.errors import BadInput
from ecoute.improve import anonymity
from ecoute.improve import datasets as ds
from ecoute.improve import proposals as props
from ecoute.improve import vocabulary as voc
from ecoute.improve.household import Request, gold_check, neighbours, reviewed_task, reviewer
from ecoute.privacy.deletion import delete_turns
from ecoute.privacy.erasure import erase_owner
from ecoute.store.schema.datasets import TemplateProposal
from ecoute.store.vault import Actor

ITEMS = ("milk", "eggs", "bread", "rice", "cheese", "butter", "apples", "coffee", "honey", "tea")


def _pop(item: str) -> Request:
    return Request("en", f"pop {item} on the list", "HassShoppingListAddItem", {"shopping_list_item": item})


def _reviewed(store, requests: list[Request], owner_of, *, owners: list[str] | None = None,
              turns: list[str] | None = None) -> tuple[list[str], list[ds.Example]]:
    """Reviewed tasks: request i from owner ``owner_of(i)``; returns (owner ids, train+test examples)."""
    with store.vault_session() as (session, vault):
        owners = owners or neighbours(session, vault, store.settings,
                                      1 + max(owner_of(i) for i in range(len(requests))))
        staff = reviewer(session, f"r{len(requests)}@review.test")
        gold_check(session, staff)
        for i, r in enumerate(requests):
            reviewed_task(session, vault, owner_id=owners[owner_of(i)], request=r, reviewers=[staff],
                          turn_id=turns[i] if turns else None)
        version = ds.build_dataset(session, "main")
        return owners, ds.load_examples(session, vault, version)


def _accepted_yaml(settings) -> dict:
    path = props.extra_dir(settings) / "en" / props.ACCEPTED_FILE
    return yaml.safe_load(path.read_text()) if path.exists() else {}


# -- one person is never k people ---------------------------------------------------------------


def test_one_owner_with_ten_supporting_tasks_never_reaches_k(sqlite_store):
    settings = sqlite_store.settings
    _, examples = _reviewed(sqlite_store, [_pop(i) for i in ITEMS], owner_of=lambda i: 0)
    with sqlite_store.session() as session:
        assert anonymity.support_owners(session, [ex.task_id for ex in examples]) == 1
        assert props.propose(session, settings, examples) == []
        assert props.propose(session, settings, examples, min_owners=3) == []  # not even at the floor
        vocab = voc.build_vocabulary(session, examples, "en", min_owners=3)
        assert vocab.words == []  # ten requests, one person: no slot value is learnt either


def test_four_owners_are_not_five_but_five_are(sqlite_store):
    settings = sqlite_store.settings
    # ten tasks from four owners: more tasks than k, fewer people
    _, examples = _reviewed(sqlite_store, [_pop(i) for i in ITEMS], owner_of=lambda i: i % 4)
    with sqlite_store.session() as session:
        assert props.propose(session, settings, examples) == []
    # one request of a fifth person (the new dataset version holds all eleven tasks)
    _, more = _reviewed(sqlite_store, [_pop("tea")], owner_of=lambda i: 0)
    with sqlite_store.session() as session:
        (made,) = props.propose(session, settings, more)
        assert made.support == 5 and made.template == "pop {shopping_list_item} on the list"


def test_counting_owners_leaves_no_owner_in_the_review_zone(sqlite_store):
    settings = sqlite_store.settings
    quinoa = [Request("en", "add quinoa to my shopping list", "HassShoppingListAddItem",
                      {"shopping_list_item": "quinoa"})
              for _ in range(5)]
    owners, examples = _reviewed(sqlite_store, [_pop(i) for i in ITEMS[:5]] + quinoa, owner_of=lambda i: i % 5)
    with sqlite_store.session() as session:
        (made,) = props.propose(session, settings, examples)
        row = {c.name: getattr(made, c.name) for c in TemplateProposal.__table__.columns}
        vocab = voc.build_vocabulary(session, examples, "en", min_owners=5)
        path = voc.save(settings, vocab)
    assert "quinoa" in vocab.words and vocab.owners["quinoa"] == 5
    stored = json.dumps(row, default=str) + path.read_text()
    assert not [o for o in owners if o in stored]  # only counts: no owner id in the proposal or the file


# -- personal data is never learnt, whatever the support ----------------------------------------


@pytest.mark.parametrize("text", ["ring ann about the announcement", "remind me to call 0612345678"])
def test_a_template_carrying_a_name_or_a_phone_number_is_never_proposed(sqlite_store, text):
    settings = sqlite_store.settings
    said = [Request("en", text, "EcouteRemind", {}) for _ in range(10)]
    control = [Request("en", "ring the plumber about the boiler", "EcouteRemind", {}) for _ in range(6)]
    # from one owner ten times (below k), then from six owners: the PII scan still drops it
    _, alone = _reviewed(sqlite_store, said, owner_of=lambda i: 0)
    with sqlite_store.session() as session:
        assert props.propose(session, settings, alone) == []
    _, many = _reviewed(sqlite_store, said[:6] + control, owner_of=lambda i: i % 6)
    with sqlite_store.session() as session:
        made = props.propose(session, settings, many)
        assert [p.template for p in made] == ["ring the plumber about the boiler"]  # the scan is what stopped it
        assert not anonymity.free_of_personal_data(props.templatize(text, {}, "en"), "en")


def test_a_slot_value_naming_a_person_never_enters_the_vocabulary(sqlite_store):
    name = [Request("en", "add sarah to my list", "HassShoppingListAddItem", {"shopping_list_item": "sarah"})
            for _ in range(6)]
    quinoa = [Request("en", "add quinoa to my shopping list", "HassShoppingListAddItem",
                      {"shopping_list_item": "quinoa"})
              for _ in range(6)]
    _, examples = _reviewed(sqlite_store, name + quinoa, owner_of=lambda i: i % 6)
    with sqlite_store.session() as session:
        vocab = voc.build_vocabulary(session, examples, "en", min_owners=5,
                                     device_names=["kitchen", "grandma lucy's room"])
    assert vocab.words == ["quinoa", "kitchen"]


def test_acceptance_rescans_and_recounts_a_row_edited_in_the_database(sqlite_store):
    settings = sqlite_store.settings
    _, examples = _reviewed(sqlite_store, [_pop(i) for i in ITEMS[:5]], owner_of=lambda i: i)
    with sqlite_store.session() as session:
        (made,) = props.propose(session, settings, examples)
        pid = made.id
        made.template = "pop {shopping_list_item} on the list for 0612345678"  # someone with SQL access
    with sqlite_store.session() as session, pytest.raises(BadInput, match="personal data"):
        props.decide(session, settings, pid, accept=True, staff_id="lead")
    with sqlite_store.session() as session:
        made = session.get(TemplateProposal, pid)
        made.template = "pop {shopping_list_item} on the list"
        made.support, made.support_tasks = 9, made.support_tasks[:2]  # a count raised, the support cut
    with sqlite_store.session() as session, pytest.raises(BadInput, match="2 distinct owner"):
        props.decide(session, settings, pid, accept=True, staff_id="lead")
    assert _accepted_yaml(settings) == {}


def test_k_below_the_floor_is_refused_by_the_api(sqlite_store):
    settings = sqlite_store.settings
    with sqlite_store.session() as session:
        for k in (0, 1, 2):
            with pytest.raises(BadInput, match="at least 3"):
                props.propose(session, settings, [], min_owners=k)
            with pytest.raises(BadInput, match="at least 3"):
                voc.build_vocabulary(session, [], "en", min_owners=k)
    with pytest.raises(ConfigError, match="improve_min_owners=1: must be at least 3"):
        settings.replace(improve_min_owners=1)  # the setting itself is refused when it is read


# -- withdrawal: erasure and deletion reach the files -------------------------------------------


def test_erasing_one_of_five_owners_withdraws_the_accepted_template_everywhere(sqlite_store):
    settings = sqlite_store.settings
    quinoa = [Request("en", "add quinoa to my shopping list", "HassShoppingListAddItem",
                      {"shopping_list_item": "quinoa"})
              for _ in range(5)]
    owners, examples = _reviewed(sqlite_store, [_pop(i) for i in ITEMS[:5]] + quinoa, owner_of=lambda i: i % 5)
    with sqlite_store.session() as session:
        (made,) = props.propose(session, settings, examples)
        props.decide(session, settings, made.id, accept=True, staff_id="lead")
        pid = made.id
        voc.save(settings, voc.build_vocabulary(session, examples, "en", min_owners=5))
    extra = props.extra_dir(settings)
    sentences = _accepted_yaml(settings)["intents"]["HassShoppingListAddItem"]["data"][0]["sentences"]
    assert sentences == ["pop {shopping_list_item} on the list"]
    assert recognize("pop tomatoes on the list", "en", extra_dir=extra).intent == "HassShoppingListAddItem"
    assert "quinoa" in voc.read(settings, "en").words

    erase_owner(sqlite_store, owners[2], actor=Actor.owner(owners[2]))

    with sqlite_store.session() as session:
        gone = session.get(TemplateProposal, pid)
        assert (gone.status, gone.support) == ("withdrawn", 4)
    assert _accepted_yaml(settings).get("intents") == {}
    assert recognize("pop tomatoes on the list", "en", extra_dir=extra) is None
    vocab = voc.read(settings, "en")
    assert "quinoa" not in vocab.words and "quinoa" not in vocab.support and vocab.withdrawn == 1


def test_deleting_a_recording_withdraws_only_what_falls_below_k(sqlite_store):
    settings = sqlite_store.settings
    people = [add_owner(sqlite_store, name=f"P{i}", email=f"p{i}@example.org") for i in range(6)]
    owner_ids = [owner for owner, _ in people]
    # "pop X on the list": one request from each of five owners (exactly k);
    # "we are out of X": one from each of six owners (k + 1)
    requests = [_pop(i) for i in ITEMS[:5]] + [
        Request("en", f"we are out of {i}", "HassShoppingListAddItem", {"shopping_list_item": i}) for i in ITEMS[:6]]
    who = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5]
    turns = [add_turn(sqlite_store, owner_ids[w], people[w][1], text=r.text) for w, r in zip(who, requests, strict=True)]
    _, examples = _reviewed(sqlite_store, requests, owner_of=lambda i: who[i], owners=owner_ids, turns=turns)
    with sqlite_store.session() as session:
        made = {p.template: p.id for p in props.propose(session, settings, examples)}
        for pid in made.values():
            props.decide(session, settings, pid, accept=True, staff_id="lead")
    assert set(made) == {"pop {shopping_list_item} on the list", "we are out of {shopping_list_item}"}

    with sqlite_store.vault_session() as (session, vault):  # owner 0 deletes their "pop" recording only
        delete_turns(session, vault, owner_id=owner_ids[0], turn_ids=[turns[0]], actor=Actor.owner(owner_ids[0]))

    with sqlite_store.session() as session:
        status = {p.template: (p.status, p.support)
                  for p in session.execute(select(TemplateProposal)).scalars()}
    assert status == {"pop {shopping_list_item} on the list": ("withdrawn", 4),
                      "we are out of {shopping_list_item}": ("accepted", 6)}
    assert _accepted_yaml(settings)["intents"]["HassShoppingListAddItem"]["data"][0]["sentences"] == [
        "we are out of {shopping_list_item}"]
    extra = props.extra_dir(settings)
    assert recognize("pop tomatoes on the list", "en", extra_dir=extra) is None
    assert recognize("we are out of tomatoes", "en", extra_dir=extra).intent == "HassShoppingListAddItem"


# -- the command line ---------------------------------------------------------------------------


def _exit_code(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    from ecoute.cli import main

    monkeypatch.setenv("COLUMNS", "300")  # one line per message
    monkeypatch.setattr("sys.argv", ["ecoute", *args])
    with pytest.raises(SystemExit) as ended:
        main()
    return ended.value.code, capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--min-support", "--min-owners"])
@pytest.mark.parametrize("command", ["propose", "round"])
def test_the_cli_refuses_k_below_3(tmp_path, monkeypatch, capsys, command, flag):
    for k in ("1", "2"):
        code, err = _exit_code(monkeypatch, capsys, "improve", command, flag, k, "--data-dir", str(tmp_path))
        assert code == 2 and "below 3" in err and "Traceback" not in err


def test_the_cli_refuses_a_k_setting_below_3(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ECOUTE_IMPROVE_MIN_OWNERS", "2")
    for args in (("propose",), ("round",), ("vocabulary", "-l", "en")):
        code, err = _exit_code(monkeypatch, capsys, "improve", *args, "--data-dir", str(tmp_path))
        assert code == 2 and "ECOUTE_IMPROVE_MIN_OWNERS" in err

"""Quality control arithmetic against hand-computed examples, and gold/double review end to end."""

from __future__ import annotations

import random

import pytest
from test_review_support import add_owner, add_staff, add_task, add_turn, tone

from ecoute.review import annotate, quality
from ecoute.review.assignment import next_task
from ecoute.review.tasks import create_gold_task
from ecoute.store.schema.review import Staff
from ecoute.store.schema.review_qc import ReviewAgreement
from ecoute.store.store import Store


def test_wer_by_hand():
    # reference 5 words, hypothesis drops "kitchen": 1 deletion / 5 = 0.2
    assert quality.wer("turn on the kitchen light", "turn on the light") == pytest.approx(0.2)
    # 1 substitution + 1 insertion over 4 reference words = 0.5
    assert quality.wer("set a timer please", "set the timer please now") == pytest.approx(0.5)
    # style is not disagreement
    assert quality.wer("Turn on the light.", "turn on the light") == 0.0
    assert quality.wer("", "") == 0.0 and quality.wer("", "hello") == 1.0


def test_cohens_kappa_by_hand():
    # 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    # p_o = 35/50 = 0.7; p_e = (25/50)(30/50) + (25/50)(20/50) = 0.3 + 0.2 = 0.5; kappa = 0.2/0.5 = 0.4
    assert quality.intent_agreement(a, b) == pytest.approx(0.7)
    assert quality.cohens_kappa(a, b) == pytest.approx(0.4)
    # three labels: agreement 4/6; p_e = (2·2 + 2·1 + 2·3)/36 = 12/36; kappa = (4/6 − 1/3)/(2/3) = 0.5
    x = ["A", "A", "B", "B", "C", "C"]
    y = ["A", "B", "B", "C", "C", "C"]
    assert quality.cohens_kappa(x, y) == pytest.approx(0.5)
    assert quality.cohens_kappa(["A", "A"], ["A", "A"]) == 1.0
    with pytest.raises(ValueError):
        quality.cohens_kappa(["A"], ["A", "B"])


def test_gold_answers_and_automatic_pause(sqlite_store: Store):
    store = sqlite_store
    store.settings = store.settings.replace(
        review_gold_rate=1.0, review_gold_min_items=3, review_gold_pause_below=0.7
    )
    with store.session() as session:
        for _i in range(4):
            create_gold_task(
                session,
                store.blobs,
                audio=tone(),
                language="en",
                transcript="turn on the light",
                intent="HassTurnOn",
                draft="turn on the lights",
            )
    rev = add_staff(store, "r@review.example")
    results = []
    for answer in ("HassTurnOn", "HassTurnOff", "HassTurnOff"):
        with store.vault_session() as (session, vault):
            staff = session.get(Staff, rev)
            task = next_task(session, vault, store.settings, staff, rng=random.Random(3))
            assert task.is_gold
            out = annotate.label(
                session, vault, store.settings, staff, task.id, transcript="turn on the light", intent=answer
            )
            results.append((out.gold_correct, out.paused))
    # 1 right of 3 = 33% < 70% after the third gold item: paused
    assert results == [(True, False), (False, False), (False, True)]
    with store.session() as session:
        staff = session.get(Staff, rev)
        assert staff.paused and "33%" in staff.paused_reason
        assert quality.gold_accuracy(session, rev, 20) == (pytest.approx(1 / 3), 3)


def test_double_review_agreement_row_and_pair_kappa(sqlite_store: Store):
    store = sqlite_store
    store.settings = store.settings.replace(review_gold_rate=0.0)
    reviewers = [add_staff(store, f"r{i}@review.example") for i in range(2)]
    answers = [  # (reviewer 0, reviewer 1) per task
        (("turn on the kitchen light", "HassTurnOn"), ("turn on the light", "HassTurnOn")),
        (("set a timer please", "HassStartTimer"), ("set the timer please now", "HassStartTimer")),
        (("add milk", "HassShoppingListAddItem"), ("add milk", "HassTurnOn")),
    ]
    for i, _ in enumerate(answers):
        owner, dev = add_owner(store, name=f"o{i}")
        add_task(store, owner, add_turn(store, owner, dev), double=True)
    for r_index, rev in enumerate(reviewers):
        for _ in answers:
            with store.vault_session() as (session, vault):
                staff = session.get(Staff, rev)
                task = next_task(session, vault, store.settings, staff, rng=random.Random(0))
                k = sorted_tasks(store).index(task.id)
                text, intent = answers[k][r_index]
                annotate.label(session, vault, store.settings, staff, task.id, transcript=text, intent=intent)
    with store.session() as session:
        rows = session.query(ReviewAgreement).all()
        assert sorted(round(r.wer, 3) for r in rows) == [0.0, 0.2, 0.5]
        (pair,) = quality.pair_stats(session)
        assert pair["n"] == 3 and pair["intent_agreement"] == pytest.approx(2 / 3)
        # p_o = 2/3; labels A: On, Timer, Shop; B: On, Timer, On → p_e = (1·2 + 1·1 + 1·0)/9 = 1/3
        assert pair["kappa"] == pytest.approx((2 / 3 - 1 / 3) / (1 - 1 / 3))
        assert pair["mean_wer"] == pytest.approx(0.7 / 3)
        (week,) = pair["by_week"]  # all three tasks come from one week
        assert week["n"] == 3 and week["kappa"] == pytest.approx(pair["kappa"])
        # the lead page renders the pair with its figures
        from ecoute.review import lead
        from ecoute.server.pages import templates

        html = templates.env.get_template("review/lead.html").render(
            stats=lead.stats(session, store.settings, store.keys), me=None, detail=None
        )
        assert ("r0 · r1" in html or "r1 · r0" in html) and "0.50" in html and "67%" in html


def sorted_tasks(store: Store) -> list[str]:
    """Task ids in creation order (the order of ``answers``)."""
    from sqlalchemy import select

    from ecoute.store.schema.owner import ReviewLink

    with store.session() as session:
        return list(session.execute(select(ReviewLink.task_id).order_by(ReviewLink.created_at)).scalars())

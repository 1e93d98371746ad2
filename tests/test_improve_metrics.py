"""Evaluation metrics against examples computed by hand."""

from __future__ import annotations

import pytest

from ecoute.improve import metrics as m


def test_wer_counts_substitutions_deletions_insertions_over_reference_words():
    # ref 1: "add milk to my list" (5 words), hyp drops "my" and says "silk": 1 S + 1 D
    # ref 2: "what time is it" (4 words), hyp adds "now": 1 I
    # total errors 3 over 9 reference words
    refs = ["Add milk to my list.", "what time is it"]
    hyps = ["add silk to list", "What time is it now?"]
    assert m.wer(refs, hyps) == pytest.approx(3 / 9)
    assert m.wer(["a b c"], ["a b c"]) == 0.0
    assert m.wer(["one two"], [""]) == pytest.approx(1.0)  # two deletions over two words
    with pytest.raises(ValueError):
        m.wer(["a"], [])


def test_intent_accuracy_and_unhandled_rate():
    gold = ["HassStartTimer", "HassStartTimer", "HassGetCurrentTime", "EcouteTellJoke"]
    pred = ["HassStartTimer", None, "HassGetCurrentDate", None]
    assert m.intent_accuracy(gold, pred) == pytest.approx(1 / 4)
    assert m.unhandled_rate(pred) == pytest.approx(2 / 4)
    assert m.unhandled_rate([]) == 0.0


def test_slot_f1_micro_averaged_by_hand():
    gold = [{"timer_minutes": 5}, {"shopping_list_item": "milk"}, {}]
    pred = [{"timer_minutes": 5.0}, {"shopping_list_item": "silk"}, {"shopping_list_item": "tea"}]
    # pair 1: TP (5 == 5.0); pair 2: wrong value = 1 FP + 1 FN; pair 3: 1 FP
    score = m.slot_score(gold, pred)
    assert (score.true_positives, score.false_positives, score.false_negatives) == (1, 2, 1)
    assert score.precision == pytest.approx(1 / 3)
    assert score.recall == pytest.approx(1 / 2)
    assert score.f1 == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))  # 0.4
    assert m.slot_score([{"a": 1}], [None]).f1 == 0.0


def test_false_accepts_per_hour():
    assert m.false_accepts_per_hour(3, 1.5) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        m.false_accepts_per_hour(1, 0)

"""The numbers the learning loop is judged by, as plain functions of references and hypotheses.

Kept free of the database and of models so each can be checked against examples computed
by hand (tests/test_improve_metrics.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import jiwer

_PUNCT = re.compile(r"[^\w\s']+")


def normalise_for_wer(text: str) -> str:
    """Lower case, punctuation dropped, whitespace collapsed: WER counts words, not formatting."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def wer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus word error rate: (substitutions + deletions + insertions) / reference words."""
    if len(references) != len(hypotheses):
        raise ValueError("as many hypotheses as references are needed")
    pairs = [(normalise_for_wer(r), normalise_for_wer(h)) for r, h in zip(references, hypotheses)]
    pairs = [(r, h) for r, h in pairs if r]
    if not pairs:
        return 0.0
    refs, hyps = zip(*pairs)
    out = jiwer.process_words(list(refs), list(hyps))
    errors = out.substitutions + out.deletions + out.insertions
    return errors / sum(len(r.split()) for r in refs)


def intent_accuracy(gold: Sequence[str | None], predicted: Sequence[str | None]) -> float:
    """Share of requests whose predicted intent equals the reviewers' (an unhandled one counts as wrong)."""
    if len(gold) != len(predicted):
        raise ValueError("as many predictions as gold labels are needed")
    if not gold:
        return 0.0
    return sum(1 for g, p in zip(gold, predicted) if p is not None and g == p) / len(gold)


def unhandled_rate(predicted: Sequence[str | None]) -> float:
    """Share of requests the assistant could not map to any intent."""
    return sum(1 for p in predicted if p is None) / len(predicted) if predicted else 0.0


def _slot_pairs(slots: dict) -> set[tuple[str, str]]:
    out = set()
    for name, value in (slots or {}).items():
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out.add((str(name), str(value).strip().lower()))
    return out


@dataclass(frozen=True)
class SlotScore:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def slot_score(gold: Iterable[dict], predicted: Iterable[dict | None]) -> SlotScore:
    """Micro-averaged over (slot name, value) pairs: a slot with the wrong value is one FP and one FN."""
    tp = fp = fn = 0
    for g, p in zip(gold, predicted):
        gs, ps = _slot_pairs(g), _slot_pairs(p or {})
        tp += len(gs & ps)
        fp += len(ps - gs)
        fn += len(gs - ps)
    return SlotScore(tp, fp, fn)


def false_accepts_per_hour(false_accepts: int, hours: float) -> float:
    """False activations per hour of listening (per device-hour when summed over devices)."""
    if hours <= 0:
        raise ValueError("hours of listening must be positive")
    return false_accepts / hours

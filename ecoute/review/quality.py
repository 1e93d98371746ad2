"""Quality control: gold accuracy, agreement between double reviews, Cohen's kappa, pauses.

The arithmetic is plain and tested against hand-computed examples:

- transcript agreement is the word error rate between the two reviewers' transcripts
  (jiwer, after lower-casing and stripping punctuation: reviewers differ in style, and
  "Turn on the light." vs "turn on the light" is agreement, not error);
- intent agreement is the share of double-reviewed tasks with the same intent;
- Cohen's kappa per reviewer pair corrects that share for the agreement expected by
  chance from each reviewer's own label frequencies: κ = (pₒ − pₑ) / (1 − pₑ).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import jiwer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.config import Settings
from ecoute.store.schema.review import Annotation, Staff
from ecoute.store.schema.review_qc import ReviewAgreement

#: A gold transcript counts as right at or below this WER (small slips are not failures).
GOLD_MAX_WER = 0.25

_PUNCT = re.compile(r"[^\w\s'<>-]", re.UNICODE)


def normalise(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", (text or "").lower()).split())


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of ``hypothesis`` against ``reference`` (both normalised)."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    if not hyp:
        return 1.0
    return float(jiwer.wer(ref, hyp))


def cohens_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa of two raters over the same items (labels as strings)."""
    if len(a) != len(b):
        raise ValueError("both raters must label the same items")
    n = len(a)
    if n == 0:
        raise ValueError("kappa needs at least one item")
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[label] * cb[label] for label in set(ca) | set(cb)) / (n * n)
    if expected == 1.0:  # both raters always gave the one same label: perfect, nothing to correct
        return 1.0
    return (observed - expected) / (1.0 - expected)


def intent_agreement(a: Sequence[str], b: Sequence[str]) -> float:
    if not a:
        raise ValueError("agreement needs at least one item")
    return sum(x == y for x, y in zip(a, b)) / len(a)


def gold_correct(answer: dict, transcript: str, intent: str | None) -> bool:
    same_intent = (answer.get("intent") or None) == (intent or None)
    return same_intent and wer(answer.get("transcript", ""), transcript) <= GOLD_MAX_WER


def gold_record(session: Session, reviewer_id: str, window: int) -> list[bool]:
    """The reviewer's most recent gold results, newest first."""
    rows = (
        session.execute(
            select(Annotation.gold_correct)
            .where(Annotation.reviewer_id == reviewer_id, Annotation.gold_correct.is_not(None))
            .order_by(Annotation.created_at.desc(), Annotation.id.desc())
            .limit(window)
        )
        .scalars()
        .all()
    )
    return [bool(r) for r in rows]


def gold_accuracy(session: Session, reviewer_id: str, window: int) -> tuple[float | None, int]:
    record = gold_record(session, reviewer_id, window)
    if not record:
        return None, 0
    return sum(record) / len(record), len(record)


def check_pause(session: Session, settings: Settings, staff: Staff) -> bool:
    """Pause a reviewer whose recent gold accuracy fell below the threshold; True if paused now."""
    accuracy, n = gold_accuracy(session, staff.id, settings.policy.review_gold_window)
    if accuracy is None or n < settings.policy.review_gold_min_items or staff.paused:
        return False
    if accuracy < settings.policy.review_gold_pause_below:
        staff.paused = True
        staff.paused_reason = (
            f"gold accuracy {accuracy:.0%} over the last {n} gold items is below "
            f"{settings.policy.review_gold_pause_below:.0%}; your lead will review with you"
        )
        return True
    return False


def _agreement_figures(a: str, rows: list[ReviewAgreement]) -> dict:
    ia = [r.intent_a if r.reviewer_a == a else r.intent_b for r in rows]
    ib = [r.intent_b if r.reviewer_a == a else r.intent_a for r in rows]
    return {
        "n": len(rows),
        "intent_agreement": intent_agreement(ia, ib),
        "kappa": cohens_kappa(ia, ib),
        "mean_wer": sum(r.wer for r in rows) / len(rows),
    }


def pair_stats(session: Session) -> list[dict]:
    """Per reviewer pair: tasks reviewed by both, intent agreement, kappa, mean transcript WER,
    overall and per ISO week (how the pair's agreement moves over time)."""
    pairs: dict[tuple[str, str], list[ReviewAgreement]] = defaultdict(list)
    for row in session.execute(select(ReviewAgreement)).scalars():
        a, b = sorted((row.reviewer_a, row.reviewer_b))
        pairs[(a, b)].append(row)
    out = []
    for (a, b), rows in sorted(pairs.items()):
        by_week: dict[str, list[ReviewAgreement]] = defaultdict(list)
        for row in rows:
            by_week[row.week].append(row)
        weeks = sorted(by_week)
        out.append(
            {
                "reviewer_a": a,
                "reviewer_b": b,
                **_agreement_figures(a, rows),
                "first_week": weeks[0],
                "last_week": weeks[-1],
                "by_week": [{"week": w, **_agreement_figures(a, by_week[w])} for w in weeks],
            }
        )
    return out

"""Per-device wake thresholds from the evidence the platform already keeps.

Evidence per device, from its turns of the last ``days``:
- false activations — the content-free rows left by the server's verification verdicts
  and by owners saying "that wasn't for you" — with the wake score the device reported;
- true activations — turns that were answered — with their wake scores.

The new threshold is the highest one that still accepts all but ``max_false_reject_increase``
more of the device's true activations than the current one does, and never above the
highest false score (nothing to gain there). It is stored on ``Device.wake_threshold`` and is
what the server's second check should compare the wake score with
(:func:`verify_min_score`), so one device in a noisy room stops waking on the television
without every other device becoming deaf.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.config import Settings
from ecoute.store.schema.base import utcnow
from ecoute.store.schema.datasets import WakeTuning
from ecoute.store.schema.owner import Device, FalseActivationCount, Turn

#: How much of a device's true activations a tuning may newly reject (share, 0..1).
MAX_FALSE_REJECT_INCREASE = 0.02
#: Below this many false activations there is nothing to learn from.
MIN_FALSE = 3
#: A threshold never goes above this: beyond it the wake word would stop working at all.
CEILING = 0.995
_STEP = 1e-4


def reject_rate(true_scores: Sequence[float], threshold: float) -> float:
    """Share of true activations a threshold would reject (score not above it)."""
    return sum(1 for s in true_scores if s <= threshold) / len(true_scores) if true_scores else 0.0


def accepted(scores: Sequence[float], threshold: float) -> int:
    return sum(1 for s in scores if s > threshold)


def choose_threshold(true_scores: Sequence[float], false_scores: Sequence[float], current: float, *,
                     max_false_reject_increase: float = MAX_FALSE_REJECT_INCREASE,
                     min_false: int = MIN_FALSE) -> float:
    """The tuned threshold (``current`` when the evidence does not justify a change).

    Only raises: lowering a threshold from owners' complaints would need missed wake words,
    which are never recorded (nothing is kept when the device does not wake).
    """
    if len(false_scores) < min_false:
        return current
    budget = reject_rate(true_scores, current) + max_false_reject_increase
    best = current
    for score in sorted(set(false_scores)):
        candidate = min(score + _STEP, CEILING)
        if candidate <= best:
            continue
        if true_scores and reject_rate(true_scores, candidate) > budget:
            break
        if not true_scores and candidate > current + 0.1:
            break  # no true activations seen: move cautiously
        best = candidate
    return round(best, 4)


@dataclass
class Evidence:
    true_scores: list[float]
    false_scores: list[float]
    reported: int


def device_evidence(session: Session, device_id: str, *, days: int = 30) -> Evidence:
    since = utcnow() - timedelta(days=days)
    rows = session.execute(select(Turn.false_activation, Turn.wake_score).where(
        Turn.device_id == device_id, Turn.created_at >= since, Turn.wake_score.is_not(None))).all()
    reported = sum(session.execute(select(FalseActivationCount.reported).where(
        FalseActivationCount.device_id == device_id,
        FalseActivationCount.day >= since.date().isoformat())).scalars())
    return Evidence([s for fa, s in rows if not fa], [s for fa, s in rows if fa], reported)


def verify_min_score(device: Device | None, settings: Settings, detector_threshold: float) -> float:
    """The score the server's verification should require for a turn from ``device``."""
    tuned = device.wake_threshold if device is not None and device.wake_threshold is not None else 0.0
    return max(settings.speech.wake_verify_score, detector_threshold, tuned)


@dataclass
class TuningChange:
    device_id: str
    before: float | None
    after: float
    false_scores: int
    true_scores: int
    reported: int


def tune_devices(session: Session, settings: Settings, *, detector_threshold: float, days: int = 30,
                 max_false_reject_increase: float = MAX_FALSE_REJECT_INCREASE) -> list[TuningChange]:
    """Tune every device with enough evidence; returns the changes made.

    The device keeps its threshold; the history row written for the page names no device.
    """
    changes = []
    for device in session.execute(select(Device).order_by(Device.id)).scalars():
        ev = device_evidence(session, device.id, days=days)
        current = verify_min_score(device, settings, detector_threshold)
        new = choose_threshold(ev.true_scores, ev.false_scores, current,
                               max_false_reject_increase=max_false_reject_increase)
        if new <= current:
            continue
        change = TuningChange(device.id, device.wake_threshold, new, len(ev.false_scores), len(ev.true_scores),
                              ev.reported)
        session.add(WakeTuning(day=utcnow().date().isoformat(), threshold_before=change.before,
                               threshold_after=new, false_scores=change.false_scores,
                               true_scores=change.true_scores, reported=change.reported))
        device.wake_threshold = new
        changes.append(change)
    session.flush()
    return changes

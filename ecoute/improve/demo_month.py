"""A simulated month of one household with review opted in, then one improvement round.

What is real: the store (owner keys, sealed turns, consent ledger, audit), the assistant's
recogniser and skills, review tasks sealed with task keys and linked in the owner zone, the
dataset build with lineage, the proposals, the lead's acceptance written to the sentence
files, the eval runs, the wake tuning, and an owner deleting a recording mid-way (which
marks the dataset stale and is rebuilt). What is scripted: the household's requests (phrase
banks in ``household.py``, typed, not spoken), the sampling (a fixed share of consented
turns, unhandled ones more often — the review pipeline's sampler needs real audio to
prepare), the reviewers (they type what was said) and the lead (accepts every proposal).

``ecoute demo`` calls :func:`simulate_month`; ``ecoute improve demo-month`` runs it alone.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

import numpy as np

from ecoute.audio.io import Audio, wav_bytes
from ecoute.config import Settings
from ecoute.improve import household as hh
from ecoute.improve import wake_tuning
from ecoute.improve.datasets import rebuild_stale
from ecoute.improve.evaluate import Case, false_accepts_per_device_hour
from ecoute.improve.loop import improvement_round
from ecoute.improve.proposals import recognize
from ecoute.privacy.deletion import delete_turns
from ecoute.review.consent import opt_in
from ecoute.store.accounts import create_household, create_owner
from ecoute.store.schema.base import new_id, utcnow
from ecoute.store.schema.owner import Device, Turn
from ecoute.store.store import Store
from ecoute.store.turns import TurnContent, record_false_activation, save_turn
from ecoute.store.vault import Actor

DATASET = "household-month"
REQUESTS_PER_DAY = 4
SAMPLE_HANDLED = 0.15
SAMPLE_UNHANDLED = 0.6
DOUBLE_EVERY = 8
PEOPLE = (("Camille", "fr"), ("Sam", "en"), ("Jonas", "de"))


def _silence_wav(seconds: float = 0.3) -> bytes:
    """The simulated requests are typed, not spoken: each turn keeps a short silent clip."""
    return wav_bytes(Audio(np.zeros(int(16000 * seconds), dtype=np.float32)))


def held_out_cases(languages: tuple[str, ...] = ("en", "fr", "de")) -> dict[str, list[Case]]:
    """The synthesised held-out set: every phrasing of each bank, with values the month never used."""
    return {lang: [Case(lang, r.text, r.intent, r.slots) for r in hh.held_out_set(lang)] for lang in languages}


def simulate_month(store: Store, settings: Settings, *, days: int = 30, seed: int = 0,
                   progress: Callable[[int, int], None] | None = None) -> dict:
    """Simulate ``days`` of a household, review, one improvement round; returns before/after figures."""
    rng = random.Random(seed)
    wav = _silence_wav()
    start = utcnow() - timedelta(days=days)
    with store.vault_session() as (session, vault):
        house = create_household(session, "The simulated household")
        owners = []
        for name, lang in PEOPLE:
            owner = create_owner(session, vault, settings, house, display_name=name, language=lang)
            opt_in(session, vault, owner.id, "web", language=lang)
            owners.append((owner.id, lang))
        devices = [Device(id=new_id(), household_id=house.id, name=n, created_at=start)
                   for n in ("kitchen", "living room")]
        session.add_all(devices)
        session.flush()
        device_ids = [d.id for d in devices]
        team = [hh.reviewer(session, vault.keys, f"scripted-{i}-{new_id()[:6]}@review.invalid") for i in range(2)]
        for staff in team:
            hh.gold_check(session, staff, correct=5)
        team_ids = [t.id for t in team]

    counts = {"turns": 0, "unhandled": 0, "reviewed": 0, "false_activations": 0, "reported": 0}
    linked_turns: list[tuple[str, str]] = []
    for day in range(days):
        with store.vault_session() as (session, vault):
            team = [session.get(hh.Staff, i) for i in team_ids]
            for owner_id, lang in owners:
                for req in hh.requests(lang, REQUESTS_PER_DAY, seed=seed * 1000 + day):
                    at = start + timedelta(days=day, minutes=rng.randint(0, 900))
                    device_id = rng.choice(device_ids)
                    handled = recognize(settings, req.text, lang) is not None
                    turn = save_turn(session, vault, owner_id=owner_id, device_id=device_id, audio_wav=wav,
                                     content=TurnContent(req.text, ""), language=lang, duration_s=2.0,
                                     handled=handled, confidence=1.0 if handled else 0.3,
                                     wake_score=round(rng.uniform(0.86, 0.995), 3), created_at=at)
                    turn.review_considered = True  # sampled here; the real sampler must not take it again
                    counts["turns"] += 1
                    counts["unhandled"] += not handled
                    if rng.random() < (SAMPLE_HANDLED if handled else SAMPLE_UNHANDLED):
                        reviewers = team if (counts["reviewed"] + 1) % DOUBLE_EVERY == 0 else [rng.choice(team)]
                        hh.reviewed_task(session, vault, owner_id=owner_id, request=req, reviewers=reviewers,
                                         turn_id=turn.id)
                        counts["reviewed"] += 1
                        linked_turns.append((owner_id, turn.id))
            for device_id in device_ids:  # the television, a name that sounds like the wake word...
                noisy = device_id == device_ids[0]
                for _ in range(rng.randint(1, 3) if noisy else rng.randint(0, 1)):
                    reported = rng.random() < 0.4
                    record_false_activation(session, owner_id=owners[0][0], device_id=device_id,
                                            wake_score=round(rng.uniform(0.55, 0.84), 3), reported=reported,
                                            at=start + timedelta(days=day, hours=rng.randint(0, 20)))
                    counts["false_activations"] += 1
                    counts["reported"] += reported
        if progress:
            progress(day + 1, days)

    round_result = improvement_round(store, settings, dataset=DATASET, held_out=held_out_cases(),
                                     accept_all=True, min_support=2)

    # An owner deletes one reviewed recording after the build: the version goes stale and is rebuilt.
    owner_id, turn_id = linked_turns[len(linked_turns) // 2]
    with store.vault_session() as (session, vault):
        report = delete_turns(session, vault, owner_id=owner_id, turn_ids=[turn_id], actor=Actor.owner(owner_id))
    rebuilt = rebuild_stale(store)

    with store.session() as session:
        fa_before = _accepted_false_per_hour(session, device_ids, tuned=False)
        detector_threshold = 0.5
        tuned = wake_tuning.tune_devices(session, settings, detector_threshold=detector_threshold)
        fa_after = _accepted_false_per_hour(session, device_ids, tuned=True)
        counted = false_accepts_per_device_hour(session)
        thresholds = {d.name: d.wake_threshold for d in session.query(Device).filter(Device.id.in_(device_ids))}
    return {
        "days": days, **counts,
        "intents": {"before": round_result["before"], "after": round_result["after"]},
        "proposals": round_result["proposals"], "accepted": round_result["accepted"],
        "dataset": round_result["dataset"],
        "deletion": {"datasets_marked": report.datasets_marked, "rebuilt": rebuilt["rebuilt"]},
        "wake": {"false_accepts_per_device_hour_counted": counted,
                 "false_accepts_per_device_hour_before": fa_before,
                 "false_accepts_per_device_hour_after": fa_after,
                 "tuned_devices": len(tuned), "thresholds": thresholds},
    }


def _accepted_false_per_hour(session, device_ids: list[str], *, tuned: bool) -> float:
    """False activations that would still get through each device's threshold, per device-hour."""
    from sqlalchemy import select

    total, hours = 0, 0.0
    now = utcnow()
    for device in session.execute(select(Device).where(Device.id.in_(device_ids))).scalars():
        threshold = device.wake_threshold if tuned and device.wake_threshold is not None else 0.5
        scores = session.execute(select(Turn.wake_score).where(
            Turn.device_id == device.id, Turn.false_activation.is_(True))).scalars()
        total += sum(1 for s in scores if s is not None and s > threshold)
        hours += (now - device.created_at).total_seconds() / 3600
    return total / hours if hours else 0.0

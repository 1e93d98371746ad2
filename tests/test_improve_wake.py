"""Per-device wake threshold tuning from false-activation verdicts and owners' reports."""

from __future__ import annotations

from datetime import timedelta

from ecoute.improve import wake_tuning as wt
from ecoute.store.accounts import create_household, create_owner
from ecoute.store.schema.base import new_id, utcnow
from ecoute.store.schema.owner import Device
from ecoute.store.turns import TurnContent, record_false_activation, save_turn


def test_choose_threshold_by_hand():
    true = [0.95, 0.9, 0.92, 0.97, 0.99, 0.93, 0.96, 0.98, 0.94, 0.91]  # 10 true activations
    false = [0.6, 0.7, 0.85, 0.905]
    # at 0.5 nothing is rejected; the budget (10%) allows rejecting one true score (0.9):
    # 0.905+ rejects 0.90 only (10%) -> allowed and above every false score
    assert wt.choose_threshold(true, false, 0.5, max_false_reject_increase=0.1) == 0.9051
    # with no budget it stops below the first true score
    assert wt.choose_threshold(true, false, 0.5, max_false_reject_increase=0.0) == 0.8501
    assert wt.choose_threshold(true, false[:2], 0.5) == 0.5  # too little evidence
    assert wt.reject_rate(true, 0.9051) == 0.1
    assert wt.accepted(false, 0.8501) == 1


def test_tune_devices_sets_the_threshold_and_the_verify_score(store, settings):
    with store.vault_session() as (session, vault):
        house = create_household(session, "h")
        owner = create_owner(session, vault, settings, house, display_name="o")
        noisy = Device(id=new_id(), household_id=house.id, name="kitchen")
        quiet = Device(id=new_id(), household_id=house.id, name="bedroom")
        session.add_all([noisy, quiet])
        session.flush()
        for _i, score in enumerate([0.91, 0.95, 0.97, 0.99, 0.96]):
            save_turn(session, vault, owner_id=owner.id, device_id=noisy.id, audio_wav=b"RIFF",
                      content=TurnContent("what time is it", "noon"), language="en", duration_s=1.0,
                      handled=True, confidence=1.0, wake_score=score)
        for score in (0.62, 0.7, 0.74, 0.8):
            record_false_activation(session, owner_id=owner.id, device_id=noisy.id, wake_score=score,
                                    reported=score > 0.7)
        record_false_activation(session, owner_id=owner.id, device_id=quiet.id, wake_score=0.6)
        old = utcnow() - timedelta(days=90)  # outside the window: ignored
        for score in (0.92, 0.93, 0.94):
            record_false_activation(session, owner_id=owner.id, device_id=quiet.id, wake_score=score, at=old)
        changes = wt.tune_devices(session, settings, detector_threshold=0.5)
        assert [(c.device_id, c.after, c.false_scores, c.reported) for c in changes] == [
            (noisy.id, 0.8001, 4, 2)]
        from sqlalchemy import select

        from ecoute.store.schema.datasets import WakeTuning

        history = session.execute(select(WakeTuning)).scalars().all()
        assert [(h.threshold_before, h.threshold_after) for h in history] == [(None, 0.8001)]
        assert not hasattr(WakeTuning, "device_id")  # the history names no device
        assert noisy.wake_threshold == 0.8001 and quiet.wake_threshold is None
        assert wt.verify_min_score(noisy, settings, 0.5) == 0.8001
        assert wt.verify_min_score(quiet, settings, 0.5) == 0.5
        assert wt.tune_devices(session, settings, detector_threshold=0.5) == []  # nothing new to learn

"""Sampling: the rate and the caps hold, non-consented owners and false activations never sampled."""

from __future__ import annotations

import random
from collections import defaultdict, deque
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select
from test_review_support import SimplePrepared, add_owner, add_turn, tone

from ecoute.review import consent
from ecoute.review.sampling import (
    SamplingPolicy,
    StratumState,
    TurnFacts,
    consider_turn,
    decide,
    parse_language_rates,
    pending_turn_ids,
)
from ecoute.review.tasks import prepare_sample
from ecoute.store.schema.owner import ReviewLink, Turn
from ecoute.store.schema.review import ReviewTask
from ecoute.store.schema.review_qc import ReviewSample
from ecoute.store.store import Store
from ecoute.store.turns import record_false_activation

N_TURNS = 10_000


@given(
    rate=st.floats(0.005, 0.2),
    fr_rate=st.floats(0.0, 0.3),
    boost=st.floats(1.0, 10.0),
    cap=st.integers(1, 8),
    n_owners=st.integers(5, 60),
    consent_share=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
@hsettings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_rate_and_caps_hold_over_10000_simulated_turns(
    rate, fr_rate, boost, cap, n_owners, consent_share, seed
):
    rng = random.Random(seed)
    policy = SamplingPolicy(rate, {"fr": fr_rate}, boost, 0.6, cap)
    consented = {o: rng.random() < consent_share for o in range(n_owners)}
    strata = {lang: StratumState(rng.random()) for lang in ("en", "fr", "de")}
    start = {lang: s.accumulator for lang, s in strata.items()}
    mass = defaultdict(float)
    samples_of: dict[int, deque] = defaultdict(deque)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(N_TURNS):
        owner = rng.randrange(n_owners)
        at = t0 + timedelta(minutes=13 * i)  # ~90 days of turns
        lang = rng.choice(("en", "en", "fr", "de"))
        handled, confidence = rng.random() > 0.1, rng.random()
        false_act = rng.random() < 0.05
        recent = samples_of[owner]
        while recent and recent[0] <= at - timedelta(days=30):
            recent.popleft()
        facts = TurnFacts(consented[owner], false_act, lang, handled, confidence, len(recent))
        d = decide(policy, facts, strata[lang])
        if d.sampled:
            assert consented[owner] and not false_act  # never a non-consented owner or a false activation
            recent.append(at)
            assert len(recent) <= cap  # never more than the cap in any 30 days
        if d.reason in ("sampled", "not-drawn"):
            mass[lang] += policy.probability(lang, handled, confidence)
    for lang, state in strata.items():
        # systematic sampling: the count is the expected count, to within one
        assert abs(state.sampled - mass[lang]) <= 1.0 + 1e-6, (lang, state.sampled, mass[lang], start)


def test_rate_alone_is_exact_without_boost_or_caps():
    policy = SamplingPolicy(0.01, {}, 1.0, 0.0, 10**9)
    state = StratumState(0.5)
    hits = sum(
        decide(policy, TurnFacts(True, False, "en", True, 1.0, 0), state).sampled for _ in range(N_TURNS)
    )
    assert hits == 100


def test_language_rates_are_parsed_and_checked():
    assert parse_language_rates("fr=0.05, de=0.02") == {"fr": 0.05, "de": 0.02}
    with pytest.raises(ValueError):
        parse_language_rates("fr=2")


def test_consider_turn_on_the_store(store: Store):
    store.settings = store.settings.replace(
        review_sample_rate=0.25, review_unsure_boost=1.0, review_cap_per_owner_30d=3
    )
    yes, dev = add_owner(store, name="yes")
    no, ndev = add_owner(store, name="no", opted_in=False)
    child, cdev = add_owner(store, name="kid", child=True)
    t0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    ids = []
    for i in range(20):
        for owner, device in ((yes, dev), (no, ndev), (child, cdev)):
            ids.append(add_turn(store, owner, device, at=t0 + timedelta(hours=i)))
    with store.session() as session:
        fa = record_false_activation(session, owner_id=yes, device_id=dev, wake_score=0.9, at=t0)
        fa.review_considered = False  # force the stage to look at it
        ids.append(fa.id)
    results = [consider_turn(store, t, rng=random.Random(7), prepare=False) for t in ids]
    sampled = [r for r in results if r["sampled"]]
    with store.session() as session:
        owners = {session.get(Turn, r["turn_id"]).owner_id for r in sampled}
        assert owners == {yes}
        assert len(sampled) == 3  # 20 eligible turns × 0.25 = 5, but the cap is 3 per 30 days
        assert pending_turn_ids(session) == []
        assert session.execute(select(func.count()).select_from(ReviewSample)).scalar_one() == 3
    assert {r["reason"] for r in results if r["turn_id"] == ids[-1]} == {"false-activation"}
    assert consider_turn(store, ids[0])["reason"] == "already-considered"


def test_prepare_sample_creates_excludes_and_respects_opt_out(sqlite_store: Store):
    store = sqlite_store
    store.settings = store.settings.replace(review_sample_rate=1.0, review_double_fraction=0.0)
    ana, dev = add_owner(store)
    turns = [add_turn(store, ana, dev, at=datetime(2026, 11, 3, 8, i, tzinfo=UTC)) for i in range(3)]
    for t in turns:
        assert consider_turn(store, t, prepare=False)["status"] == "preparing"
    with store.session() as session:
        sample_ids = list(session.execute(select(ReviewSample.id).order_by(ReviewSample.id)).scalars())

    seen = {}

    def allow(audio, settings, **kw):
        seen.update(kw)
        return SimplePrepared(tone(), "turn on the light")

    def exclude(audio, settings, **kw):
        return SimplePrepared(
            tone(), "x", sensitive=SimpleNamespace(decision="exclude", categories=["distress"])
        )

    def broken(audio, settings, **kw):
        from ecoute.errors import AudioError

        raise AudioError("cannot decode")

    assert prepare_sample(store, sample_ids[0], prepare=broken)["status"] == "failed"
    with store.session() as session:
        session.get(ReviewSample, sample_ids[0]).status = "preparing"  # as if a crash had left it
    made = prepare_sample(store, sample_ids[0], prepare=allow)
    assert made["status"] == "task" and seen["transcript"].text == "turn on the light"
    assert prepare_sample(store, sample_ids[1], prepare=exclude) == {"status": "excluded", "task_id": None}
    with store.vault_session() as (session, vault):
        consent.opt_out(session, vault, ana, "web")
    assert prepare_sample(store, sample_ids[2], prepare=allow)["status"] == "cancelled"
    with store.session() as session:
        assert (
            session.execute(select(func.count()).select_from(ReviewTask)).scalar_one() == 0
        )  # opt-out removed it
        assert session.execute(select(func.count()).select_from(ReviewLink)).scalar_one() == 0

"""The sampling stage: which turns (if any) go to human review.

Runs in the background after each turn (and resumably over pending turns with
``ecoute review sample --all``). Rules, in order:

1. only turns of owners who opted in (and are not children) — everyone else: never;
2. only real turns: false activations carry no content and are never sampled;
3. at most ``review_cap_per_owner_30d`` samples per owner in any 30 days, so no household
   is over-represented (and no one is heard often);
4. stratified by language: each language has its own rate (``review_sample_rate`` unless
   ``review_language_rates`` overrides it) and its own sampling state, so a language with
   few speakers is sampled at its own rate instead of being drowned by the big ones;
5. turns the assistant was unsure about (unhandled, or confidence below
   ``review_unsure_confidence``) weigh ``review_unsure_boost`` times more: they teach most.

Within a stratum we use systematic sampling with a random start: each eligible turn adds
its probability to the stratum's accumulator and a turn is picked each time the
accumulator crosses 1. The number sampled is then within one of the expected number
(no binomial scatter), which is what makes "the rate holds" a checkable promise. The
random start is drawn from an injectable RNG so tests are reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoute.config import Settings
from ecoute.review.consent import is_opted_in
from ecoute.review.tasks import prepare_sample
from ecoute.store.schema.owner import Turn
from ecoute.store.schema.review_qc import ReviewSample, ReviewStratum
from ecoute.store.store import Store

CAP_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class SamplingPolicy:
    rate: float
    language_rates: dict[str, float]
    boost: float
    unsure_confidence: float
    cap: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SamplingPolicy:
        return cls(
            settings.policy.review_sample_rate,
            parse_language_rates(settings.policy.review_language_rates),
            settings.policy.review_unsure_boost,
            settings.policy.review_unsure_confidence,
            settings.policy.review_cap_per_owner_30d,
        )

    def rate_for(self, language: str) -> float:
        return self.language_rates.get(language, self.rate)

    def is_unsure(self, handled: bool, confidence: float) -> bool:
        return (not handled) or confidence < self.unsure_confidence

    def probability(self, language: str, handled: bool, confidence: float) -> float:
        p = self.rate_for(language)
        if self.is_unsure(handled, confidence):
            p *= self.boost
        return min(1.0, max(0.0, p))


def parse_language_rates(spec: str) -> dict[str, float]:
    """``"fr=0.05,de=0.02"`` → ``{"fr": 0.05, "de": 0.02}``; rates outside [0, 1] are refused."""
    rates: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        lang, _, value = part.partition("=")
        rate = float(value)
        if not lang.strip() or not 0.0 <= rate <= 1.0:
            raise ValueError(f"bad language rate {part!r}: want lang=rate with 0 <= rate <= 1")
        rates[lang.strip()] = rate
    return rates


@dataclass
class StratumState:
    accumulator: float
    eligible: int = 0
    sampled: int = 0


@dataclass(frozen=True)
class TurnFacts:
    """What the decision may look at: no content, only flags and counters."""

    consented: bool
    false_activation: bool
    language: str
    handled: bool
    confidence: float
    owner_samples_30d: int


@dataclass(frozen=True)
class Decision:
    sampled: bool
    reason: str  # sampled | not-consented | false-activation | owner-cap | not-drawn
    boosted: bool = False


def decide(policy: SamplingPolicy, facts: TurnFacts, stratum: StratumState) -> Decision:
    """The pure sampling rule; updates ``stratum`` only for eligible turns."""
    if not facts.consented:
        return Decision(False, "not-consented")
    if facts.false_activation:
        return Decision(False, "false-activation")
    if facts.owner_samples_30d >= policy.cap:
        return Decision(False, "owner-cap")
    boosted = policy.is_unsure(facts.handled, facts.confidence)
    stratum.eligible += 1
    stratum.accumulator += policy.probability(facts.language, facts.handled, facts.confidence)
    if stratum.accumulator >= 1.0:
        stratum.accumulator -= 1.0
        stratum.sampled += 1
        return Decision(True, "sampled", boosted)
    return Decision(False, "not-drawn", boosted)


def owner_samples_since(session: Session, owner_id: str, since: datetime) -> int:
    return session.execute(
        select(func.count())
        .select_from(ReviewSample)
        .where(ReviewSample.owner_id == owner_id, ReviewSample.sampled_at > since)
    ).scalar_one()


def _stratum(session: Session, language: str, rng: random.Random) -> ReviewStratum:
    row = session.execute(
        select(ReviewStratum).where(ReviewStratum.language == language).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        row = ReviewStratum(language=language, accumulator=rng.random(), eligible=0, sampled=0)
        session.add(row)
        session.flush()
    return row


def decide_turn(
    session: Session, settings: Settings, turn: Turn, *, rng: random.Random | None = None
) -> Decision:
    """Decide one turn inside the caller's transaction; marks it considered either way."""
    rng = rng or random.SystemRandom()
    policy = SamplingPolicy.from_settings(settings)
    consented = is_opted_in(session, turn.owner_id)
    recent = owner_samples_since(session, turn.owner_id, turn.created_at - CAP_WINDOW) if consented else 0
    facts = TurnFacts(
        consented,
        turn.false_activation or turn.audio_blob is None,
        turn.language,
        turn.handled,
        turn.confidence,
        recent,
    )
    decision = Decision(False, "not-consented")
    if consented and not facts.false_activation and recent < policy.cap:
        row = _stratum(session, turn.language, rng)
        state = StratumState(row.accumulator, row.eligible, row.sampled)
        decision = decide(policy, facts, state)
        row.accumulator, row.eligible, row.sampled = state.accumulator, state.eligible, state.sampled
    elif consented:
        decision = decide(policy, facts, StratumState(0.0))
    turn.review_considered = True
    if decision.sampled:
        session.add(
            ReviewSample(
                owner_id=turn.owner_id,
                turn_id=turn.id,
                language=turn.language,
                sampled_at=turn.created_at,
                boosted=decision.boosted,
                status="preparing",
            )
        )
    session.flush()
    return decision


def consider_turn(
    store: Store, turn_id: str, *, rng: random.Random | None = None, prepare: bool = True, np_rng=None
) -> dict:
    """The background stage for one turn: decide, then (if sampled) prepare the review task.

    The decision commits on its own, before the slow preparation, so the database is not
    held while audio is processed; a crash in between leaves a ``preparing`` sample that
    :func:`ecoute.review.tasks.prepare_pending` resumes.
    """
    with store.session() as session:
        # locked (PostgreSQL) so two runs of the stage for one turn cannot both sample it
        turn = session.get(Turn, turn_id, with_for_update=True)
        if turn is None:
            return {"turn_id": turn_id, "sampled": False, "reason": "gone"}
        if turn.review_considered:
            return {"turn_id": turn_id, "sampled": False, "reason": "already-considered"}
        decision = decide_turn(session, store.settings, turn, rng=rng)
        sample_id = None
        if decision.sampled:
            sample_id = (
                session.execute(
                    select(ReviewSample.id)
                    .where(ReviewSample.turn_id == turn_id)
                    .order_by(ReviewSample.id.desc())
                )
                .scalars()
                .first()
            )
    result = {
        "turn_id": turn_id,
        "sampled": decision.sampled,
        "reason": decision.reason,
        "boosted": decision.boosted,
        "task_id": None,
        "status": None,
    }
    if decision.sampled and prepare:
        outcome = prepare_sample(store, sample_id, rng=np_rng)
        result.update(task_id=outcome.get("task_id"), status=outcome["status"])
    elif decision.sampled:
        result["status"] = "preparing"
    return result


def pending_turn_ids(session: Session, limit: int | None = None) -> list[str]:
    query = select(Turn.id).where(Turn.review_considered.is_(False)).order_by(Turn.created_at)
    if limit:
        query = query.limit(limit)
    return list(session.execute(query).scalars())

"""What an owner can do by voice about their own data, bound to one turn's transaction.

The assistant's privacy skills ("delete what I just said", "that wasn't for you", "are you
recording?", "stop review", "who listened?") call these methods through ``TurnContext``.
They act only on the speaking owner's data and run in the same transaction as the turn,
so a failed turn changes nothing. Deletion, opt-out and the listening history belong to
the owners'-rights and review modules: they are imported inside the methods, so the voice
turn keeps working (with a plain fallback) while those modules are being written.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoute.privacy.deletion import delete_turns
from ecoute.review.consent import opt_out
from ecoute.review.listening import who_listened
from ecoute.store.schema.base import utcnow
from ecoute.store.schema.owner import Consent, Device, Owner, Turn
from ecoute.store.turns import record_false_activation
from ecoute.store.vault import Actor, Vault


def delete_owner_turns(session: Session, vault: Vault, owner_id: str, turn_ids: list[str], *,
                       purpose: str) -> int:
    """Delete turns with the full cascade (review tasks, derived artefacts, blobs after commit)."""
    if not turn_ids:
        return 0

    report = delete_turns(session, vault, owner_id=owner_id, turn_ids=turn_ids, actor=Actor.owner(owner_id),
                          purpose=purpose)
    return len(report.turn_ids)


def start_of_local_day(now: datetime) -> datetime:
    """Midnight of ``now``'s day in the server's time zone, as an aware datetime."""
    local = now.astimezone()
    return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)


class PrivacyActions:
    """The speaking owner's privacy controls, as the assistant's skills call them."""

    def __init__(self, session: Session, vault: Vault, *, owner_id: str, device_id: str | None,
                 now: datetime | None = None):
        self.session = session
        self.vault = vault
        self.owner_id = owner_id
        self.device_id = device_id
        self.now = now or utcnow()

    def _last_turn(self) -> Turn | None:
        """The owner's latest kept turn on this device (what they 'just said' to it)."""
        query = select(Turn).where(Turn.owner_id == self.owner_id, Turn.false_activation.is_(False))
        if self.device_id is not None:
            query = query.where(Turn.device_id == self.device_id)
        return self.session.execute(query.order_by(Turn.created_at.desc()).limit(1)).scalar_one_or_none()

    def delete_last_turn(self) -> bool:
        turn = self._last_turn()
        if turn is None:
            return False
        return delete_owner_turns(self.session, self.vault, self.owner_id, [turn.id],
                                  purpose="owner asked by voice: delete what I just said") == 1

    def delete_today(self) -> int:
        since = start_of_local_day(self.now)
        ids = list(self.session.execute(
            select(Turn.id).where(Turn.owner_id == self.owner_id, Turn.created_at >= since,
                                  Turn.false_activation.is_(False))).scalars())
        return delete_owner_turns(self.session, self.vault, self.owner_id, ids,
                                  purpose="owner asked by voice: delete everything I said today")

    def not_for_me(self) -> bool:
        """Delete the last turn and count it as a reported false activation (it stays counted)."""
        turn = self._last_turn()
        if turn is None:
            return False
        at, device_id, score = turn.created_at, turn.device_id, turn.wake_score
        delete_owner_turns(self.session, self.vault, self.owner_id, [turn.id],
                           purpose="owner said by voice: that wasn't for you")
        record_false_activation(self.session, owner_id=self.owner_id, device_id=device_id, wake_score=score,
                                reported=True, at=at)
        return True

    def recording_status(self) -> dict:
        """The truth about what is kept, from the settings in force right now."""
        owner = self.session.get(Owner, self.owner_id)
        device = self.session.get(Device, self.device_id) if self.device_id else None
        kept = self.session.execute(select(func.count()).select_from(Turn).where(
            Turn.owner_id == self.owner_id, Turn.false_activation.is_(False))).scalar_one()
        review = review_consent(self.session, self.owner_id)
        return {
            "listening_for_wake_word": not (device.muted if device else False),
            "keeping": True,  # recordings are kept (encrypted) until deleted or auto-deleted
            "kept_recordings": int(kept),
            "auto_delete_days": owner.auto_delete_days if owner else None,
            "review_opt_in": review,
            "human_review": review,
        }

    def stop_review(self) -> int:
        """Opt out of human review; returns how many not-yet-reviewed tasks were withdrawn."""
        return int(opt_out(self.session, self.vault, self.owner_id, via="voice"))

    def who_listened(self) -> list[dict]:
        return list(who_listened(self.session, self.vault, self.owner_id))


def review_consent(session: Session, owner_id: str) -> bool:
    """Whether human review is on: the latest 'review' row of the consent ledger (none = off)."""
    row = session.execute(select(Consent).where(Consent.owner_id == owner_id, Consent.purpose == "review")
                          .order_by(Consent.id.desc()).limit(1)).scalar_one_or_none()
    return bool(row and row.granted)

"""Storing and reading an owner's turns: every content field sealed with the owner's key."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ecoute.store.schema.base import new_id, utcnow
from ecoute.store.schema.owner import FalseActivationCount, Turn
from ecoute.store.vault import Actor, Vault


@dataclass
class TurnContent:
    """The decrypted content of a turn, as its owner (or an audited job) sees it."""

    transcript: str
    answer: str
    intent: str | None = None
    slots: dict = field(default_factory=dict)
    words: list[dict] = field(default_factory=list)


def save_turn(
    session: Session,
    vault: Vault,
    *,
    owner_id: str,
    device_id: str | None,
    audio_wav: bytes,
    content: TurnContent,
    language: str,
    duration_s: float,
    handled: bool,
    confidence: float,
    wake_score: float | None = None,
    created_at: datetime | None = None,
) -> Turn:
    """Seal and store a turn. The blob is written before the row is flushed; if the
    transaction then fails the caller removes the blob (see :func:`discard_blob_on_error`)."""
    turn = Turn(
        id=new_id(),
        owner_id=owner_id,
        device_id=device_id,
        created_at=created_at or utcnow(),
        language=language,
        duration_s=duration_s,
        handled=handled,
        confidence=confidence,
        wake_score=wake_score,
    )
    turn.transcript_ct = vault.seal(owner_id, turn.id, "transcript", content.transcript.encode())
    turn.answer_ct = vault.seal(owner_id, turn.id, "answer", content.answer.encode())
    meta = {"intent": content.intent, "slots": content.slots, "words": content.words}
    turn.meta_ct = vault.seal(owner_id, turn.id, "meta", json.dumps(meta).encode())
    turn.audio_blob = vault.put_blob(owner_id, turn.id, "audio", audio_wav)
    session.add(turn)
    session.flush()
    return turn


def record_false_activation(
    session: Session, *, owner_id: str, device_id: str | None, wake_score: float | None,
    reported: bool = False, at: datetime | None = None,
) -> Turn:
    """A false activation leaves a content-free row (shown to the owner) and a counter."""
    at = at or utcnow()
    turn = Turn(id=new_id(), owner_id=owner_id, device_id=device_id, created_at=at, false_activation=True,
                wake_score=wake_score, handled=False, confidence=0.0, review_considered=True)
    session.add(turn)
    if device_id is not None:
        day = at.date().isoformat()
        counter = session.get(FalseActivationCount, (device_id, day))
        if counter is None:
            counter = FalseActivationCount(device_id=device_id, day=day, count=0, reported=0)
            session.add(counter)
        counter.count += 1
        counter.reported += int(reported)
    session.flush()
    return turn


def read_turn(vault: Vault, turn: Turn, *, actor: Actor, purpose: str) -> TurnContent:
    """Decrypt a turn's text fields (audited unless ``actor`` is its owner)."""
    if turn.false_activation or turn.transcript_ct is None:
        return TurnContent(transcript="", answer="")
    transcript = vault.open(turn.owner_id, turn.id, "transcript", turn.transcript_ct, actor=actor, purpose=purpose)
    answer = vault.open(turn.owner_id, turn.id, "answer", turn.answer_ct or b"", actor=actor, purpose=purpose) \
        if turn.answer_ct else b""
    meta = json.loads(vault.open(turn.owner_id, turn.id, "meta", turn.meta_ct, actor=actor, purpose=purpose)) \
        if turn.meta_ct else {}
    return TurnContent(transcript.decode(), answer.decode(), meta.get("intent"), meta.get("slots") or {},
                       meta.get("words") or [])


def read_turn_audio(vault: Vault, turn: Turn, *, actor: Actor, purpose: str) -> bytes:
    if turn.audio_blob is None:
        raise KeyError("this turn has no audio (a discarded false activation)")
    return vault.get_blob(turn.owner_id, turn.id, "audio", turn.audio_blob, actor=actor, purpose=purpose)

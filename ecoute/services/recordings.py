"""An owner's recordings as the privacy page shows them, and the ways to delete them.

Everything here acts on one owner's rows only (every query filters on ``owner_id``), so
another owner's id in a URL finds nothing: 404, and nothing changes. Reading is done as
the owner (``Actor.owner``), which the vault does not audit: an owner looking at their own
recordings is not an access by someone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoute.errors import BadInput, NotFound
from ecoute.services.privacy_actions import delete_owner_turns
from ecoute.store.schema.owner import Device, Owner, Turn
from ecoute.store.turns import read_turn, read_turn_audio
from ecoute.store.vault import Actor, Vault

#: The auto-delete choices offered on the page (value → days; None = keep until deleted).
AUTO_DELETE_CHOICES: dict[str, int | None] = {"never": None, "3m": 90, "18m": 540}


@dataclass
class RecordingView:
    id: str
    created_at: datetime
    device: str
    false_activation: bool
    transcript: str
    answer: str
    intent: str | None
    duration_s: float
    has_audio: bool


def list_recordings(session: Session, vault: Vault, owner_id: str, *, before: datetime | None = None,
                    limit: int = 50) -> list[RecordingView]:
    """Newest first; ``before`` pages back in time."""
    query = select(Turn).where(Turn.owner_id == owner_id)
    if before is not None:
        query = query.where(Turn.created_at < before)
    turns = session.execute(query.order_by(Turn.created_at.desc(), Turn.id.desc()).limit(limit)).scalars().all()
    names = dict(session.execute(select(Device.id, Device.name).where(
        Device.id.in_({t.device_id for t in turns if t.device_id}))).all()) if turns else {}
    me = Actor.owner(owner_id)
    views = []
    for turn in turns:
        content = read_turn(vault, turn, actor=me, purpose="owner views their recordings")
        views.append(RecordingView(turn.id, turn.created_at, names.get(turn.device_id or "", "—"), turn.false_activation,
                                   content.transcript, content.answer, content.intent, turn.duration_s,
                                   turn.audio_blob is not None))
    return views


def count_recordings(session: Session, owner_id: str) -> tuple[int, int]:
    """(kept recordings, discarded false activations) of this owner."""
    rows = dict(session.execute(select(Turn.false_activation, func.count()).where(Turn.owner_id == owner_id)
                                .group_by(Turn.false_activation)).all())
    return int(rows.get(False, 0)), int(rows.get(True, 0))


def owned_turn(session: Session, owner_id: str, turn_id: str) -> Turn:
    turn = session.get(Turn, turn_id)
    if turn is None or turn.owner_id != owner_id:
        raise NotFound("no such recording")
    return turn


def recording_audio(session: Session, vault: Vault, owner_id: str, turn_id: str) -> bytes:
    turn = owned_turn(session, owner_id, turn_id)
    if turn.audio_blob is None:
        raise NotFound("this activation was discarded: no audio was kept")
    return read_turn_audio(vault, turn, actor=Actor.owner(owner_id), purpose="owner plays their recording")


def delete_selection(session: Session, vault: Vault, owner_id: str, turn_ids: list[str]) -> int:
    if not turn_ids:
        raise BadInput("select at least one recording to delete")
    for turn_id in turn_ids:  # all or nothing: one foreign id and nothing is deleted
        owned_turn(session, owner_id, turn_id)
    return delete_owner_turns(session, vault, owner_id, turn_ids, purpose="owner deleted recordings on the privacy page")


def local_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[start of ``first``, start of the day after ``last``) in the server's time zone."""
    tz = datetime.now().astimezone().tzinfo
    return datetime.combine(first, time(0), tzinfo=tz), datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)


def delete_range(session: Session, vault: Vault, owner_id: str, first: date, last: date) -> int:
    if last < first:
        raise BadInput("the end of the range is before its start")
    start, end = local_day_bounds(first, last)
    ids = list(session.execute(select(Turn.id).where(Turn.owner_id == owner_id, Turn.created_at >= start,
                                                     Turn.created_at < end)).scalars())
    return delete_owner_turns(session, vault, owner_id, ids,
                              purpose=f"owner deleted recordings from {first.isoformat()} to {last.isoformat()}")


def delete_all(session: Session, vault: Vault, owner_id: str) -> int:
    ids = list(session.execute(select(Turn.id).where(Turn.owner_id == owner_id)).scalars())
    return delete_owner_turns(session, vault, owner_id, ids, purpose="owner deleted all their recordings")


def set_auto_delete(session: Session, owner: Owner, choice: str, custom_days: str | int | None = None,
                    max_days: int = 0) -> int | None:
    """Store the owner's auto-delete choice; the retention sweep enforces it."""
    if choice in AUTO_DELETE_CHOICES:
        days = AUTO_DELETE_CHOICES[choice]
    elif choice == "custom":
        try:
            days = int(str(custom_days).strip())
        except ValueError:
            raise BadInput("enter the number of days to keep recordings (1 to 3650)") from None
        if not 1 <= days <= 3650:
            raise BadInput("enter the number of days to keep recordings (1 to 3650)")
    else:
        raise BadInput(f"unknown auto-delete choice {choice!r}")
    if max_days and (days is None or days > max_days):
        raise BadInput(f"this platform keeps recordings at most {max_days} days; choose that or less")
    owner.auto_delete_days = days
    session.flush()
    return days


def auto_delete_choice(days: int | None) -> str:
    for name, value in AUTO_DELETE_CHOICES.items():
        if value == days:
            return name
    return "custom"

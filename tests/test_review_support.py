"""Helpers shared by the review tests (no tests here): owners, turns, staff, prepared clips.

``SimplePrepared`` is *input data* in the shape review preparation returns (the real
``prepare_clip`` is exercised in test_review_prepare.py); it lets the review-zone tests
control exactly which entities and sensitivity verdict a clip carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace

import numpy as np

from ecoute.audio.io import Audio, wav_bytes
from ecoute.review import consent
from ecoute.review.staff import create_staff
from ecoute.review.tasks import create_task
from ecoute.store.accounts import create_household, create_owner
from ecoute.store.schema.owner import Device
from ecoute.store.schema.review import ReviewTask
from ecoute.store.store import Store
from ecoute.store.turns import TurnContent, save_turn

PASSWORD = "reviewer-pass-1"


def tone(seconds: float = 0.6, freq: float = 220.0, rate: int = 16000) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    return Audio((0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)


@dataclass
class SimplePrepared:
    audio: Audio
    transcript: str
    entities: list = field(default_factory=list)
    disguise: dict = field(default_factory=lambda: {"method": "disguised"})
    sensitive: object = field(default_factory=lambda: SimpleNamespace(decision="allow", categories=[]))


def add_owner(
    store: Store,
    *,
    email: str | None = None,
    language: str = "en",
    child: bool = False,
    opted_in: bool = True,
    name: str = "Ana",
) -> tuple[str, str]:
    """An owner (with a device) in a fresh household; returns (owner id, device id)."""
    with store.vault_session() as (session, vault):
        home = create_household(session, f"home of {name}")
        owner = create_owner(
            session,
            vault,
            store.settings,
            home,
            display_name=name,
            email=email,
            language=language,
            is_child=child,
        )
        device = Device(household_id=home.id, name="kitchen speaker")
        session.add(device)
        session.flush()
        if opted_in and not child:
            consent.opt_in(session, vault, owner.id, "web")
        return owner.id, device.id


def add_turn(
    store: Store,
    owner_id: str,
    device_id: str | None = None,
    *,
    text: str = "turn on the light",
    language: str = "en",
    at: datetime | None = None,
    handled: bool = True,
    confidence: float = 0.9,
    intent: str = "HassTurnOn",
    slots: dict | None = None,
) -> str:
    with store.vault_session() as (session, vault):
        turn = save_turn(
            session,
            vault,
            owner_id=owner_id,
            device_id=device_id,
            audio_wav=wav_bytes(tone()),
            content=TurnContent(text, "Done.", intent, slots or {}),
            language=language,
            duration_s=0.6,
            handled=handled,
            confidence=confidence,
            created_at=at or datetime(2026, 11, 24, 19, 42, 17, tzinfo=UTC),
        )
        return turn.id


def add_task(
    store: Store,
    owner_id: str,
    turn_id: str,
    *,
    transcript: str = "turn on the light",
    language: str = "en",
    decision: str = "allow",
    double: bool = False,
    intent: str = "HassTurnOn",
    entities: list | None = None,
    slots: dict | None = None,
) -> str | None:
    with store.vault_session() as (session, vault):
        from ecoute.store.schema.owner import Turn

        turn = session.get(Turn, turn_id)
        prepared = SimplePrepared(
            tone(0.5, 330.0),
            transcript,
            entities or [],
            sensitive=SimpleNamespace(decision=decision, categories=[]),
        )
        task = create_task(
            session,
            vault,
            store.settings,
            owner_id=owner_id,
            turn_id=turn_id,
            turn_created_at=turn.created_at,
            intent=intent,
            slots=slots,
            language=language,
            prepared=prepared,
            double_review=double,
        )
        return task.id if task else None


def add_staff(
    store: Store,
    email: str,
    *,
    role: str = "reviewer",
    languages: str = "en",
    site: str = "Lisbon",
    country: str = "PT",
    name: str | None = None,
    daily_cap: int | None = None,
) -> str:
    with store.session() as session:
        staff = create_staff(
            session,
            store.settings,
            store.keys,
            email=email,
            display_name=name or email.split("@")[0],
            password=PASSWORD,
            role=role,
            site=site,
            country=country,
            languages=languages,
            daily_cap=daily_cap,
        )
        return staff.id


def task_status(store: Store, task_id: str) -> str | None:
    with store.session() as session:
        task = session.get(ReviewTask, task_id)
        return task.status if task else None

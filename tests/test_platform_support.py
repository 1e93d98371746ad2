"""Helpers shared by the platform tests (no tests here): a household, turns, logins."""

from __future__ import annotations

from datetime import datetime

import httpx

from ecoute.audio.io import load_audio, wav_bytes
from ecoute.audio.synth import speak
from ecoute.services.admin import add_device
from ecoute.store.accounts import create_household, create_owner
from ecoute.store.store import Store
from ecoute.store.turns import TurnContent, save_turn

ALICE = ("alice@example.org", "alice-password-1")
BOB = ("bob@example.org", "bob-password-22")


def household(store: Store) -> tuple[str, str, str]:
    """(household id, Alice's id, Bob's id): two owners of one household with passwords."""
    with store.vault_session() as (session, vault):
        home = create_household(session, "home")
        alice = create_owner(session, vault, store.settings, home, display_name="Alice", email=ALICE[0],
                             password=ALICE[1])
        bob = create_owner(session, vault, store.settings, home, display_name="Bob", email=BOB[0],
                           password=BOB[1])
        return home.id, alice.id, bob.id


def device(store: Store, household_id: str, owner_id: str, name: str = "Kitchen") -> tuple[str, str]:
    new = add_device(store, household_id, name, owner_id)
    return new.id, new.token


def speech_wav(text: str) -> bytes:
    """Synthesised speech (cached on disk by content), as 16 kHz WAV bytes."""
    return wav_bytes(load_audio(speak(text)))


def add_turn(store: Store, owner_id: str, text: str, *, device_id: str | None = None,
             created_at: datetime | None = None, audio: bytes | None = None) -> str:
    with store.vault_session() as (session, vault):
        turn = save_turn(session, vault, owner_id=owner_id, device_id=device_id,
                         audio_wav=audio if audio is not None else b"RIFF-not-real-audio-" + text.encode(),
                         content=TurnContent(text, f"answer to {text}", "HassGetCurrentTime", {}),
                         language="en", duration_s=1.5, handled=True, confidence=0.9, created_at=created_at)
        return turn.id


def login(base_url: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=30)
    reply = client.post("/login", data={"email": email, "password": password})
    assert reply.status_code == 303, reply.text
    client.headers["X-CSRF-Token"] = reply.headers["x-csrf-token"]  # the session's token, for every change
    return client


def turn_wav(text: str, *, wake: bool = True) -> bytes:
    """What a speaker sends: wake word + request (flite's slt voice), or speech without it."""
    from ecoute.audio.synth import VOICES, concat, wake_and_request

    voice = VOICES["en"][5]
    audio = wake_and_request(text, voice) if wake else concat([0.5, load_audio(speak(text, voice)), 0.8])
    return wav_bytes(audio)

"""``ecoute demo``: a household's worth of synthetic conversations through the whole path.

It creates (or reuses) a household with two owners, starts the real server on loopback,
pairs a speaker the way a person would (the device shows a code, Alice types it on her
privacy page), then plays synthesised turns as the speaker would send them over HTTP:
wake word + request, a few false activations, and privacy requests by voice. Nothing
bypasses the API, so what the demo leaves behind is what a real household would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from ecoute.config import Settings
from ecoute.store.store import Store

OWNERS = {
    "alice": ("Alice", "alice@example.org", "alice-listens-2026"),
    "bob": ("Bob", "bob@example.org", "bob-listens-2026"),
}
HOUSEHOLD = "The demo household"

#: (speaker, what is said, whether the wake word comes first)
SCRIPT: list[tuple[str, str, bool]] = [
    ("alice", "add milk to the shopping list", True),
    ("alice", "add eggs to the shopping list", True),
    ("alice", "what time is it", True),
    ("alice", "what is twelve plus thirty", True),
    ("alice", "I told him the meeting was moved to Thursday", False),
    ("alice", "add coffee to the shopping list", True),
    ("alice", "what is on my shopping list", True),
    ("alice", "remind me what my card number was", True),
    ("alice", "delete what I just said", True),
    ("alice", "are you recording", True),
    ("alice", "what is seven times six", True),
    ("alice", "we should really call the plumber tomorrow", False),
    ("alice", "what day is it today", True),
    ("alice", "add bread to the shopping list", True),
    ("alice", "who listened to my recordings", True),
    ("alice", "what is one hundred minus eight", True),
    ("alice", "add apples to the shopping list", True),
    ("alice", "what time is it", True),
    ("bob", "what time is it", True),
    ("bob", "add batteries to the shopping list", True),
    ("bob", "what is nine times nine", True),
    ("bob", "the match starts at eight tonight", False),
    ("bob", "what is on my shopping list", True),
    ("bob", "that wasn't for you", True),
    ("bob", "add tea to the shopping list", True),
    ("bob", "are you recording", True),
    ("bob", "what is twenty divided by four", True),
    ("bob", "what day is it today", True),
    ("bob", "add rice to the shopping list", True),
    ("bob", "what is three plus four", True),
]


@dataclass
class DemoSummary:
    url: str
    logins: dict[str, tuple[str, str]]
    turns: int = 0
    stored: int = 0
    false_activations: int = 0
    answers: list[tuple[str, str, str]] = field(default_factory=list)
    seconds: float = 0.0


def ensure_household(store: Store) -> dict[str, str]:
    """The demo owners' ids, creating the household on first run (reused afterwards)."""
    from ecoute.services.admin import add_household, add_owner
    from ecoute.store.accounts import find_owner_by_email

    found = {}
    with store.session() as session:
        for _, email, _ in OWNERS.values():
            owner = find_owner_by_email(session, store.keys, email)
            if owner is not None:
                found[email] = owner.id
    if len(found) == len(OWNERS):
        return {key: found[email] for key, (_, email, _) in OWNERS.items()}
    household = add_household(store, HOUSEHOLD)
    return {key: add_owner(store, household, name=name, email=email, password=password)
            for key, (name, email, password) in OWNERS.items()}


def stored_logins(store: Store, owner_ids: dict[str, str]) -> dict[str, tuple[str, str]]:
    """The demo owners' logins as the store holds them: each email decrypted with its owner's key."""
    from ecoute.store.identity import owner_email
    from ecoute.store.schema.owner import Owner

    logins = {}
    with store.vault_session() as (session, vault):
        for key, owner_id in owner_ids.items():
            owner = session.get(Owner, owner_id)
            email = owner_email(vault, owner) if owner is not None else None
            logins[key] = (email or "(erased)", OWNERS[key][2])
    return logins


def _login(base: str, key: str) -> httpx.Client:
    _, email, password = OWNERS[key]
    client = httpx.Client(base_url=base, timeout=60)
    reply = client.post("/login", data={"email": email, "password": password})
    if reply.status_code != 303:
        raise RuntimeError(f"demo login of {email} failed: HTTP {reply.status_code}")
    return client


def pair_speaker(base: str, owner_client: httpx.Client, name: str) -> tuple[str, str]:
    """Pair a speaker through the API as a person would; returns (device id, token)."""
    start = httpx.post(f"{base}/api/v1/devices/pair", json={"name": name}, timeout=30).json()
    claimed = owner_client.post("/privacy/devices/pair", data={"code": start["code"]})
    if claimed.status_code != 303:
        raise RuntimeError(f"pairing the demo speaker failed: HTTP {claimed.status_code} {claimed.text[:200]}")
    done = httpx.post(f"{base}/api/v1/devices/pair", json={"pairing_id": start["pairing_id"]}, timeout=30).json()
    return done["device_id"], done["token"]


def turn_audio(text: str, wake: bool, voice_index: int) -> bytes:
    from ecoute.audio.io import load_audio, wav_bytes
    from ecoute.audio.synth import VOICES, concat, speak, wake_and_request

    voice = VOICES["en"][voice_index % len(VOICES["en"])]
    audio = wake_and_request(text, voice) if wake else concat([0.5, load_audio(speak(text, voice)), 0.8])
    return wav_bytes(audio)


def play_script(base: str, *, progress: Callable[[int, int, str], None] | None = None,
                script: list[tuple[str, str, bool]] = SCRIPT) -> DemoSummary:
    summary = DemoSummary(base, {k: (e, p) for k, (_, e, p) in OWNERS.items()})
    clients = {key: _login(base, key) for key in OWNERS}
    device_id, token = pair_speaker(base, clients["alice"], "Kitchen speaker")
    headers = {"Authorization": f"Bearer {token}"}
    voices = {"alice": 5, "bob": 7}  # flite slt and rms: the voices the wake word and ASR hear best
    speaking = "alice"
    started = time.perf_counter()
    for i, (who, text, wake) in enumerate(script):
        if who != speaking:  # the new speaker says "it's me" on their privacy page
            clients[who].post(f"/privacy/devices/{device_id}/speaker")
            speaking = who
        wav = turn_audio(text, wake, voices[who])
        reply = httpx.post(f"{base}/api/v1/turns", headers=headers, timeout=120,
                           files={"audio": ("turn.wav", wav, "audio/wav")},
                           data={"wake_score": "0.9" if wake else "0.55"})
        reply.raise_for_status()
        body = reply.json()
        summary.turns += 1
        summary.false_activations += int(body["false_activation"])
        summary.stored += int(body["turn_id"] is not None and not body["false_activation"])
        if body.get("answer_audio_url"):
            httpx.get(base + body["answer_audio_url"], headers=headers, timeout=30).raise_for_status()
        summary.answers.append((who, body["transcript"] or "(discarded)", body["answer"]))
        if progress:
            progress(i + 1, len(script), text)
    summary.seconds = time.perf_counter() - started
    for client in clients.values():
        client.close()
    return summary


def start_server(settings: Settings, store: Store):
    """uvicorn in a thread on ``settings.port`` (loopback): the same app as ``ecoute serve``."""
    import threading

    import uvicorn

    from ecoute.server.app import create_app

    app = create_app(settings, store)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.server.host, port=settings.server.port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            from ecoute.errors import EcouteError

            raise EcouteError(f"the server did not start on {settings.server.host}:{settings.server.port} "
                              "(is the port in use? choose another with --port)")
        time.sleep(0.05)
    return app, server, thread

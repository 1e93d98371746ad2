"""Attacks on device pairing over real HTTP (issue 12): start floods and code guessing."""

from __future__ import annotations

import httpx
import pytest
from conftest import LiveServer, free_port
from test_platform_support import ALICE, BOB, login

from ecoute.server.app import create_app
from ecoute.services.devices import CODE_ALPHABET, CODE_LENGTH
from ecoute.store.accounts import create_household, create_owner

CAROL = ("carol@example.org", "carol-keeps-bees-7")


@pytest.fixture
def homes(sqlite_store):
    """Alice and Bob (two households) want to steal the speaker Carol is pairing."""
    with sqlite_store.vault_session() as (session, vault):
        for name, (email, password) in (("Alice", ALICE), ("Bob", BOB), ("Carol", CAROL)):
            home = create_household(session, f"{name}'s")
            create_owner(session, vault, sqlite_store.settings, home, display_name=name, email=email,
                         password=password)


def _start(base: str, name: str = "Speaker", **headers: str) -> httpx.Response:
    return httpx.post(f"{base}/api/v1/devices/pair", json={"name": name}, headers=headers, timeout=30)


def _wrong_code(code: str) -> str:
    other = CODE_ALPHABET[(CODE_ALPHABET.index(code[0]) + 1) % len(CODE_ALPHABET)]
    return other + code[1:]


def test_pairing_starts_are_limited_per_address(live_server):
    replies = [_start(live_server.url) for _ in range(6)]
    assert [r.status_code for r in replies] == [201] * 5 + [429]
    assert int(replies[-1].headers["retry-after"]) >= 1
    code = replies[0].json()["code"]
    assert len(code) == CODE_LENGTH == 8 and set(code) <= set(CODE_ALPHABET)


def test_waiting_pairings_are_capped_even_from_many_addresses(sqlite_store):
    settings = sqlite_store.settings.replace(trust_proxy=True, pairing_max_pending=3)
    server = LiveServer(create_app(settings, sqlite_store), free_port()).start()
    try:
        statuses = [_start(server.url, **{"X-Forwarded-For": f"10.0.0.{n}"}).status_code for n in range(5)]
        assert statuses == [201, 201, 201, 429, 429]
    finally:
        server.stop()


def test_guessing_pairing_codes_is_locked_out(live_server, homes):
    base = live_server.url
    start = _start(base, "Carol's kitchen").json()
    alice = login(base, *ALICE)
    guesses = [alice.post("/privacy/devices/pair", data={"code": _wrong_code(start["code"])[:-1] + c})
               for c in "23456"]
    assert [g.status_code for g in guesses] == [404] * 5
    right = alice.post("/privacy/devices/pair", data={"code": start["code"]})
    assert right.status_code == 429 and int(right.headers["retry-after"]) >= 60  # Alice is out of guesses
    bob = login(base, *BOB)
    for c in "789AB":
        assert bob.post("/privacy/devices/pair", data={"code": _wrong_code(start["code"])[:-1] + c}
                        ).status_code == 404
    # ten wrong codes in all were tried while Carol's speaker waited: that pairing is locked
    carol = login(base, *CAROL)
    assert carol.post("/privacy/devices/pair", data={"code": start["code"]}).status_code == 404
    polled = httpx.post(f"{base}/api/v1/devices/pair", json={"pairing_id": start["pairing_id"]})
    assert polled.status_code == 404 and "too many wrong codes" in polled.json()["detail"]
    # the speaker starts again and Carol pairs it: a locked pairing costs a retry, nothing more
    again = _start(base, "Carol's kitchen").json()
    assert carol.post("/privacy/devices/pair", data={"code": again["code"]}).status_code == 303
    token = httpx.post(f"{base}/api/v1/devices/pair", json={"pairing_id": again["pairing_id"]}).json()
    assert token["status"] == "paired"

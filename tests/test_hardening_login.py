"""Attacks on sign-in over real HTTP (issue 12): guessing, enumeration by timing, floods, weak passwords."""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import LiveServer, free_port
from test_platform_support import ALICE, BOB, household, login

from ecoute.config import Settings
from ecoute.server.app import create_app
from ecoute.store.ratelimit import DatabaseStorage
from ecoute.store.store import Store

ROOT = Path(__file__).resolve().parent.parent


def _post_login(base: str, email: str, password: str, **headers: str) -> httpx.Response:
    return httpx.post(f"{base}/login", data={"email": email, "password": password}, headers=headers, timeout=60)


@pytest.fixture
def home(sqlite_store):
    return household(sqlite_store)


def test_41st_login_is_refused_even_with_the_right_password(live_server, home):
    base = live_server.url
    statuses = [_post_login(base, ALICE[0], f"guess-{n}").status_code for n in range(40)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}  # the back-off starts after 5 failures
    right = _post_login(base, ALICE[0], ALICE[1])
    assert right.status_code == 429 and "ecoute_owner" not in right.cookies
    assert int(right.headers["retry-after"]) >= 1 and "try again in" in right.json()["detail"]


def test_lockout_is_per_account_and_per_address(live_server, sqlite_store, home):
    base = live_server.url
    for n in range(5):
        assert _post_login(base, ALICE[0], f"guess-{n}").status_code == 401
    assert _post_login(base, ALICE[0], ALICE[1]).status_code == 429  # Alice's account is locked…
    assert _post_login(base, BOB[0], BOB[1]).status_code == 303  # …Bob's is not
    # spraying: one wrong guess on many (unknown) accounts from one address: 6 attempts so far
    # failed (Alice's 5, and the one refused during her lock-out), 14 more make 20 in a minute
    spray = [_post_login(base, f"nobody{n}@example.org", "Summer2026!").status_code for n in range(16)]
    assert spray == [401] * 14 + [429] * 2
    blocked = _post_login(base, BOB[0], BOB[1])
    assert blocked.status_code == 429 and "network address" in blocked.json()["detail"]


def test_staff_login_is_throttled_too(live_server, sqlite_store):
    from ecoute.review.staff import create_staff

    with sqlite_store.session() as session:
        create_staff(session, sqlite_store.settings, email="lead@example.org", display_name="Lea",
                     password="officer-pass-1", role="officer")
    base = live_server.url
    for n in range(5):
        assert httpx.post(f"{base}/staff/login", data={"email": "lead@example.org", "password": f"x{n}"}
                          ).status_code == 401
    right = httpx.post(f"{base}/staff/login", data={"email": "lead@example.org", "password": "officer-pass-1"})
    assert right.status_code == 429 and "retry-after" in right.headers


def test_lockout_holds_across_two_api_processes_on_one_database(settings, sqlite_store, home):
    other_store = Store.open(settings)  # its own engine and connections: like a second process
    a = LiveServer(create_app(settings, sqlite_store), free_port()).start()
    b = LiveServer(create_app(settings, other_store), free_port()).start()
    try:
        for n in range(3):
            assert _post_login(a.url, ALICE[0], f"guess-a{n}").status_code == 401
        for n in range(2):
            assert _post_login(b.url, ALICE[0], f"guess-b{n}").status_code == 401
        assert _post_login(a.url, ALICE[0], ALICE[1]).status_code == 429
        assert _post_login(b.url, ALICE[0], ALICE[1]).status_code == 429
    finally:
        a.stop()
        b.stop()
        other_store.close()


def test_database_counters_are_atomic_on_sqlite_and_postgres(store):
    storage = DatabaseStorage(store.engine)

    def hammer() -> None:
        for _ in range(25):
            storage.incr("k", 60)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert storage.get("k") == 200 and storage.get_expiry("k") > time.time()
    storage.incr("short", 0.3)
    time.sleep(0.4)
    assert storage.get("short") == 0 and storage.incr("short", 60) == 1  # an ended window starts again


def test_timing_does_not_tell_known_from_unknown_emails(tmp_path):
    # a hash costly enough (~tens of ms) that skipping it for unknown emails would show
    settings = Settings.load(data_dir=tmp_path / "data", argon2_time_cost=2, argon2_memory_kib=16384,
                             login_limit_account="10000/minute", login_limit_address="10000/minute")
    store = Store.open(settings)
    household(store)
    server = LiveServer(create_app(settings, store), free_port()).start()
    try:
        known, unknown = [], []
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for n in range(2):  # warm-up (dummy hash built, connections open)
                client.post("/login", data={"email": f"warm{n}@example.org", "password": "x"})
            for n in range(24):
                for email, times in ((ALICE[0], known), (f"ghost{n}@example.org", unknown)):
                    started = time.perf_counter()
                    assert client.post("/login", data={"email": email, "password": f"wrong-{n}"}).status_code == 401
                    times.append(time.perf_counter() - started)
        ratio = statistics.median(unknown) / statistics.median(known)
        assert 0.6 < ratio < 1.6, (statistics.median(known), statistics.median(unknown))
    finally:
        server.stop()
        store.close()


def test_parallel_hashing_is_capped_and_the_excess_refused_with_503(tmp_path):
    settings = Settings.load(data_dir=tmp_path / "data", argon2_time_cost=3, argon2_memory_kib=32768,
                             login_hash_concurrency=2, login_hash_wait_s=0.05,
                             login_limit_account="10000/minute", login_limit_address="10000/minute")
    store = Store.open(settings)
    household(store)
    server = LiveServer(create_app(settings, store), free_port()).start()
    try:
        replies: list[httpx.Response] = []

        def attempt(n: int) -> None:
            replies.append(_post_login(server.url, f"flood{n}@example.org", "wrong"))

        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r.status_code for r in replies)
        busy = [r for r in replies if r.status_code == 503]
        assert busy and set(statuses) <= {401, 503}, statuses
        assert all(r.headers.get("retry-after") == "1" for r in busy)
        assert _post_login(server.url, *ALICE).status_code == 303  # the flood is over: service as usual
    finally:
        server.stop()
        store.close()


# -- the password policy ------------------------------------------------------------------------

def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {"ECOUTE_ARGON2_TIME_COST": "1", "ECOUTE_ARGON2_MEMORY_KIB": "1024", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "ecoute.cli", *args], env={**base, **env}, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("weak", ["12345678", "password", "Password1!"])
def test_cli_owner_add_refuses_weak_passwords_with_exit_code_2(settings, weak):
    data = str(settings.store.data_dir)
    home = _cli("household", "add", "Home", "--data-dir", data, env={}).stdout.strip()
    args = ("owner", "add", "--household", home, "--name", "Sam", "--email", "sam@example.org", "--data-dir", data)
    refused = _cli(*args, env={"ECOUTE_NEW_PASSWORD": weak})
    assert refused.returncode == 2, refused.stderr
    assert "too weak" in refused.stderr and "Traceback" not in refused.stderr
    accepted = _cli(*args, env={"ECOUTE_NEW_PASSWORD": "tulip-harbour-quietly-9"})
    assert accepted.returncode == 0, accepted.stderr


def test_cli_staff_add_refuses_a_common_password_with_exit_code_2(tmp_path):
    result = _cli("staff", "add", "--email", "o@site.example", "--role", "officer",
                  env={"ECOUTE_DATA_DIR": str(tmp_path / "data"), "ECOUTE_STAFF_PASSWORD": "password"})
    assert result.returncode == 2, result.stderr
    assert "too weak" in result.stderr and "Traceback" not in result.stderr


def test_the_password_page_refuses_weak_passwords_with_the_reason(live_server, home):
    base = live_server.url
    client = login(base, *ALICE)
    elsewhere = login(base, *ALICE)  # another session of Alice's
    html = {"accept": "text/html"}
    assert 'name="new"' in client.get("/privacy/password", headers=html).text
    for weak in ("12345678", "password"):
        refused = client.post("/privacy/password", data={"current": ALICE[1], "new": weak, "again": weak},
                              headers=html)
        assert refused.status_code == 400 and "too weak" in refused.text and "common password" in refused.text
    short = client.post("/privacy/password", data={"current": ALICE[1], "new": "a1!", "again": "a1!"}, headers=html)
    assert short.status_code == 400 and "at least 8 characters" in short.text
    assert _post_login(base, ALICE[0], ALICE[1]).status_code == 303  # still the old password
    new = "lantern-orchard-mosaic-4"
    changed = client.post("/privacy/password", data={"current": ALICE[1], "new": new, "again": new}, headers=html)
    assert changed.status_code == 303
    assert _post_login(base, ALICE[0], new).status_code == 303
    assert _post_login(base, ALICE[0], ALICE[1]).status_code == 401
    assert client.get("/api/v1/me/recordings").status_code == 200
    assert elsewhere.get("/api/v1/me/recordings").status_code == 401  # signed out everywhere else

"""A real ``ecoute serve`` process killed in the middle of a turn leaves a complete turn or
none: here it dies after the encrypted audio blob is written and before the rows commit
(a test-only pause, ``ECOUTE_INGEST_PAUSE_S``, holds it there). On restart the server
removes the orphan blob before accepting turns (a complete turn over HTTP is covered by
test_platform_api.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from conftest import free_port
from sqlalchemy import func, select
from test_platform_support import device, household, turn_wav

from ecoute.store.schema.owner import Turn

pytestmark = pytest.mark.slow


def _serve(settings, port: int, pause_s: float) -> subprocess.Popen:
    env = {**os.environ, "ECOUTE_INGEST_PAUSE_S": str(pause_s), "ECOUTE_ARGON2_TIME_COST": "1",
           "ECOUTE_ARGON2_MEMORY_KIB": "1024"}
    proc = subprocess.Popen([sys.executable, "-m", "ecoute.cli", "serve", "--data-dir", str(settings.store.data_dir),
                             "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180  # generous: CI machines can be heavily loaded
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stdout.read().decode())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("ecoute serve did not start")


def _turns(store) -> int:
    with store.session() as session:
        return session.execute(select(func.count()).select_from(Turn)).scalar_one()


def _audio_blobs(store) -> list[str]:
    return [k for k in store.blobs.keys("owners/") if "/audio/" in k]


def test_killed_mid_turn_leaves_no_half_turn(sqlite_store):
    store = sqlite_store
    hid, alice, _ = household(store)
    _, token = device(store, hid, alice)
    wav = turn_wav("what time is it")
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/v1/turns"
    auth = {"Authorization": f"Bearer {token}"}

    server = _serve(store.settings, port, pause_s=30)
    outcome: dict = {}

    def send() -> None:
        try:
            outcome["reply"] = httpx.post(url, headers=auth, files={"audio": ("t.wav", wav, "audio/wav")}, timeout=300)
        except httpx.TransportError as err:
            outcome["error"] = err

    sender = threading.Thread(target=send)
    sender.start()
    try:
        deadline = time.monotonic() + 240
        while not _audio_blobs(store):  # the blob is written: the process now sleeps before its commit
            assert time.monotonic() < deadline and server.poll() is None, "the turn never reached storage"
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
    sender.join(timeout=30)
    assert "error" in outcome  # the device got no answer, so nothing was acknowledged
    assert _turns(store) == 0 and len(_audio_blobs(store)) == 1  # the crash left only an orphan blob

    server = _serve(store.settings, port, pause_s=0)
    try:
        assert _audio_blobs(store) == []  # removed at start, before any turn was accepted
        assert _turns(store) == 0
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)

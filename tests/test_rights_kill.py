"""Real kills (SIGKILL of an `ecoute` process), not injected exceptions: no cleanup code runs.

A killed export must leave no archive under the requested name (only a hidden ``.partial``
file, which the next run removes); a killed erasure must leave the key destroyed and
complete when resumed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from test_rights_erasure import _assert_gone
from test_rights_support import audio_for, capture_dek, make_owner, owner_status

from ecoute.privacy.erasure import resume_erasures
from ecoute.privacy.export import export_owner, verify_export
from ecoute.store.store import Store
from ecoute.store.turns import TurnContent, save_turn


def _many_turns(store: Store, owner_id: str, n: int) -> list[str]:
    ids = []
    with store.vault_session() as (session, vault):
        for i in range(n):
            turn = save_turn(session, vault, owner_id=owner_id, device_id=None, audio_wav=audio_for(owner_id, i),
                             content=TurnContent(f"utterance {i} of {owner_id}", "ok"), language="en",
                             duration_s=1.0, handled=True, confidence=0.9)
            ids.append(turn.id)
    return ids


def _start(store: Store, *args: str) -> subprocess.Popen:
    env = {**os.environ, "ECOUTE_DATA_DIR": str(store.settings.store.data_dir), "ECOUTE_ARGON2_TIME_COST": "1",
           "ECOUTE_ARGON2_MEMORY_KIB": "1024"}
    return subprocess.Popen([sys.executable, "-m", "ecoute.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_sigkill_during_export_leaves_no_archive(sqlite_store: Store, tmp_path: Path):
    store = sqlite_store
    ana = make_owner(store, "Ana", email="ana@example.org")
    _many_turns(store, ana, 200)
    out = tmp_path / "ana.zip"
    proc = _start(store, "export", "ana@example.org", str(out), "--json")
    killed = False
    while proc.poll() is None:
        if list(tmp_path.glob(".ana.zip.*.partial")):
            time.sleep(0.05)  # well inside the archive, not at its first byte
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.005)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    assert killed and proc.returncode == -signal.SIGKILL, "the export finished before it could be killed"
    assert not out.exists()  # nobody can pick up a partial archive under the real name
    export_owner(store, ana, out)  # the next run removes the leftover and completes
    assert verify_export(out).ok
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".ana.zip")] == []


def test_sigkill_during_erasure_then_resume_completes(sqlite_store: Store):
    store = sqlite_store
    ana = make_owner(store, "Ana", email="ana@example.org")
    ben = make_owner(store, "Ben")
    turns = _many_turns(store, ana, 200)
    bens = _many_turns(store, ben, 3)
    dek = capture_dek(store, ana)
    proc = _start(store, "erase", "ana@example.org", "--yes")
    line = proc.stderr.readline()  # printed once the key is destroyed and committed
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    assert "data key destroyed" in line
    assert owner_status(store, ana) == "erasing"  # killed mid-way: the clean-up had not finished
    resumed = resume_erasures(store)
    assert len(resumed) == 1 and resumed[0]["deleted"]["turns"] == 200  # counted once, across the kill
    _assert_gone(store, ana, turns, dek)
    assert all(store.blobs.exists(f"owners/{ben}/audio/{t}") for t in bens)

"""The README's main job: `ecoute demo` runs a household through the whole loop."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import free_port

from ecoute.config import Settings
from ecoute.store import audit
from ecoute.store.accounts import find_owner_by_email
from ecoute.store.schema.owner import Turn
from ecoute.store.store import Store


@pytest.mark.slow
def test_demo_runs_the_whole_loop_and_prints_working_logins(tmp_path: Path):
    data, port = tmp_path / "demo", free_port()
    exe = Path(sys.executable).with_name("ecoute")
    proc = subprocess.run([str(exe), "demo", "--data-dir", str(data), "--port", str(port)],
                          capture_output=True, text=True, timeout=600, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    stored = int(re.search(r"(\d+) stored", out).group(1))
    assert stored >= 20 and "false activations discarded" in out
    assert "one improvement round" in out
    logins = re.findall(r"(\S+@example\.org) / (\S+)", out)
    assert len(logins) == 2

    store = Store.open(Settings.load(data_dir=data), run_migrations=False)
    try:
        with store.session() as session:
            alice = find_owner_by_email(session, store.keys, logins[0][0])
            assert alice is not None
            assert session.query(Turn).filter(Turn.owner_id == alice.id).count() > 0
            assert audit.verify(session).ok
    finally:
        store.close()

    # the printed login works on a freshly started server over the same data directory
    serve = subprocess.Popen([str(exe), "serve", "--data-dir", str(data), "--port", str(port)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(200):
                try:
                    client.get("/login")
                    break
                except httpx.TransportError:
                    import time

                    time.sleep(0.1)
            reply = client.post("/login", data={"email": logins[0][0], "password": logins[0][1]},
                                follow_redirects=True)
            assert reply.status_code == 200 and "Add" in reply.text
    finally:
        serve.terminate()
        serve.wait(timeout=20)

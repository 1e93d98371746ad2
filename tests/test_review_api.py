"""Bad input and faults over real HTTP: each refusal is a clear 4xx and changes nothing."""

from __future__ import annotations

import random
import subprocess
import sys

import httpx
from sqlalchemy import func, select
from test_review_support import PASSWORD, add_owner, add_staff, add_task, add_turn, task_status

from ecoute.review.assignment import next_task
from ecoute.store import audit
from ecoute.store.schema.owner import AuditEntry
from ecoute.store.schema.review import Annotation, ReviewAssignment, Staff


def _client(url: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=20)
    reply = client.post("/staff/login", data={"email": email, "password": PASSWORD})
    assert reply.status_code == 303
    return client


def _counts(store) -> tuple[int, int, int]:
    with store.session() as session:
        return tuple(
            session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Annotation, ReviewAssignment, AuditEntry)
        )


def test_refusals_are_clear_and_change_nothing(live_server, sqlite_store):
    store = sqlite_store
    store.settings.policy.review_gold_rate = 0.0
    ana, dev = add_owner(store)
    ben, bdev = add_owner(store, name="Ben", language="fr")
    t_en = add_task(store, ana, add_turn(store, ana, dev))
    t_fr = add_task(store, ben, add_turn(store, ben, bdev, language="fr"), language="fr")
    add_staff(store, "en@site.example", languages="en")
    add_staff(store, "en2@site.example", languages="en")
    en, en2 = _client(live_server.url, "en@site.example"), _client(live_server.url, "en2@site.example")
    assert en.post("/review/api/next").json()["task"]["task_id"] == t_en
    before = _counts(store)

    outside = en.get(f"/review/api/tasks/{t_fr}/audio")
    assert outside.status_code == 403 and "languages" in outside.json()["detail"]
    others = en2.get(f"/review/api/tasks/{t_en}/audio")
    assert others.status_code == 403 and "not assigned to you" in others.json()["detail"]
    assert en2.post(f"/review/api/tasks/{t_en}/annotations", json={"kind": "skip"}).status_code == 403
    assert en.post(f"/review/api/tasks/{t_en}/annotations", json={"kind": "fly"}).status_code == 400
    assert en.post(f"/review/api/tasks/{t_en}/annotations", json={"kind": "escalate"}).status_code == 400
    assert (
        en.post(
            f"/review/api/tasks/{t_en}/annotations", json={"kind": "sensitive", "category": "nope"}
        ).status_code
        == 400
    )
    assert en.get("/review/api/tasks/not-a-task").status_code == 404
    lead_page = en.get("/review/lead", headers={"accept": "text/html"})
    assert lead_page.status_code == 403 and "lead" in lead_page.text
    assert en.post("/review/lead/reviewers/x/pause", data={"reason": "x"}).status_code == 403
    assert httpx.get(f"{live_server.url}/review/api/me").status_code == 401
    assert _counts(store) == before
    assert task_status(store, t_en) == "assigned"

    # submitted twice
    body = {"kind": "label", "transcript": "turn on the light", "intent": "HassTurnOn"}
    assert en.post(f"/review/api/tasks/{t_en}/annotations", json=body).status_code == 200
    after_first = _counts(store)
    again = en.post(f"/review/api/tasks/{t_en}/annotations", json=body)
    assert again.status_code == 409 and "already" in again.json()["detail"]
    assert _counts(store) == after_first
    with store.session() as session:
        assert audit.verify(session).ok


def test_task_of_an_erased_owner_fails_cleanly_and_vanishes(live_server, sqlite_store):
    store = sqlite_store
    store.settings.policy.review_gold_rate = 0.0
    ana, dev = add_owner(store)
    task_id = add_task(store, ana, add_turn(store, ana, dev))
    add_staff(store, "en@site.example")
    en = _client(live_server.url, "en@site.example")
    assert en.post("/review/api/next").json()["task"]["task_id"] == task_id
    with store.vault_session() as (session, vault):
        vault.destroy_owner_key(ana)
    gone = en.get(f"/review/api/tasks/{task_id}/audio")
    assert gone.status_code == 410 and "gone" in gone.json()["detail"]
    assert task_status(store, task_id) is None
    assert list(store.blobs.keys("review/")) == []
    assert en.post("/review/api/next").json() == {"task": None}
    # a pending task of an erased owner is dropped when it comes up for assignment
    ben, bdev = add_owner(store, name="Ben")
    pending = add_task(store, ben, add_turn(store, ben, bdev))
    with store.vault_session() as (session, vault):
        vault.destroy_owner_key(ben)
    with store.vault_session() as (session, vault):
        staff = session.execute(select(Staff)).scalar_one()
        assert next_task(session, vault, store.settings, staff, rng=random.Random(1)) is None
    assert task_status(store, pending) is None


def test_cli_staff_add_refuses_bad_input_with_exit_code_2(tmp_path):
    env = {
        "ECOUTE_DATA_DIR": str(tmp_path / "data"),
        "ECOUTE_ARGON2_TIME_COST": "1",
        "ECOUTE_ARGON2_MEMORY_KIB": "1024",
        "ECOUTE_STAFF_PASSWORD": "long-enough-1",
        "PATH": "/usr/bin:/bin",
    }
    base = [
        sys.executable,
        "-m",
        "ecoute.cli",
        "staff",
        "add",
        "--email",
        "r@site.example",
        "--role",
        "reviewer",
        "--site",
        "Lyon",
        "--country",
        "FR",
    ]
    bad = subprocess.run(base + ["--languages", "en,french!"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "not a language code" in bad.stderr
    ok = subprocess.run(base + ["--languages", "en,fr"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0 and "languages en,fr" in ok.stdout
    stats = subprocess.run(
        [sys.executable, "-m", "ecoute.cli", "review", "stats", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert stats.returncode == 0 and '"languages": "en,fr"' in stats.stdout

"""The improvement page over real HTTP: trend plots, dataset versions, proposals a lead decides."""

from __future__ import annotations

import httpx
import pytest

from ecoute.assistant.intents import recognize
from ecoute.improve import datasets as ds
from ecoute.improve import proposals as props
from ecoute.improve.evaluate import Case, assistant_recognizer, record, score
from ecoute.improve.household import Request, gold_check, reviewed_task, reviewer
from ecoute.store.accounts import create_household, create_owner
from ecoute.store.identity import seal_staff_identity
from ecoute.store.passwords import hash_password
from ecoute.store.schema.base import new_id
from ecoute.store.schema.review import Staff

PASSWORD = "staff-password"


def _staff(store, role: str) -> str:
    email = f"{role}@improve.example"
    with store.session() as session:
        person = Staff(id=new_id(), role=role, password_hash=hash_password(store.settings, PASSWORD))
        seal_staff_identity(store.keys, person, email=email, display_name=role)
        session.add(person)
    return email


def _login(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, headers={"accept": "text/html"})
    assert client.post("/staff/login", data={"email": email, "password": PASSWORD}).status_code == 303
    return client


@pytest.fixture
def populated(live_server, sqlite_store):
    store, settings = sqlite_store, sqlite_store.settings
    with store.vault_session() as (session, vault):
        owner = create_owner(session, vault, settings, create_household(session, "h"), display_name="Owner Zed")
        staff = reviewer(session, vault.keys, "ana@review.test")
        gold_check(session, staff)
        for item in ("milk", "eggs"):
            reviewed_task(session, vault, owner_id=owner.id, request=Request(
                "en", f"pop {item} on the list", "HassShoppingListAddItem", {"shopping_list_item": item}),
                reviewers=[staff])
        version = ds.build_dataset(session, "main")
        examples = ds.load_examples(session, vault, version)
        (proposal,) = props.propose(session, settings, examples)
        held = [Case("en", "pop tea on the list", "HassShoppingListAddItem", {"shopping_list_item": "tea"})]
        record(session, settings, language="en", scores=score(held, assistant_recognizer(settings)),
               label="before", dataset_label="main v1", fa_per_hour=0.01)
        later = reviewed_task(session, vault, owner_id=owner.id, reviewers=[staff], request=Request(
            "en", "what time is it", "HassGetCurrentTime", {}))
        ds.build_dataset(session, "old")  # the only version holding the later task
        from ecoute.improve.lineage import mark_tasks_removed

        mark_tasks_removed(session, [later.id])
        return {"proposal": proposal.id, "owner": owner.id}


def test_roles_plots_and_a_lead_accepting_a_template(live_server, sqlite_store, populated):
    base = live_server.url
    assert httpx.get(f"{base}/api/improve/evals").status_code == 401
    assert _login(base, _staff(sqlite_store, "reviewer")).get("/improve").status_code == 403

    ml = _login(base, _staff(sqlite_store, "ml"))
    page = ml.get("/improve")
    assert page.status_code == 200
    assert "pop {shopping_list_item} on the list" in page.text
    assert f"/improve/proposals/{populated['proposal']}/accept" not in page.text  # ml cannot decide
    assert "<strong>stale</strong>" in page.text and "task(s) removed" in page.text
    for secret in (populated["owner"], "Owner Zed"):
        assert secret not in page.text
    png = ml.get("/improve/plots/intent_accuracy.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert ml.get("/improve/plots/nonsense.png").status_code == 404
    assert ml.post(f"/improve/proposals/{populated['proposal']}/accept").status_code == 403
    evals = ml.get("/api/improve/evals").json()
    assert [(e["language"], e["label"], e["intent_accuracy"]) for e in evals] == [("en", "before", 0.0)]
    sets = {(d["name"], d["stale"]) for d in ml.get("/api/improve/datasets").json()}
    assert sets == {("main", False), ("old", True)}

    extra = props.extra_dir(sqlite_store.settings)
    assert recognize("pop tea on the list", "en", extra_dir=extra) is None
    lead = _login(base, _staff(sqlite_store, "lead"))
    page = lead.get("/improve")
    assert f"/improve/proposals/{populated['proposal']}/accept" in page.text
    done = lead.post(f"/improve/proposals/{populated['proposal']}/accept", follow_redirects=False)
    assert done.status_code == 303
    match = recognize("pop tea on the list", "en", extra_dir=extra)
    assert match is not None and match.intent == "HassShoppingListAddItem"
    again = lead.post(f"/improve/proposals/{populated['proposal']}/reject", follow_redirects=False)
    assert again.status_code == 400 and "already accepted" in again.text
    assert lead.post("/improve/proposals/nope/accept").status_code == 404
    assert lead.post(f"/improve/proposals/{populated['proposal']}/maybe").status_code == 404
    assert "accepted: en HassShoppingListAddItem" in lead.get("/improve").text

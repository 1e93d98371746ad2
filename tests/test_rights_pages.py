"""The rights pages over real HTTP: export with re-authentication, erasure, the officer's list."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from test_rights_support import PASSWORD, make_owner, make_turn, owner_status

from ecoute.privacy.export import verify_export
from ecoute.store.identity import seal_staff_identity
from ecoute.store.passwords import hash_password
from ecoute.store.schema.base import new_id, utcnow
from ecoute.store.schema.owner import LoginSession
from ecoute.store.schema.review import Staff

ANA, BEN = "ana@example.org", "ben@example.org"


def _login(base: str, email: str, password: str = PASSWORD, path: str = "/login") -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, headers={"accept": "text/html"})
    reply = client.post(path, data={"email": email, "password": password})
    assert reply.status_code == 303, reply.text
    return client


def _staff(store, role: str) -> str:
    email = f"{role}@staff.example"
    with store.session() as session:
        person = Staff(id=new_id(), role=role, password_hash=hash_password(store.settings, "staff-password"))
        seal_staff_identity(store.keys, person, email=email, display_name=role)
        session.add(person)
    return email


def _age_logins(store, minutes: int) -> None:
    with store.session() as session:
        session.execute(update(LoginSession).values(authenticated_at=utcnow() - timedelta(minutes=minutes)))


@pytest.fixture
def people(sqlite_store):
    ana, ben = make_owner(sqlite_store, "Ana", email=ANA), make_owner(sqlite_store, "Ben", email=BEN)
    for n in range(3):
        make_turn(sqlite_store, ana, n)
    make_turn(sqlite_store, ben, 7)
    return ana, ben


def test_export_needs_a_recent_password_and_only_its_owner_downloads(live_server, sqlite_store, people, tmp_path):
    store, jobs = sqlite_store, live_server.app.state.jobs
    _ana, ben = people
    client = _login(live_server.url, ANA)
    assert "no need to enter your password" in client.get("/privacy/export").text
    _age_logins(store, 6)  # the login is older than the 5-minute window now
    page = client.get("/privacy/export").text
    assert 'name="password"' in page
    refused = client.post("/privacy/export", data={})
    assert refused.status_code == 403 and "enter your password" in refused.text
    wrong = client.post("/privacy/export", data={"password": "not it"})
    assert wrong.status_code == 403 and "Wrong password" in wrong.text
    assert 'class="export"' not in wrong.text  # nothing was requested
    done = client.post("/privacy/export", data={"password": PASSWORD})
    assert done.status_code == 303
    assert jobs.wait_idle(60)
    listing = client.get("/privacy/export/requests").text
    assert 'data-status="done"' in listing
    link = listing.split('href="')[1].split('"')[0]
    archive = client.get(link)
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    path = tmp_path / "download.zip"
    path.write_bytes(archive.content)
    assert verify_export(path, client.get("/privacy/export/public-key").json()["public_key"]).ok
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zf:
        assert len([n for n in zf.namelist() if n.startswith("recordings/")]) == 3
        assert ben.encode() not in zf.read("turns.json")
    # a fresh password entry counts as a login: a second export within 5 minutes needs none
    assert client.post("/privacy/export", data={}).status_code == 303
    assert jobs.wait_idle(60)
    bens = _login(live_server.url, BEN)
    assert bens.get(link).status_code == 404  # Ana's export is not Ben's, and looks missing
    assert httpx.get(live_server.url + link).status_code in (303, 401)  # no session: to the login page


def test_officer_sees_status_and_timing_never_content(live_server, sqlite_store, people):
    store, jobs = sqlite_store, live_server.app.state.jobs
    client = _login(live_server.url, ANA)
    client.post("/privacy/export", data={})
    assert jobs.wait_idle(60)
    reviewer = _login(live_server.url, _staff(store, "reviewer"), "staff-password", "/staff/login")
    assert reviewer.get("/officer/requests").status_code == 403
    assert httpx.get(f"{live_server.url}/api/v1/officer/requests").status_code == 401
    officer = _login(live_server.url, _staff(store, "officer"), "staff-password", "/staff/login")
    page = officer.get("/officer/requests")
    assert page.status_code == 200 and 'data-kind="export" data-status="done"' in page.text
    for secret in (ANA, "Ana", "utterance 0", people[0]):
        assert secret not in page.text
    rows = officer.get("/api/v1/officer/requests", params={"kind": "export"}).json()
    assert [(r["kind"], r["status"]) for r in rows] == [("export", "done")] and rows[0]["completed_at"]
    assert officer.get("/api/v1/officer/requests", params={"status": "bogus"}).status_code == 400


def test_erasure_from_the_page_with_a_receipt(live_server, sqlite_store, people):
    store, jobs = sqlite_store, live_server.app.state.jobs
    ana, _ben = people
    client = _login(live_server.url, ANA)
    unconfirmed = client.post("/privacy/erase", data={"password": PASSWORD})
    assert unconfirmed.status_code == 400 and owner_status(store, ana) == "active"
    wrong = client.post("/privacy/erase", data={"password": "nope", "confirm": "erase"})
    assert wrong.status_code == 403 and owner_status(store, ana) == "active"
    erased = client.post("/privacy/erase", data={"password": PASSWORD, "confirm": "erase"})
    assert erased.status_code == 303 and erased.headers["location"].startswith("/erasure/")
    assert jobs.wait_idle(60)
    receipt = httpx.get(live_server.url + erased.headers["location"])
    assert "Completed" in receipt.text and "turns: 3" in receipt.text
    assert owner_status(store, ana) == "erased"
    assert client.get("/privacy/export").status_code in (303, 401)  # logged out everywhere
    again = httpx.post(f"{live_server.url}/login", data={"email": ANA, "password": PASSWORD})
    assert again.status_code == 401
    officer = _login(live_server.url, _staff(store, "officer"), "staff-password", "/staff/login")
    rows = officer.get("/api/v1/officer/requests", params={"kind": "erasure"}).json()
    assert rows[0]["status"] == "done" and rows[0]["key_destroyed_at"] and rows[0]["counts"]["turns"] == 3


@pytest.mark.browser
def test_export_in_a_browser(live_server, sqlite_store, people, page):
    page.goto(f"{live_server.url}/login")
    page.fill("#email", ANA)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/privacy/export")
    page.click("#export-form button")
    page.wait_for_selector("a.download", timeout=20000)  # htmx polls the list until it is ready
    with page.expect_download() as info:
        page.click("a.download")
    assert info.value.suggested_filename.startswith("ecoute-export-")

"""The platform over real HTTP (uvicorn on loopback): logins, pairing, device tokens,
uploads refused with a reason and nothing stored, other owners' ids (IDOR), turns."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from test_platform_support import ALICE, BOB, add_turn, device, household, login, speech_wav

from ecoute.store.schema.owner import Device, Turn


def _count(store, table=Turn) -> int:
    with store.session() as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def _blob_count(store) -> int:
    return len(list(store.blobs.keys("owners/")))


@pytest.fixture
def settings(settings):
    """A small upload limit, so the oversized case sends 2 MB, not 20."""
    return settings.replace(max_upload_bytes=2 * 1024 * 1024)


@pytest.fixture
def home(sqlite_store):
    return household(sqlite_store)


def test_login_logout_and_pages_need_a_session(live_server, sqlite_store, home):
    base = live_server.url
    page = httpx.get(f"{base}/privacy", headers={"accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=%2Fprivacy")
    api = httpx.get(f"{base}/api/v1/me/recordings")
    assert api.status_code == 401 and "login required" in api.json()["detail"]
    wrong = httpx.post(f"{base}/login", data={"email": ALICE[0], "password": "not her password"})
    assert wrong.status_code == 401 and "Wrong email or password" in wrong.text
    client = login(base, *ALICE)
    assert "Hello Alice" in client.get("/privacy").text
    client.post("/logout")
    assert client.get("/api/v1/me/recordings").status_code == 401
    staff = httpx.post(f"{base}/staff/login", data={"email": ALICE[0], "password": ALICE[1]})
    assert staff.status_code == 401  # an owner is not staff


def test_other_owners_recordings_are_404_and_untouched(live_server, sqlite_store, home):
    _, alice, bob = home
    bobs = add_turn(sqlite_store, bob, "bob's private words")
    mine = add_turn(sqlite_store, alice, "alice's words")
    client = login(live_server.url, *ALICE)
    assert client.get(f"/privacy/recordings/{bobs}/audio").status_code == 404
    assert client.post(f"/privacy/recordings/{bobs}/delete").status_code == 404
    assert client.delete(f"/api/v1/me/recordings/{bobs}").status_code == 404
    mixed = client.post("/privacy/recordings/delete", data={"turn_id": [mine, bobs]})
    assert mixed.status_code == 404
    assert _count(sqlite_store) == 2
    listed = client.get("/api/v1/me/recordings").json()
    assert [r["id"] for r in listed] == [mine] and "bob" not in str(listed)
    assert client.get(f"/privacy/recordings/{mine}/audio").content.startswith(b"RIFF-not-real-audio")


def test_pairing_over_http_and_device_switch(live_server, sqlite_store, home):
    base = live_server.url
    start = httpx.post(f"{base}/api/v1/devices/pair", json={"name": "Bedroom"})
    assert start.status_code == 201
    pending = start.json()
    waiting = httpx.post(f"{base}/api/v1/devices/pair", json={"pairing_id": pending["pairing_id"]})
    assert waiting.status_code == 202
    alice = login(base, *ALICE)
    assert alice.post("/privacy/devices/pair", data={"code": "222222"}).status_code == 404
    assert alice.post("/privacy/devices/pair", data={"code": pending["code"]}).status_code == 303
    paired = httpx.post(f"{base}/api/v1/devices/pair", json={"pairing_id": pending["pairing_id"]})
    assert paired.status_code == 200 and paired.json()["token"].startswith("dev_")
    again = httpx.post(f"{base}/api/v1/devices/pair", json={"pairing_id": pending["pairing_id"]})
    assert again.status_code == 404
    bob = login(base, *BOB)
    dev_id = paired.json()["device_id"]
    assert bob.post(f"/privacy/devices/{dev_id}/speaker").status_code == 303
    with sqlite_store.session() as session:
        assert session.get(Device, dev_id).selected_owner_id == home[2]
    assert bob.post(f"/privacy/devices/{'0' * 24}/speaker").status_code == 404
    assert httpx.post(f"{base}/api/v1/devices/pair", json={"name": ""}).status_code == 400


def test_bad_tokens_and_bad_uploads_store_nothing(live_server, sqlite_store, home):
    hid, alice, _ = home
    _, token = device(sqlite_store, hid, alice)
    url = f"{live_server.url}/api/v1/turns"
    wav = speech_wav("what time is it")
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        reply = httpx.post(url, headers=headers, files={"audio": ("t.wav", wav, "audio/wav")})
        assert reply.status_code == 401 and reply.json()["detail"]
    auth = {"Authorization": f"Bearer {token}"}
    cases = [
        ({"audio": ("t.wav", b"this is not audio at all", "audio/wav")}, {}, 400, "not a readable audio"),
        ({"audio": ("t.wav", b"", "audio/wav")}, {}, 400, "empty"),
        ({"other": ("t.wav", wav, "audio/wav")}, {}, 400, "'audio'"),
        ({"audio": ("t.wav", wav, "audio/wav")}, {"wake_score": "high"}, 400, "wake_score"),
        ({"audio": ("t.wav", wav, "audio/wav")}, {"wake_score": "7"}, 400, "wake_score"),
        ({"audio": ("t.wav", b"\0" * (sqlite_store.settings.max_upload_bytes + 10), "audio/wav")}, {}, 413, "limit"),
    ]
    for files, data, status, reason in cases:
        reply = httpx.post(url, headers=auth, files=files, data=data, timeout=30)
        assert reply.status_code == status, (reason, reply.text)
        assert reason in reply.json()["detail"]
    garbage = httpx.post(url, headers={**auth, "content-type": "multipart/form-data; boundary=xyz"},
                         content=b"--xyz\r\nnot a multipart body", timeout=30)
    assert garbage.status_code == 400
    assert _count(sqlite_store) == 0 and _blob_count(sqlite_store) == 0

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


def test_staff_login_is_a_separate_session(live_server, sqlite_store):
    from ecoute.review.staff import create_staff

    with sqlite_store.session() as session:
        create_staff(session, sqlite_store.settings, sqlite_store.keys, email="officer@example.org", display_name="Olga",
                     password="officer-pass-1", role="officer")
    base = live_server.url
    assert httpx.post(f"{base}/staff/login", data={"email": "officer@example.org", "password": "nope"}
                      ).status_code == 401
    client = httpx.Client(base_url=base, timeout=30)
    reply = client.post("/staff/login", data={"email": "officer@example.org", "password": "officer-pass-1",
                                              "next": "/privacy"})
    assert reply.status_code == 303 and reply.headers["location"] == "/privacy"
    assert "ecoute_staff" in client.cookies and "ecoute_owner" not in client.cookies
    assert client.get("/api/v1/me/recordings").status_code == 401  # staff are not owners
    evil = client.post("/staff/login", data={"email": "officer@example.org", "password": "officer-pass-1",
                                             "next": "//evil.example/"})
    assert evil.headers["location"] == "/review"  # no open redirect


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
        ({"audio": ("t.wav", b"\0" * (sqlite_store.settings.server.max_upload_bytes + 10), "audio/wav")}, {}, 413, "limit"),
    ]
    for files, data, status, reason in cases:
        reply = httpx.post(url, headers=auth, files=files, data=data, timeout=30)
        assert reply.status_code == status, (reason, reply.text)
        assert reason in reply.json()["detail"]
    garbage = httpx.post(url, headers={**auth, "content-type": "multipart/form-data; boundary=xyz"},
                         content=b"--xyz\r\nnot a multipart body", timeout=30)
    assert garbage.status_code == 400
    assert _count(sqlite_store) == 0 and _blob_count(sqlite_store) == 0


def _post_turn(base: str, token: str, wav: bytes, score: str = "0.9") -> dict:
    reply = httpx.post(f"{base}/api/v1/turns", headers={"Authorization": f"Bearer {token}"}, timeout=120,
                       files={"audio": ("turn.wav", wav, "audio/wav")}, data={"wake_score": score})
    assert reply.status_code == 200, reply.text
    return reply.json()


@pytest.mark.slow
def test_turns_answered_stored_sealed_and_sampled(live_server, sqlite_store, home):
    """The whole path with the real voice turn: answer + audio, encrypted storage, the
    sampling job, voice deletion, and no plaintext anywhere at rest afterwards."""
    from test_platform_support import turn_wav

    hid, alice, bob = home
    _, token = device(sqlite_store, hid, alice)
    _, other_token = device(sqlite_store, hid, bob, "Hall")
    base = live_server.url
    first = _post_turn(base, token, turn_wav("add milk to the shopping list"))
    assert set(first) == {"turn_id", "transcript", "intent", "answer", "answer_audio_url", "false_activation"}
    assert first["false_activation"] is False and "milk" in first["transcript"] and first["answer"]
    audio = httpx.get(base + first["answer_audio_url"], headers={"Authorization": f"Bearer {token}"})
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF"
    stolen = httpx.get(base + first["answer_audio_url"], headers={"Authorization": f"Bearer {other_token}"})
    assert stolen.status_code == 404  # another device cannot fetch this answer

    second = _post_turn(base, token, turn_wav("what time is it"))
    noise = _post_turn(base, token, turn_wav("we should call the plumber tomorrow", wake=False), "0.6")
    assert noise["false_activation"] is True and noise["transcript"] == "" and noise["answer_audio_url"] is None
    assert live_server.app.state.jobs.wait_idle(60)
    with sqlite_store.session() as session:
        t1, t2, fa = (session.get(Turn, x["turn_id"]) for x in (first, second, noise))
        assert t1.review_considered and t2.review_considered  # the sampling stage ran for each
        assert fa.false_activation and fa.audio_blob is None and fa.transcript_ct is None

    forget = _post_turn(base, token, turn_wav("delete what I just said"))
    assert forget["intent"] == "EcouteDeleteLastTurn" and forget["turn_id"] is None
    with sqlite_store.session() as session:
        assert session.get(Turn, second["turn_id"]) is None and session.get(Turn, first["turn_id"]) is not None
    assert live_server.app.state.jobs.wait_idle(60)

    known = [first["transcript"], first["answer"], second["transcript"], second["answer"]]
    files = [p for p in sqlite_store.settings.store.data_dir.rglob("*") if p.is_file()]
    for path in files:
        data = path.read_bytes()
        for plain in known:
            assert plain.encode() not in data, (plain, path)
    client = login(base, *ALICE)
    listed = client.get("/api/v1/me/recordings").json()
    assert [r["transcript"] for r in listed if not r["false_activation"]] == [first["transcript"]]


def test_page_forms_refuse_bad_input_with_a_reason(live_server, sqlite_store, home):
    _, alice, _ = home
    add_turn(sqlite_store, alice, "keep me")
    client = login(live_server.url, *ALICE)
    html = {"accept": "text/html"}
    cases = [
        ("/privacy/recordings/delete-all", {}, "tick the box"),
        ("/privacy/recordings/delete-range", {"first": "2026-13-01", "last": "x"}, "YYYY-MM-DD"),
        ("/privacy/recordings/delete", {}, "select at least one"),
        ("/privacy/auto-delete", {"choice": "custom", "days": "-3"}, "number of days"),
        ("/privacy/devices/pair", {"code": "ab"}, "6 letters"),
    ]
    for url, data, reason in cases:
        reply = client.post(url, data=data, headers=html)
        assert reply.status_code == 400 and reason in reply.text, (url, reply.text[:300])
        assert "Nothing was changed" in reply.text
    assert _count(sqlite_store) == 1

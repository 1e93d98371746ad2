"""Forged requests over real HTTP (issue 12): another origin, no token, GET logout, consent without password."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from conftest import free_port
from test_platform_support import ALICE, household, login

from ecoute.services.privacy_actions import review_consent
from ecoute.store.schema.owner import Owner


@pytest.fixture
def home(sqlite_store):
    return household(sqlite_store)


def _auto_delete_days(store, owner_id: str) -> int | None:
    with store.session() as session:
        return session.get(Owner, owner_id).auto_delete_days


def _review_on(store, owner_id: str) -> bool:
    with store.session() as session:
        return review_consent(session, owner_id)


def test_cross_origin_posts_are_refused_with_a_reason(live_server, sqlite_store, home):
    _, alice, _ = home
    client = login(live_server.url, *ALICE)  # holds the session cookie and its token
    other = f"http://127.0.0.1:{free_port()}"  # another port of the same host: same-site, not same-origin
    attacks = [{"Origin": other}, {"Sec-Fetch-Site": "same-site"}, {"Sec-Fetch-Site": "cross-site"},
               {"Origin": "null"}, {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}]
    for headers in attacks:
        reply = client.post("/privacy/auto-delete", data={"choice": "custom", "days": "1"}, headers=headers)
        assert reply.status_code == 403 and "cross-origin request refused" in reply.json()["detail"], headers
        login_reply = httpx.post(f"{live_server.url}/login", data={"email": ALICE[0], "password": ALICE[1]},
                                 headers=headers)
        assert login_reply.status_code == 403  # no login CSRF either
    assert _auto_delete_days(sqlite_store, alice) is None
    same = client.post("/privacy/auto-delete", data={"choice": "custom", "days": "30"},
                       headers={"Origin": live_server.url, "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 303 and _auto_delete_days(sqlite_store, alice) == 30


def test_a_missing_or_wrong_token_is_refused(live_server, sqlite_store, home):
    _, alice, _ = home
    client = login(live_server.url, *ALICE)
    token = client.headers.pop("X-CSRF-Token")
    page = client.get("/privacy").text
    assert f'name="csrf_token" value="{token}"' in page  # in every form…
    assert f'"X-CSRF-Token": "{token}"' in page  # …and in htmx's headers
    for headers, data in (({}, {}), ({"X-CSRF-Token": "0" * 64}, {}), ({}, {"csrf_token": "forged"})):
        reply = client.post("/privacy/auto-delete", data={"choice": "custom", "days": "1", **data}, headers=headers)
        assert reply.status_code == 403 and "CSRF token" in reply.json()["detail"]
    assert client.delete("/api/v1/me/recordings/whatever").status_code == 403
    assert _auto_delete_days(sqlite_store, alice) is None
    as_field = client.post("/privacy/auto-delete", data={"choice": "custom", "days": "7", "csrf_token": token})
    assert as_field.status_code == 303 and _auto_delete_days(sqlite_store, alice) == 7
    # another session's token does not fit this session
    other = login(live_server.url, *ALICE)
    stolen = client.post("/privacy/auto-delete", data={"choice": "never"},
                         headers={"X-CSRF-Token": other.headers["X-CSRF-Token"]})
    assert stolen.status_code == 403 and _auto_delete_days(sqlite_store, alice) == 7


def test_logout_is_post_only(live_server, home):
    client = login(live_server.url, *ALICE)
    assert client.get("/logout").status_code == 405
    assert client.get("/staff/logout").status_code == 405
    assert client.get("/api/v1/me/recordings").status_code == 200  # still signed in
    assert client.post("/logout").status_code == 303
    assert client.get("/api/v1/me/recordings").status_code == 401


def test_opting_into_review_needs_the_password_again(live_server, sqlite_store, home):
    _, alice, _ = home
    client = login(live_server.url, *ALICE)
    html = {"accept": "text/html"}
    assert client.post("/privacy/review/opt-in", headers=html).status_code == 403
    assert client.post("/privacy/review/opt-in", data={"password": "not hers"}, headers=html).status_code == 403
    assert not _review_on(sqlite_store, alice)
    assert 'name="password"' in client.get("/privacy/review", headers=html).text
    assert client.post("/privacy/review/opt-in", data={"password": ALICE[1]}, headers=html).status_code == 303
    assert _review_on(sqlite_store, alice)
    # erasing and exporting ask for it as well
    assert client.post("/privacy/erase", data={"confirm": "erase"}, headers=html).status_code == 403
    assert client.post("/privacy/export", data={}, headers=html).status_code == 403


class _AttackerPage(BaseHTTPRequestHandler):
    """A page on another port of the same host that submits forms to écoute when opened."""

    target = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = f"""<!doctype html><html><body>
<form id="f" method="post" action="{self.target}/privacy/auto-delete">
<input name="choice" value="custom"><input name="days" value="1"></form>
<script>document.getElementById("f").submit();</script></body></html>""".encode()
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.browser
def test_a_page_on_another_port_cannot_change_settings_in_a_browser(live_server, sqlite_store, home, page):
    _, alice, _ = home
    page.goto(f"{live_server.url}/login")
    page.fill("#email", ALICE[0])
    page.fill("#password", ALICE[1])
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "Hello Alice" in page.content()
    _AttackerPage.target = live_server.url
    attacker = ThreadingHTTPServer(("127.0.0.1", free_port()), _AttackerPage)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    try:
        with page.expect_response(re.compile(r".*/privacy/auto-delete$")) as info:
            page.goto(f"http://127.0.0.1:{attacker.server_address[1]}/")
        assert info.value.status == 403
    finally:
        attacker.shutdown()
    assert _auto_delete_days(sqlite_store, alice) is None
    # the same form on écoute's own page still works
    page.goto(f"{live_server.url}/privacy")
    page.check("input[name=choice][value=custom]")
    page.fill("input[name=days]", "45")
    with page.expect_navigation():
        page.click("#auto-delete button[type=submit]")
    assert _auto_delete_days(sqlite_store, alice) == 45

"""Response headers, cookies and API docs over real HTTP (issue 12)."""

from __future__ import annotations

import re

import httpx
import pytest
from conftest import LiveServer, free_port
from test_platform_support import ALICE, add_turn, household, login

from ecoute.server.app import create_app


@pytest.fixture
def home(sqlite_store):
    return household(sqlite_store)


def _assert_hardened(reply: httpx.Response, *, personal: bool = True) -> None:
    csp = reply.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["referrer-policy"] == "no-referrer"
    if personal:
        assert "no-store" in reply.headers["cache-control"], reply.url


def test_pages_and_json_carry_the_security_headers(live_server, sqlite_store, home):
    _, alice, _ = home
    turn = add_turn(sqlite_store, alice, "remind me to call the doctor")
    client = login(live_server.url, *ALICE)
    html = {"accept": "text/html"}
    for path in ("/privacy", "/privacy/review", "/privacy/export", "/privacy/export/requests"):
        reply = client.get(path, headers=html)
        assert reply.status_code == 200, path
        _assert_hardened(reply)
    listing = client.get("/api/v1/me/recordings")
    assert "call the doctor" in listing.text
    _assert_hardened(listing)
    _assert_hardened(client.get(f"/privacy/recordings/{turn}/audio"))
    _assert_hardened(client.get("/api/v1/me/review"))
    _assert_hardened(httpx.get(f"{live_server.url}/login"))
    _assert_hardened(httpx.get(f"{live_server.url}/api/v1/me/recordings"))  # a 401 too
    static = httpx.get(f"{live_server.url}/static/htmx.min.js")
    _assert_hardened(static, personal=False)
    assert "no-store" not in static.headers.get("cache-control", "")  # the script may be cached


def test_pages_have_no_inline_script(live_server, sqlite_store, home):
    _, alice, _ = home
    add_turn(sqlite_store, alice, "hello")
    client = login(live_server.url, *ALICE)
    for path in ("/login", "/privacy", "/privacy/review", "/privacy/export"):
        page = client.get(path, headers={"accept": "text/html"}).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert not re.search(r"\son[a-z]+\s*=", page), path
        assert "javascript:" not in page and " style=" not in page, path


def test_api_docs_are_off_by_default(live_server):
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
        assert httpx.get(f"{live_server.url}{path}").status_code == 404, path


def test_api_docs_when_enabled_load_no_third_party_script(sqlite_store):
    server = LiveServer(create_app(sqlite_store.settings.replace(api_docs=True), sqlite_store), free_port()).start()
    try:
        assert httpx.get(f"{server.url}/openapi.json").json()["info"]["title"] == "écoute"
        for path in ("/docs", "/redoc"):  # they would load swagger-ui/redoc from a CDN
            assert httpx.get(f"{server.url}{path}").status_code == 404
    finally:
        server.stop()


def _login_cookie(base: str, **headers: str) -> str:
    reply = httpx.post(f"{base}/login", data={"email": ALICE[0], "password": ALICE[1]}, headers=headers)
    assert reply.status_code == 303
    return next(v for k, v in reply.headers.multi_items() if k == "set-cookie" and v.startswith("ecoute_owner="))


@pytest.mark.parametrize(("mode", "trust_proxy", "forwarded", "secure"), [
    ("auto", False, None, False),  # plain HTTP on loopback
    ("auto", False, "https", False),  # a client's claim, no trusted proxy: ignored
    ("auto", True, "https", True),  # the trusted proxy terminated TLS
    ("always", False, None, True),
    ("never", True, "https", False),
])
def test_session_cookie_is_secure_when_served_over_tls(sqlite_store, home, mode, trust_proxy, forwarded, secure):
    settings = sqlite_store.settings.replace(cookie_secure=mode, trust_proxy=trust_proxy)
    server = LiveServer(create_app(settings, sqlite_store), free_port()).start()
    try:
        headers = {"X-Forwarded-Proto": forwarded} if forwarded else {}
        cookie = _login_cookie(server.url, **headers)
        assert ("; secure" in cookie.lower()) is secure, cookie
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    finally:
        server.stop()

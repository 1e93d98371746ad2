"""The assembled app serves over real HTTP with every router mounted."""

import httpx


def test_openapi_served_over_http(live_server):
    reply = httpx.get(f"{live_server.url}/openapi.json", timeout=10)
    assert reply.status_code == 200
    assert reply.json()["info"]["title"] == "écoute"

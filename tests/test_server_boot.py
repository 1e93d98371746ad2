"""The assembled app serves over real HTTP with every router mounted."""

import httpx
from conftest import LiveServer, free_port

from ecoute.server.app import create_app


def test_openapi_served_over_http_when_enabled(sqlite_store):
    settings = sqlite_store.settings.replace(api_docs=True)  # ECOUTE_API_DOCS=1; off by default (issue 12)
    server = LiveServer(create_app(settings, sqlite_store), free_port()).start()
    try:
        reply = httpx.get(f"{server.url}/openapi.json", timeout=10)
        assert reply.status_code == 200
        assert reply.json()["info"]["title"] == "écoute"
    finally:
        server.stop()

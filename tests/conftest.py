"""Shared fixtures: isolated settings and data directories, and the PostgreSQL URL when it is up."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ecoute.config import Settings
from ecoute.services.wiring import wire_hooks
from ecoute.store.store import Store

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

POSTGRES_URL = os.environ.get("ECOUTE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True, scope="session")
def hooks_wired() -> None:
    """What every start-up path does (server, CLI, job runner): register the hook handlers."""
    wire_hooks()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh data dir and cheap password hashing (tests only)."""
    return Settings.load(data_dir=tmp_path / "data", argon2_time_cost=1, argon2_memory_kib=1024)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL on a fresh, empty PostgreSQL schema, dropped after the test."""
    if not postgres_available():
        if os.environ.get("ECOUTE_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required here (ECOUTE_REQUIRE_POSTGRES) but 127.0.0.1:5432 is closed")
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, settings: Settings) -> Iterator[Store]:
    """An opened store (migrations applied) on SQLite, then on PostgreSQL."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        settings = settings.replace(database_url=url)
    opened = Store.open(settings)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(settings: Settings) -> Iterator[Store]:
    opened = Store.open(settings)
    yield opened
    opened.close()


# -- a real HTTP server ------------------------------------------------------------------

class LiveServer:
    """uvicorn serving our app on a free loopback port, in a thread of the test process."""

    def __init__(self, app, port: int):
        import threading

        import uvicorn

        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.app = app
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> LiveServer:
        import time

        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(sqlite_store: Store) -> Iterator[LiveServer]:
    """The whole app over real HTTP on the embedded store."""
    from ecoute.server.app import create_app

    server = LiveServer(create_app(sqlite_store.settings, sqlite_store), free_port()).start()
    yield server
    server.stop()


# -- Playwright on Debian's chromium (never `playwright install`) ------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": "/usr/bin/chromium",
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }

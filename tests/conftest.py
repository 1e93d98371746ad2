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

"""Database engine and sessions; migrations are applied on open.

SQLite is the embedded default (WAL, foreign keys on, a busy timeout so the server and
background jobs can share it); PostgreSQL is used by setting ``database_url``. The
schema is owned by Alembic: ``open_engine`` upgrades to every head before use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            # freed pages are zeroed: a deleted or migrated-away value leaves no trace in the file
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine, key_provider: Any = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    #: Data migrations that seal existing rows (e.g. identities) need the key provider.
    cfg.attributes["key_provider"] = key_provider
    return cfg


def migrate(engine: Engine, key_provider: Any = None) -> None:
    """Apply every migration (all heads: each area ships its own revision branch)."""
    command.upgrade(alembic_config(engine, key_provider), "heads")


def open_engine(url: str, *, run_migrations: bool = True, key_provider: Any = None) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    if run_migrations:
        migrate(engine, key_provider)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)

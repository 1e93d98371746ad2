"""Database engine and sessions; migrations are applied on open.

SQLite is the embedded default (WAL, foreign keys on, a busy timeout so the server and
background jobs can share it); PostgreSQL is used by setting ``database_url``. The
schema is owned by Alembic: ``open_engine`` upgrades to every head before use.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import CursorResult, Engine, Executable, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
#: Execution option: on SQLite, begin the transaction with ``BEGIN IMMEDIATE``.
IMMEDIATE = "ecoute_sqlite_immediate"


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
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:
            # SQLAlchemy's documented pysqlite recipe: emit BEGIN ourselves. Only transactions
            # asked for as immediate do (the others keep pysqlite's lazy BEGIN before the first
            # write): BEGIN IMMEDIATE takes the write lock at once, so a check made inside it
            # cannot be overtaken by another writer before the transaction's own insert.
            if conn.get_execution_options().get(IMMEDIATE):
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Apply every migration (all heads: each area ships its own revision branch)."""
    command.upgrade(alembic_config(engine), "heads")


def open_engine(url: str, *, run_migrations: bool = True) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    if run_migrations:
        migrate(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def rows_affected(session: Session, statement: Executable) -> int:
    """Run an INSERT/UPDATE/DELETE and return how many rows it touched (0 if the driver cannot tell).

    ``Session.execute`` is typed as returning a plain ``Result``; DML gives a ``CursorResult``,
    the only kind that carries ``rowcount``, so this checks it rather than assuming it.
    """
    result = session.execute(statement)
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(statement).__name__} did not return a cursor result; not a DML statement")
    return result.rowcount or 0


def immediate_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose transactions serialise with every writer from their first statement.

    SQLite: ``BEGIN IMMEDIATE`` (see :func:`make_engine`). PostgreSQL needs no such mode: its
    callers take row locks (:mod:`ecoute.store.locks`), which serialise exactly the rows involved.
    """
    return sessionmaker(engine.execution_options(**{IMMEDIATE: True}), expire_on_commit=False)

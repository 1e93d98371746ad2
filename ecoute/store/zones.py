"""The review zone by construction (PostgreSQL): a database role that cannot read the owner zone.

The review workstation's own queries (the reviewer's counters, the lead's figures, caps and
pauses) run in sessions bound to ``SET LOCAL ROLE ecoute_review``. That role holds
privileges on the review-zone tables only; on every owner-zone table (owners, turns,
devices, review links, samples, consents, audit…) PostgreSQL itself answers "permission
denied", whatever the code asks. The key broker (clip streaming, annotations: it unwraps a
task key with the owner's DEK through ``review_links``) stays on the owner-zone role and is
the only bridge between the zones.

The embedded SQLite default has no roles: there the separation rests on the code paths
alone (see docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session, SessionTransaction

from ecoute.store.schema import Base

REVIEW_ROLE = "ecoute_review"
#: What the review workstation may touch: tasks, staff, assignments, annotations, QC numbers.
REVIEW_ZONE_TABLES = ("review_tasks", "review_assignments", "annotations", "staff", "review_agreements",
                      "gold_task_keys")


def owner_zone_tables() -> list[str]:
    """Every other table of the schema: none of them is granted to the review role."""
    return sorted(t for t in Base.metadata.tables if t not in REVIEW_ZONE_TABLES)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def ensure_review_role(engine: Engine) -> None:
    """Create the review role and its grants in the current schema (idempotent; PostgreSQL only)."""
    if not is_postgres(engine):
        return
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"DO $$ BEGIN CREATE ROLE {REVIEW_ROLE} NOLOGIN; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
        member = conn.execute(text("SELECT pg_has_role(current_user, :role, 'MEMBER')"),
                              {"role": REVIEW_ROLE}).scalar_one()
        if not member:
            conn.exec_driver_sql(f"GRANT {REVIEW_ROLE} TO CURRENT_USER")
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{schema}" TO {REVIEW_ROLE}')
        existing = set(conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}).scalars())
        for table in REVIEW_ZONE_TABLES:
            if table in existing:
                conn.exec_driver_sql(f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{schema}"."{table}" TO {REVIEW_ROLE}')
        for table in existing - set(REVIEW_ZONE_TABLES):  # owner zone, and alembic's own table
            conn.exec_driver_sql(f'REVOKE ALL ON "{schema}"."{table}" FROM {REVIEW_ROLE}')


def _as_review_role(_session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    connection.exec_driver_sql(f"SET LOCAL ROLE {REVIEW_ROLE}")


@contextmanager
def review_zone_session(engine: Engine) -> Iterator[Session]:
    """A transaction of the review workstation: on PostgreSQL it runs as the review role."""
    session = Session(engine, expire_on_commit=False)
    if is_postgres(engine):
        event.listen(session, "after_begin", _as_review_role)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

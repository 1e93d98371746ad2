"""Issue 11 item 8: on PostgreSQL the review workstation's queries run as a database role
that PostgreSQL itself refuses on every owner-zone table. The attack: log in as that role
and try to read owners, turns, devices, review links and samples.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
from conftest import LiveServer, free_port
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError
from test_review_support import PASSWORD, add_owner, add_staff, add_task, add_turn

from ecoute.review import annotate
from ecoute.review.assignment import next_task
from ecoute.server.app import create_app
from ecoute.store.schema.review import Staff
from ecoute.store.store import Store
from ecoute.store.zones import REVIEW_ROLE, REVIEW_ZONE_TABLES, ensure_review_role, owner_zone_tables

#: The tables the issue names, plus the rest of the owner zone.
NAMED = ("owners", "turns", "devices", "review_links", "review_samples")


class NoGold:
    def random(self) -> float:
        return 0.99

    def choice(self, seq):
        return seq[0]


@pytest.fixture
def pg_store(settings, postgres_url: str) -> Iterator[Store]:
    store = Store.open(settings.replace(database_url=postgres_url))
    store.settings.policy.review_gold_rate = 0.0
    yield store
    store.close()


@pytest.fixture
def review_login(pg_store: Store, postgres_url: str) -> Iterator[str]:
    """A URL that logs in as a fresh LOGIN role holding exactly the review role's privileges."""
    probe = f"probe_{secrets.token_hex(4)}"
    with pg_store.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {probe} LOGIN INHERIT IN ROLE {REVIEW_ROLE}")
    try:
        yield postgres_url.replace("postgres@", f"{probe}@", 1)
    finally:
        with pg_store.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {probe}")
            conn.exec_driver_sql(f"DROP ROLE {probe}")


def _populate(store: Store) -> str:
    ana, dev = add_owner(store)
    task_id = add_task(store, ana, add_turn(store, ana, dev))
    assert task_id is not None
    return task_id


def test_the_review_role_is_refused_on_every_owner_zone_table(pg_store: Store, review_login: str):
    _populate(pg_store)
    assert set(NAMED) <= set(owner_zone_tables())
    engine = create_engine(review_login)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar_one().startswith("probe_")
            for table in owner_zone_tables():
                with pytest.raises(ProgrammingError, match="permission denied"):
                    conn.execute(text(f"SELECT * FROM {table}"))
                conn.rollback()
            for table in REVIEW_ZONE_TABLES:  # its own zone stays readable
                conn.execute(text(f"SELECT * FROM {table}")).all()
                conn.rollback()
    finally:
        engine.dispose()


def test_review_sessions_run_as_the_review_role(pg_store: Store):
    _populate(pg_store)
    with pg_store.review_session() as session:
        assert session.execute(text("SELECT current_user")).scalar_one() == REVIEW_ROLE
        assert session.execute(text("SELECT count(*) FROM review_tasks")).scalar_one() == 1
    for table in NAMED:
        with pytest.raises(ProgrammingError, match="permission denied"):
            with pg_store.review_session() as session:
                session.execute(text(f"SELECT * FROM {table}"))
    # the role setup is idempotent (every start runs it)
    ensure_review_role(pg_store.engine)
    ensure_review_role(pg_store.engine)


def test_reviewer_and_lead_pages_still_work_on_the_review_role(pg_store: Store):
    store = pg_store
    task_id = _populate(store)
    reviewer = add_staff(store, "rev@review.example")
    add_staff(store, "lead@review.example", role="lead")
    with store.vault_session() as (session, vault):
        staff = session.get(Staff, reviewer)
        assert next_task(session, vault, store.settings, staff, rng=NoGold()).id == task_id
        annotate.escalate(session, vault, store.settings, staff, task_id, reason="sounds upset")
    server = LiveServer(create_app(store.settings, store), free_port()).start()
    try:
        rev = httpx.Client(base_url=server.url, timeout=20)
        assert rev.post("/staff/login", data={"email": "rev@review.example", "password": PASSWORD}).status_code == 303
        me = rev.get("/review/api/me")
        assert me.status_code == 200 and me.json()["completed_today"] == 1
        lead = httpx.Client(base_url=server.url, timeout=20)
        login = lead.post("/staff/login", data={"email": "lead@review.example", "password": PASSWORD})
        assert login.status_code == 303
        lead.headers["X-CSRF-Token"] = login.headers["x-csrf-token"]  # the pause is a state-changing request
        stats = lead.get("/review/api/lead/stats")
        assert stats.status_code == 200
        assert [e["reason"] for e in stats.json()["escalations"]] == ["sounds upset"]
        assert lead.get("/review/lead").status_code == 200
        paused = lead.post(f"/review/lead/reviewers/{reviewer}/pause", data={"reason": "coaching"},
                           follow_redirects=False)
        assert paused.status_code == 303
        with store.session() as session:
            assert session.get(Staff, reviewer).paused
    finally:
        server.stop()

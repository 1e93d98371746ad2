"""Identities sealed: attacks by someone holding the database (or a backup of it) without keys.

Owner emails and names are sealed under the owner's DEK, staff ones under the staff-data key;
rows are found by a keyed hash of the normalised email. These tests read the database the way
an operator with SQL access (or a stolen backup) would: raw SQL, no key provider.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from ecoute.errors import BadInput
from ecoute.privacy.erasure import erase_owner
from ecoute.review.staff import create_staff, find_staff_by_email
from ecoute.services.admin import add_household, add_owner
from ecoute.store import crypto
from ecoute.store.accounts import create_household, create_owner, find_owner_by_email
from ecoute.store.db import alembic_config, make_engine
from ecoute.store.identity import owner_email, owner_name, seal_staff_identity, staff_email, staff_name
from ecoute.store.schema.base import new_id
from ecoute.store.schema.owner import Owner
from ecoute.store.schema.review import Staff
from ecoute.store.store import Store
from ecoute.store.vault import Actor

ANA = ("Anastasia Quokkington", "Anastasia.Quokkington@home.example")
BEN = ("Bartholomew Zeppelin", "bart.zeppelin@home.example")
LEAD = ("Cordelia Wombat", "cordelia.wombat@review.example")
PASSWORD = "correct horse battery"


def _people(store: Store) -> dict[str, str]:
    ids = {}
    with store.vault_session() as (session, vault):
        home = create_household(session, "household 1")
        for key, (name, email) in {"ana": ANA, "ben": BEN}.items():
            ids[key] = create_owner(session, vault, store.settings, home, display_name=name, email=email,
                                    password=PASSWORD).id
        ids["lead"] = create_staff(session, store.settings, store.keys, email=LEAD[1], display_name=LEAD[0],
                                   password=PASSWORD, role="lead", site="Lisbon", country="PT", languages="en").id
    return ids


def _needles(*people: tuple[str, str]) -> list[str]:
    """Every spelling an attacker would grep for: full name, each name part, email, its local part."""
    out = []
    for name, email in people:
        out += [name, *name.split(), email, email.lower(), email.split("@")[0].lower()]
    return [n.lower() for n in out]


def _raw_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, read with plain SQL: what an operator's SQL client shows."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {table: [tuple(row) for row in conn.execute(text(f'SELECT * FROM "{table}"'))]
                    for table in inspect(conn).get_table_names()}
    finally:
        engine.dispose()


def _hits(rows: dict[str, list[tuple]], needles: list[str]) -> list[tuple[str, str]]:
    hits = []
    for table, table_rows in rows.items():
        for row in table_rows:
            for value in row:
                if value is None:
                    continue
                blob = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                low = blob.lower()
                hits += [(table, n) for n in needles if n.encode() in low]
    return hits


def test_no_column_of_any_table_holds_an_email_or_a_name(store: Store):
    _people(store)
    rows = _raw_rows(store.settings.store.db_url)
    assert rows["owners"] and rows["staff"]
    assert _hits(rows, _needles(ANA, BEN, LEAD)) == []
    # ... while the key holder still reads them back
    with store.vault_session() as (session, vault):
        ana = find_owner_by_email(session, store.keys, ANA[1])
        assert ana is not None and (owner_name(vault, ana), owner_email(vault, ana)) == (ANA[0], ANA[1].lower())
        lead = find_staff_by_email(session, store.keys, LEAD[1])
        assert lead is not None and (staff_name(store.keys, lead), staff_email(store.keys, lead)) == LEAD


def test_the_database_file_itself_holds_no_email_or_name(sqlite_store: Store):
    _people(sqlite_store)
    files = [p for p in sqlite_store.settings.store.data_dir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" or p.name.endswith(".db-wal") for p in files)
    for path in files:
        low = path.read_bytes().lower()
        assert [n for n in _needles(ANA, BEN, LEAD) if n.encode() in low] == [], path


def _backup(store: Store, dest: Path) -> str:
    src = sqlite3.connect(store.settings.store.db_url.removeprefix("sqlite:///"))
    copy = sqlite3.connect(dest)
    src.backup(copy)
    src.close()
    copy.close()
    return f"sqlite:///{dest}"


def test_a_backup_taken_before_erasure_names_nobody_afterwards(sqlite_store: Store, tmp_path):
    store = sqlite_store
    ids = _people(store)
    backup_url = _backup(store, tmp_path / "backup.db")
    erase_owner(store, ids["ana"], actor=Actor.owner(ids["ana"]))

    # the restored copy, opened with the live key store: Ana is unreadable, Ben is intact
    engine = make_engine(backup_url)
    restored = Store(store.settings, engine, sessionmaker(engine, expire_on_commit=False), store.keys, store.blobs)
    try:
        with restored.vault_session() as (session, vault):
            ana, ben = session.get(Owner, ids["ana"]), session.get(Owner, ids["ben"])
            assert ana is not None and ana.email_ct is not None and ana.wrapped_dek is not None  # pre-erasure row
            assert (owner_email(vault, ana), owner_name(vault, ana)) == (None, "")
            with pytest.raises(crypto.DecryptionError):
                store.keys.unwrap(ana.wrapped_dek, ids["ana"])
            assert (owner_name(vault, ben), owner_email(vault, ben)) == (BEN[0], BEN[1])
    finally:
        restored.engine.dispose()
    assert _hits(_raw_rows(backup_url), _needles(ANA)) == []
    # and the live database has not even the ciphertext or the login hash any more
    with store.session() as session:
        live = session.get(Owner, ids["ana"])
        assert (live.email_hash, live.email_ct, live.name_ct) == (None, None, None)


def test_two_owners_cannot_share_an_email_even_spelled_differently(store: Store):
    household = add_household(store, "h")
    add_owner(store, household, name="Ana", email=ANA[1], password=PASSWORD)
    with pytest.raises(BadInput):
        add_owner(store, household, name="Imposter", email=f"  {ANA[1].upper()} ", password=PASSWORD)
    # bypassing the service check, the unique index on the keyed hash still refuses it
    with pytest.raises(IntegrityError), store.vault_session() as (session, vault):
        home = create_household(session, "h2")
        create_owner(session, vault, store.settings, home, display_name="Imposter", email=ANA[1].swapcase())
    with store.session() as session:
        create_staff(session, store.settings, store.keys, email="same@review.example", display_name="Olga",
                     password=PASSWORD, role="officer")
    with pytest.raises(BadInput), store.session() as session:
        create_staff(session, store.settings, store.keys, email="SAME@review.example ", display_name="Olga 2",
                     password=PASSWORD, role="officer")
    with pytest.raises(IntegrityError), store.session() as session:
        person = Staff(id=new_id(), password_hash="x", role="officer")
        seal_staff_identity(store.keys, person, email=" Same@Review.example", display_name="Olga 3")
        session.add(person)


def test_login_with_another_case_and_spacing_of_the_same_email(live_server, sqlite_store: Store):
    _people(sqlite_store)
    for path, email in (("/login", f"  {ANA[1].upper()}\t"), ("/staff/login", f" {LEAD[1].title()} ")):
        client = httpx.Client(base_url=live_server.url, timeout=30)
        reply = client.post(path, data={"email": email, "password": PASSWORD})
        assert reply.status_code == 303, (path, reply.text[:200])
        assert httpx.post(f"{live_server.url}{path}", data={"email": email, "password": "wrong password"}
                          ).status_code == 401


def test_swapping_sealed_emails_between_rows_fails_to_decrypt(store: Store):
    ids = _people(store)
    with store.vault_session() as (session, vault):
        other = create_staff(session, store.settings, store.keys, email="o@review.example", display_name="Olga",
                             password=PASSWORD, role="officer").id
    engine = create_engine(store.settings.store.db_url)
    with engine.begin() as conn:  # someone with SQL access swaps Ana's and Ben's sealed fields
        for table, a, b in (("owners", ids["ana"], ids["ben"]), ("staff", ids["lead"], other)):
            rows = {r.id: r for r in conn.execute(text(f"SELECT id, email_ct, name_ct FROM {table}"))}
            for me, them in ((a, b), (b, a)):
                conn.execute(text(f"UPDATE {table} SET email_ct = :e, name_ct = :n WHERE id = :id"),
                             {"e": rows[them].email_ct, "n": rows[them].name_ct, "id": me})
    engine.dispose()
    with store.vault_session() as (session, vault):
        for key in ("ana", "ben"):
            owner = session.get(Owner, ids[key])
            with pytest.raises(crypto.DecryptionError):
                owner_email(vault, owner)
            with pytest.raises(crypto.DecryptionError):
                owner_name(vault, owner)
        for staff_id in (ids["lead"], other):
            person = session.get(Staff, staff_id)
            with pytest.raises(crypto.DecryptionError):
                staff_email(store.keys, person)
            with pytest.raises(crypto.DecryptionError):
                staff_name(store.keys, person)


# -- the migration of existing plaintext rows ------------------------------------------------

OLD_HEADS = ("0002_platform", "0003_review_qc", "0004_rights", "0006_improve_reset")


def _old_database(url: str, keys) -> tuple[str, str]:
    """A database at the heads before this change, with plaintext identities and children."""
    engine = make_engine(url)
    try:
        for head in OLD_HEADS:
            command.upgrade(alembic_config(engine), head)
        owner_id, erased_id, staff_id = "a" * 32, "e" * 32, "c" * 32
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO households (id, name, created_at) VALUES ('h1', 'h', CURRENT_TIMESTAMP)"))
            for oid, email, name, wrapped, status in (
                (owner_id, ANA[1], ANA[0], keys.wrap(crypto.new_key(), owner_id), "active"),
                (erased_id, None, "", None, "erased"),
            ):
                conn.execute(text(
                    "INSERT INTO owners (id, household_id, email, display_name, password_hash, language, is_child,"
                    " wrapped_dek, status, created_at) VALUES (:id, 'h1', :email, :name, NULL, 'en', :f, :w, :s,"
                    " CURRENT_TIMESTAMP)"), {"id": oid, "email": email, "name": name, "w": wrapped, "s": status,
                                             "f": False})
            conn.execute(text(
                "INSERT INTO devices (id, household_id, name, selected_owner_id, muted, wake_model, created_at)"
                " VALUES ('d1', 'h1', 'kitchen', :o, :f, 'alexa', CURRENT_TIMESTAMP)"), {"o": owner_id, "f": False})
            conn.execute(text(
                "INSERT INTO turns (id, owner_id, created_at, language, duration_s, false_activation, handled,"
                " confidence, review_considered) VALUES ('t1', :o, CURRENT_TIMESTAMP, 'en', 1.0, :f, :t, 1.0, :f)"),
                {"o": owner_id, "f": False, "t": True})
            conn.execute(text(
                "INSERT INTO staff (id, email, display_name, password_hash, role, site, site_country, languages,"
                " paused, created_at) VALUES (:id, :email, :name, 'x', 'lead', 'Lisbon', 'PT', 'en', :f,"
                " CURRENT_TIMESTAMP)"), {"id": staff_id, "email": LEAD[1], "name": LEAD[0], "f": False})
    finally:
        engine.dispose()
    return owner_id, staff_id


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_migration_seals_existing_rows_and_drops_the_plaintext(backend, settings, request):
    if backend == "postgres":
        settings = settings.replace(database_url=request.getfixturevalue("postgres_url"))
    from ecoute.store.keys import get_key_provider

    settings.store.data_dir.mkdir(parents=True, exist_ok=True)
    owner_id, staff_id = _old_database(settings.store.db_url, get_key_provider(settings))
    store = Store.open(settings)  # applies 0007 with the key provider
    try:
        engine = create_engine(settings.store.db_url)
        with engine.connect() as conn:
            columns = {t: {c["name"] for c in inspect(conn).get_columns(t)} for t in ("owners", "staff")}
            assert "email" not in columns["owners"] and "display_name" not in columns["owners"]
            assert "email" not in columns["staff"] and "display_name" not in columns["staff"]
            # children kept their links through the table rebuild
            assert conn.execute(text("SELECT selected_owner_id FROM devices")).scalar_one() == owner_id
            assert conn.execute(text("SELECT owner_id FROM turns")).scalar_one() == owner_id
        engine.dispose()
        assert _hits(_raw_rows(settings.store.db_url), _needles(ANA, LEAD)) == []
        if backend == "sqlite":  # nor in the file's freed pages (secure_delete), after a checkpoint
            engine = create_engine(settings.store.db_url)
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            raw = Path(settings.store.db_url.removeprefix("sqlite:///")).read_bytes().lower()
            assert [n for n in _needles(ANA, LEAD) if n.encode() in raw] == []
        with store.vault_session() as (session, vault):
            ana = find_owner_by_email(session, store.keys, ANA[1].upper())
            assert ana is not None and ana.id == owner_id
            assert (owner_name(vault, ana), owner_email(vault, ana)) == (ANA[0], ANA[1].lower())
            erased = session.get(Owner, "e" * 32)
            assert (erased.email_hash, erased.email_ct, erased.name_ct) == (None, None, None)
            lead = find_staff_by_email(session, store.keys, LEAD[1])
            assert lead is not None and lead.id == staff_id and staff_name(store.keys, lead) == LEAD[0]
    finally:
        store.close()


def test_migrating_plaintext_rows_without_the_key_provider_refuses(settings):
    from ecoute.store.db import migrate
    from ecoute.store.keys import get_key_provider

    settings.store.data_dir.mkdir(parents=True, exist_ok=True)
    _old_database(settings.store.db_url, get_key_provider(settings))
    engine = make_engine(settings.store.db_url)
    try:
        with pytest.raises(RuntimeError, match="needs the key provider"):
            migrate(engine)
        with engine.connect() as conn:  # nothing half-done: the plaintext columns are still there
            assert "email" in {c["name"] for c in inspect(conn).get_columns("owners")}
    finally:
        engine.dispose()

"""The owner-zone store on SQLite and PostgreSQL: keys, sealing, turns, audit chain."""

from __future__ import annotations

import os
import shutil
import stat

import pytest
from sqlalchemy import select, text, update

from ecoute.store import audit, crypto
from ecoute.store.accounts import create_household, create_owner
from ecoute.store.keys import LocalFileKeyProvider
from ecoute.store.schema.owner import AuditEntry, Owner, Turn
from ecoute.store.store import Store
from ecoute.store.turns import TurnContent, read_turn, read_turn_audio, save_turn
from ecoute.store.vault import Actor, KeyDestroyed


def _household_with_two_owners(store: Store) -> tuple[str, str]:
    with store.vault_session() as (session, vault):
        home = create_household(session, "home")
        a = create_owner(session, vault, store.settings, home, display_name="Ana", email="ana@example.org",
                         password="correct horse")
        b = create_owner(session, vault, store.settings, home, display_name="Ben")
        return a.id, b.id


def _save(store: Store, owner_id: str, text_: str = "add milk to the shopping list") -> str:
    with store.vault_session() as (session, vault):
        turn = save_turn(session, vault, owner_id=owner_id, device_id=None, audio_wav=b"RIFF-fake-audio-" + text_.encode(),
                         content=TurnContent(text_, "Added milk.", "HassShoppingListAddItem", {"item": "milk"}),
                         language="en", duration_s=2.0, handled=True, confidence=0.9)
        return turn.id


def test_turn_roundtrip_and_audit_of_non_owner_reads(store: Store):
    ana, _ = _household_with_two_owners(store)
    turn_id = _save(store, ana)
    with store.vault_session() as (session, vault):
        turn = session.get(Turn, turn_id)
        mine = read_turn(vault, turn, actor=Actor.owner(ana), purpose="owner view")
        assert mine.transcript == "add milk to the shopping list" and mine.slots == {"item": "milk"}
        assert session.execute(select(AuditEntry)).first() is None  # owners reading their own: not audited
        read_turn_audio(vault, turn, actor=Actor.system("sampling"), purpose="review preparation")
    with store.vault_session() as (session, vault):
        views = vault.audit_entries_for(ana)
        assert [(v.role, v.purpose, v.item_id) for v in views] == [("system", "review preparation", turn_id)]
        assert audit.verify(session).ok


def test_items_cannot_be_swapped_between_owners(store: Store):
    ana, ben = _household_with_two_owners(store)
    t_ana, t_ben = _save(store, ana, "ana speaks"), _save(store, ben, "ben speaks")
    with store.vault_session() as (session, vault):
        turn_a, turn_b = session.get(Turn, t_ana), session.get(Turn, t_ben)
        turn_a.transcript_ct = turn_b.transcript_ct  # a forged row: Ben's ciphertext under Ana's item
        with pytest.raises(crypto.DecryptionError):
            read_turn(vault, turn_a, actor=Actor.owner(ana), purpose="owner view")
        session.rollback()


def test_no_plaintext_on_disk_or_in_database(store: Store):
    ana, _ = _household_with_two_owners(store)
    secret = "my secret phrase zebra quokka"
    _save(store, ana, secret)
    for path in store.settings.store.data_dir.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    with store.session() as session:
        for table in ("turns", "owners", "audit_entries"):
            for row in session.execute(text(f"SELECT * FROM {table}")):
                assert secret not in repr(row)


def test_erasure_reaches_a_backup_taken_before(sqlite_store: Store, tmp_path):
    store = sqlite_store
    ana, ben = _household_with_two_owners(store)
    t_ana, t_ben = _save(store, ana), _save(store, ben)
    backup_dir = tmp_path / "backup"
    with store.session() as session:  # checkpoint WAL so the copy is complete
        session.execute(text("PRAGMA wal_checkpoint(FULL)"))
    shutil.copytree(store.settings.store.data_dir, backup_dir, ignore=shutil.ignore_patterns("keys"))
    with store.vault_session() as (session, vault):
        vault.destroy_owner_key(ana)
    # the backup (database + blobs) read with the live key provider: Ana is gone, Ben is not
    backup = Store.open(store.settings.replace(data_dir=backup_dir), run_migrations=False)
    backup.keys = store.keys
    with backup.vault_session() as (session, vault):
        assert session.get(Owner, ana).wrapped_dek is not None  # the backup still holds the wrapped key…
        with pytest.raises(KeyDestroyed):  # …but nothing unwraps it any more
            read_turn(vault, session.get(Turn, t_ana), actor=Actor.owner(ana), purpose="restore")
        assert read_turn(vault, session.get(Turn, t_ben), actor=Actor.owner(ben), purpose="restore").transcript
    backup.close()


def test_key_file_is_private_and_refused_when_readable(settings):
    provider = LocalFileKeyProvider(settings.store.data_dir / "keys" / "kek.bin")
    assert stat.S_IMODE(provider.path.stat().st_mode) == 0o600
    wrapped = provider.wrap(b"k" * 32, "owner1")
    assert stat.S_IMODE((provider.owners_dir / "owner1").stat().st_mode) == 0o600
    assert provider.unwrap(wrapped, "owner1") == b"k" * 32
    with pytest.raises(crypto.DecryptionError):
        provider.unwrap(wrapped, "owner2")
    os.chmod(provider.path, 0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        LocalFileKeyProvider(provider.path)


def test_audit_chain_detects_edit_removal_and_truncation(store: Store):
    ana, _ = _household_with_two_owners(store)
    turn_id = _save(store, ana)
    with store.vault_session() as (session, vault):
        for i in range(5):
            read_turn_audio(vault, session.get(Turn, turn_id), actor=Actor(f"rev{i}", "reviewer"), purpose="listen")
    with store.session() as session:
        assert audit.verify(session).checked == 5 and audit.verify(session).ok
        session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(purpose="nothing to see"))
        result = audit.verify(session)
        assert not result.ok and result.bad_seq == 3
        session.rollback()
        session.execute(AuditEntry.__table__.delete().where(AuditEntry.seq == 2))
        assert not audit.verify(session).ok
        session.rollback()
        session.execute(AuditEntry.__table__.delete().where(AuditEntry.seq == 5))
        assert "end of the chain" in audit.verify(session).reason
        session.rollback()


def test_audit_chain_still_verifies_after_erasure(store: Store):
    ana, _ = _household_with_two_owners(store)
    turn_id = _save(store, ana)
    with store.vault_session() as (session, vault):
        read_turn_audio(vault, session.get(Turn, turn_id), actor=Actor("rev", "reviewer"), purpose="listen")
    with store.vault_session() as (session, vault):
        vault.destroy_owner_key(ana)
    with store.vault_session() as (session, vault):
        assert audit.verify(session).ok
        with pytest.raises(KeyDestroyed):
            vault.audit_entries_for(ana)

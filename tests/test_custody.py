"""Key custody (issue 11, item 1): the keys live apart from the data, and the data alone gives nothing back.

Attacks: a full copy of the data directory restored after an erasure; a key dir placed inside
the data dir (also through a symlink); a key store lost, damaged, readable by others or
foreign; an owner key destroyed out of band. Each must end in "erased" for that owner only, or
in a refusal to start that names the paths and the fix, never in a silently new master key.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from test_platform_support import ALICE, BOB, household, login
from test_rights_support import audio_for, make_owner, make_turn

from ecoute.config import Settings
from ecoute.privacy.erasure import erase_owner
from ecoute.privacy.export import export_owner
from ecoute.store import crypto
from ecoute.store.custody import KeyStoreInsideData, KeyStoreMismatch, KeyStoreMissing, KeyStoreUnreadable
from ecoute.store.schema.owner import Owner, Turn
from ecoute.store.store import Store
from ecoute.store.turns import read_turn, read_turn_audio
from ecoute.store.vault import Actor, KeyDestroyed

LOCAL_ONLY = pytest.mark.skipif(os.environ.get("ECOUTE_TEST_KEY_PROVIDER") == "pkcs11",
                                reason="about the local key store's files")


#: ``python -m ecoute.cli``, plus the pkcs11 provider registered in process when the installed
#: package predates its entry point (the same as tests/support/softhsm.py does in this process).
CLI = """
import sys
from ecoute import plugins
from ecoute.plugins import Family
if "pkcs11" not in plugins.names(Family.KEYS):
    from ecoute.store import keys_pkcs11
    plugins.register(Family.KEYS, "pkcs11", keys_pkcs11.pkcs11_provider)
sys.argv[0] = "ecoute"
from ecoute.cli import main
main()
"""


def _cli(settings: Settings, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``ecoute ARGS`` in a new process of this code, with the settings' key dir."""
    env = {**os.environ, "ECOUTE_KEY_DIR": str(settings.store.key_dir), "ECOUTE_DATA_DIR": str(settings.store.data_dir),
           "ECOUTE_ARGON2_TIME_COST": "1", "ECOUTE_ARGON2_MEMORY_KIB": "1024"}
    if settings.store.key_provider == "pkcs11":
        env.update(ECOUTE_KEY_PROVIDER="pkcs11", ECOUTE_PKCS11_MODULE=settings.store.pkcs11_module,
                   ECOUTE_PKCS11_TOKEN_LABEL=settings.store.pkcs11_token_label,
                   ECOUTE_PKCS11_USER_PIN=settings.store.pkcs11_user_pin.get_secret_value())
    return subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def _checkpoint(store: Store) -> None:
    if store.settings.store.db_url.startswith("sqlite"):
        with store.session() as session:  # so that a file copy of the database is complete
            session.execute(text("PRAGMA wal_checkpoint(FULL)"))


def _readable(store: Store, owner_id: str, turn_id: str) -> bool:
    with store.vault_session() as (session, vault):
        turn = session.get(Turn, turn_id)
        try:
            content = read_turn(vault, turn, actor=Actor.owner(owner_id), purpose="restore check")
            audio = read_turn_audio(vault, turn, actor=Actor.owner(owner_id), purpose="restore check")
        except KeyDestroyed:
            return False
        assert content.transcript and audio
        return True


# -- the attack: a backup of the whole data directory, restored after an erasure ---------------

def test_a_restored_copy_of_the_whole_data_dir_gives_nothing_of_an_owner_erased_since(
        sqlite_store: Store, tmp_path: Path) -> None:
    store, settings = sqlite_store, sqlite_store.settings
    ana, ben, cleo = (make_owner(store, name, email=f"{name.lower()}@example.org") for name in ("Ana", "Ben", "Cleo"))
    turns = {owner: [make_turn(store, owner, n) for n in range(3)] for owner in (ana, ben, cleo)}
    _checkpoint(store)
    backup = tmp_path / "backup"
    shutil.copytree(settings.store.data_dir, backup)  # every file: database, blobs, everything
    assert sorted(p.name for p in backup.iterdir() if p.name == "keys") == []  # no key in the data
    assert not any(settings.store.key_dir.resolve().is_relative_to(p.resolve()) for p in (settings.store.data_dir, backup))

    erase_owner(store, ana, actor=Actor.owner(ana))
    store.close()
    # the operator restores the copy over the data directory and starts again with the live key store
    shutil.rmtree(settings.store.data_dir)
    shutil.copytree(backup, settings.store.data_dir)
    restored = Store.open(settings)
    try:
        with restored.session() as session:  # the copy still holds Ana's rows and wrapped DEK…
            assert session.get(Owner, ana).wrapped_dek is not None and session.get(Turn, turns[ana][0]) is not None
        for turn_id in turns[ana]:  # …but nothing of hers opens: her items answer "erased"
            assert not _readable(restored, ana, turn_id)
        with restored.vault_session() as (session, vault), pytest.raises(KeyDestroyed, match="erased"):
            vault.dek(ana)
        for owner in (ben, cleo):  # everyone else is fully readable from the copy
            for n, turn_id in enumerate(turns[owner]):
                with restored.vault_session() as (session, vault):
                    turn = session.get(Turn, turn_id)
                    assert read_turn(vault, turn, actor=Actor.owner(owner), purpose="r").transcript == \
                        f"utterance {n} of {owner}"
                    assert read_turn_audio(vault, turn, actor=Actor.owner(owner), purpose="r") == audio_for(owner, n)
        # an export of Ben from the restored copy works in full
        receipt = export_owner(restored, ben, tmp_path / "ben.zip", actor=Actor("cli", "officer"))
        assert receipt["counts"]["recordings"] == 3
    finally:
        restored.close()

    # `ecoute export` of the erased owner from the restored copy fails cleanly, and writes nothing
    out = tmp_path / "ana.zip"
    proc = _cli(settings, "export", "ana@example.org", str(out))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "error:" in proc.stderr and "erased" in proc.stderr, proc.stderr
    assert not out.exists() and not list(tmp_path.glob("ana*.zip*"))
    proc = _cli(settings, "export", "ben@example.org", str(tmp_path / "ben-cli.zip"))
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(tmp_path / "ben-cli.zip") as archive:
        payload = b"".join(archive.read(name) for name in archive.namelist())
    assert audio_for(ben, 0) in payload or b"utterance 0 of" in payload


def test_a_destroyed_owner_key_answers_erased_for_that_owner_only(sqlite_store: Store, live_server) -> None:
    store = sqlite_store
    _home, alice, bob = household(store)
    a_turn, b_turn = make_turn(store, alice, 1), make_turn(store, bob, 2)
    store.keys.forget(alice)  # out of band: the key store lost Alice's key (or an HSM admin destroyed it)
    assert not _readable(store, alice, a_turn) and _readable(store, bob, b_turn)
    alice_client, bob_client = login(live_server.url, *ALICE), login(live_server.url, *BOB)
    gone = alice_client.get("/api/v1/me/recordings")
    assert gone.status_code == 410 and gone.json()["detail"].startswith("erased"), gone.text
    audio = alice_client.get(f"/privacy/recordings/{a_turn}/audio")
    assert audio.status_code == 410
    mine = bob_client.get("/api/v1/me/recordings")
    assert mine.status_code == 200 and [r["transcript"] for r in mine.json()] == [f"utterance 2 of {bob}"]
    assert bob_client.get(f"/privacy/recordings/{b_turn}/audio").content == audio_for(bob, 2)


# -- the key dir is not in the data dir ------------------------------------------------------

@LOCAL_ONLY
def test_first_start_creates_the_key_store_outside_the_data_dir_and_private(settings: Settings) -> None:
    store = Store.open(settings)
    try:
        make_owner(store, "Ana")
    finally:
        store.close()
    kek = settings.store.key_dir / "kek.bin"
    assert stat.S_IMODE(kek.stat().st_mode) == 0o600 and stat.S_IMODE(settings.store.key_dir.stat().st_mode) == 0o700
    assert len(list((settings.store.key_dir / "owners").iterdir())) == 1
    master = kek.read_bytes()
    for path in settings.store.data_dir.rglob("*"):
        assert path.name != "kek.bin" and not (path.is_file() and master in path.read_bytes()), path


def test_a_key_dir_inside_the_data_dir_is_refused_even_through_a_symlink(settings: Settings, tmp_path: Path) -> None:
    inside = settings.replace(key_dir=settings.store.data_dir / "keys")
    with pytest.raises(KeyStoreInsideData) as refused:
        Store.open(inside)
    message = str(refused.value)
    assert str(inside.store.key_dir) in message and str(settings.store.data_dir) in message and "ECOUTE_KEY_DIR" in message
    assert not (settings.store.data_dir / "keys").exists()  # refused before anything was created
    settings.store.data_dir.mkdir(parents=True)
    (tmp_path / "link").symlink_to(settings.store.data_dir)
    with pytest.raises(KeyStoreInsideData, match="resolved"):
        Store.open(settings.replace(key_dir=tmp_path / "link" / "secrets"))
    with pytest.raises(KeyStoreInsideData):
        Store.open(settings.replace(key_dir=settings.store.data_dir))
    # and the data dir reached through a symlink, the key dir inside its real path
    with pytest.raises(KeyStoreInsideData):
        Store.open(settings.replace(data_dir=tmp_path / "link", key_dir=settings.store.data_dir / "k"))


def test_a_master_key_left_in_the_data_dir_by_the_old_layout_is_refused(settings: Settings) -> None:
    (settings.store.data_dir / "keys").mkdir(parents=True)
    (settings.store.data_dir / "keys" / "kek.bin").write_bytes(b"k" * 32)
    with pytest.raises(KeyStoreInsideData, match="mv .*kek.bin"):
        Store.open(settings)


def test_the_cli_and_the_server_refuse_to_start_with_the_key_dir_in_the_data_dir(settings: Settings) -> None:
    from conftest import free_port

    inside = settings.replace(key_dir=settings.store.data_dir / "keys")
    proc = _cli(inside, "audit", "verify", "--data-dir", str(inside.store.data_dir))
    assert proc.returncode == 2 and proc.stderr.startswith("error: the key store") and "Traceback" not in proc.stderr
    port = free_port()
    proc = _cli(inside, "serve", "--data-dir", str(inside.store.data_dir), "--port", str(port), timeout=60)
    assert proc.returncode == 2 and "inside the data directory" in proc.stderr and "ECOUTE_KEY_DIR" in proc.stderr
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)


# -- a key store lost, damaged or foreign ------------------------------------------------------

def _store_with_an_owner(settings: Settings) -> tuple[str, str]:
    store = Store.open(settings)
    try:
        owner = make_owner(store, "Ana", email="ana@example.org")
        return owner, make_turn(store, owner, 1)
    finally:
        store.close()


@LOCAL_ONLY
def test_a_lost_key_store_is_refused_never_replaced_by_a_new_master_key(settings: Settings) -> None:
    owner, turn = _store_with_an_owner(settings)
    saved = settings.store.key_dir.parent / "saved-keys"
    shutil.move(settings.store.key_dir, saved)
    with pytest.raises(KeyStoreMissing) as refused:
        Store.open(settings)
    assert str(settings.store.key_dir / "kek.bin") in str(refused.value) and "restore" in str(refused.value)
    assert not (settings.store.key_dir / "kek.bin").exists()  # no new master key was made
    proc = _cli(settings, "export", "ana@example.org", str(settings.store.data_dir.parent / "x.zip"))
    assert proc.returncode == 2 and proc.stderr.startswith("error: the key store") and "Traceback" not in proc.stderr
    # restoring the key store from its backup brings everything back
    shutil.rmtree(settings.store.key_dir, ignore_errors=True)
    shutil.move(saved, settings.store.key_dir)
    store = Store.open(settings)
    try:
        assert _readable(store, owner, turn)
    finally:
        store.close()


@LOCAL_ONLY
def test_a_damaged_or_exposed_key_store_is_refused_with_the_fix(settings: Settings) -> None:
    _store_with_an_owner(settings)
    kek = settings.store.key_dir / "kek.bin"
    good = kek.read_bytes()
    os.chmod(kek, 0o640)
    with pytest.raises(KeyStoreUnreadable, match=f"chmod 600 {kek}"):
        Store.open(settings)
    os.chmod(kek, 0o600)
    kek.write_bytes(good[:20])
    with pytest.raises(KeyStoreUnreadable, match="not a 32-byte key .*restore it from the key backup"):
        Store.open(settings)
    kek.unlink()
    if os.geteuid() == 0:  # root reads any mode: a directory in the key's place cannot be read either
        kek.mkdir(mode=0o700)
    else:
        kek.write_bytes(good)
        os.chmod(kek, 0o000)
    with pytest.raises(KeyStoreUnreadable, match="cannot be read"):
        Store.open(settings)


@LOCAL_ONLY
def test_data_written_with_another_key_store_is_refused(settings: Settings, tmp_path: Path) -> None:
    _store_with_an_owner(settings)
    other = settings.replace(data_dir=tmp_path / "other-data", key_dir=tmp_path / "other-keys")
    Store.open(other).close()  # another deployment's key store, with its own master key
    with pytest.raises(KeyStoreMismatch) as refused:
        Store.open(settings.replace(key_dir=other.store.key_dir))
    assert str(other.store.key_dir) in str(refused.value) and "ECOUTE_KEY_DIR" in str(refused.value)


@LOCAL_ONLY
def test_a_first_start_on_an_empty_data_dir_with_erased_owners_only_may_create_keys(settings: Settings) -> None:
    # the decision "first start" is taken from the data: owners whose keys are all destroyed need none
    store = Store.open(settings)
    try:
        owner = make_owner(store, "Ana", email="ana@example.org")
        erase_owner(store, owner, actor=Actor.owner(owner))
    finally:
        store.close()
    shutil.rmtree(settings.store.key_dir)
    Store.open(settings).close()
    assert len((settings.store.key_dir / "kek.bin").read_bytes()) == crypto.KEY_BYTES

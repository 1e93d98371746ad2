"""The data directory's permissions and the sweep of interrupted blob writes (no server needed;
the same behaviour through a real server start is in test_hardening_upload.py)."""

from __future__ import annotations

import os
import stat
import time

from ecoute.store.blobs import LocalBlobStore, sweep_temporary_blobs
from ecoute.store.permissions import secure_data_dir
from ecoute.store.store import Store


def _mode(path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_a_new_store_is_private(settings) -> None:
    store = Store.open(settings)
    try:
        store.blobs.put("owners/ab/audio/cd", b"ciphertext")
        with store.session() as session:
            session.connection()  # touch the database so SQLite creates -wal/-shm
        files = [p for p in settings.store.data_dir.rglob("*") if p.is_file()]
        assert any(p.name == "ecoute.db" for p in files)
        assert (settings.store.key_dir / "kek.bin").is_file()  # the keys live apart from the data
        assert _mode(settings.store.data_dir) == 0o700
        for path in [*settings.store.data_dir.rglob("*"), *settings.store.key_dir.rglob("*")]:
            assert _mode(path) & 0o077 == 0, (path, oct(_mode(path)))
    finally:
        store.close()


def test_a_too_open_tree_is_fixed_and_links_are_left_alone(tmp_path) -> None:
    data = tmp_path / "data"
    (data / "blobs" / "owners").mkdir(parents=True)
    blob = data / "blobs" / "owners" / "x"
    blob.write_bytes(b"c")
    outside = tmp_path / "outside"
    outside.write_bytes(b"not ours")
    os.chmod(outside, 0o644)
    (data / "link").symlink_to(outside)
    for path in (data, data / "blobs", data / "blobs" / "owners", blob):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    assert secure_data_dir(data) == 4
    assert _mode(data) == 0o700 and _mode(data / "blobs" / "owners") == 0o700 and _mode(blob) == 0o600
    assert _mode(outside) == 0o644  # a symlink's target is not changed
    assert secure_data_dir(data) == 0  # nothing left to fix


def test_stray_temporaries_are_swept_but_a_write_in_flight_survives_a_margin(tmp_path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    blobs.put("owners/ab/audio/cd", b"kept")
    old = tmp_path / "blobs" / "owners" / "ab" / "audio" / ".tmp-killed"
    fresh = old.with_name(".tmp-in-flight")
    old.write_bytes(b"half")
    fresh.write_bytes(b"half")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert sweep_temporary_blobs(blobs, older_than_s=60) == 1  # what erasure may call while serving
    assert not old.exists() and fresh.exists()
    assert sweep_temporary_blobs(blobs) == 1  # at start: every temporary goes
    assert not fresh.exists() and blobs.get("owners/ab/audio/cd") == b"kept"

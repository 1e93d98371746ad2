"""Exports sealed at rest: attacks on the prepared archive, its download and its builder.

The archive waiting on the server is a STREAM of AES-GCM segments under a one-time key
wrapped by the owner's DEK. These tests read the disk as an operator would, tamper with the
file, download it twice, cut the connection, kill the builder, and erase the owner.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from test_rights_support import PASSWORD, audio_for, download_prepared, make_owner, make_turn

from ecoute.privacy import sealed_stream
from ecoute.privacy.erasure import erase_owner
from ecoute.privacy.export import archive_path, open_prepared, request_export, run_export, verify_export
from ecoute.store import crypto
from ecoute.store.schema.owner import DataSubjectRequest
from ecoute.store.store import Store
from ecoute.store.turns import TurnContent, save_turn
from ecoute.store.vault import Actor


def _needles(owner_id: str, n: int = 3) -> list[bytes]:
    """Plaintext that a leak would show: the synthetic audio (stored uncompressed in the zip)
    and the transcripts."""
    return [audio_for(owner_id, i)[:40] for i in range(n)] + [f"utterance {i} of {owner_id}".encode()
                                                              for i in range(n)]


def _files_holding(roots: list[Path], needles: list[bytes], *, skip: Path | None = None,
                   since: float = 0.0) -> list[str]:
    hits = []
    for root in roots:
        for dirpath, _dirs, names in os.walk(root):
            if skip is not None and Path(dirpath).is_relative_to(skip):
                continue
            for name in names:
                path = Path(dirpath) / name
                try:
                    st = path.stat()
                    if not path.is_file() or st.st_mtime < since or st.st_size > 200_000_000:
                        continue
                    data = path.read_bytes()
                except OSError:
                    continue
                hits += [f"{path}: {n[:20]!r}" for n in needles if n in data]
    return hits


def _prepared(store: Store, owner_id: str) -> str:
    with store.vault_session() as (session, vault):
        request_id = request_export(session, vault, owner_id=owner_id, actor=Actor.owner(owner_id)).id
    run_export(store, request_id)
    return request_id


def test_the_prepared_archive_holds_no_plaintext(sqlite_store: Store, tmp_path: Path):
    store = sqlite_store
    ana = make_owner(store, "Ana")
    for n in range(3):
        make_turn(store, ana, n)
    request_id = _prepared(store, ana)
    sealed = archive_path(store.settings, request_id)
    assert sealed.read_bytes().startswith(b"ecoute-sealed-export/1\n")
    assert _files_holding([store.settings.store.data_dir], _needles(ana)) == []
    # the owner's download is the zip, with the plaintext, and verifies as before
    (tmp_path / "out").mkdir()
    out = download_prepared(store, request_id, ana, tmp_path / "out" / "a.zip")
    assert verify_export(out).ok
    assert _files_holding([tmp_path / "out"], _needles(ana)[:3]) != []  # the scan does find plaintext


def test_a_second_download_is_gone_and_the_first_deleted_the_file(live_server, sqlite_store: Store, tmp_path):
    store = sqlite_store
    ana = make_owner(store, "Ana", email="ana@example.org")
    make_turn(store, ana, 0)
    request_id = _prepared(store, ana)
    client = httpx.Client(base_url=live_server.url, timeout=60)
    assert client.post("/login", data={"email": "ana@example.org", "password": PASSWORD}).status_code == 303
    first = client.get(f"/privacy/export/{request_id}/download")
    assert first.status_code == 200 and first.headers["content-type"] == "application/zip"
    (tmp_path / "a.zip").write_bytes(first.content)
    assert verify_export(tmp_path / "a.zip").ok
    assert "content-length" not in first.headers  # chunked: its end comes after the deletion
    assert not archive_path(store.settings, request_id).exists()
    assert client.get(f"/privacy/export/{request_id}/download").status_code == 410
    with store.session() as session:
        assert session.get(DataSubjectRequest, request_id).progress["archive"] == "delivered"


def _big_owner(store: Store, megabytes: int) -> str:
    owner = make_owner(store, "Ana", email="ana@example.org")
    with store.vault_session() as (session, vault):
        for i in range(megabytes):
            save_turn(session, vault, owner_id=owner, device_id=None, audio_wav=os.urandom(1 << 20),
                      content=TurnContent(f"utterance {i} of {owner}", "ok"), language="en", duration_s=30.0,
                      handled=True, confidence=0.9)
    return owner


def test_a_client_that_disconnects_mid_download_can_retry(live_server, sqlite_store: Store, tmp_path):
    store = sqlite_store
    ana = _big_owner(store, 24)
    request_id = _prepared(store, ana)
    client = httpx.Client(base_url=live_server.url, timeout=60)
    assert client.post("/login", data={"email": "ana@example.org", "password": PASSWORD}).status_code == 303
    with client.stream("GET", f"/privacy/export/{request_id}/download") as reply:
        assert reply.status_code == 200
        next(reply.iter_raw(65536))  # a little, then the client goes away
    client.close()
    time.sleep(1.0)
    assert archive_path(store.settings, request_id).exists()  # not complete: kept for a retry
    retry = httpx.Client(base_url=live_server.url, timeout=120)
    assert retry.post("/login", data={"email": "ana@example.org", "password": PASSWORD}).status_code == 303
    whole = retry.get(f"/privacy/export/{request_id}/download")
    assert whole.status_code == 200
    (tmp_path / "a.zip").write_bytes(whole.content)
    assert verify_export(tmp_path / "a.zip").ok
    assert retry.get(f"/privacy/export/{request_id}/download").status_code == 410


def test_a_tampered_byte_stops_the_download_at_its_segment(live_server, sqlite_store: Store, caplog):
    store = sqlite_store
    ana = _big_owner(store, 2)
    request_id = _prepared(store, ana)
    path = archive_path(store.settings, request_id)
    data = bytearray(path.read_bytes())
    at = len(data) // 2
    data[at] ^= 0x01  # one bit, in the middle of the archive
    path.write_bytes(bytes(data))
    header = data.index(b"\n") + 1 + 2 + int.from_bytes(data[data.index(b"\n") + 1:data.index(b"\n") + 3], "big")
    bad_segment = (at - header) // (sealed_stream.SEGMENT + sealed_stream.TAG)
    client = httpx.Client(base_url=live_server.url, timeout=60)
    assert client.post("/login", data={"email": "ana@example.org", "password": PASSWORD}).status_code == 303
    received = bytearray()
    with caplog.at_level(logging.ERROR), pytest.raises(httpx.HTTPError):
        with client.stream("GET", f"/privacy/export/{request_id}/download") as reply:
            assert reply.status_code == 200
            for chunk in reply.iter_raw():
                received += chunk
    # no byte of the tampered segment (or after it) reached the client
    assert len(received) <= bad_segment * sealed_stream.SEGMENT
    assert any("damaged" in r.getMessage() for r in caplog.records)
    assert path.exists()  # not delivered


@pytest.mark.parametrize("attack", ["swap", "truncate", "drop-last", "flip"])
def test_the_stream_detects_reordering_truncation_and_tampering(attack, tmp_path):
    key, aad = crypto.new_key(), b"aad"
    plain = os.urandom(3 * sealed_stream.SEGMENT + 1000)
    with open(tmp_path / "s", "wb") as fh:
        writer = sealed_stream.SealedWriter(fh, key, aad)
        writer.write(plain)
        writer.finish()
    blob = (tmp_path / "s").read_bytes()
    seg = sealed_stream.SEGMENT + sealed_stream.TAG
    assert b"".join(sealed_stream.open_stream(open(tmp_path / "s", "rb"), key, aad)) == plain
    parts = [blob[i:i + seg] for i in range(0, len(blob), seg)]
    forged = {"swap": parts[1] + parts[0] + b"".join(parts[2:]),
              "truncate": b"".join(parts[:3]),  # cut at a segment boundary: no final segment
              "drop-last": b"".join(parts[:-1]),
              "flip": blob[:-1] + bytes([blob[-1] ^ 1])}[attack]
    (tmp_path / "f").write_bytes(forged)
    out = bytearray()
    with pytest.raises(crypto.DecryptionError):
        for chunk in sealed_stream.open_stream(open(tmp_path / "f", "rb"), key, aad):
            out += chunk
    assert bytes(out) == plain[:len(out)]  # only authenticated segments were released


def test_erasure_makes_a_pending_archive_unreadable_even_from_a_backup(sqlite_store: Store, tmp_path):
    store = sqlite_store
    ana = make_owner(store, "Ana")
    make_turn(store, ana, 0)
    request_id = _prepared(store, ana)
    path = archive_path(store.settings, request_id)
    shutil.copy2(path, tmp_path / "backup.sealed")  # a backup taken while it waited
    erase_owner(store, ana, actor=Actor.owner(ana))
    assert not path.exists()
    shutil.copy2(tmp_path / "backup.sealed", path)  # ... restored
    with pytest.raises(crypto.DecryptionError):
        open_prepared(store, request_id, ana)


def _start(store: Store, *args: str) -> subprocess.Popen:
    env = {**os.environ, "ECOUTE_DATA_DIR": str(store.settings.store.data_dir), "ECOUTE_ARGON2_TIME_COST": "1",
           "ECOUTE_ARGON2_MEMORY_KIB": "1024"}
    return subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill_when(proc: subprocess.Popen, appears) -> None:
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if appears():
            time.sleep(0.3)  # well inside the archive
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=30)
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, f"the export finished before it could be killed: {err[-500:]}"


def test_a_killed_server_export_leaves_no_plaintext_anywhere(sqlite_store: Store, tmp_path: Path):
    store = sqlite_store
    ana = make_owner(store, "Ana")
    for n in range(400):
        make_turn(store, ana, n)
    with store.vault_session() as (session, vault):
        request_id = request_export(session, vault, owner_id=ana, actor=Actor.owner(ana)).id
    started = time.time()
    folder = archive_path(store.settings, request_id).parent
    script = ("import sys; from ecoute.config import Settings; from ecoute.store.store import Store; "
              "from ecoute.privacy.export import run_export; "
              "run_export(Store.open(Settings.load()), sys.argv[1])")
    proc = _start(store, "-c", script, request_id)
    _kill_when(proc, lambda: any(p.name.endswith(".partial") for p in folder.iterdir()))
    hits = _files_holding([store.settings.store.data_dir, Path(tempfile.gettempdir())], _needles(ana, 400),
                          since=started - 1)
    assert hits == []
    assert not archive_path(store.settings, request_id).exists()


def test_the_cli_export_writes_only_where_asked(sqlite_store: Store, tmp_path: Path):
    store = sqlite_store
    ana = make_owner(store, "Ana", email="ana@example.org")
    for n in range(400):
        make_turn(store, ana, n)
    out_dir = tmp_path / "operator"
    out_dir.mkdir()
    started = time.time()
    proc = _start(store, "-m", "ecoute.cli", "export", "ana@example.org", str(out_dir / "ana.zip"), "--json")
    _kill_when(proc, lambda: any(out_dir.iterdir()))
    roots = [store.settings.store.data_dir, Path(tempfile.gettempdir())]
    assert _files_holding(roots, _needles(ana, 400), skip=out_dir, since=started - 1) == []
    assert not (out_dir / "ana.zip").exists()
    # a complete run: the archive where asked, and nothing anywhere else
    subprocess.run([sys.executable, "-m", "ecoute.cli", "export", "ana@example.org", str(out_dir / "ana.zip")],
                   env={**os.environ, "ECOUTE_DATA_DIR": str(store.settings.store.data_dir)}, check=True,
                   capture_output=True)
    assert [p.name for p in out_dir.iterdir()] == ["ana.zip"] and verify_export(out_dir / "ana.zip").ok
    assert _files_holding(roots, _needles(ana, 400), skip=out_dir, since=started - 1) == []

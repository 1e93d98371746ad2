"""Export (invariant 2): complete, signed, only the requester's items, atomic."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from test_rights_support import audio_for, download_prepared, make_owner, make_task, make_turn, staff

from ecoute.privacy.export import (
    ExportAborted,
    archive_path,
    export_owner,
    public_key_hex,
    request_export,
    run_export,
    verify_export,
)
from ecoute.store import audit
from ecoute.store.schema.owner import DataSubjectRequest, Turn
from ecoute.store.store import Store
from ecoute.store.turns import read_turn_audio
from ecoute.store.vault import Actor


def _read(zf: zipfile.ZipFile, name: str):
    return json.loads(zf.read(name))


def test_export_is_complete_signed_and_verifiable(store: Store, tmp_path: Path):
    ana, ben = make_owner(store, "Ana"), make_owner(store, "Ben")
    reviewer = staff(store)
    turns = [make_turn(store, ana, n, handoff=(n == 0)) for n in range(3)]
    make_turn(store, ben, 9)
    make_task(store, ana, turns[1], reviewer)
    with store.vault_session() as (session, vault):  # someone listened: the owner must see it
        read_turn_audio(vault, session.get(Turn, turns[2]), actor=Actor("r1", "reviewer", {"site_country": "FR"}),
                        purpose="listen")
    out = tmp_path / "ana.zip"
    receipt = export_owner(store, ana, out)
    assert receipt["counts"]["turns"] == 3 and receipt["counts"]["recordings"] == 3
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert {f"recordings/{t}.wav" for t in turns} <= names
        for t, n in zip(turns, range(3)):
            assert zf.read(f"recordings/{t}.wav") == audio_for(ana, n)  # the original audio, byte for byte
        rows = {r["id"]: r for r in _read(zf, "turns.json")}
        assert rows[turns[0]]["transcript"] == f"utterance 0 of {ana}" and rows[turns[0]]["answer"] == "answer 0"
        assert _read(zf, "consents.json")[0]["text_version"] == "v1"
        assert _read(zf, "settings.json")["display_name"] == "Ana"
        assert _read(zf, "partner_handoffs.json")[0]["recording"] == turns[0]
        notes = _read(zf, "review_annotations.json")
        assert notes[0]["recording"] == turns[1] and notes[0]["payload"]["transcript"] == "corrected text"
        assert [(a["role"], a["item"], a["details"]) for a in _read(zf, "audit.json")] == [
            ("reviewer", turns[2], {"kind": "audio", "site_country": "FR"})]
        html = zf.read("index.html").decode()
        assert f"utterance 2 of {ana}" in html and "recordings/" in html
        assert ben not in zf.read("turns.json").decode()
    report = verify_export(out, public_key_hex(store.settings))
    assert report.ok and report.trusted_key and report.files_checked == len(names) - 2
    with store.vault_session() as (session, vault):
        last = vault.audit_entries_for(ana)[-1]
        assert (last.action, last.role) == ("export", "owner")
        assert audit.verify(session).ok
        request = session.execute(select(DataSubjectRequest)).scalar_one()
        assert (request.progress["done"], request.progress["total"]) == (3, 3)  # shown while it runs
    export_owner(store, ana, tmp_path / "by-officer.zip", actor=Actor("cli", "officer"))
    with store.vault_session() as (session, vault):
        last = vault.audit_entries_for(ana)[-1]
        assert (last.action, last.role, last.purpose) == ("export", "officer", "data-subject access request, exported")


def test_verify_detects_a_changed_file_and_a_foreign_key(sqlite_store: Store, tmp_path: Path):
    store = sqlite_store
    ana = make_owner(store)
    turn = make_turn(store, ana)
    out = tmp_path / "a.zip"
    export_owner(store, ana, out)
    tampered = tmp_path / "t.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == f"recordings/{turn}.wav":
                data = data.replace(b"n=0", b"n=7")
            dst.writestr(item, data)
    bad = verify_export(tampered)
    assert not bad.ok and any("does not match" in p for p in bad.problems)
    assert not verify_export(out, "00" * 32).ok  # a key that is not the server's


def test_a_swapped_item_aborts_the_export_and_leaves_no_archive(store: Store):
    ana, ben = make_owner(store, "Ana"), make_owner(store, "Ben")
    mine, theirs = make_turn(store, ana, 1), make_turn(store, ben, 2)
    with store.session() as session:  # a forged row: Ana's turn now points at Ben's recording
        session.get(Turn, mine).audio_blob = session.get(Turn, theirs).audio_blob
    with store.vault_session() as (session, vault):
        request_id = request_export(session, vault, owner_id=ana, actor=Actor.owner(ana)).id
    with pytest.raises(ExportAborted, match="does not authenticate"):
        run_export(store, request_id)
    assert not archive_path(store.settings, request_id).exists()
    assert [p.name for p in archive_path(store.settings, request_id).parent.iterdir()] == []
    with store.session() as session:
        request = session.get(DataSubjectRequest, request_id)
        assert request.status == "failed" and "authenticate" in request.error


def test_swapped_transcript_also_aborts(sqlite_store: Store, tmp_path: Path):
    store = sqlite_store
    ana, ben = make_owner(store, "Ana"), make_owner(store, "Ben")
    mine, theirs = make_turn(store, ana, 1), make_turn(store, ben, 2)
    with store.session() as session:
        session.get(Turn, mine).transcript_ct = session.get(Turn, theirs).transcript_ct
    with pytest.raises(ExportAborted):
        export_owner(store, ana, tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists() and not list(tmp_path.glob(".x.zip*"))


@pytest.mark.parametrize("point", ["batch:200", "files-written", "signed"])
def test_an_export_killed_anywhere_leaves_no_partial_archive(sqlite_store: Store, point: str, tmp_path: Path):
    store = sqlite_store
    ana = make_owner(store)
    for n in range(230):
        make_turn(store, ana, n)

    def kill(at: str) -> None:
        if at == point:
            raise KeyboardInterrupt(f"killed at {at}")

    with store.vault_session() as (session, vault):
        request_id = request_export(session, vault, owner_id=ana, actor=Actor.owner(ana)).id
    with pytest.raises(KeyboardInterrupt):
        run_export(store, request_id, checkpoint=kill)
    folder = archive_path(store.settings, request_id).parent
    assert list(folder.iterdir()) == []
    receipt = run_export(store, request_id)  # a retry completes
    assert receipt["counts"]["recordings"] == 230
    assert [p.name for p in folder.iterdir()] == [archive_path(store.settings, request_id).name]
    assert verify_export(download_prepared(store, request_id, ana, tmp_path / "downloaded.zip")).ok


def test_export_of_an_owner_with_nothing(sqlite_store: Store, tmp_path: Path):
    ana = make_owner(sqlite_store)
    receipt = export_owner(sqlite_store, ana, tmp_path / "empty.zip")
    assert receipt["counts"]["turns"] == 0
    assert verify_export(tmp_path / "empty.zip").ok
    with zipfile.ZipFile(tmp_path / "empty.zip") as zf:
        assert _read(zf, "turns.json") == []


def test_export_refuses_unknown_request(sqlite_store: Store):
    from ecoute.errors import NotFound

    with pytest.raises(NotFound):
        run_export(sqlite_store, "doesnotexist")
    with sqlite_store.session() as session:
        assert session.execute(select(DataSubjectRequest)).first() is None
    shutil.rmtree(sqlite_store.settings.store.data_dir / "exports", ignore_errors=True)


def test_an_export_finishing_after_erasure_began_leaves_no_archive(sqlite_store: Store):
    """The erasure's clean-up and a running export race: the plaintext copy must not survive."""
    from ecoute.privacy.erasure import request_erasure, run_erasure

    store = sqlite_store
    ana = make_owner(store)
    for n in range(3):
        make_turn(store, ana, n)
    with store.vault_session() as (session, vault):
        request_id = request_export(session, vault, owner_id=ana, actor=Actor.owner(ana)).id
    state = {}

    def erase_at_the_last_moment(point: str) -> None:
        if point == "signed":  # every item already read, the archive about to appear
            state["erasure"] = request_erasure(store, ana, actor=Actor.owner(ana))

    assert run_export(store, request_id, checkpoint=erase_at_the_last_moment) == {}
    assert not archive_path(store.settings, request_id).exists()
    run_erasure(store, state["erasure"])
    assert list(archive_path(store.settings, request_id).parent.iterdir()) == []
    with store.session() as session:
        assert session.get(DataSubjectRequest, request_id).status == "failed"

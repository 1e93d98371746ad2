"""Anchored audit (issue 11, item 5): attacks by someone with SQL access and a copy of the tables.

Each test does what such an attacker would do — delete an entry and re-chain, edit a column,
restore an older copy, truncate, tamper with or delete the checkpoint log — and checks that
`ecoute audit verify` (the real CLI) exits 1 naming what happened; the intact case exits 0.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update
from test_rights_support import make_owner
from typer.testing import CliRunner

from ecoute.cli import app
from ecoute.store import audit
from ecoute.store.anchor import verify_anchored
from ecoute.store.checkpoints import Checkpoint, checkpoint_log_path, open_checkpoint_log
from ecoute.store.schema.owner import AuditEntry, AuditHead
from ecoute.store.store import Store
from ecoute.store.vault import Actor

runner = CliRunner()


@pytest.fixture
def audited(store: Store) -> Iterator[tuple[Store, str]]:
    """A store with 6 audit entries: three reviewers' decrypts, each its own commit (checkpoint)."""
    ana = make_owner(store)
    for n in range(3):
        with store.vault_session() as (_session, vault):
            vault.audit(Actor(f"rev{n}", "reviewer"), action="decrypt", purpose="listen", owner_id=ana,
                        item_id=f"turn{n}", details={"kind": "audio"})
            vault.audit(Actor(f"rev{n}", "reviewer"), action="annotate", purpose="review", owner_id=ana,
                        item_id=f"turn{n}", details={"kind": "annotation"})
    yield store, ana


def cli_verify(store: Store, *extra: str) -> tuple[int, str]:
    env = {"ECOUTE_DATABASE_URL": store.settings.store.database_url}
    result = runner.invoke(app, ["audit", "verify", "--data-dir", str(store.settings.store.data_dir), *extra], env=env)
    return result.exit_code, result.output


def cli_json(store: Store) -> dict:
    code, out = cli_verify(store, "--json")
    report = json.loads(out)
    assert code == (0 if report["ok"] else 1)
    return report


def entries(store: Store) -> list[dict]:
    with store.session() as session:
        return [dict(row._mapping) for row in session.execute(select(AuditEntry.__table__).order_by(AuditEntry.seq))]


def rechain(store: Store, rows: list[dict]) -> None:
    """The attacker's repair: renumber, recompute every hash, rewrite the table and the head."""
    prev = audit.GENESIS
    fixed = []
    for seq, row in enumerate(rows, start=1):
        entry = AuditEntry(**{**row, "seq": seq, "prev_hash": prev})
        entry.entry_hash = audit.entry_hash(prev, entry)
        fixed.append({**row, "seq": seq, "prev_hash": prev, "entry_hash": entry.entry_hash})
        prev = entry.entry_hash
    with store.session() as session:
        session.execute(delete(AuditEntry))
        if fixed:
            session.execute(insert(AuditEntry), fixed)
        session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=len(fixed), last_hash=prev))
        assert audit.verify(session).ok  # the chain alone is fooled


def log_lines(store: Store) -> list[str]:
    return checkpoint_log_path(store.settings).read_text().splitlines()


def test_intact_chain_exits_0_with_a_summary(audited):
    store, _ = audited
    code, out = cli_verify(store)
    assert code == 0, out
    assert out.startswith("audit chain intact: 6 entries verified; anchored by 4 signed checkpoints, "
                          "the newest at entry 6")
    assert str(checkpoint_log_path(store.settings)) in out
    report = cli_json(store)
    assert report["ok"] and report["entries"] == 6 and report["newest_checkpoint"]["seq"] == 6
    assert [json.loads(line)["seq"] for line in log_lines(store)] == [0, 2, 4, 6]  # one per audited commit


def test_deleting_a_decrypt_entry_and_rechaining_is_detected(audited):
    store, ana = audited
    rows = entries(store)
    assert rows[2]["action"] == "decrypt" and rows[2]["actor"] == "rev1"
    rechain(store, rows[:2] + rows[3:])  # rev1's listen never happened, says the database
    code, out = cli_verify(store)
    assert code == 1
    assert "REWRITTEN" in out and "entries 3–4 were edited, removed or re-chained" in out
    # the server keeps working on top of the rewritten chain: that must not launder it
    before = log_lines(store)
    with store.vault_session() as (_session, vault):
        vault.audit(Actor("rev9", "reviewer"), action="decrypt", purpose="listen", owner_id=ana, item_id="t9")
    assert log_lines(store) == before  # the writer refuses to sign a head that does not extend the last one
    code, out = cli_verify(store)
    assert code == 1 and "REWRITTEN" in out


@pytest.mark.parametrize("column", [c.name for c in AuditEntry.__table__.columns])
def test_editing_any_single_column_is_detected(sqlite_store: Store, column: str):
    store = sqlite_store
    ana = make_owner(store)
    for n in range(3):
        with store.vault_session() as (_session, vault):
            vault.audit(Actor(f"rev{n}", "reviewer"), action="decrypt", purpose="listen", owner_id=ana,
                        item_id=f"turn{n}", details={"kind": "audio", "site_country": "FR"})
    original = entries(store)
    target = original[1]
    changed = {
        "seq": 7, "at": target["at"] + timedelta(microseconds=1), "actor": "someone-else", "role": "owner",
        "action": "annotate", "purpose": "nothing to see", "owner_tag": "0" * 64, "subject_ct": b"\x00" * 40,
        "details": {"kind": "audio", "site_country": "DE"}, "prev_hash": "1" * 64, "entry_hash": "2" * 64,
    }[column]
    assert changed != target[column]
    with store.session() as session:  # a plain edit: the chain itself catches it
        session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values({column: changed}))
    code, out = cli_verify(store)
    assert code == 1 and "BROKEN at entry 2" in out, out
    if column in ("seq", "prev_hash", "entry_hash"):
        return  # re-chaining recomputes these: the edit and rechain below is the content case
    edited = [dict(row) for row in original]
    edited[1][column] = changed
    rechain(store, edited)  # the attacker re-chains after the edit
    code, out = cli_verify(store)
    assert code == 1 and "REWRITTEN" in out and "entry 2 no longer has the hash" in out, out


def test_restoring_an_older_copy_of_the_audit_tables_is_detected(audited):
    store, ana = audited
    old_rows = entries(store)[:4]
    with store.session() as session:
        old_head = session.execute(select(AuditEntry.entry_hash).where(AuditEntry.seq == 4)).scalar_one()
    with store.session() as session:  # the copy: entries 5 and 6 did not exist yet
        session.execute(delete(AuditEntry).where(AuditEntry.seq > 4))
        session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=4, last_hash=old_head))
        assert audit.verify(session).ok
    code, out = cli_verify(store)
    assert code == 1 and "TRUNCATED or ROLLED BACK" in out and "entries 5–6 are missing" in out
    # and after the rollback, life goes on: new entries on the old copy do not cover it up
    for n in range(3):
        with store.vault_session() as (_session, vault):
            vault.audit(Actor("rev", "reviewer"), action="decrypt", purpose="listen", owner_id=ana, item_id=f"x{n}")
    assert len(entries(store)) == 7 and entries(store)[:4] == old_rows
    report = cli_json(store)
    assert report["problem"] == "rewritten" and (report["first_seq"], report["last_seq"]) == (5, 6)


def test_truncating_the_tail_is_detected(audited):
    store, _ = audited
    rechain(store, entries(store)[:5])  # the last entry removed, head moved back to entry 5
    report = cli_json(store)
    assert report["problem"] == "truncated" and (report["first_seq"], report["last_seq"]) == (6, 6)
    assert report["message"].startswith("audit log TRUNCATED or ROLLED BACK: the database has 5 entries")


def test_a_tampered_checkpoint_line_is_detected(audited):
    store, _ = audited
    path = checkpoint_log_path(store.settings)
    lines = log_lines(store)
    honest = path.read_text()
    forged = json.loads(lines[-1])
    forged["head"] = "f" * 64  # e.g. to bless a rewritten chain, keeping the old signature
    path.write_text("\n".join([*lines[:-1], json.dumps(forged)]) + "\n")
    code, out = cli_verify(store)
    assert code == 1 and f"checkpoint log FORGED: line 4 of {path}: bad signature" in out
    path.write_text(honest)
    path.write_text("\n".join([lines[0], lines[1], lines[3]]) + "\n")  # a line removed from the middle
    code, out = cli_verify(store)
    assert code == 1 and "line 3" in out and "the line before it was changed or removed" in out
    path.write_text("\n".join(lines[1:]) + "\n")  # the first lines removed
    code, out = cli_verify(store)
    assert code == 1 and "line 1" in out and "lines before it were removed" in out


def test_a_line_signed_by_another_key_is_forged(audited, tmp_path: Path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ecoute.store.checkpoints import line_hash, sign

    store, _ = audited
    path = checkpoint_log_path(store.settings)
    last = log_lines(store)[-1]
    with store.session() as session:
        seq, head = session.execute(select(AuditHead.seq, AuditHead.last_hash)).one()
    fake = sign(Checkpoint(seq + 5, "a" * 64, "2030-01-01T00:00:00", store.keys.key_id, line_hash(last)),
                Ed25519PrivateKey.generate())
    with open(path, "a") as fh:
        fh.write(fake.line() + "\n")
    code, out = cli_verify(store)
    assert code == 1 and "line 5" in out and "bad signature" in out


def test_a_deleted_checkpoint_log_is_named_and_not_silently_recreated(audited):
    store, ana = audited
    path = checkpoint_log_path(store.settings)
    path.unlink()
    code, out = cli_verify(store)
    assert code == 1 and f"checkpoint log missing at {path}: entries 1–6 are not covered by any checkpoint" in out
    with store.vault_session() as (_session, vault):  # the server goes on; it must not start a fresh log
        vault.audit(Actor("rev", "reviewer"), action="decrypt", purpose="listen", owner_id=ana, item_id="t")
    assert not path.exists()
    reopened = Store.open(store.settings)  # nor may a restart
    reopened.close()
    assert not path.exists()
    env = {"ECOUTE_DATABASE_URL": store.settings.store.database_url}
    started = runner.invoke(app, ["audit", "anchor", "--data-dir", str(store.settings.store.data_dir)], env=env)
    assert started.exit_code == 0 and "checkpoint log started at entry 7" in started.output
    again = runner.invoke(app, ["audit", "anchor", "--data-dir", str(store.settings.store.data_dir)], env=env)
    assert again.exit_code != 0 and "exists already" in str(again.exception or again.output)
    assert cli_verify(store)[0] == 0


def test_a_log_behind_the_chain_names_the_gap(audited):
    store, ana = audited
    assert store.checkpoints is not None
    store.checkpoints.detach(store.sessions)  # the window: committed, not yet checkpointed (or a crash)
    for n in range(3):
        with store.vault_session() as (_session, vault):
            vault.audit(Actor("rev", "reviewer"), action="decrypt", purpose="listen", owner_id=ana, item_id=f"x{n}")
    with store.session() as session:
        result = verify_anchored(session, store.keys, open_checkpoint_log(store.settings), grace_s=0.2)
    assert result.problem == "behind" and (result.first_seq, result.last_seq) == (7, 9)
    code, out = cli_verify(store)
    assert code == 1 and "checkpoint log behind: entries 7–9 are not covered by any checkpoint" in out
    store.checkpoints.attach(store.sessions)  # the next audited commit covers the gap
    with store.vault_session() as (_session, vault):
        vault.audit(Actor("rev", "reviewer"), action="decrypt", purpose="listen", owner_id=ana, item_id="y")
    assert cli_verify(store)[0] == 0


def test_a_rolled_back_transaction_writes_no_checkpoint(sqlite_store: Store):
    store = sqlite_store
    ana = make_owner(store)
    before = log_lines(store)
    with pytest.raises(RuntimeError):
        with store.vault_session() as (_session, vault):
            vault.audit(Actor("rev", "reviewer"), action="decrypt", purpose="listen", owner_id=ana, item_id="t")
            raise RuntimeError("the work failed")
    with store.session() as session:  # a later commit without audit entries
        session.execute(select(AuditHead)).scalar_one()
    assert log_lines(store) == before and cli_verify(store)[0] == 0


# -- officer exports: one entry per item opened, in the decrypt's transaction; failures too ----

def _sealed_fields(store: Store, owner_id: str) -> list[tuple[str, str]]:
    """(turn id, kind) of every sealed item of the owner's turns, in export order."""
    from ecoute.store.schema.owner import Turn

    with store.session() as session:
        turns = session.execute(select(Turn).where(Turn.owner_id == owner_id)
                                .order_by(Turn.created_at, Turn.id)).scalars().all()
        return [(t.id, kind) for t in turns for kind, value in
                (("audio", t.audio_blob), ("transcript", t.transcript_ct), ("answer", t.answer_ct),
                 ("meta", t.meta_ct)) if value is not None]


def _officer_entries(store: Store, owner_id: str) -> list:
    with store.vault_session() as (_session, vault):
        return [v for v in vault.audit_entries_for(owner_id) if v.role == "officer"]


def test_an_officer_export_records_every_item_it_opens(store: Store, tmp_path: Path):
    from test_rights_support import make_turn

    from ecoute.privacy.export import export_owner

    ana = make_owner(store)
    for n in range(4):
        make_turn(store, ana, n)
    export_owner(store, ana, tmp_path / "ana.zip", actor=Actor("cli", "officer"))
    entries_ = _officer_entries(store, ana)
    opened = [(v.item_id, v.details["kind"]) for v in entries_ if v.action == "decrypt"]
    assert opened == _sealed_fields(store, ana) and len(opened) == 16  # 4 turns x audio, transcript, answer, meta
    assert all(v.purpose == "export" for v in entries_ if v.action == "decrypt")
    assert [v.action for v in entries_][-1] == "export"  # and the one entry for the export itself
    assert cli_verify(store)[0] == 0  # every one of them anchored


def test_an_officer_export_killed_half_way_keeps_the_entries_of_what_it_opened(sqlite_store: Store, tmp_path: Path):
    from test_rights_support import make_turn

    from ecoute.privacy.export import export_owner

    store = sqlite_store
    ana = make_owner(store)
    for n in range(5):
        make_turn(store, ana, n)

    def kill(point: str) -> None:
        if point == "item:3":  # items 1-3 opened, 4-5 never
            raise RuntimeError("the process died")

    with pytest.raises(RuntimeError):
        export_owner(store, ana, tmp_path / "ana.zip", actor=Actor("cli", "officer"), checkpoint=kill)
    assert not (tmp_path / "ana.zip").exists()
    entries_ = _officer_entries(store, ana)
    opened = [(v.item_id, v.details["kind"]) for v in entries_ if v.action == "decrypt"]
    assert opened == _sealed_fields(store, ana)[:12]  # exactly the items 1-3, none of 4-5
    failed = [v for v in entries_ if v.action == "export"]
    assert len(failed) == 1 and failed[0].purpose == "export failed"
    last = entries(store)[-1]  # as stored (the owner's view shows only the kind)
    assert (last["seq"], last["details"]) == (failed[0].seq, {"kind": "export", "outcome": "failed",
                                                             "reason": "RuntimeError"})
    assert cli_verify(store)[0] == 0


def test_a_failed_owner_export_is_recorded_too(sqlite_store: Store, tmp_path: Path):
    from test_rights_support import make_turn

    from ecoute.privacy.export import ExportAborted, export_owner
    from ecoute.store.schema.owner import Turn

    store = sqlite_store
    ana, ben = make_owner(store, "Ana"), make_owner(store, "Ben")
    mine, theirs = make_turn(store, ana, 1), make_turn(store, ben, 2)
    with store.session() as session:  # a forged row makes the export abort
        session.get(Turn, mine).transcript_ct = session.get(Turn, theirs).transcript_ct
    with pytest.raises(ExportAborted):
        export_owner(store, ana, tmp_path / "x.zip")
    with store.vault_session() as (_session, vault):
        views = vault.audit_entries_for(ana)
    assert [(v.role, v.action, v.purpose) for v in views] == [
        ("owner", "export", "export failed")]  # the owner's own reads are not audited
    assert entries(store)[-1]["details"] == {"kind": "export", "outcome": "failed", "reason": "ExportAborted"}


def test_concurrent_writers_leave_one_ordered_log_covering_everything(store: Store):
    """Threads committing audited work at once: checkpoints never go backwards, the last covers all."""
    from concurrent.futures import ThreadPoolExecutor

    ana = make_owner(store)

    def work(worker: int) -> None:
        for n in range(8):
            with store.vault_session() as (_session, vault):
                vault.audit(Actor(f"rev{worker}", "reviewer"), action="decrypt", purpose="listen", owner_id=ana,
                            item_id=f"t{worker}-{n}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))
    seqs = [json.loads(line)["seq"] for line in log_lines(store)]
    assert seqs == sorted(set(seqs)) and seqs[-1] == 32
    report = cli_json(store)
    assert report["ok"] and report["entries"] == 32

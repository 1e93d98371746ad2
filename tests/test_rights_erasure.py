"""Erasure (invariant 1): key destroyed first, reaches backups, resumable, leaves nothing."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from test_rights_support import (
    binary_values,
    capture_dek,
    decryptable_with,
    decryptable_with_task_key,
    make_dataset_item,
    make_owner,
    make_task,
    make_turn,
    mentions,
    staff,
    task_key_of,
    task_kinds,
)

from ecoute.config import Settings
from ecoute.privacy.erasure import STEPS, erase_owner, request_erasure, resume_erasures, run_erasure
from ecoute.privacy.export import export_owner
from ecoute.store import audit
from ecoute.store.identity import owner_email, owner_name
from ecoute.store.schema.datasets import DatasetVersion
from ecoute.store.schema.owner import (
    DataSubjectRequest,
    LoginSession,
    Owner,
    ReviewerExposure,
    ReviewLink,
    Turn,
)
from ecoute.store.schema.review import Annotation, ReviewTask
from ecoute.store.store import Store
from ecoute.store.turns import read_turn
from ecoute.store.vault import Actor, KeyDestroyed


def _populate(store: Store, owner_id: str, n: int, reviewer: str) -> list[str]:
    turns = [make_turn(store, owner_id, i, handoff=(i % 3 == 0)) for i in range(n)]
    for t in turns[:2]:
        make_task(store, owner_id, t, reviewer)
    return turns


def _assert_gone(store: Store, owner_id: str, turns: list[str], dek: bytes) -> None:
    """Nothing of the owner is decryptable even with their old key, and nothing names them."""
    values = binary_values(store)
    # content of every item: gone (rows and blobs removed), even for someone who kept the DEK
    assert decryptable_with(dek, owner_id, turns, values) == []
    assert mentions(store, owner_id) in ([], ["owners"])  # only the content-free marker row
    with store.vault_session() as (session, vault):
        owner = session.get(Owner, owner_id)
        assert (owner.status, owner.email_hash, owner.email_ct, owner.password_hash, owner.wrapped_dek,
                owner.name_ct, owner_email(vault, owner), owner_name(vault, owner)) == \
            ("erased", None, None, None, None, None, None, "")
        with pytest.raises(KeyDestroyed):
            vault.dek(owner_id)
        assert audit.verify(session).ok


def test_erasure_removes_everything_and_gives_a_receipt(store: Store, tmp_path):
    ana, ben = make_owner(store, "Ana"), make_owner(store, "Ben")
    reviewer = staff(store)
    turns = _populate(store, ana, 5, reviewer)
    bens = _populate(store, ben, 3, reviewer)
    export_owner(store, ana, tmp_path / "before.zip")
    dek = capture_dek(store, ana)
    with store.session() as session:
        task = session.execute(select(ReviewLink.task_id).where(ReviewLink.owner_id == ana)).scalars().first()
    task_key = task_key_of(store, ana, task)
    kinds = task_kinds(store, task)
    version_id, _item = make_dataset_item(store, task, task_key)
    with store.session() as session:
        session.add(LoginSession(token_hash="h" * 64, subject_kind="owner", subject_id=ana,
                                 expires_at=session.get(Owner, ana).created_at))
    with store.vault_session() as (session, vault):  # a reviewer was given one of Ana's clips
        session.add(ReviewerExposure(reviewer_id=reviewer, owner_tag=vault.owner_tag(ana)))
        session.add(ReviewerExposure(reviewer_id=reviewer, owner_tag=vault.owner_tag(ben)))
    receipt = erase_owner(store, ana, actor=Actor.owner(ana))
    assert receipt["deleted"]["turns"] == 5 and receipt["deleted"]["recordings"] == 5
    assert receipt["deleted"]["review_tasks"] == 2 and receipt["deleted"]["partner_handoffs"] == 2
    assert receipt["deleted"]["consents"] == 1 and receipt["deleted"]["login_sessions"] == 1
    assert receipt["deleted"]["reviewer_exposure"] == 1
    assert receipt["key_destroyed_at"] <= receipt["completed_at"]
    _assert_gone(store, ana, turns, dek)
    assert receipt["deleted"]["datasets_marked"] == 1
    assert decryptable_with_task_key(task_key, task, kinds, binary_values(store)) == []
    with store.session() as session:
        assert session.get(DatasetVersion, version_id).stale
    with store.vault_session() as (session, vault):  # Ben is untouched
        assert session.scalar(select(func.count()).select_from(Turn).where(Turn.owner_id == ben)) == 3
        assert read_turn(vault, session.get(Turn, bens[0]), actor=Actor.owner(ben), purpose="t").transcript
        assert session.scalar(select(func.count()).select_from(ReviewTask)) == 2
        assert session.scalar(select(func.count()).select_from(Annotation)) == 2
        assert session.scalar(select(func.count()).select_from(ReviewerExposure)) == 1  # Ben's
        request = session.execute(select(DataSubjectRequest).where(DataSubjectRequest.kind == "erasure")).scalar_one()
        assert request.status == "done" and request.receipt == receipt
    # a second erasure of the same account is refused, not repeated
    assert erase_owner(store, ana, actor=Actor.owner(ana)) == receipt


def test_erasure_reaches_a_backup_taken_before(sqlite_store: Store, tmp_path):
    store = sqlite_store
    ana, ben = make_owner(store, "Ana"), make_owner(store, "Ben")
    t_ana, t_ben = make_turn(store, ana, 1), make_turn(store, ben, 2)
    with store.session() as session:
        session.execute(text("PRAGMA wal_checkpoint(FULL)"))
    backup_dir = tmp_path / "backup"
    shutil.copytree(store.settings.store.data_dir, backup_dir, ignore=shutil.ignore_patterns("keys"))
    erase_owner(store, ana, actor=Actor.owner(ana))
    backup = Store.open(store.settings.replace(data_dir=backup_dir), run_migrations=False)
    backup.keys = store.keys  # the live key provider, as a restore would use
    try:
        with backup.vault_session() as (session, vault):
            assert session.get(Owner, ana).wrapped_dek is not None and session.get(Turn, t_ana) is not None
            with pytest.raises(KeyDestroyed):
                read_turn(vault, session.get(Turn, t_ana), actor=Actor.owner(ana), purpose="restore")
            with pytest.raises(KeyDestroyed):
                vault.get_blob(ana, t_ana, "audio", f"owners/{ana}/audio/{t_ana}", actor=Actor.owner(ana), purpose="r")
            assert read_turn(vault, session.get(Turn, t_ben), actor=Actor.owner(ben), purpose="restore").transcript
    finally:
        backup.close()


class Killed(Exception):
    """Stands for the process dying at a checkpoint."""


def _points(n_turns: int) -> list[str]:
    """Every point the erasure passes through for an owner with this many turns."""
    points = ["requested", "key-destroyed"]
    for step in STEPS:
        if step == "turns":
            batches = n_turns // 2 + 1  # TURN_BATCH is patched to 2 below
            points += [f"commit:{step}"] * batches
        elif step != "key":
            points.append(f"commit:{step}")
        points.append(f"after:{step}")
    return points


@hsettings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_erasure_killed_anywhere_completes_on_restart(tmp_path_factory, monkeypatch, data):
    """Kill the job at a point hypothesis picks (possibly several times); restarting completes it."""
    monkeypatch.setattr("ecoute.privacy.erasure.TURN_BATCH", 2)
    root = tmp_path_factory.mktemp("erase")
    store = Store.open(Settings.load(data_dir=root, argon2_time_cost=1, argon2_memory_kib=1024))
    try:
        reviewer = staff(store)
        ana, ben = make_owner(store, "Ana"), make_owner(store, "Ben")
        n = data.draw(st.integers(0, 5), label="turns")
        turns = _populate(store, ana, n, reviewer)
        bens = _populate(store, ben, 2, reviewer)
        dek = capture_dek(store, ana)
        points = _points(n)
        kills = data.draw(st.lists(st.integers(0, len(points) - 1), min_size=1, max_size=3, unique=True),
                          label="kill at")
        seen = {"i": 0, "reached": set()}

        def checkpoint(point: str) -> None:
            i = seen["i"]
            seen["i"] += 1
            if i in kills:
                raise Killed(point)
            seen["reached"].add(point)

        request_id = None
        try:
            request_id = request_erasure(store, ana, actor=Actor.owner(ana), checkpoint=checkpoint)
            run_erasure(store, request_id, checkpoint=checkpoint)
        except Killed:
            pass
        # once request_erasure has returned the key is gone: nothing of Ana's can be read any more
        with store.vault_session() as (session, vault):
            if "key-destroyed" in seen["reached"]:
                with pytest.raises(KeyDestroyed):
                    vault.dek(ana)
        # restart (as many times as it takes, each restart may be killed again)
        for _ in range(10):
            try:
                results = resume_erasures(store)
                if not results and owner_status_active(store, ana):
                    erase_owner(store, ana, actor=Actor.owner(ana))  # killed before the request committed
                break
            except Killed:
                continue
        _assert_gone(store, ana, turns, dek)
        with store.session() as session:
            request = session.execute(select(DataSubjectRequest)).scalar_one()
            assert request.status == "done" and request.receipt["deleted"].get("turns", 0) == n
            assert session.scalar(select(func.count()).select_from(Turn).where(Turn.owner_id == ben)) == 2
        assert all(store.blobs.exists(f"owners/{ben}/audio/{t}") for t in bens)
    finally:
        store.close()


def owner_status_active(store: Store, owner_id: str) -> bool:
    with store.session() as session:
        return session.get(Owner, owner_id).status == "active"

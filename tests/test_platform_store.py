"""Platform services on SQLite and PostgreSQL: pairing, skill state, privacy actions,
recording deletion (incl. other owners' ids), auto-delete, orphan blobs, job resumption."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from test_platform_support import add_turn, device, household

from ecoute.errors import BadInput, NotFound
from ecoute.jobs import InlineJobRunner
from ecoute.services import devices as pairing
from ecoute.services import recordings as rec
from ecoute.services.ingest import remove_orphan_blobs
from ecoute.services.privacy_actions import PrivacyActions
from ecoute.services.skill_state import DbSkillState
from ecoute.store.schema.owner import Device, FalseActivationCount, Owner, SkillState, Turn
from ecoute.store.schema.platform import DevicePairing
from ecoute.store.store import Store
from ecoute.store.tokens import token_hash


def _turn_count(store: Store, owner_id: str, *, false_activation: bool = False) -> int:
    with store.session() as session:
        return session.execute(select(func.count()).select_from(Turn).where(
            Turn.owner_id == owner_id, Turn.false_activation.is_(false_activation))).scalar_one()


def test_pairing_code_claimed_by_an_owner_then_token_issued_once(store: Store):
    home, alice, _ = household(store)
    with store.session() as session:
        pending = pairing.start_pairing(session, "Kitchen speaker")
    assert len(pending.code) == 6 and set(pending.code) <= set(pairing.CODE_ALPHABET)
    with store.session() as session:
        assert pairing.exchange_pairing(session, pending.pairing_id).status == "waiting"
        with pytest.raises(NotFound):
            pairing.claim_pairing(session, session.get(Owner, alice), "ZZZZZZ" if pending.code != "ZZZZZZ" else "YYYYYY")
    with store.session() as session:  # typed in lower case with a space: still the code
        code = pending.code.lower()[:3] + " " + pending.code.lower()[3:]
        dev = pairing.claim_pairing(session, session.get(Owner, alice), code)
        assert dev.household_id == home and dev.selected_owner_id == alice
    with store.session() as session:
        done = pairing.exchange_pairing(session, pending.pairing_id)
    assert done.status == "paired" and done.token
    with store.session() as session:
        stored = session.get(Device, done.device_id)
        assert stored.token_hash == token_hash(done.token) and done.token not in repr(stored.__dict__)
        assert session.execute(select(func.count()).select_from(DevicePairing)).scalar_one() == 0
        with pytest.raises(NotFound):  # the token is handed out once
            pairing.exchange_pairing(session, pending.pairing_id)


def test_expired_pairing_cannot_be_claimed(store: Store):
    _, alice, _ = household(store)
    with store.session() as session:
        pending = pairing.start_pairing(session, "Old speaker")
        row = session.execute(select(DevicePairing)).scalar_one()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    with store.session() as session, pytest.raises(NotFound):
        pairing.claim_pairing(session, session.get(Owner, alice), pending.code)
    with store.session() as session:
        assert session.execute(select(func.count()).select_from(Device)).scalar_one() == 0


def test_skill_state_is_sealed_per_owner(store: Store):
    _, alice, bob = household(store)
    with store.vault_session() as (session, vault):
        DbSkillState(session, vault, alice).put("shopping", {"items": ["oat milk"]})
    with store.vault_session() as (session, vault):
        assert DbSkillState(session, vault, alice).get("shopping") == {"items": ["oat milk"]}
        assert DbSkillState(session, vault, bob).get("shopping") == {}
        raw = session.execute(select(SkillState.value_ct)).scalar_one()
        assert b"oat milk" not in raw


def test_voice_privacy_actions_touch_only_the_speaker(store: Store):
    home, alice, bob = household(store)
    dev, _ = device(store, home, alice)
    yesterday = datetime.now(UTC) - timedelta(days=2)
    old = add_turn(store, alice, "old request", device_id=dev, created_at=yesterday)
    add_turn(store, alice, "first today", device_id=dev)
    last = add_turn(store, alice, "second today", device_id=dev)
    bobs = add_turn(store, bob, "bob today", device_id=dev)

    with store.vault_session() as (session, vault):
        actions = PrivacyActions(session, vault, owner_id=alice, device_id=dev)
        assert actions.delete_last_turn() is True
    with store.session() as session:
        assert session.get(Turn, last) is None and session.get(Turn, bobs) is not None

    with store.vault_session() as (session, vault):
        actions = PrivacyActions(session, vault, owner_id=alice, device_id=dev)
        assert actions.not_for_me() is True  # "first today" goes, counted as a false activation
    assert _turn_count(store, alice) == 1 and _turn_count(store, alice, false_activation=True) == 1
    with store.session() as session:
        counter = session.execute(select(FalseActivationCount)).scalar_one()
        assert (counter.count, counter.reported) == (1, 1)

    add_turn(store, alice, "third today", device_id=dev)
    with store.vault_session() as (session, vault):
        actions = PrivacyActions(session, vault, owner_id=alice, device_id=dev)
        assert actions.delete_today() == 1
        status = actions.recording_status()
    assert status["kept_recordings"] == 1 and status["human_review"] is False
    with store.session() as session:
        assert session.get(Turn, old) is not None and session.get(Turn, bobs) is not None


def test_stop_review_and_who_listened_by_voice(store: Store):
    from ecoute.review.consent import opt_in

    _, alice, _ = household(store)
    with store.vault_session() as (session, vault):
        opt_in(session, vault, alice, "web")
    with store.vault_session() as (session, vault):
        actions = PrivacyActions(session, vault, owner_id=alice, device_id=None)
        assert actions.recording_status()["human_review"] is True
        assert actions.stop_review() == 0
        assert actions.who_listened() == []
    with store.vault_session() as (session, vault):
        assert PrivacyActions(session, vault, owner_id=alice, device_id=None).recording_status()["human_review"] is False


def test_other_owners_ids_find_nothing_and_change_nothing(store: Store):
    _, alice, bob = household(store)
    mine = add_turn(store, alice, "alice secret")
    theirs = add_turn(store, bob, "bob secret")
    with store.vault_session() as (session, vault):
        with pytest.raises(NotFound):
            rec.delete_selection(session, vault, alice, [mine, theirs])
        with pytest.raises(NotFound):
            rec.recording_audio(session, vault, alice, theirs)
        session.rollback()
    assert _turn_count(store, alice) == 1 and _turn_count(store, bob) == 1


def test_delete_selection_range_and_all_remove_rows_and_blobs(store: Store):
    _, alice, bob = household(store)
    now = datetime.now(UTC)
    ids = [add_turn(store, alice, f"turn {i}", created_at=now - timedelta(days=i)) for i in range(6)]
    add_turn(store, bob, "bob keeps this")
    with store.session() as session:
        blobs = {t.id: t.audio_blob for t in session.execute(select(Turn)).scalars()}
    with store.vault_session() as (session, vault):
        assert rec.delete_selection(session, vault, alice, ids[:2]) == 2
    assert not any(store.blobs.exists(blobs[i]) for i in ids[:2]) and store.blobs.exists(blobs[ids[2]])
    first = (now - timedelta(days=3)).astimezone().date()
    last = (now - timedelta(days=2)).astimezone().date()
    with store.vault_session() as (session, vault):
        assert rec.delete_range(session, vault, alice, first, last) == 2
        with pytest.raises(BadInput):
            rec.delete_range(session, vault, alice, date(2026, 2, 1), date(2026, 1, 1))
    with store.vault_session() as (session, vault):
        assert rec.delete_all(session, vault, alice) == 2
    assert _turn_count(store, alice) == 0 and _turn_count(store, bob) == 1
    assert [k for k in store.blobs.keys(f"owners/{alice}/")] == []


def test_auto_delete_choices(store: Store):
    _, alice, _ = household(store)
    with store.session() as session:
        owner = session.get(Owner, alice)
        assert rec.set_auto_delete(session, owner, "3m") == 90
        assert rec.set_auto_delete(session, owner, "18m") == 540
        assert rec.set_auto_delete(session, owner, "custom", "45") == 45
        assert rec.auto_delete_choice(45) == "custom"
        assert rec.set_auto_delete(session, owner, "never") is None
        for bad in ("0", "abc", "99999"):
            with pytest.raises(BadInput):
                rec.set_auto_delete(session, owner, "custom", bad)
        with pytest.raises(BadInput):  # a platform maximum cannot be exceeded by "never"
            rec.set_auto_delete(session, owner, "never", max_days=365)
    with store.session() as session:
        assert session.get(Owner, alice).auto_delete_days is None


def test_orphan_blob_from_an_interrupted_ingest_is_removed_on_start(store: Store):
    _, alice, _ = household(store)
    kept = add_turn(store, alice, "kept")
    orphan_key = f"owners/{alice}/audio/{'ab' * 12}"
    store.blobs.put(orphan_key, b"ciphertext without a row")
    other = "tasks/abc/clip"  # blobs that are not turn audio are not ours to judge
    store.blobs.put(other, b"x")
    assert remove_orphan_blobs(store) == 1
    with store.session() as session:
        assert store.blobs.exists(session.get(Turn, kept).audio_blob)
    assert not store.blobs.exists(orphan_key) and store.blobs.exists(other)


def test_job_runner_resumes_turns_left_unconsidered(store: Store):
    _, alice, _ = household(store)
    ids = [add_turn(store, alice, f"turn {i}") for i in range(3)]
    runner = InlineJobRunner(store, sweep_interval_s=0)
    runner.start()
    try:
        assert runner.wait_idle(60)
    finally:
        runner.stop()
    assert runner.completed.get("sample_turn") == 3 and not runner.failures
    with store.session() as session:
        assert all(session.get(Turn, i).review_considered for i in ids)


def test_no_plaintext_of_platform_content_at_rest(store: Store):
    home, alice, _ = household(store)
    secret = "kumquat zeppelin password"
    add_turn(store, alice, secret)
    with store.vault_session() as (session, vault):
        DbSkillState(session, vault, alice).put("shopping", {"items": [secret]})
    for path in store.settings.store.data_dir.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    with store.session() as session:
        for table in ("turns", "skill_state", "audit_entries", "owners"):
            for row in session.execute(text(f"SELECT * FROM {table}")):
                assert secret not in repr(row)


def test_auto_delete_enforced_by_the_runners_periodic_sweep(sqlite_store: Store):
    import time

    store = sqlite_store
    _, alice, bob = household(store)
    now = datetime.now(UTC)
    old = add_turn(store, alice, "from long ago", created_at=now - timedelta(days=40))
    recent = add_turn(store, alice, "from this week", created_at=now - timedelta(days=3))
    bobs_old = add_turn(store, bob, "bob keeps everything", created_at=now - timedelta(days=400))
    with store.session() as session:
        rec.set_auto_delete(session, session.get(Owner, alice), "custom", "30")
    runner = InlineJobRunner(store, sweep_interval_s=0.2)
    runner.start()
    try:
        deadline = time.monotonic() + 60
        while runner.completed.get("retention_sweep", 0) < 1:
            assert time.monotonic() < deadline and not runner.failures, runner.failures
            time.sleep(0.05)
    finally:
        runner.stop()
    with store.session() as session:
        assert session.get(Turn, old) is None
        assert session.get(Turn, recent) is not None and session.get(Turn, bobs_old) is not None


def test_a_device_submits_only_for_its_own_household(sqlite_store: Store):
    from test_platform_support import speech_wav

    from ecoute.services.ingest import Conflict, ingest_turn
    from ecoute.store.accounts import create_household, create_owner

    store = sqlite_store
    home, alice, _ = household(store)
    with store.vault_session() as (session, vault):
        other_home = create_household(session, "next door")
        stranger = create_owner(session, vault, store.settings, other_home, display_name="Eve").id
    dev, _ = device(store, home, alice)
    wav = speech_wav("what time is it")
    with store.session() as session:  # a forged row: the device points at another household's owner
        session.get(Device, dev).selected_owner_id = stranger
    with pytest.raises(Conflict, match="no owner is selected"):
        ingest_turn(store, device_id=dev, upload=wav, wake_score=0.9)
    with store.session() as session:
        row = session.get(Device, dev)
        row.selected_owner_id, row.muted = alice, True
    with pytest.raises(Conflict, match="muted"):
        ingest_turn(store, device_id=dev, upload=wav, wake_score=0.9)
    with store.session() as session:
        assert session.execute(select(func.count()).select_from(Turn)).scalar_one() == 0
    assert list(store.blobs.keys("owners/")) == []

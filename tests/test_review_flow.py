"""Consent, tasks, assignment, the key broker, annotations and "who listened" on the real store."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from test_review_support import add_owner, add_staff, add_task, add_turn, task_status

from ecoute.assistant.listened import spoken_answer
from ecoute.errors import Forbidden
from ecoute.review import annotate, consent
from ecoute.review.assignment import next_task, stream_clip
from ecoute.review.errors import AlreadySubmitted, CapReached, InvalidAnnotation, NotYours, TaskGone
from ecoute.review.listening import who_listened
from ecoute.review.purge import remove_tasks_for_turns
from ecoute.store import audit
from ecoute.store.schema.owner import AuditEntry, Consent, ReviewerExposure, ReviewLink
from ecoute.store.schema.review import Annotation, ReviewTask, Staff
from ecoute.store.store import Store

NO_GOLD = random.Random(1)


def _staff(session, staff_id: str) -> Staff:
    return session.get(Staff, staff_id)


def test_consent_is_off_until_opt_in_and_stores_the_text_hash(store: Store):
    owner, _ = add_owner(store, opted_in=False)
    with store.vault_session() as (session, vault):
        assert not consent.is_opted_in(session, owner)
        row = consent.opt_in(session, vault, owner, "voice")
        assert consent.is_opted_in(session, owner)
        assert row.text_version == consent.CURRENT_VERSION
        assert row.text_hash == consent.text_hash(consent.consent_text("en"))
        assert len(row.text_hash) == 64
    with store.vault_session() as (session, vault):
        assert consent.opt_out(session, vault, owner, "web") == 0
        assert not consent.is_opted_in(session, owner)
        assert session.execute(select(func.count()).select_from(Consent)).scalar_one() == 2  # append-only


def test_children_can_never_opt_in(sqlite_store: Store):
    child, _ = add_owner(sqlite_store, child=True, name="Kid")
    with sqlite_store.vault_session() as (session, vault), pytest.raises(Forbidden):
        consent.opt_in(session, vault, child, "web")
    with sqlite_store.session() as session:
        assert not consent.is_opted_in(session, child)
        assert session.execute(select(func.count()).select_from(Consent)).scalar_one() == 0


def test_excluded_clip_never_becomes_a_task(sqlite_store: Store):
    owner, dev = add_owner(sqlite_store)
    turn = add_turn(sqlite_store, owner, dev)
    assert add_task(sqlite_store, owner, turn, decision="exclude") is None
    lead_task = add_task(sqlite_store, owner, turn, decision="lead_only")
    with sqlite_store.session() as session:
        assert session.execute(select(func.count()).select_from(ReviewTask)).scalar_one() == 1
        task = session.get(ReviewTask, lead_task)
        assert task.queue == "lead" and task.context == "evening, weekday" and task.created_week == "2026-W48"


def test_task_content_is_sealed_and_link_lives_in_owner_zone(sqlite_store: Store):
    store = sqlite_store
    owner, dev = add_owner(store, email="ana@example.org")
    turn = add_turn(store, owner, dev, text="call Zebulon Quokka")
    task_id = add_task(store, owner, turn, transcript="call <PERSON>", slots={"name": "Zebulon Quokka"})
    with store.session() as session:
        for table in ("review_tasks", "review_links"):
            for row in session.execute(text(f"SELECT * FROM {table}")):
                assert "Zebulon" not in repr(row) and "<PERSON>" not in repr(row)
                assert owner not in repr(row) or table == "review_links"
                assert turn not in repr(row)
        link = session.get(ReviewLink, task_id)
        assert link.owner_id == owner and link.turn_tag != turn


def test_assignment_languages_spacing_and_broker_audit(store: Store):
    ana, dev = add_owner(store, email="ana@example.org")
    t1 = add_task(store, ana, add_turn(store, ana, dev))
    t2 = add_task(store, ana, add_turn(store, ana, dev, text="turn off the light"))
    ben, bdev = add_owner(store, language="fr", name="Ben")
    t_fr = add_task(
        store, ben, add_turn(store, ben, bdev, text="allume la lumière", language="fr"), language="fr"
    )
    rev_en = add_staff(store, "en@review.example", languages="en", country="PT")
    rev_fr = add_staff(store, "fr@review.example", languages="fr", country="FR", site="Lyon")

    with store.vault_session() as (session, vault):
        en = _staff(session, rev_en)
        first = next_task(session, vault, store.settings, en, rng=NO_GOLD)
        assert first.id in (t1, t2)
        # one at a time: asking again returns the same task
        assert next_task(session, vault, store.settings, en, rng=NO_GOLD).id == first.id
        # a reviewer cannot touch a task outside their languages, nor another's task
        with pytest.raises(NotYours):
            stream_clip(session, vault, en, t_fr)
        wav = stream_clip(session, vault, en, first.id)
        assert wav[:4] == b"RIFF"
    with store.vault_session() as (session, vault):
        en = _staff(session, rev_en)
        annotate.label(
            session, vault, store.settings, en, first.id, transcript="turn on the light", intent="HassTurnOn"
        )
    with store.vault_session() as (session, vault):
        en = _staff(session, rev_en)
        # the other task is from the same owner: spacing keeps it from this reviewer
        assert next_task(session, vault, store.settings, en, rng=NO_GOLD) is None
        fr = _staff(session, rev_fr)
        with pytest.raises(NotYours):
            stream_clip(session, vault, fr, first.id)
        assert next_task(session, vault, store.settings, fr, rng=NO_GOLD).id == t_fr
        assert session.execute(select(func.count()).select_from(ReviewerExposure)).scalar_one() == 2
    with store.vault_session() as (session, vault):
        entries = who_listened(session, vault, ana)
        overall = [e for e in entries if e["scope"] == "overall"]
        assert overall == [
            {
                "scope": "overall",
                "recording": None,
                "day": overall[0]["day"],
                "role": "reviewer",
                "site_country": "PT",
                "language_team": "en",
                "count": 1,
            }
        ]
        per = [e for e in entries if e["scope"] == "recording"]
        assert len(per) == 1 and per[0]["recording"] is not None
        assert rev_en not in repr(entries) and "en@review" not in repr(entries)
        assert "1 time by a reviewer in PT" in spoken_answer(entries, "en")
        assert who_listened(session, vault, ben) == []
        assert spoken_answer([], "fr") == "Personne n'a écouté vos enregistrements."
        assert audit.verify(session).ok


def test_spacing_expires_after_the_configured_days(sqlite_store: Store):
    store = sqlite_store
    ana, dev = add_owner(store)
    t1 = add_task(store, ana, add_turn(store, ana, dev))
    t2 = add_task(store, ana, add_turn(store, ana, dev))
    rev = add_staff(store, "r@review.example")
    now = datetime.now(UTC)
    with store.vault_session() as (session, vault):
        r = _staff(session, rev)
        got = next_task(session, vault, store.settings, r, rng=NO_GOLD, now=now - timedelta(days=31))
        annotate.skip(session, r, got.id)
        # 31 days later the same owner may come up again for this reviewer
        again = next_task(session, vault, store.settings, r, rng=NO_GOLD, now=now)
        assert again is not None and {got.id, again.id} == {t1, t2}


def test_annotations_sensitive_escalate_skip_and_double_submit(sqlite_store: Store):
    store = sqlite_store
    tasks = []
    for i in range(4):
        owner, dev = add_owner(store, name=f"o{i}")
        tasks.append(add_task(store, owner, add_turn(store, owner, dev)))
    rev = add_staff(store, "r@review.example")
    outcomes = []
    for action in ("label", "sensitive", "escalate", "skip"):
        with store.vault_session() as (session, vault):
            r = _staff(session, rev)
            task = next_task(session, vault, store.settings, r, rng=NO_GOLD)
            if action == "label":
                with pytest.raises(InvalidAnnotation):
                    annotate.label(
                        session, vault, store.settings, r, task.id, transcript="x", intent="bad intent!"
                    )
                annotate.label(
                    session,
                    vault,
                    store.settings,
                    r,
                    task.id,
                    transcript="turn on the light",
                    intent="HassTurnOn",
                    slots="area=kitchen",
                )
            elif action == "sensitive":
                with pytest.raises(InvalidAnnotation):
                    annotate.flag_sensitive(session, vault, r, task.id, category="gossip")
                annotate.flag_sensitive(session, vault, r, task.id, category="health")
            elif action == "escalate":
                with pytest.raises(InvalidAnnotation):
                    annotate.escalate(session, vault, store.settings, r, task.id, reason="  ")
                annotate.escalate(
                    session, vault, store.settings, r, task.id, reason="caller sounds in danger"
                )
            else:
                annotate.skip(session, r, task.id, vault)
            outcomes.append((action, task.id))
    status = {a: task_status(store, t) for a, t in outcomes}
    with store.session() as session:  # every outcome is in the audit log, with site facts, no name
        entries = session.execute(select(AuditEntry).where(AuditEntry.role == "reviewer")).scalars().all()
        acts = sorted(
            (e.action, e.purpose) for e in entries if e.purpose != "review: read redacted transcript"
        )
        assert acts == [
            ("decrypt", "review: annotate"),
            ("escalate", "review: escalate"),
            ("flag-sensitive", "review: flag-sensitive"),
            ("skip", "review: skip"),
        ]
        assert all(
            e.details.get("site_country") == "PT" and e.details.get("language_team") == "en" for e in entries
        )
    assert status == {"label": "done", "sensitive": "sensitive", "escalate": "escalated", "skip": "pending"}
    sensitive_id = dict(outcomes)["sensitive"]
    with store.session() as session:
        destroyed = session.get(ReviewTask, sensitive_id)
        assert destroyed.content_ct is None and destroyed.audio_blob is None
        assert session.get(ReviewTask, dict(outcomes)["escalate"]).queue == "lead"
    assert not any(k.startswith(f"review/tasks/{sensitive_id}") for k in store.blobs.keys("review/"))
    # submitting twice: a clear refusal and nothing changed
    labelled = dict(outcomes)["label"]
    with store.vault_session() as (session, vault):
        r = _staff(session, rev)
        before = session.execute(select(func.count()).select_from(Annotation)).scalar_one()
        with pytest.raises(AlreadySubmitted):
            annotate.label(session, vault, store.settings, r, labelled, transcript="again", intent=None)
        assert session.execute(select(func.count()).select_from(Annotation)).scalar_one() == before
    # the skipped task is never offered to the reviewer who skipped it
    with store.vault_session() as (session, vault):
        assert next_task(session, vault, store.settings, _staff(session, rev), rng=NO_GOLD) is None


def test_owner_erased_meanwhile_task_fails_cleanly_and_vanishes(sqlite_store: Store):
    store = sqlite_store
    ana, dev = add_owner(store)
    task_id = add_task(store, ana, add_turn(store, ana, dev))
    rev = add_staff(store, "r@review.example")
    with store.vault_session() as (session, vault):
        got = next_task(session, vault, store.settings, _staff(session, rev), rng=NO_GOLD)
        assert got.id == task_id
    with store.vault_session() as (session, vault):
        vault.destroy_owner_key(ana)
    with store.vault_session() as (session, vault), pytest.raises(TaskGone):
        stream_clip(session, vault, _staff(session, rev), task_id)
    assert task_status(store, task_id) is None
    assert list(store.blobs.keys("review/")) == []


def test_opt_out_removes_unreviewed_tasks_only(sqlite_store: Store):
    store = sqlite_store
    ana, dev = add_owner(store)
    done = add_task(store, ana, add_turn(store, ana, dev))
    pending = [add_task(store, ana, add_turn(store, ana, dev)) for _ in range(2)]
    rev = add_staff(store, "r@review.example")
    with store.vault_session() as (session, vault):
        r = _staff(session, rev)
        # take the "done" task by hand-picking: label whatever comes first
        got = next_task(session, vault, store.settings, r, rng=NO_GOLD)
        annotate.label(
            session, vault, store.settings, r, got.id, transcript="turn on the light", intent="HassTurnOn"
        )
        done = got.id
    with store.vault_session() as (session, vault):
        removed = consent.opt_out(session, vault, ana, "voice")
    assert removed == 2
    assert task_status(store, done) == "done"
    assert all(task_status(store, t) is None for t in pending if t != done)
    assert len(list(store.blobs.keys("review/"))) == 1


def test_remove_tasks_for_turns_used_by_deletion(sqlite_store: Store):
    store = sqlite_store
    ana, dev = add_owner(store)
    turns = [add_turn(store, ana, dev) for _ in range(3)]
    ids = [add_task(store, ana, t) for t in turns]
    with store.vault_session() as (session, vault):
        removed = remove_tasks_for_turns(session, vault, ana, turns[:2])
    assert sorted(removed) == sorted(ids[:2])
    assert task_status(store, ids[2]) == "pending" and task_status(store, ids[0]) is None
    assert len(list(store.blobs.keys("review/"))) == 1


def test_daily_cap_and_paused_reviewer(sqlite_store: Store):
    store = sqlite_store
    for i in range(3):
        owner, dev = add_owner(store, name=f"o{i}")
        add_task(store, owner, add_turn(store, owner, dev))
    rev = add_staff(store, "r@review.example", daily_cap=1)
    with store.vault_session() as (session, vault):
        r = _staff(session, rev)
        t = next_task(session, vault, store.settings, r, rng=NO_GOLD)
        annotate.label(
            session, vault, store.settings, r, t.id, transcript="turn on the light", intent="HassTurnOn"
        )
        with pytest.raises(CapReached):
            next_task(session, vault, store.settings, r, rng=NO_GOLD)
        r.daily_cap = 10
        r.paused, r.paused_reason = True, "gold accuracy"
        with pytest.raises(NotYours, match="paused"):
            next_task(session, vault, store.settings, r, rng=NO_GOLD)


def test_a_task_whose_transaction_fails_leaves_no_blob_behind(sqlite_store: Store):
    store = sqlite_store
    ana, dev = add_owner(store)
    turn = add_turn(store, ana, dev)
    with pytest.raises(RuntimeError), store.vault_session() as (session, vault):
        from test_review_support import SimplePrepared, tone

        from ecoute.review.tasks import create_task

        create_task(
            session,
            vault,
            store.settings,
            owner_id=ana,
            turn_id=turn,
            turn_created_at=datetime.now(UTC),
            intent=None,
            slots={},
            language="en",
            prepared=SimplePrepared(tone(), "turn on the light"),
        )
        assert len(list(store.blobs.keys("review/"))) == 1
        raise RuntimeError("crash before commit")
    assert list(store.blobs.keys("review/")) == []
    with store.session() as session:
        assert session.execute(select(func.count()).select_from(ReviewTask)).scalar_one() == 0
    # and a committed task's blob survives a later rollback of another transaction
    kept = add_task(store, ana, turn)
    with pytest.raises(RuntimeError), store.vault_session() as (session, vault):
        remove_tasks_for_turns(session, vault, ana, [turn])
        raise RuntimeError("crash before commit")
    assert task_status(store, kept) == "pending" and len(list(store.blobs.keys("review/"))) == 1


def test_spacing_looks_past_a_page_of_one_owners_tasks(sqlite_store: Store, monkeypatch):
    from ecoute.review import assignment

    monkeypatch.setattr(assignment, "SCAN_LIMIT", 1)  # every candidate on its own page
    store = sqlite_store
    ana, dev = add_owner(store)
    for _ in range(4):
        add_task(store, ana, add_turn(store, ana, dev))
    ben, bdev = add_owner(store, name="Ben")
    bens = add_task(store, ben, add_turn(store, ben, bdev))
    rev = add_staff(store, "r@review.example")
    got = []
    for _ in range(3):
        with store.vault_session() as (session, vault):
            r = _staff(session, rev)
            task = next_task(session, vault, store.settings, r, rng=NO_GOLD)
            if task is None:
                break
            got.append(task.id)
            annotate.skip(session, r, task.id)
    assert len(got) == 2 and bens in got  # one of Ana's, then Ben's; never a second of Ana's

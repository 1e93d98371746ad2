"""Issue 11 (items 6 and 7): consent enforced when it matters, and a review zone that SQL
access alone cannot map back to owners. Every test here attacks a promise: two requests
interleaved, a row edited by someone with SQL access, a hostile slot value.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select, text
from test_review_support import PASSWORD, SimplePrepared, add_owner, add_staff, add_task, add_turn, tone

from ecoute.privacy.deletion import delete_turns
from ecoute.privacy.erasure import erase_owner
from ecoute.review import annotate, consent, lead
from ecoute.review.assignment import next_task, stream_clip
from ecoute.review.errors import TaskGone
from ecoute.review.sampling import consider_turn
from ecoute.review.tasks import PREPARATION_PAUSES, prepare_sample, safe_slots, task_key
from ecoute.store import reviewrefs
from ecoute.store.schema.owner import Consent, ReviewLink, Turn
from ecoute.store.schema.review import Annotation, ReviewTask, Staff
from ecoute.store.schema.review_qc import ReviewSample
from ecoute.store.store import Store
from ecoute.store.vault import Actor


class NoGold:
    def random(self) -> float:
        return 0.99

    def choice(self, seq):
        return seq[0]


NO_GOLD: Any = NoGold()


def _allow(audio, settings, **kw) -> SimplePrepared:
    return SimplePrepared(tone(), "turn on the light")


def _sampled_turn(store: Store) -> tuple[str, str, int]:
    """An opted-in owner with one turn sampled for review and not yet prepared."""
    store.settings = store.settings.replace(review_sample_rate=1.0, review_double_fraction=0.0)
    ana, dev = add_owner(store)
    turn = add_turn(store, ana, dev)
    assert consider_turn(store, turn, prepare=False)["status"] == "preparing"
    with store.session() as session:
        (sample_id,) = session.execute(select(ReviewSample.id)).scalars().all()
    return ana, turn, sample_id


def _review_rows(store: Store) -> tuple[int, int]:
    with store.session() as session:
        return (session.execute(select(func.count()).select_from(ReviewTask)).scalar_one(),
                session.execute(select(func.count()).select_from(ReviewLink)).scalar_one())


class _Pause:
    """A preparation pause point: the preparation thread waits here until the test resumes it."""

    def __init__(self, point: str):
        self.point = point
        self.reached = threading.Event()
        self.resume = threading.Event()

    def __call__(self, point: str) -> None:
        if point == self.point:
            self.reached.set()
            assert self.resume.wait(60), "the test never resumed the preparation"


def _in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict]:
    out: dict = {}

    def run() -> None:
        try:
            out["result"] = work()
        except BaseException as err:  # reported by the test, never lost in the thread
            out["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


@contextmanager
def _preparation_paused_at(store: Store, sample_id: int, point: str) -> Iterator[dict]:
    """Run ``prepare_sample`` in a thread, held at ``point`` for the duration of the block."""
    pause = _Pause(point)
    PREPARATION_PAUSES.append(pause)
    thread, out = _in_thread(lambda: prepare_sample(store, sample_id, prepare=_allow))
    try:
        assert pause.reached.wait(60), out.get("error")
        yield out
    finally:
        pause.resume.set()
        thread.join(60)
        PREPARATION_PAUSES.remove(pause)
    assert not thread.is_alive() and "error" not in out, out.get("error")


def _opt_out(store: Store, owner_id: str) -> int:
    with store.vault_session() as (session, vault):
        return consent.opt_out(session, vault, owner_id, "voice")


def _delete_turn(store: Store, owner_id: str, turn_id: str) -> None:
    with store.vault_session() as (session, vault):
        delete_turns(session, vault, owner_id=owner_id, turn_ids=[turn_id], actor=Actor.owner(owner_id))


ACTIONS: dict[str, Callable[[Store, str, str], Any]] = {
    "opt-out": lambda store, owner, turn: _opt_out(store, owner),
    "deletion": lambda store, owner, turn: _delete_turn(store, owner, turn),
    "erasure": lambda store, owner, turn: erase_owner(store, owner, actor=Actor.owner(owner)),
}


def test_preparation_undisturbed_makes_a_task(store: Store):
    """The control: with the pause hook in place and nobody interfering, a task is made."""
    _ana, _turn, sample_id = _sampled_turn(store)
    with _preparation_paused_at(store, sample_id, "checked") as prep:
        pass
    assert prep["result"]["status"] == "task"
    assert _review_rows(store) == (1, 1)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_action_committed_before_preparation_locks_leaves_no_task(store: Store, action: str):
    """Interleaving 1: the opt-out / deletion / erasure commits after preparation read the
    turn and before it takes its locks: the re-check under the lock cancels the task."""
    ana, turn, sample_id = _sampled_turn(store)
    with _preparation_paused_at(store, sample_id, "before-lock") as prep:
        ACTIONS[action](store, ana, turn)  # commits at once: preparation holds no lock yet
    assert prep["result"]["status"] == "cancelled"
    assert _review_rows(store) == (0, 0)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_action_arriving_while_preparation_holds_the_lock_waits_then_purges(store: Store, action: str):
    """Interleaving 2: preparation has checked consent and the turn and is about to insert;
    the opt-out / deletion / erasure arrives now. It must wait for the preparation's lock
    (still running a second later), then remove the task preparation committed."""
    ana, turn, sample_id = _sampled_turn(store)
    with _preparation_paused_at(store, sample_id, "checked") as prep:
        other, out = _in_thread(lambda: ACTIONS[action](store, ana, turn))
        other.join(1.0)
        assert other.is_alive(), f"the {action} did not wait for the preparation's lock: {out}"
    other.join(60)
    assert not other.is_alive() and "error" not in out, out.get("error")
    assert prep["result"]["status"] == "task"  # preparation did commit a task first…
    assert _review_rows(store) == (0, 0)  # …and the action that committed after it removed it
    with store.session() as session:
        if action == "deletion":
            assert session.get(Turn, turn) is None
        if action == "opt-out":
            assert not consent.is_opted_in(session, ana)


# -- re-checks when a task is handed out and when its audio is streamed ---------------------


def _opt_out_behind_the_purges_back(store: Store, owner_id: str) -> None:
    """An opt-out row written straight into the ledger (SQL access, a purge that never ran):
    the task survives in the queue, so only the re-checks stand between it and a reviewer."""
    with store.session() as session:
        session.add(Consent(owner_id=owner_id, purpose=consent.PURPOSE, granted=False,
                            text_version=consent.CURRENT_VERSION, text_hash="x", via="api"))


def test_next_task_rechecks_consent_and_the_turn(store: Store):
    ana, dev = add_owner(store)
    t_opted_out = add_task(store, ana, add_turn(store, ana, dev))
    ben, bdev = add_owner(store, name="Ben")
    ben_turn = add_turn(store, ben, bdev)
    t_no_turn = add_task(store, ben, ben_turn)
    reviewer = add_staff(store, "rev@review.example")
    _opt_out_behind_the_purges_back(store, ana)
    with store.session() as session:  # the recording vanished without the cascade
        session.execute(delete(Turn).where(Turn.id == ben_turn))
    with store.vault_session() as (session, vault):
        staff = session.get(Staff, reviewer)
        assert next_task(session, vault, store.settings, staff, rng=NO_GOLD) is None
    with store.session() as session:
        assert session.get(ReviewTask, t_opted_out) is None and session.get(ReviewTask, t_no_turn) is None
        assert session.get(ReviewLink, t_opted_out) is None


def test_an_assigned_task_is_not_handed_out_again_after_opt_out(store: Store):
    ana, dev = add_owner(store)
    task_id = add_task(store, ana, add_turn(store, ana, dev))
    reviewer = add_staff(store, "rev@review.example")
    with store.vault_session() as (session, vault):
        staff = session.get(Staff, reviewer)
        assert next_task(session, vault, store.settings, staff, rng=NO_GOLD).id == task_id
    _opt_out_behind_the_purges_back(store, ana)
    with store.vault_session() as (session, vault):
        staff = session.get(Staff, reviewer)
        assert next_task(session, vault, store.settings, staff, rng=NO_GOLD) is None
    with store.session() as session:
        assert session.get(ReviewTask, task_id) is None


def test_the_clip_is_refused_and_purged_after_opt_out(store: Store):
    ana, dev = add_owner(store)
    task_id = add_task(store, ana, add_turn(store, ana, dev))
    reviewer = add_staff(store, "rev@review.example")
    with store.vault_session() as (session, vault):
        staff = session.get(Staff, reviewer)
        assert next_task(session, vault, store.settings, staff, rng=NO_GOLD).id == task_id
        assert stream_clip(session, vault, staff, task_id)  # heard while consent holds
    _opt_out_behind_the_purges_back(store, ana)
    with store.vault_session() as (session, vault):
        staff = session.get(Staff, reviewer)
        before = session.execute(text("SELECT COUNT(*) FROM audit_entries")).scalar_one()
        with pytest.raises(TaskGone):
            stream_clip(session, vault, staff, task_id)
        # refused before the key broker: no decrypt was made (nor audited)
        assert session.execute(text("SELECT COUNT(*) FROM audit_entries")).scalar_one() == before
    with store.session() as session:
        assert session.get(ReviewTask, task_id) is None


def test_the_clip_endpoint_answers_410_after_opt_out(live_server, sqlite_store: Store):
    store = sqlite_store
    store.settings.policy.review_gold_rate = 0.0
    ana, dev = add_owner(store)
    task_id = add_task(store, ana, add_turn(store, ana, dev))
    add_staff(store, "rev@review.example")
    client = httpx.Client(base_url=live_server.url, timeout=20)
    login = client.post("/staff/login", data={"email": "rev@review.example", "password": PASSWORD})
    assert login.status_code == 303
    client.headers["X-CSRF-Token"] = login.headers["x-csrf-token"]  # every state-changing request carries it
    assert client.post("/review/api/next").json()["task"]["task_id"] == task_id
    assert client.get(f"/review/api/tasks/{task_id}/audio").status_code == 200
    _opt_out_behind_the_purges_back(store, ana)
    assert client.get(f"/review/api/tasks/{task_id}/audio").status_code == 410
    with store.session() as session:
        assert session.get(ReviewTask, task_id) is None


# -- the reviewer's view ------------------------------------------------------------------


def test_a_slot_value_is_shown_only_as_whole_tokens_free_of_personal_data():
    # the substring attack: "Ann" was redacted, yet "announcement" contains it
    assert safe_slots({"name": "Ann"}, "call <PERSON> about the announcement") == {"name": "<redacted>"}
    # whole tokens, but personal data the sentence's redaction missed: the analyzer catches it
    assert safe_slots({"to": "ana@example.org"}, "mail ana@example.org the list")["to"] == "<redacted>"
    # ordinary values still help the reviewer
    assert safe_slots({"area": "living room", "device": "Light"}, "turn on the living room light") == {
        "area": "living room", "device": "Light"}
    assert safe_slots({"area": "living"}, "turn on the livingroom light") == {"area": "<redacted>"}


def test_sql_read_access_alone_cannot_map_a_task_to_an_owner_or_turn(store: Store):
    """The attacker has a raw connection (no key provider): no column of review_tasks,
    review_links or review_samples equals, or contains, any owner id or turn id."""
    store.settings = store.settings.replace(review_sample_rate=1.0, review_double_fraction=0.0)
    owners, turns = set(), set()
    for name in ("Ana", "Ben", "Chloé"):
        owner, dev = add_owner(store, name=name)
        owners.add(owner)
        for minute in range(2):
            turn = add_turn(store, owner, dev, at=datetime(2026, 11, 3, 8, minute, tzinfo=UTC))
            turns.add(turn)
            consider_turn(store, turn, np_rng=None, prepare=False)
    with store.session() as session:
        sample_ids = session.execute(select(ReviewSample.id)).scalars().all()
    for sample_id in sample_ids:
        assert prepare_sample(store, sample_id, prepare=_allow)["status"] == "task"
    secrets = owners | turns
    with store.engine.connect() as raw:
        for table in ("review_tasks", "review_links", "review_samples", "review_assignments", "annotations"):
            rows = raw.execute(text(f"SELECT * FROM {table}")).mappings().all()
            if table in ("review_tasks", "review_links", "review_samples"):
                assert len(rows) == len(sample_ids), table
            for row in rows:
                for column, value in row.items():
                    if value is None:
                        continue
                    shown = value.hex() if isinstance(value, bytes | memoryview) else str(value)
                    raw_bytes = bytes(value) if isinstance(value, bytes | memoryview) else shown.encode()
                    for secret in secrets:
                        assert secret not in shown and secret.encode() not in raw_bytes, (table, column)
        # the join an attacker would try, on every column pair: nothing lines up with owners/turns
        owner_ids = set(raw.execute(text("SELECT id FROM owners")).scalars())
        turn_ids = set(raw.execute(text("SELECT id FROM turns")).scalars())
        assert owner_ids == owners and turn_ids == turns
        for table in ("review_links", "review_samples"):
            for column in raw.execute(text(f"SELECT * FROM {table}")).keys():
                values = set(raw.execute(text(f"SELECT {column} FROM {table}")).scalars())
                assert not values & (owner_ids | turn_ids), (table, column)


def test_distinct_owner_count_from_tags_equals_the_count_of_owners(store: Store):
    """k-anonymity support is counted from the keyed tags: same number as distinct owners."""
    tasks, owners = [], []
    for name in ("Ana", "Ben"):
        owner, dev = add_owner(store, name=name)
        owners.append(owner)
        tasks += [add_task(store, owner, add_turn(store, owner, dev, text=f"turn on light {i}")) for i in range(2)]
    with store.session() as session:
        assert reviewrefs.distinct_owners(session, tasks) == 2
        assert reviewrefs.distinct_owners(session, tasks[:2]) == 1
        assert reviewrefs.distinct_owners(session, []) == 0


def test_escalation_reasons_and_lead_notes_are_sealed(store: Store):
    store.settings.policy.review_gold_rate = 0.0
    ana, dev = add_owner(store)
    task_id = add_task(store, ana, add_turn(store, ana, dev))
    reviewer = add_staff(store, "rev@review.example")
    lead_id = add_staff(store, "lead@review.example", role="lead")
    with store.vault_session() as (session, vault):
        staff = session.get(Staff, reviewer)
        assert next_task(session, vault, store.settings, staff, rng=NO_GOLD).id == task_id
        annotate.escalate(session, vault, store.settings, staff, task_id, reason="Quokka sounds in danger")
    with store.vault_session() as (session, vault):
        the_lead = session.get(Staff, lead_id)
        shown = lead.stats(session, store.settings, vault, the_lead)["escalations"]
        assert [e["reason"] for e in shown] == ["Quokka sounds in danger"]  # the lead still reads it
        lead.resolve(session, vault, the_lead, task_id, "requeue", note="Zebulon coached")
    with store.engine.connect() as raw:
        for row in raw.execute(text("SELECT * FROM annotations")).mappings():
            dump = repr(dict(row))
            assert "Quokka" not in dump and "Zebulon" not in dump
            assert row["reason"] is None and row["reason_ct"] is not None


def test_legacy_rows_are_converted_when_the_store_opens(settings):
    """Rows written before revision 0007 (owner and turn ids in the clear) lose them at start."""
    store = Store.open(settings)
    ana, dev = add_owner(store)
    turn = add_turn(store, ana, dev)
    task_id = add_task(store, ana, turn)
    reviewer = add_staff(store, "old@review.example")
    with store.engine.begin() as conn:  # as an old version would have written them
        conn.execute(text("INSERT INTO annotations (id, task_id, reviewer_id, kind, reason, created_at) "
                          "VALUES ('a1', :t, :r, 'escalate', 'Quokka is upset', '2026-11-24 19:42:17')"),
                     {"t": task_id, "r": reviewer})
        conn.execute(text("UPDATE review_links SET owner_id = :o, owner_tag = NULL, owner_ref_ct = NULL"), {"o": ana})
        conn.execute(text("INSERT INTO review_samples (owner_id, turn_id, language, sampled_at, boosted, status) "
                          "VALUES (:o, :t, 'en', '2026-11-24 19:42:17', 0, 'task')"), {"o": ana, "t": turn})
    store.close()
    store = Store.open(settings)
    try:
        with store.engine.connect() as raw:
            for table in ("review_links", "review_samples"):
                for row in raw.execute(text(f"SELECT * FROM {table}")).mappings():
                    assert ana not in repr(dict(row)) and turn not in repr(dict(row))
                    assert row["owner_tag"] is not None
            (reason, sealed) = raw.execute(text("SELECT reason, reason_ct FROM annotations")).one()
            assert reason is None and b"Quokka" not in bytes(sealed)
        with store.vault_session() as (session, vault):  # and the task is still reachable by the broker
            staff = session.get(Staff, add_staff(store, "rev@review.example"))
            assert next_task(session, vault, store.settings, staff, rng=NO_GOLD).id == task_id
            key = task_key(session, vault, session.get(ReviewTask, task_id), actor=Actor.system("t"), purpose="t")
            assert annotate.open_reason(key, session.get(Annotation, "a1")) == "Quokka is upset"
    finally:
        store.close()


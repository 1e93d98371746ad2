"""Retention sweep over simulated time removes exactly what is due, idempotently."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select
from test_rights_support import make_owner, make_task, make_turn, staff

from ecoute.config import Settings
from ecoute.privacy.retention import retention_days, sweep
from ecoute.store import audit
from ecoute.store.schema.owner import Owner, ReviewLink, Turn
from ecoute.store.store import Store

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _remaining(store: Store) -> set[str]:
    with store.session() as session:
        return set(session.execute(select(Turn.id)).scalars())


def test_sweep_follows_owner_and_platform_limits_with_derived_data(store: Store):
    store.settings = store.settings.replace(max_retention_days=30)
    reviewer = staff(store)
    short = make_owner(store, "Short", auto_delete_days=3)
    long_ = make_owner(store, "Long", auto_delete_days=90)  # the platform maximum is stricter
    unset = make_owner(store, "Unset")
    old_short = make_turn(store, short, 1, created_at=T0 - timedelta(days=4))
    new_short = make_turn(store, short, 2, created_at=T0 - timedelta(days=2))
    old_long = make_turn(store, long_, 3, created_at=T0 - timedelta(days=31), handoff=True)
    new_long = make_turn(store, long_, 4, created_at=T0 - timedelta(days=29))
    old_unset = make_turn(store, unset, 5, created_at=T0 - timedelta(days=30))
    task = make_task(store, short, old_short, reviewer)
    report = sweep(store, now=T0)
    assert report["turns"] == 3 and report["owners"] == 3 and report["review_tasks"] == 1
    assert _remaining(store) == {new_short, new_long} and old_long not in _remaining(store)
    assert not store.blobs.exists(f"owners/{short}/audio/{old_short}")
    assert not store.blobs.exists(f"review/tasks/{task}/audio")
    with store.session() as session:
        assert session.get(ReviewLink, task) is None
        assert audit.verify(session).ok
    with store.vault_session() as (session, vault):
        entry = vault.audit_entries_for(short)[-1]
        assert (entry.role, entry.action, entry.purpose) == ("system", "delete", "retention: auto-delete of 3 days")
    again = sweep(store, now=T0)
    assert again["turns"] == 0 and again["owners"] == 0  # idempotent
    assert old_unset not in _remaining(store)


def test_retention_days_takes_the_stricter_limit():
    assert retention_days(None, 0) is None
    assert retention_days(10, 0) == 10
    assert retention_days(None, 30) == 30
    assert retention_days(40, 30) == 30 and retention_days(5, 30) == 5


@hsettings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    platform=st.sampled_from([0, 7, 20]),
    owners=st.lists(st.tuples(st.one_of(st.none(), st.integers(1, 25)),
                              st.lists(st.integers(0, 40), min_size=0, max_size=5)), min_size=1, max_size=3),
    steps=st.lists(st.integers(0, 15), min_size=1, max_size=3),
)
def test_sweep_over_simulated_time_removes_exactly_what_is_due(tmp_path_factory, platform, owners, steps):
    store = Store.open(Settings.load(data_dir=tmp_path_factory.mktemp("ret"), argon2_time_cost=1,
                                     argon2_memory_kib=1024, max_retention_days=platform))
    try:
        created: dict[str, tuple[str, datetime]] = {}
        for i, (days, ages) in enumerate(owners):
            owner = make_owner(store, f"O{i}", auto_delete_days=days)
            for n, age in enumerate(ages):
                at = T0 - timedelta(days=age, hours=n)
                created[make_turn(store, owner, n, created_at=at)] = (owner, at)
        with store.session() as session:
            limits = {o.id: retention_days(o.auto_delete_days, platform) for o in session.execute(select(Owner)).scalars()}
        now = T0
        for step in steps:
            now = now + timedelta(days=step)
            before = _remaining(store)
            expected = {t for t, (owner, at) in created.items()
                        if limits[owner] is None or at > now - timedelta(days=limits[owner])}
            report = sweep(store, now=now)
            assert _remaining(store) == expected
            assert report["turns"] == len(before - expected)
            assert sweep(store, now=now)["turns"] == 0
            for turn in created:
                owner = created[turn][0]
                assert store.blobs.exists(f"owners/{owner}/audio/{turn}") == (turn in expected)
    finally:
        store.close()

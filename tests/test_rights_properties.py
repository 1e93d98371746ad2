"""Property tests over many owners and random interleavings of uploads, deletions, exports.

The claim under test is the December-2018 failure made impossible: whatever happens, an
export holds exactly the requester's own current items and never one byte of anyone else's;
a forged row makes it fail loudly; deletion leaves nothing decryptable of the item.
"""

from __future__ import annotations

import json
import threading
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select
from test_rights_support import binary_values, capture_dek, decryptable_with, make_owner, make_turn

from ecoute.config import Settings
from ecoute.privacy.deletion import delete_turns
from ecoute.privacy.export import ExportAborted, export_owner, verify_export
from ecoute.store import audit
from ecoute.store.schema.owner import Turn
from ecoute.store.store import Store
from ecoute.store.vault import Actor


def check_archive(path: Path, owner_id: str, others: list[str], expected: set[str] | None = None) -> set[str]:
    """Every file of the archive is the owner's own; return the exported turn ids."""
    assert verify_export(path).ok
    with zipfile.ZipFile(path) as zf:
        rows = json.loads(zf.read("turns.json"))
        for name in zf.namelist():
            data = zf.read(name)
            for other in others:
                assert other.encode() not in data, f"{name} holds data of another owner"
            if name.startswith("recordings/"):
                assert f"owner={owner_id};".encode() in data
    ids = {r["id"] for r in rows}
    assert all(r["transcript"].endswith(f"of {owner_id}") for r in rows)
    if expected is not None:
        assert ids == expected
    return ids


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("upload"), st.integers(0, 3)),
        st.tuples(st.just("delete"), st.integers(0, 3), st.integers(0, 10)),
        st.tuples(st.just("export"), st.integers(0, 3)),
        st.tuples(st.just("forge"), st.integers(0, 3), st.integers(0, 3)),
    ),
    min_size=4, max_size=18,
)


@hsettings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_any_interleaving_exports_only_own_current_items(tmp_path_factory, ops):
    root = tmp_path_factory.mktemp("prop")
    store = Store.open(Settings.load(data_dir=root / "data", argon2_time_cost=1, argon2_memory_kib=1024))
    try:
        owners = [make_owner(store, f"O{i}") for i in range(4)]
        live: dict[str, list[str]] = {o: [] for o in owners}
        deleted: dict[str, list[str]] = {o: [] for o in owners}
        deks = {o: capture_dek(store, o) for o in owners}
        counter = 0
        for n, op in enumerate(ops):
            owner = owners[op[1]]
            if op[0] == "upload":
                counter += 1
                live[owner].append(make_turn(store, owner, counter))
            elif op[0] == "delete" and live[owner]:
                victim = live[owner].pop(op[2] % len(live[owner]))
                with store.vault_session() as (session, vault):
                    delete_turns(session, vault, owner_id=owner, turn_ids=[victim], actor=Actor.owner(owner))
                deleted[owner].append(victim)
            elif op[0] == "export":
                out = root / f"export-{n}.zip"
                others = [o for o in owners if o != owner]
                export_owner(store, owner, out)
                check_archive(out, owner, others, set(live[owner]))
            elif op[0] == "forge":
                thief, victim_owner = owner, owners[op[2]]
                if thief == victim_owner or not live[thief] or not live[victim_owner]:
                    continue
                with store.session() as session:  # point one of the thief's rows at the victim's audio
                    row = session.get(Turn, live[thief][0])
                    original = row.audio_blob
                    row.audio_blob = session.get(Turn, live[victim_owner][0]).audio_blob
                out = root / f"forged-{n}.zip"
                with pytest.raises(ExportAborted):
                    export_owner(store, thief, out)
                assert not out.exists() and not list(root.glob(f".forged-{n}*"))
                with store.session() as session:
                    session.get(Turn, live[thief][0]).audio_blob = original
        values = binary_values(store)
        for owner in owners:
            assert decryptable_with(deks[owner], owner, deleted[owner], values) == []
            assert all(store.blobs.exists(f"owners/{owner}/audio/{t}") for t in live[owner])
        with store.session() as session:
            assert audit.verify(session).ok
            assert set(session.execute(select(Turn.id)).scalars()) == {t for ts in live.values() for t in ts}
    finally:
        store.close()


def test_concurrent_uploads_and_deletions_never_leak_into_exports(store: Store, tmp_path: Path):
    """Writers upload and delete for their own owners while exports of every owner run."""
    owners = [make_owner(store, f"C{i}") for i in range(4)]
    for o in owners:
        for n in range(5):
            make_turn(store, o, n)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(owner: str) -> None:
        n = 100
        try:
            while not stop.is_set():
                n += 1
                turn = make_turn(store, owner, n)
                if n % 2:
                    with store.vault_session() as (session, vault):
                        delete_turns(session, vault, owner_id=owner, turn_ids=[turn], actor=Actor.owner(owner))
        except Exception as err:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(o,)) for o in owners]
    for t in threads:
        t.start()
    try:
        exported = 0
        for round_ in range(3):
            for o in owners:
                out = tmp_path / f"{o}-{round_}.zip"
                export_owner(store, o, out)
                ids = check_archive(out, o, [x for x in owners if x != o])
                assert len(ids) >= 5
                exported += 1
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not errors, errors
    assert exported == 12

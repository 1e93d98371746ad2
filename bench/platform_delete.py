"""Deleting all of an owner's 10,000 recordings: how long, and what stays readable (nothing).

An owner with N recordings (sealed transcript, answer, meta and an encrypted audio blob
each) and a control owner with 100 are stored; then the owner deletes everything from
the privacy page's code path (``recordings.delete_all``: the full cascade of
``privacy.deletion.delete_turns``, blobs removed after the commit). Reported:

* anchor: the time it took to store the N recordings in the same run;
* delete time, its ratio to the anchor, and recordings deleted per second;
* afterwards: rows of the owner that still exist, blobs under the owner's prefix, and
  how many of the owner's ciphertexts (kept aside before deletion, as a backup would)
  still match a row or file — none should; the control owner's recordings all still open.

Run: .venv/bin/python bench/platform_delete.py [--n 10000] [--db sqlite|postgres]
Writes bench/results/platform_delete_<db>.json.
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import create_engine, func, select, text

from ecoute.audio.io import Audio, wav_bytes
from ecoute.config import Settings
from ecoute.services import recordings as rec
from ecoute.services.wiring import wire_hooks
from ecoute.store.accounts import create_household, create_owner
from ecoute.store.schema.owner import Turn
from ecoute.store.store import Store
from ecoute.store.turns import TurnContent, read_turn, save_turn
from ecoute.store.vault import Actor

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RESULTS = Path(__file__).with_name("results")


def _pg_schema() -> tuple[str, callable]:
    schema = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return f"{PG}?options=-csearch_path%3D{schema}", drop


def fill(store: Store, owner_id: str, n: int, progress: Progress | None = None, batch: int = 250) -> None:
    rng = np.random.default_rng(1)
    audio = wav_bytes(Audio((rng.standard_normal(8000) * 0.05).astype(np.float32)))  # 0.5 s
    task = progress.add_task(f"storing {n}", total=n) if progress else None
    done = 0
    while done < n:
        with store.vault_session() as (session, vault):
            for _ in range(min(batch, n - done)):
                save_turn(session, vault, owner_id=owner_id, device_id=None, audio_wav=audio,
                          content=TurnContent(f"request number {done}", "fine", "HassGetCurrentTime", {}),
                          language="en", duration_s=0.5, handled=True, confidence=0.9)
                done += 1
        if progress:
            progress.update(task, completed=done)


def main() -> None:
    wire_hooks()  # deletion and erasure purge review tasks and datasets through the hooks
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    console = Console()
    tmp = Path(tempfile.mkdtemp(prefix="ecoute-bench-delete-"))
    url, drop = ("", None) if args.db == "sqlite" else _pg_schema()
    settings = Settings.load(data_dir=tmp, database_url=url, argon2_time_cost=1, argon2_memory_kib=1024)
    store = Store.open(settings)
    try:
        with store.vault_session() as (session, vault):
            home = create_household(session, "bench")
            owner = create_owner(session, vault, settings, home, display_name="Deleter").id
            control = create_owner(session, vault, settings, home, display_name="Control").id
        with Progress(console=console) as progress:
            fill(store, control, 100)
            t0 = time.perf_counter()
            fill(store, owner, args.n, progress)
            store_s = time.perf_counter() - t0
        with store.session() as session:  # what a backup would hold: the owner's sealed columns
            kept_ct = [r.transcript_ct for r in session.execute(select(Turn).where(Turn.owner_id == owner)
                                                                 .limit(200)).scalars()]
        t0 = time.perf_counter()
        with store.vault_session() as (session, vault):
            deleted = rec.delete_all(session, vault, owner)
        delete_s = time.perf_counter() - t0

        with store.vault_session() as (session, vault):
            rows_left = session.execute(select(func.count()).select_from(Turn).where(Turn.owner_id == owner)).scalar_one()
            blobs_left = len(list(store.blobs.keys(f"owners/{owner}/")))
            ct_matches = sum(
                session.execute(select(func.count()).select_from(Turn).where(Turn.transcript_ct == ct)).scalar_one()
                for ct in kept_ct)
            control_rows = session.execute(select(Turn).where(Turn.owner_id == control)).scalars().all()
            control_ok = sum(1 for t in control_rows
                             if read_turn(vault, t, actor=Actor.owner(control), purpose="bench").transcript)
            tombstones = session.execute(text("SELECT count(*) FROM blob_tombstones")).scalar_one()
        result = {
            "db": args.db, "recordings": args.n, "deleted": deleted,
            "anchor_store_s": round(store_s, 3), "delete_s": round(delete_s, 3),
            "delete_vs_store_ratio": round(delete_s / store_s, 4),
            "deleted_per_s": round(deleted / delete_s, 1),
            "after": {"owner_rows": rows_left, "owner_blobs": blobs_left, "tombstones_pending": tombstones,
                      "sampled_ciphertexts_still_present": ct_matches,
                      "control_recordings_readable": f"{control_ok}/{len(control_rows)}"},
        }
        console.print_json(json.dumps(result))
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"platform_delete_{args.db}.json").write_text(json.dumps(result, indent=2) + "\n")
    finally:
        store.close()
        if drop:
            drop()


if __name__ == "__main__":
    main()

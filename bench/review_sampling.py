"""What do the sampling stage and task assignment cost, per 10,000 turns?

A store (SQLite by default, or ``--postgres URL``) holds 10,000 turns of 400 owners (half
of them opted in, 10% unhandled/unsure, 5% false activations, en/fr/de), at the default
policy (1% rate, 5× boost for unsure turns, 5 per owner per 30 days).

* anchor: the least a background stage can do per turn — one transaction that loads the
  turn and marks it considered;
* sampling: ``consider_turn`` (consent, cap count, language stratum, decision, ledger row),
  preparation left out (its cost is review preparation's, measured in bench/prepare_eval.py);
* assignment: the tasks those 10,000 turns produce (one per sampled turn) handed to three
  reviewers with ``next_task`` (languages, queue, owner spacing via keyed owner tags,
  exposure rows) and closed, until the queues are empty.

Run: .venv/bin/python bench/review_sampling.py [--turns 10000] [--postgres URL]
Writes bench/results/review_sampling.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from rich.console import Console
from rich.progress import Progress

from ecoute.audio.io import Audio
from ecoute.config import Settings
from ecoute.review import consent
from ecoute.review.assignment import next_task
from ecoute.review.sampling import consider_turn
from ecoute.review.staff import create_staff
from ecoute.review.tasks import create_task
from ecoute.store.accounts import create_household, create_owner
from ecoute.store.schema.base import new_id
from ecoute.store.schema.owner import Turn
from ecoute.store.schema.review import ReviewAssignment, Staff
from ecoute.store.schema.review_qc import ReviewSample
from ecoute.store.store import Store

RESULTS = Path(__file__).with_name("results")


def populate(store: Store, n_turns: int, n_owners: int, rng: random.Random) -> list[str]:
    owners = []
    with store.vault_session() as (session, vault):
        home = create_household(session, "bench")
        for i in range(n_owners):
            owner = create_owner(
                session,
                vault,
                store.settings,
                home,
                display_name=f"o{i}",
                language=rng.choice(("en", "en", "fr", "de")),
            )
            if i % 2 == 0:
                consent.opt_in(session, vault, owner.id, "api")
            owners.append(owner)
    t0 = datetime(2026, 9, 1, tzinfo=UTC)
    rows = []
    for i in range(n_turns):
        owner = rng.choice(owners)
        fa = rng.random() < 0.05
        unsure = rng.random() < 0.10
        rows.append(
            Turn(
                id=new_id(),
                owner_id=owner.id,
                created_at=t0 + timedelta(minutes=13 * i),
                language=owner.language,
                duration_s=2.0,
                false_activation=fa,
                audio_blob=None if fa else f"owners/{owner.id}/audio/bench",
                handled=not unsure,
                confidence=0.3 if unsure else 0.9,
                review_considered=False,
            )
        )
    with store.session() as session:
        session.add_all(rows)
    return [r.id for r in rows]


def anchor(store: Store, turn_ids: list[str]) -> float:
    start = time.perf_counter()
    for turn_id in turn_ids:
        with store.session() as session:
            turn = session.get(Turn, turn_id)
            turn.review_considered = True
    return time.perf_counter() - start


def reset(store: Store) -> None:
    from sqlalchemy import update

    with store.session() as session:
        session.execute(update(Turn).values(review_considered=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10_000)
    parser.add_argument("--owners", type=int, default=400)
    parser.add_argument("--postgres", default="", help="SQLAlchemy URL of an empty PostgreSQL database")
    args = parser.parse_args()
    console = Console()
    rng = random.Random(2026)
    tmp = Path(tempfile.mkdtemp(prefix="ecoute-bench-"))
    settings = Settings.load(
        data_dir=tmp,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        database_url=args.postgres,
        review_gold_rate=0.0,
        review_double_fraction=0.0,
    )
    store = Store.open(settings)
    console.print(f"populating {args.turns} turns of {args.owners} owners on {store.engine.dialect.name}…")
    turn_ids = populate(store, args.turns, args.owners, rng)

    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("anchor: mark considered", total=None)
        t_anchor = anchor(store, turn_ids)
        progress.update(bar, completed=1, total=1)
    reset(store)

    outcomes: dict[str, int] = {}
    with Progress(console=console) as progress:
        bar = progress.add_task("sampling stage", total=len(turn_ids))
        start = time.perf_counter()
        for turn_id in turn_ids:
            result = consider_turn(store, turn_id, rng=rng, prepare=False)
            outcomes[result["reason"]] = outcomes.get(result["reason"], 0) + 1
            progress.advance(bar)
        t_sampling = time.perf_counter() - start

    # one task per sampled turn (a short clip stands in for preparation's output)
    clip = Audio(np.zeros(8000, dtype=np.float32), 16000)
    with store.vault_session() as (session, vault):
        samples = session.query(ReviewSample).all()
        for s in samples:
            turn = session.get(Turn, s.turn_id)
            create_task(
                session,
                vault,
                settings,
                owner_id=s.owner_id,
                turn_id=s.turn_id,
                turn_created_at=turn.created_at,
                intent="HassTurnOn",
                slots={},
                language=s.language,
                prepared=SimpleNamespace(
                    audio=clip,
                    transcript="turn on the light",
                    entities=[],
                    disguise={"method": "disguised"},
                    sensitive=SimpleNamespace(decision="allow"),
                ),
            )
            s.status = "task"
    with store.session() as session:
        staff_ids = [
            create_staff(
                session,
                settings,
                email=f"r{i}@bench.example",
                display_name=f"r{i}",
                password="bench-password",
                role="reviewer",
                site="Bench",
                country="PT",
                languages="en,fr,de",
            ).id
            for i in range(3)
        ]
    assigned = 0
    with Progress(console=console) as progress:
        bar = progress.add_task("assignment", total=len(samples))
        start = time.perf_counter()
        idle = set()
        while len(idle) < len(staff_ids):
            for staff_id in staff_ids:
                if staff_id in idle:
                    continue
                with store.vault_session() as (session, vault):
                    staff = session.get(Staff, staff_id)
                    task = next_task(session, vault, settings, staff, rng=rng)
                    if task is None:
                        idle.add(staff_id)
                        continue
                    # close it as a reviewer would (the annotation itself is not assignment's cost)
                    row = (
                        session.query(ReviewAssignment)
                        .filter_by(task_id=task.id, reviewer_id=staff_id, state="open")
                        .one()
                    )
                    row.state, row.completed_at, task.status = "done", datetime.now(UTC), "done"
                    assigned += 1
                    progress.advance(bar)
        t_assign = time.perf_counter() - start
    store.close()

    per10k = 10_000 / len(turn_ids)
    result = {
        "database": store.engine.dialect.name,
        "turns": len(turn_ids),
        "owners": args.owners,
        "outcomes": outcomes,
        "tasks": len(samples),
        "assigned": assigned,
        "unassigned_by_spacing": len(samples) - assigned,
        "anchor_s_per_10k": round(t_anchor * per10k, 3),
        "sampling_s_per_10k": round(t_sampling * per10k, 3),
        "sampling_over_anchor": round(t_sampling / t_anchor, 2),
        "assignment_s_per_10k": round(t_assign * per10k, 3),
        "assignment_ms_per_task": round(1000 * t_assign / max(1, assigned + len(staff_ids)), 2),
        "assignment_over_anchor": round(t_assign / t_anchor, 3),
    }
    RESULTS.mkdir(exist_ok=True)
    name = "review_sampling" + ("_postgres" if args.postgres else "") + ".json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    console.print_json(json.dumps(result))
    console.print(
        f"sampling costs {result['sampling_over_anchor']}× the bare mark-considered anchor; "
        f"assignment of the {assigned} resulting tasks costs {result['assignment_over_anchor']}× it"
    )


if __name__ == "__main__":
    sys.exit(main())

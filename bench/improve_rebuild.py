"""How long does it take to rebuild a 10,000-item dataset after one owner's erasure?

Setup: 10,000 reviewed tasks from 200 consenting owners (50 each), sealed as the review
pipeline seals them (task keys wrapped by owner DEKs). Then:

* anchor — the first build (selection from annotations, ciphertext copied, lineage written);
* one owner is erased (the real erasure job: key destroyed, tasks removed, lineage hook);
* the automatic rebuild (job stage rebuild_stale) — previous lineage minus the removed tasks;
* for comparison, a full build from scratch after the erasure.

Prints times and ratios against the anchor; writes bench/results/improve_rebuild.json and
bench/results/improve_rebuild.png. Run: .venv/bin/python bench/improve_rebuild.py [--items N]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from ecoute.config import Settings
from ecoute.improve import datasets as ds
from ecoute.improve import household as hh
from ecoute.services.wiring import wire_hooks
from ecoute.store.accounts import create_household, create_owner
from ecoute.store.store import Store
from ecoute.store.vault import Actor

RESULTS = Path(__file__).parent / "results"


def populate(store: Store, settings: Settings, items: int, owners: int, progress: Progress) -> list[str]:
    rng = random.Random(7)
    per_owner = items // owners
    task = progress.add_task("reviewed tasks", total=items)
    owner_ids = []
    with store.vault_session() as (session, vault):
        team = [hh.reviewer(session, f"r{i}@bench.invalid") for i in range(4)]
        for staff in team:
            hh.gold_check(session, staff)
    for o in range(owners):
        with store.vault_session() as (session, vault):
            team = [session.get(hh.Staff, t.id) for t in team]
            house = create_household(session, f"h{o}")
            lang = ("en", "fr", "de")[o % 3]
            owner = create_owner(session, vault, settings, house, display_name=f"o{o}", language=lang)
            owner_ids.append(owner.id)
            for req in hh.requests(lang, per_owner, seed=o):
                double = rng.random() < 0.1
                hh.reviewed_task(session, vault, owner_id=owner.id, request=req,
                                 reviewers=team[:2] if double else [rng.choice(team)])
        progress.advance(task, per_owner)
    return owner_ids


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    wire_hooks()  # deletion and erasure purge review tasks and datasets through the hooks
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument("--database-url", default="", help="e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load(data_dir=Path(tmp), database_url=args.database_url or None,
                                 argon2_time_cost=1, argon2_memory_kib=1024)
        store = Store.open(settings)
        with Progress(console=console, transient=True) as progress:
            owner_ids = populate(store, settings, args.items, args.owners, progress)

        def first_build():
            with store.session() as session:
                return ds.build_dataset(session, "bench").item_count

        built, t_build = timed(first_build)
        from ecoute.privacy.erasure import erase_owner

        _, t_erase = timed(lambda: erase_owner(store, owner_ids[0], actor=Actor("officer", "officer")))
        with store.session() as session:
            stale = ds.latest(session, "bench").stale
        result, t_rebuild = timed(lambda: ds.rebuild_stale(store))

        def scratch():
            with store.session() as session:
                return ds.build_dataset(session, "bench-scratch").item_count

        scratch_items, t_scratch = timed(scratch)
        rebuilt = result["rebuilt"][0]
        with store.vault_session() as (session, vault):
            fresh = ds.latest(session, "bench")
            _, t_load = timed(lambda: ds.load_examples(session, vault, fresh, split="test", purpose="bench"))
        store.close()

    figures = {
        "items_first_build": built, "items_after_rebuild": rebuilt["items"], "removed": rebuilt["removed"],
        "items_scratch_build": scratch_items, "stale_after_erasure": stale,
        "seconds": {"first_build (anchor)": t_build, "erasure": t_erase, "rebuild": t_rebuild,
                    "scratch_build_after_erasure": t_scratch, "decrypt_test_split": t_load},
        "ratio_to_first_build": {"rebuild": t_rebuild / t_build, "scratch_build_after_erasure": t_scratch / t_build,
                                 "erasure": t_erase / t_build},
        "database": "postgresql" if args.database_url else "sqlite",
    }
    table = Table(title=f"dataset of {built} items, one owner's erasure ({figures['database']})")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    table.add_column("× first build", justify="right")
    for step, secs in figures["seconds"].items():
        table.add_row(step, f"{secs:.3f}", f"{secs / t_build:.2f}")
    console.print(table)
    console.print(f"stale after erasure: {stale}; rebuilt v{rebuilt['from']}→v{rebuilt['to']}: "
                  f"{rebuilt['items']} items ({rebuilt['removed']} removed); scratch build {scratch_items} items")
    RESULTS.mkdir(exist_ok=True)
    suffix = "" if not args.database_url else "_postgres"
    (RESULTS / f"improve_rebuild{suffix}.json").write_text(json.dumps(figures, indent=1))
    _plot(figures, RESULTS / f"improve_rebuild{suffix}.png")


def _plot(figures: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = ["first_build (anchor)", "rebuild", "scratch_build_after_erasure"]
    values = [figures["seconds"][s] for s in steps]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.barh(["first build", "rebuild (stale → fresh)", "build from scratch"], values, color=["#888", "#2a7", "#c84"])
    ax.set_xlabel("seconds")
    ax.set_title(f"{figures['items_first_build']} items, one owner erased ({figures['database']})")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    main()

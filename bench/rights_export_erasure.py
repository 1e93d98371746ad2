"""Benchmark of owners' rights: export of a large owner, erasure to unreadable and to removed.

Run by hand:  .venv/bin/python bench/rights_export_erasure.py [--n 10000] [--audio-bytes 32000]

Every figure is printed as a ratio against an anchor measured in the same run:

- export time vs the *decrypt-only anchor* (read and decrypt every recording through the
  vault, write nothing): the cost of building, hashing and signing the archive;
- export peak memory (tracemalloc) for N vs N/10 recordings: ~1 means memory is bounded;
- erasure time-to-unreadable for N vs 100 recordings: ~1 means crypto-shredding is constant
  in the number of recordings; time-to-fully-removed grows with N (it is housekeeping).

Writes bench/results/rights_export_erasure.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ecoute.config import Settings
from ecoute.privacy.erasure import request_erasure, run_erasure
from ecoute.privacy.export import export_owner, verify_export
from ecoute.services.wiring import wire_hooks
from ecoute.store.accounts import create_household, create_owner
from ecoute.store.schema.owner import Turn
from ecoute.store.store import Store
from ecoute.store.turns import TurnContent, read_turn_audio, save_turn
from ecoute.store.vault import Actor

RESULTS = Path(__file__).with_name("results") / "rights_export_erasure.json"
console = Console()


def populate(store: Store, name: str, n: int, audio_bytes: int, bar: Progress) -> str:
    with store.vault_session() as (session, vault):
        home = create_household(session, name)
        owner_id = create_owner(session, vault, store.settings, home, display_name=name).id
    task = bar.add_task(f"recordings of {name}", total=n)
    done = 0
    while done < n:
        with store.vault_session() as (session, vault):
            for _ in range(min(500, n - done)):
                save_turn(session, vault, owner_id=owner_id, device_id=None,
                          audio_wav=b"RIFF" + os.urandom(audio_bytes - 4),
                          content=TurnContent(f"what is the weather like {done}", "Sunny, 21 degrees.",
                                              "HassGetWeather", {}),
                          language="en", duration_s=audio_bytes / 32000, handled=True, confidence=0.9)
                done += 1
        bar.update(task, completed=done)
    return owner_id


def decrypt_anchor(store: Store, owner_id: str) -> float:
    """Read and decrypt every recording of the owner through the vault, keeping nothing."""
    start = time.perf_counter()
    with store.vault_session() as (session, vault):
        for turn in session.query(Turn).filter(Turn.owner_id == owner_id).yield_per(500):
            read_turn_audio(vault, turn, actor=Actor.owner(owner_id), purpose="bench")
        session.rollback()
    return time.perf_counter() - start


def timed_export(store: Store, owner_id: str, out: Path, bar: Progress, traced: bool) -> dict:
    task = bar.add_task(f"export {'(traced)' if traced else ''}", total=None)
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    receipt = export_owner(store, owner_id, out, progress=lambda d, t: bar.update(task, completed=d, total=t))
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if traced else None
    if traced:
        tracemalloc.stop()
    return {"seconds": seconds, "peak_bytes": peak, "size": receipt["size"], "recordings": receipt["counts"]["recordings"]}


def erase(store: Store, owner_id: str) -> dict:
    start = time.perf_counter()
    request_id = request_erasure(store, owner_id, actor=Actor.system("bench"))
    unreadable = time.perf_counter() - start
    run_erasure(store, request_id)
    removed = time.perf_counter() - start
    return {"to_unreadable_s": unreadable, "to_removed_s": removed}


def main() -> None:
    wire_hooks()  # deletion and erasure purge review tasks and datasets through the hooks
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="recordings of the large owner")
    parser.add_argument("--audio-bytes", type=int, default=32_000, help="size of each recording (1 s = 32,000)")
    args = parser.parse_args()
    small_sizes = sorted({100, max(100, args.n // 10)})
    root = Path(tempfile.mkdtemp(prefix="ecoute-bench-rights-"))
    store = Store.open(Settings.load(data_dir=root / "data", argon2_time_cost=1, argon2_memory_kib=1024))
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as bar:
            big = populate(store, "large", args.n, args.audio_bytes, bar)
            smalls = {n: populate(store, f"owner-{n}", n, args.audio_bytes, bar) for n in small_sizes}
            anchor = decrypt_anchor(store, big)
            export = timed_export(store, big, root / "large.zip", bar, traced=False)
            export_traced = timed_export(store, big, root / "large-traced.zip", bar, traced=True)
            tenth = max(small_sizes)
            export_tenth = timed_export(store, smalls[tenth], root / "tenth.zip", bar, traced=True)
        assert verify_export(root / "large.zip").ok
        erasures = {n: erase(store, smalls[n]) for n in small_sizes}
        erasures[args.n] = erase(store, big)
    finally:
        store.close()
        shutil.rmtree(root, ignore_errors=True)

    base = erasures[100]["to_unreadable_s"]
    result = {
        "n": args.n, "audio_bytes": args.audio_bytes,
        "export": {**export, "peak_bytes": export_traced["peak_bytes"],
                   "ratio_vs_decrypt_anchor": export["seconds"] / anchor,
                   "peak_ratio_vs_tenth": export_traced["peak_bytes"] / export_tenth["peak_bytes"],
                   "tenth": export_tenth, "archive_bytes_per_recording": export["size"] / args.n},
        "decrypt_anchor_s": anchor,
        "erasure": {str(n): {**e, "unreadable_ratio_vs_100": e["to_unreadable_s"] / base,
                             "removed_ratio_vs_100": e["to_removed_s"] / erasures[100]["to_removed_s"]}
                    for n, e in sorted(erasures.items())},
    }
    console.print(f"export of {args.n:,} recordings: {export['seconds']:.1f} s = "
                  f"{result['export']['ratio_vs_decrypt_anchor']:.2f}× the decrypt-only anchor ({anchor:.1f} s); "
                  f"archive {export['size'] / 1e6:.1f} MB; peak traced memory "
                  f"{export_traced['peak_bytes'] / 1e6:.1f} MB = {result['export']['peak_ratio_vs_tenth']:.2f}× "
                  f"the peak for {tenth:,} recordings")
    for n, e in result["erasure"].items():
        console.print(f"erasure N={int(n):>6,}: unreadable after {e['to_unreadable_s'] * 1000:.0f} ms "
                      f"({e['unreadable_ratio_vs_100']:.2f}× N=100), fully removed after {e['to_removed_s']:.2f} s "
                      f"({e['removed_ratio_vs_100']:.1f}× N=100)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1))
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()

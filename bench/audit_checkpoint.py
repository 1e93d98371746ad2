"""What signed audit checkpoints cost: throughput with the checkpoint writer on vs off, same run.

A checkpoint (an Ed25519 signature and an fsync'd line in the log outside the database)
follows every commit that appended audit entries. Ingesting a turn appends none; a turn
sampled for review does (its preparation decrypts it, audited). So three workloads, each
run with checkpoints on and off, in the order on, off, off, on (so drift from a loaded,
shared machine falls on both sides), one process per run as bench/platform_turns.py does:

* ``turns``: turns posted over HTTP to the real server with ASR stubbed (platform_turns'
  approach), the default review sampling (few turns audited);
* ``turns-sampled``: the same with every turn sampled and prepared for review (sample rate 1,
  owner opted in, no cap): every turn causes an audited commit; timed until the preparation
  jobs are done;
* ``audited-commits``: commits that each append one decrypt entry and nothing else — the
  worst case, the cost of one checkpoint.

Run: .venv/bin/python bench/audit_checkpoint.py [--turns 20] [--commits 300] [--rounds 1].
Writes bench/results/audit_checkpoint.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from platform_turns import PHRASES, free_port  # also registers the "bench-stub" ASR engine

from ecoute.cli.demo import start_server, turn_audio
from ecoute.config import Settings
from ecoute.review.consent import opt_in
from ecoute.services.admin import add_device, add_household, add_owner
from ecoute.store.checkpoints import checkpoint_log_path
from ecoute.store.store import Store
from ecoute.store.vault import Actor

RESULTS = Path(__file__).with_name("results")
WORKLOADS = ("turns", "turns-sampled", "audited-commits")


def _open(workload: str, checkpoints: bool) -> tuple[Settings, Store]:
    tmp = Path(tempfile.mkdtemp(prefix=f"ecoute-bench-audit-{workload}-"))
    extra: dict[str, object] = {}
    if workload == "turns-sampled":
        extra = {"review_sample_rate": 1.0, "review_cap_per_owner_30d": 1_000_000}
    settings = Settings.load(data_dir=tmp, argon2_time_cost=1, argon2_memory_kib=1024, port=free_port(),
                             asr_engine="bench-stub", **extra)
    store = Store.open(settings)
    if not checkpoints:
        assert store.checkpoints is not None
        store.checkpoints.detach(store.sessions)
    return settings, store


def _log_lines(settings: Settings) -> int:
    return len(checkpoint_log_path(settings).read_text().splitlines())


def run_turns(workload: str, checkpoints: bool, turns: int, clients: int) -> dict:
    settings, store = _open(workload, checkpoints)
    home = add_household(store, "bench")
    owner = add_owner(store, home, name="Bench", email=None, password=None)
    if workload == "turns-sampled":
        with store.vault_session() as (session, vault):
            opt_in(session, vault, owner, "cli")
    token = add_device(store, home, "bench speaker", owner).token
    wavs = [turn_audio(p, True, 5) for p in PHRASES]
    app, server, thread = start_server(settings, store)
    base = f"http://127.0.0.1:{settings.server.port}"

    def post(i: int) -> None:
        reply = httpx.post(f"{base}/api/v1/turns", headers={"Authorization": f"Bearer {token}"}, timeout=120,
                           files={"audio": ("t.wav", wavs[i % len(wavs)], "audio/wav")}, data={"wake_score": "0.9"})
        reply.raise_for_status()

    try:
        for i in range(2):  # warm-up (engines load, first preparation)
            post(i)
        app.state.jobs.wait_idle(300)
        lines0, t0, c0 = _log_lines(settings), time.perf_counter(), time.process_time()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(post, range(turns)))
        app.state.jobs.wait_idle(600)  # preparation of sampled turns is part of the work
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        written = _log_lines(settings) - lines0
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        store.close()
    return {"workload": workload, "checkpoints": checkpoints, "n": turns, "unit": "turn",
            "seconds": round(seconds, 3), "per_s": round(turns / seconds, 3),
            "cpu_ms_per_unit": round(1000 * cpu / turns, 2), "checkpoints_written": written,
            "load_avg_1m_after": round(os.getloadavg()[0], 2)}


def run_commits(checkpoints: bool, commits: int) -> dict:
    settings, store = _open("audited-commits", checkpoints)
    home = add_household(store, "bench")
    owner = add_owner(store, home, name="Bench", email=None, password=None)
    reviewer = Actor("bench-reviewer", "reviewer")
    try:
        for i in range(5):  # warm-up
            with store.vault_session() as (_session, vault):
                vault.audit(reviewer, action="decrypt", purpose="listen", owner_id=owner, item_id=f"w{i}")
        lines0, t0, c0 = _log_lines(settings), time.perf_counter(), time.process_time()
        for i in range(commits):
            with store.vault_session() as (_session, vault):
                vault.audit(reviewer, action="decrypt", purpose="listen", owner_id=owner, item_id=f"t{i}")
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        written = _log_lines(settings) - lines0
    finally:
        store.close()
    return {"workload": "audited-commits", "checkpoints": checkpoints, "n": commits, "unit": "commit",
            "seconds": round(seconds, 3), "per_s": round(commits / seconds, 3),
            "cpu_ms_per_unit": round(1000 * cpu / commits, 3), "checkpoints_written": written,
            "load_avg_1m_after": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=1, help="repeat the on, off, off, on sequence")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--one", help="internal: run one workload:on|off in this process and print its JSON")
    args = parser.parse_args()
    console = Console()
    if args.one:
        workload, state = args.one.split(":")
        on = state == "on"
        row = run_commits(on, args.commits) if workload == "audited-commits" else \
            run_turns(workload, on, args.turns, args.clients)
        print(json.dumps(row))
        return
    rows = []
    for workload in args.workloads.split(","):
        for _ in range(args.rounds):
            for state in ("on", "off", "off", "on"):
                console.print(f"running {workload} / checkpoints {state} …")
                out = subprocess.run([sys.executable, __file__, "--one", f"{workload}:{state}",
                                      "--turns", str(args.turns), "--clients", str(args.clients),
                                      "--commits", str(args.commits)], check=True, capture_output=True, text=True)
                rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    summary = {}
    for workload in args.workloads.split(","):
        on = [r for r in rows if r["workload"] == workload and r["checkpoints"]]
        off = [r for r in rows if r["workload"] == workload and not r["checkpoints"]]
        rate_on = sum(r["n"] for r in on) / sum(r["seconds"] for r in on)
        rate_off = sum(r["n"] for r in off) / sum(r["seconds"] for r in off)
        cpu_on = sum(r["cpu_ms_per_unit"] for r in on) / len(on)
        cpu_off = sum(r["cpu_ms_per_unit"] for r in off) / len(off)
        summary[workload] = {
            "unit": on[0]["unit"], "per_s_on": round(rate_on, 3), "per_s_off": round(rate_off, 3),
            "throughput_ratio_on_over_off": round(rate_on / rate_off, 3),
            "wall_ms_added_per_unit": round(1000 * (1 / rate_on - 1 / rate_off), 2),
            "cpu_ms_per_unit_on": round(cpu_on, 3), "cpu_ms_per_unit_off": round(cpu_off, 3),
            "checkpoints_per_unit_on": round(sum(r["checkpoints_written"] for r in on) / sum(r["n"] for r in on), 3),
        }
    table = Table("workload", "checkpoints", "n", "per s", "CPU ms/unit", "checkpoints written", "load")
    for r in rows:
        table.add_row(r["workload"], "on" if r["checkpoints"] else "off", str(r["n"]), str(r["per_s"]),
                      str(r["cpu_ms_per_unit"]), str(r["checkpoints_written"]), str(r["load_avg_1m_after"]))
    console.print(table)
    console.print(summary)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "audit_checkpoint.json").write_text(json.dumps({
        "runs": rows, "summary": summary, "cores": os.cpu_count(),
        "note": "SQLite (WAL) store; checkpoint log on the same local disk; ASR stubbed; order on, off, off, on",
    }, indent=2) + "\n")


if __name__ == "__main__":
    main()

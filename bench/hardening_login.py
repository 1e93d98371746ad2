"""A legitimate sign-in while 16 clients flood wrong passwords, against the same sign-in without flood.

A real server (uvicorn in its own process, production argon2 cost: t=3, 64 MiB) with one
owner. In the same run:

* ``baseline``: the owner signs in ``--n`` times in a row, nothing else going on;
* ``flood_one_address``: 16 clients on one address post wrong passwords for random
  emails (the issue's attack: a password spray) while the owner signs in from their own
  address — the per-address budget stops the flood after 20 failures;
* ``flood_sprayed``: the same 16 clients, each request from another (spoofed, through
  ``ECOUTE_TRUST_PROXY``) address — a botnet, the worst case: nothing is throttled and every
  attempt costs a hash, so only the hashing cap (2 at once, 2 s wait, then 503) holds;
* ``flood_one_account``: 16 clients guess the owner's own password: the owner is locked out
  (the price of a lock-out; reported, not a latency figure).

Reported per phase: the owner's p50/p99 sign-in time and how many of the owner's attempts
succeeded, the flood's requests by status, and the server's peak memory (VmHWM). The
ratio flood/baseline p50 and p99 is the figure to watch.

Run: .venv/bin/python bench/hardening_login.py [--n 50] [--clients 16]
Writes bench/results/hardening_login.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from ecoute.config import Settings
from ecoute.services.admin import add_household, add_owner
from ecoute.store.store import Store

RESULTS = Path(__file__).with_name("results")
ROOT = Path(__file__).resolve().parent.parent
EMAIL, PASSWORD = "owner@bench.example", "tulip-harbour-quietly-9"
SERVER = """
import sys, uvicorn
from ecoute.config import Settings
from ecoute.server.app import create_app
settings = Settings.load()
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            proxy_headers=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def owner_logins(base: str, n: int) -> dict:
    times, statuses = [], collections.Counter()
    with httpx.Client(base_url=base, timeout=60, headers={"X-Forwarded-For": "192.0.2.1"}) as client:
        for _ in range(n):
            client.cookies.clear()
            started = time.perf_counter()
            reply = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
            times.append(time.perf_counter() - started)
            statuses[reply.status_code] += 1
    return {"n": n, "p50_s": round(statistics.median(times), 4), "p99_s": round(pct(times, 0.99), 4),
            "mean_s": round(statistics.fmean(times), 4), "signed_in": statuses[303],
            "statuses": dict(statuses)}


def flood(base: str, clients: int, stop: threading.Event, mode: str) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    lock = threading.Lock()

    def worker(k: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            while not stop.is_set():
                address = f"10.{k}.{secrets.randbelow(256)}.{secrets.randbelow(256)}" if mode == "sprayed" \
                    else "198.51.100.7"
                email = EMAIL if mode == "one_account" else f"nobody-{secrets.token_hex(4)}@bench.example"
                try:
                    reply = client.post("/login", data={"email": email, "password": secrets.token_hex(6)},
                                        headers={"X-Forwarded-For": address})
                    status = reply.status_code
                except httpx.HTTPError:
                    status = 0
                with lock:
                    counts[status] += 1

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    stop.wait()
    for t in threads:
        t.join(timeout=120)
    return counts


def flooded(base: str, n: int, clients: int, mode: str) -> dict:
    stop = threading.Event()
    result: dict = {}
    runner = threading.Thread(target=lambda: result.update(flood=flood(base, clients, stop, mode)))
    runner.start()
    time.sleep(3.0)  # let the flood build up
    started = time.perf_counter()
    owner = owner_logins(base, n)
    seconds = time.perf_counter() - started
    stop.set()
    runner.join()
    counts = result["flood"]
    return {**owner, "flood_requests": dict(counts), "flood_rate_per_s": round(sum(counts.values()) / (seconds + 3), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ECOUTE_DATA_DIR": tmp, "ECOUTE_TRUST_PROXY": "1", "PYTHONPATH": str(ROOT)}
        env.pop("ECOUTE_DATABASE_URL", None)
        settings = Settings.load(data_dir=Path(tmp), trust_proxy=True)
        store = Store.open(settings)
        add_owner(store, add_household(store, "bench"), name="Owner", email=EMAIL, password=PASSWORD)
        store.close()
        port = free_port()
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env=env, cwd=ROOT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 300  # imports are slow on a busy machine
            while True:
                try:
                    httpx.get(f"{base}/login", timeout=5)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.2)
            owner_logins(base, 3)  # warm-up
            baseline = owner_logins(base, args.n)
            baseline["server_peak_rss_mib"] = round(peak_rss_mib(server.pid), 1)
            phases = {"baseline": baseline}
            for mode, n in (("one_address", args.n), ("sprayed", args.n), ("one_account", 10)):
                phases[f"flood_{mode}"] = flooded(base, n, args.clients, mode)
                phases[f"flood_{mode}"]["server_peak_rss_mib"] = round(peak_rss_mib(server.pid), 1)
        finally:
            server.terminate()
            server.wait(timeout=30)
    report = {
        "what": "owner sign-in time while 16 clients flood wrong passwords vs without flood (same run)",
        "argon2": {"time_cost": settings.server.argon2_time_cost, "memory_kib": settings.server.argon2_memory_kib},
        "hash_concurrency": settings.server.login_hash_concurrency, "hash_wait_s": settings.server.login_hash_wait_s,
        "clients": args.clients, "cpus": os.cpu_count(),
        **phases,
        "ratio_p50_one_address": round(phases["flood_one_address"]["p50_s"] / baseline["p50_s"], 2),
        "ratio_p99_one_address": round(phases["flood_one_address"]["p99_s"] / baseline["p99_s"], 2),
        "ratio_p50_sprayed": round(phases["flood_sprayed"]["p50_s"] / baseline["p50_s"], 2),
        "ratio_p99_sprayed": round(phases["flood_sprayed"]["p99_s"] / baseline["p99_s"], 2),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hardening_login.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

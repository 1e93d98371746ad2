"""Turns ingested per second through the device API, voice turn on vs stubbed at the ASR boundary.

The whole server runs in this process (uvicorn on loopback, the same app as ``ecoute
serve``); devices post synthesised wake-word turns over HTTP, as many at a time as
``--clients``. Two modes per database:

* ``asr-stub`` (the anchor): the ASR engine is replaced by one that returns a fixed,
  well-formed transcript at once; wake word, VAD, intents, skills, TTS, encryption,
  storage, audit and the sampling job all still run;
* ``voice``: the real voice turn (faster-whisper tiny.en).

The ratio stub/voice says how much of a turn's cost is ASR; the SQLite/PostgreSQL ratio
says what the database adds. Run: .venv/bin/python bench/platform_turns.py [--turns 30]
[--clients 2] [--db sqlite,postgres]. Writes bench/results/platform_turns.json.
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
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from platform_delete import _pg_schema

from ecoute import plugins
from ecoute.audio.io import Audio
from ecoute.cli.demo import start_server, turn_audio
from ecoute.config import Settings
from ecoute.services.admin import add_device, add_household, add_owner
from ecoute.speech import asr
from ecoute.store.store import Store

PHRASES = ["what time is it", "add milk to the shopping list", "what is seven times six", "what day is it today",
           "add eggs to the shopping list", "what is twelve plus thirty"]
RESULTS = Path(__file__).with_name("results")


class StubAsr:
    """Answers instantly with a transcript that passes the wake-word check."""

    name = "bench-stub"

    def transcribe(self, audio: Audio, language: str | None = None, **_: object) -> asr.Transcript:
        words = [asr.Word("Alexa,", 0.1, 0.5), asr.Word("what", 0.7, 0.9), asr.Word("time", 0.9, 1.1),
                 asr.Word("is", 1.1, 1.2), asr.Word("it?", 1.2, 1.4)]
        return asr.Transcript("Alexa, what time is it?", language or "en", words, audio.duration, self.name)


plugins.register(plugins.Family.ASR, "bench-stub", lambda settings: StubAsr())


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(db: str, mode: str, turns: int, clients: int, wavs: list[bytes], progress: Progress) -> dict:
    url, drop = ("", None) if db == "sqlite" else _pg_schema()
    tmp = Path(tempfile.mkdtemp(prefix=f"ecoute-bench-{db}-{mode}-"))
    settings = Settings.load(data_dir=tmp, database_url=url, argon2_time_cost=1, argon2_memory_kib=1024,
                             port=free_port(), asr_engine="bench-stub" if mode == "asr-stub" else None)
    store = Store.open(settings)
    home = add_household(store, "bench")
    owner = add_owner(store, home, name="Bench", email=None, password=None)
    token = add_device(store, home, "bench speaker", owner).token
    app, server, thread = start_server(settings, store)
    base = f"http://127.0.0.1:{settings.server.port}"
    headers = {"Authorization": f"Bearer {token}"}

    def post(i: int) -> bool:
        reply = httpx.post(f"{base}/api/v1/turns", headers=headers, timeout=120,
                           files={"audio": ("t.wav", wavs[i % len(wavs)], "audio/wav")}, data={"wake_score": "0.9"})
        reply.raise_for_status()
        return not reply.json()["false_activation"]

    try:
        for i in range(2):  # warm-up: models load on the first turns
            post(i)
        task = progress.add_task(f"{db} {mode}", total=turns)
        kept = 0
        t0, c0 = time.perf_counter(), time.process_time()
        with ThreadPoolExecutor(clients) as pool:
            for ok in pool.map(post, range(turns)):
                kept += int(ok)
                progress.advance(task)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        app.state.jobs.wait_idle(120)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        store.close()
        if drop:
            drop()
    return {"db": db, "mode": mode, "turns": turns, "clients": clients, "seconds": round(seconds, 3),
            "load_avg_1m_after": round(os.getloadavg()[0], 2),
            "turns_per_s": round(turns / seconds, 3), "answered_not_discarded": kept,
            # CPU of this process (server + clients; not PostgreSQL's own): steadier than wall
            # time on a shared, loaded machine.
            "cpu_s_per_turn": round(cpu / turns, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--one", help="internal: run one db:mode in this process and print its JSON")
    args = parser.parse_args()
    console = Console(stderr=bool(args.one))
    wavs = [turn_audio(p, True, 5) for p in PHRASES]
    if args.one:
        db, mode = args.one.split(":")
        with Progress(console=console) as progress:
            print(json.dumps(run(db, mode, args.turns, args.clients, wavs, progress)))
        return
    rows = []
    for db in args.db.split(","):
        for mode in ("asr-stub", "voice"):
            # One process per run: a second server in the same process was seen to cost several
            # times the CPU per turn (state left by the first), which would skew the ratios.
            console.print(f"running {db} / {mode} …")
            out = subprocess.run([sys.executable, __file__, "--one", f"{db}:{mode}", "--turns", str(args.turns),
                                  "--clients", str(args.clients)], check=True, capture_output=True, text=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    by = {(r["db"], r["mode"]): r["turns_per_s"] for r in rows}
    cpu = {(r["db"], r["mode"]): r["cpu_s_per_turn"] for r in rows}
    ratios = {f"{db}: asr-stub / voice": round(by[(db, "asr-stub")] / by[(db, "voice")], 2)
              for db in args.db.split(",")}
    ratios.update({f"{db}: cpu per turn, voice / asr-stub": round(cpu[(db, "voice")] / cpu[(db, "asr-stub")], 2)
                   for db in args.db.split(",")})
    if ("postgres", "voice") in by and ("sqlite", "voice") in by:
        ratios["voice: sqlite / postgres"] = round(by[("sqlite", "voice")] / by[("postgres", "voice")], 2)
        ratios["asr-stub: sqlite / postgres"] = round(by[("sqlite", "asr-stub")] / by[("postgres", "asr-stub")], 2)
    table = Table("db", "mode", "turns/s", "CPU s/turn", "kept", "load")
    for r in rows:
        table.add_row(r["db"], r["mode"], str(r["turns_per_s"]), str(r["cpu_s_per_turn"]),
                      f"{r['answered_not_discarded']}/{r['turns']}", str(r["load_avg_1m_after"]))
    console.print(table)
    console.print(ratios)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "platform_turns.json").write_text(json.dumps({"runs": rows, "ratios": ratios}, indent=2) + "\n")


if __name__ == "__main__":
    main()

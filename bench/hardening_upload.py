"""What the upload defences cost and what they save: turn throughput and server memory, on vs off.

"off" is the same server before the defences (the tree at ``--baseline``, default the commit
this branch started from, extracted with ``git archive``); "on" is this tree. Each server
runs in its own process (so its RSS can be read from /proc), with the ASR stubbed at the
engine boundary exactly as bench/platform_turns.py does (wake word, VAD, intents, skills,
TTS, encryption and storage all run). Measured:

* throughput: ``--turns`` wake-word turns posted by ``--clients`` at a time from one device,
  turns/s and server CPU s/turn (from /proc/<pid>/stat: steadier than wall time on a shared
  machine), alternating on/off ``--rounds`` times; ratio on/off of the medians;
* memory: the server's peak RSS above its idle RSS (sampled every 10 ms) while it handles
  the largest uploads it accepts (119 s of 48 kHz stereo FLAC; 100 s of 48 kHz stereo WAV,
  just under the 20 MiB upload limit) and the smallest
  bombs it refuses (121 s; and one hour of 48 kHz stereo FLAC, 0.7 MB).

Run: .venv/bin/python bench/hardening_upload.py [--turns 40] [--clients 2] [--rounds 2].
Writes bench/results/hardening_upload.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).with_name("results")
PHRASES = ["what time is it", "add milk to the shopping list", "what is seven times six", "what day is it today"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def serve(src: str, data_dir: str, port: int) -> None:
    """Internal (--serve): the app of the tree at ``src`` with the ASR stubbed, on ``port``."""
    sys.path.insert(0, src)
    import uvicorn

    from ecoute.config import Settings
    from ecoute.server.app import create_app
    from ecoute.speech import asr
    from ecoute.store.store import Store

    class StubAsr:
        name = "bench-stub"

        def transcribe(self, audio, language=None, **_):
            words = [asr.Word("Alexa,", 0.1, 0.5), asr.Word("what", 0.7, 0.9), asr.Word("time", 0.9, 1.1),
                     asr.Word("is", 1.1, 1.2), asr.Word("it?", 1.2, 1.4)]
            return asr.Transcript("Alexa, what time is it?", language or "en", words, audio.duration, self.name)

    asr.ENGINES["bench-stub"] = lambda settings, language: StubAsr()
    settings = Settings.load(data_dir=Path(data_dir), port=port, asr_engine="bench-stub",
                             argon2_time_cost=1, argon2_memory_kib=1024)
    app = create_app(settings, Store.open(settings))
    try:
        from ecoute.server.security import uvicorn_config
    except ImportError:  # the tree before the defences
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    else:
        config = uvicorn_config(app, settings)
    uvicorn.Server(config).run()


class Server:
    def __init__(self, label: str, src: Path):
        from ecoute.config import Settings
        from ecoute.services.admin import add_device, add_household, add_owner
        from ecoute.store.store import Store

        self.label = label
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"ecoute-hardening-{label}-"))
        store = Store.open(Settings.load(data_dir=self.data_dir, argon2_time_cost=1, argon2_memory_kib=1024))
        home = add_household(store, "bench")
        owner = add_owner(store, home, name="Bench", email=None, password=None)
        self.token = add_device(store, home, "bench speaker", owner).token
        store.close()
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", str(src), str(self.data_dir),
                                      str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{self.url}/login", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"the {label} server did not start")

    def post(self, data: bytes) -> httpx.Response:
        return httpx.post(f"{self.url}/api/v1/turns", headers={"Authorization": f"Bearer {self.token}"},
                          files={"audio": ("t.wav", data, "audio/wav")}, data={"wake_score": "0.9"}, timeout=300)

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def throughput(server: Server, wavs: list[bytes], turns: int, clients: int) -> dict:
    def post(i: int) -> None:
        server.post(wavs[i % len(wavs)]).raise_for_status()

    for i in range(2):
        post(i)  # warm-up: models load on the first turns
    t0, c0 = time.perf_counter(), server.cpu_s()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(post, range(turns)))
    seconds, cpu = time.perf_counter() - t0, server.cpu_s() - c0
    return {"turns_per_s": round(turns / seconds, 3), "server_cpu_s_per_turn": round(cpu / turns, 4),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def flac(seconds: float, rate: int = 48000, channels: int = 2, noise: bool = False) -> bytes:
    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    with sf.SoundFile(buf, "w", rate, channels, subtype="PCM_16", format="FLAC") as out:
        left = int(seconds * rate)
        while left > 0:
            n = min(left, rate * 10)
            block = (rng.normal(0, 300, (n, channels)) if noise else np.zeros((n, channels))).astype(np.int16)
            out.write(block)
            left -= n
    return buf.getvalue()


def wav(seconds: float, rate: int = 48000, channels: int = 2) -> bytes:
    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    sf.write(buf, rng.normal(0, 300, (int(seconds * rate), channels)).astype(np.int16), rate, format="WAV",
             subtype="PCM_16")
    return buf.getvalue()


def peak_rss(server: Server, data: bytes) -> dict:
    time.sleep(1.0)
    idle = server.rss_kib()
    peak = [idle]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], server.rss_kib())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    t0 = time.perf_counter()
    try:
        reply = server.post(data)
    finally:
        done.set()
        sampler.join()
    return {"upload_bytes": len(data), "status": reply.status_code, "seconds": round(time.perf_counter() - t0, 2),
            "idle_rss_mib": round(idle / 1024, 1), "peak_rss_mib": round(peak[0] / 1024, 1),
            "peak_over_idle_mib": round((peak[0] - idle) / 1024, 1)}


def baseline_tree(ref: str) -> Path:
    out = Path(tempfile.mkdtemp(prefix="ecoute-baseline-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "ecoute"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive.stdout, check=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline", default="dfdd847", help="git ref of the tree without the defences")
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(*args.serve)
        return
    sys.path.insert(0, str(ROOT))
    from ecoute.cli.demo import turn_audio

    trees = {"on": ROOT, "off": baseline_tree(args.baseline)}
    wavs = [turn_audio(p, True, 5) for p in PHRASES]
    runs: dict[str, list[dict]] = {"on": [], "off": []}
    for r in range(args.rounds):
        for label in ("on", "off") if r % 2 == 0 else ("off", "on"):
            server = Server(label, trees[label])
            try:
                runs[label].append(throughput(server, wavs, args.turns, args.clients))
                print(label, runs[label][-1], flush=True)
            finally:
                server.stop()
    uploads = {
        "accepted: 119 s 48 kHz stereo FLAC (noise)": flac(119, noise=True),
        "accepted: 100 s 48 kHz stereo WAV (19 MB, under the 20 MiB upload limit)": wav(100),
        "refused: 121 s 48 kHz stereo FLAC (silence)": flac(121),
        "refused: 1 h 48 kHz stereo FLAC (silence)": flac(3600),
    }
    memory: dict[str, dict] = {}
    for label in ("on", "off"):
        server = Server(label, trees[label])
        try:
            server.post(wavs[0]).raise_for_status()  # models loaded: idle RSS is the working server's
            memory[label] = {name: peak_rss(server, data) for name, data in uploads.items()}
            print(label, json.dumps(memory[label], indent=1), flush=True)
        finally:
            server.stop()
    med = {k: statistics.median(r["turns_per_s"] for r in v) for k, v in runs.items()}
    cpu = {k: statistics.median(r["server_cpu_s_per_turn"] for r in v) for k, v in runs.items()}
    summary = {
        "throughput on / off (median turns/s)": round(med["on"] / med["off"], 3),
        "server cpu per turn on / off (median)": round(cpu["on"] / cpu["off"], 3),
        "peak over idle, largest accepted upload (on, MiB)": max(
            v["peak_over_idle_mib"] for k, v in memory["on"].items() if k.startswith("accepted")),
        "peak over idle, smallest refused bomb (on, MiB)": memory["on"][
            "refused: 121 s 48 kHz stereo FLAC (silence)"]["peak_over_idle_mib"],
        "peak over idle, 1 h FLAC bomb (on / off, MiB)": [
            memory[k]["refused: 1 h 48 kHz stereo FLAC (silence)"]["peak_over_idle_mib"] for k in ("on", "off")],
    }
    print(json.dumps(summary, indent=1))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hardening_upload.json").write_text(json.dumps(
        {"turns": args.turns, "clients": args.clients, "baseline": args.baseline, "throughput": runs,
         "memory": memory, "summary": summary}, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""`ecoute ask` speed and memory: end of speech → answer text, and peak RSS.

Run by hand: .venv/bin/python bench/speech_latency.py [--runs 20]
Writes bench/results/speech_latency.json.

A speaker streams audio as it is spoken, so what the person waits for after they stop
talking is: the endpointer's trailing silence (END_SILENCE_S, a fixed design cost) plus
the processing that cannot start before the end of speech (ASR of the wake word and
request, intent, skill), taken from run_turn's own stage timings on a recording that
ends just after the trailing silence. The figure where VAD also runs after the speech
(as it does on a whole file) is reported next to it. The anchor is the request's own duration (printed as a ratio).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import track

from ecoute.assistant.turn import END_SILENCE_S, run_turn
from ecoute.audio import synth
from ecoute.audio.io import load_audio, write_wav
from ecoute.config import Settings

OUT = Path(__file__).resolve().parent / "results" / "speech_latency.json"
REQUEST = "add some bread and a bottle of milk to my shopping list"
console = Console()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    settings = Settings.load()
    voice = synth.VOICES["en"][5]
    request = load_audio(synth.speak(REQUEST, voice))
    wake = load_audio(synth.speak("alexa", voice))
    audio = synth.concat([0.5, wake, 0.25, request, END_SILENCE_S + 0.1])
    run_turn(audio, settings)  # load models once, as a running speaker has them loaded
    after_speech, pessimistic, totals = [], [], []
    for _ in track(range(args.runs), description="turns", console=console):
        r = run_turn(audio, settings)
        assert r.answer and r.intent == "HassShoppingListAddItem", r.to_json()
        # ASR, intent and skill cannot start before the end of speech; wake and VAD run
        # while the person talks on a streaming device (counted in the pessimistic figure).
        processing = r.timings_ms["asr"] + r.timings_ms["intent"] + r.timings_ms["skill"]
        after_speech.append(END_SILENCE_S * 1000 + processing)
        pessimistic.append(END_SILENCE_S * 1000 + r.timings_ms["total"] - r.timings_ms["wake"])
        totals.append(r.timings_ms["total"])
    path = Path("/tmp/ecoute-bench-ask.wav")
    write_wav(path, audio)
    exe = Path(sys.executable).with_name("ecoute")
    start = time.perf_counter()
    proc = subprocess.run([str(exe), "ask", str(path), "--json"], capture_output=True, text=True, check=True)
    cold_s = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    results = {
        # Other work on the machine inflates every time here: record how busy it was.
        "load_average_1min_at_end": round(__import__("os").getloadavg()[0], 1),
        "cpus": __import__("os").cpu_count(),
        "request_seconds": round(request.duration, 2),
        "runs": args.runs,
        "end_of_speech_to_answer_ms_median": round(statistics.median(after_speech), 1),
        "end_of_speech_to_answer_ms_p90": round(sorted(after_speech)[int(0.9 * len(after_speech)) - 1], 1),
        "of_which_endpoint_silence_ms": END_SILENCE_S * 1000,
        "processing_after_speech_ms_median": round(statistics.median(after_speech) - END_SILENCE_S * 1000, 1),
        "ratio_to_request_duration": round(statistics.median(after_speech) / 1000 / request.duration, 3),
        "end_of_speech_to_answer_ms_median_if_vad_ran_after_speech": round(statistics.median(pessimistic), 1),
        "run_turn_total_ms_median": round(statistics.median(totals), 1),
        "cli_cold_start_s": round(cold_s, 2),
        "cli_peak_rss_mib": round(peak_kib / 1024, 1),
        "cli_answer": json.loads(proc.stdout)["answer"],
    }
    console.print(results)
    OUT.write_text(json.dumps(results, indent=2))
    console.print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

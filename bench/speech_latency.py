"""`ecoute ask` speed and memory: end of speech → answer text, and peak RSS.

Run by hand: .venv/bin/python bench/speech_latency.py [--runs 20]
Writes bench/results/speech_latency.json.

A speaker streams audio as it is spoken, so what the person waits for after they stop
talking is: the endpointer's trailing silence (``end_of_speech_s``, a fixed design cost)
plus the processing that cannot start before the end of speech (ASR of the wake word and
request, intent, skill), taken from the pipeline's stage events on a recording that
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

from ecoute.assistant.pipeline import Stage
from ecoute.assistant.pipeline.runner import RunOptions, run
from ecoute.audio import synth
from ecoute.audio.io import load_audio, write_wav
from ecoute.config import Settings

OUT = Path(__file__).resolve().parent / "results" / "speech_latency.json"
REQUEST = "add some bread and a bottle of milk to my shopping list"
console = Console()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--sweep", default="", help="end-of-speech silences to compare, e.g. 0.3,0.4,0.5 "
                    "(latency and turn accuracy; writes the 'sweep' key only)")
    ap.add_argument("--beams", default="1", help="with --sweep: ASR beam sizes to compare, e.g. 1,5")
    ap.add_argument("--every", type=int, default=1, help="with --sweep: every N-th voice of the test set")
    args = ap.parse_args()
    settings = Settings.load()
    if args.sweep:
        return sweep(settings, [float(x) for x in args.sweep.split(",")],
                     [int(b) for b in args.beams.split(",")], args.runs, args.every)
    silence = settings.speech.end_of_speech_s
    voice = synth.VOICES["en"][5]
    request = load_audio(synth.speak(REQUEST, voice))
    wake = load_audio(synth.speak("alexa", voice))
    audio = synth.concat([0.5, wake, 0.25, request, silence + 0.1])
    run(audio, settings, end=Stage.SKILL)  # load models once, as a running speaker has them loaded
    after_speech, pessimistic, totals = [], [], []
    for _ in track(range(args.runs), description="turns", console=console):
        r = run(audio, settings, end=Stage.SKILL)
        assert r.answer and r.intent == "HassShoppingListAddItem", r.to_json()
        # ASR, intent and skill cannot start before the end of speech; wake and VAD run
        # while the person talks on a streaming device (counted in the pessimistic figure).
        processing = r.timings_ms["asr"] + r.timings_ms["intent"] + r.timings_ms["skill"]
        after_speech.append(silence * 1000 + processing)
        pessimistic.append(silence * 1000 + r.timings_ms["total"] - r.timings_ms["wake"])
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
        "of_which_endpoint_silence_ms": silence * 1000,
        "processing_after_speech_ms_median": round(statistics.median(after_speech) - silence * 1000, 1),
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


def _trim(audio, level: float = 0.01):
    """The clip without the synthesiser's leading and trailing near-silence (so inserted pauses are exact)."""
    import numpy as np

    from ecoute.audio.io import Audio

    loud = np.flatnonzero(np.abs(audio.samples) > level)
    return Audio(audio.samples[loud[0]: loud[-1] + 1], audio.rate) if len(loud) else audio


def _paused(text: str, voice, pause_s: float):
    """Wake word, then the request spoken in two halves with ``pause_s`` of silence between them."""
    words = text.split()
    half = len(words) // 2
    first, second = (_trim(load_audio(synth.speak(" ".join(w), voice))) for w in (words[:half], words[half:]))
    wake = load_audio(synth.speak("alexa", voice))
    return synth.concat([0.5, wake, 0.25, first, pause_s, second, 0.8])


def sweep(settings: Settings, silences: list[float], beams: list[int], runs: int, every: int) -> None:
    """Per (beam, end-of-speech silence): end of speech → answer, and full-turn intent accuracy.

    Latency: processing after speech (ASR + intent + skill) is timed with the beams
    interleaved in one run; the silence wait is added as the design cost it is.
    Accuracy: the 12 English requests of the test set per voice as spoken, and the same
    requests split in two halves with a pause inside (a person hesitating), counted
    correct when intent and slots match. A turn's result depends on the silence only
    through where the endpointer ends the request, so the count of endpoints that move
    against the longest silence is reported too.
    """
    import os

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from speech_testset import items

    from ecoute.audio.vad import find_speech
    from ecoute.audio.wake import get_wake_detector

    detector = get_wake_detector(settings)

    voice = synth.VOICES["en"][5]
    request = load_audio(synth.speak(REQUEST, voice))
    wake = load_audio(synth.speak("alexa", voice))
    audio = synth.concat([0.5, wake, 0.25, request, max(silences) + 0.1])
    cfgs = {b: settings.replace(asr_beam_size=b) for b in beams}
    for cfg in cfgs.values():
        run(audio, cfg, end=Stage.SKILL)  # load each model once
    processing: dict[int, list[float]] = {b: [] for b in beams}
    for i in track(range(runs), description="latency", console=console):
        for b in beams if i % 2 == 0 else beams[::-1]:
            for sil in silences:
                r = run(audio, cfgs[b], end=Stage.SKILL, options=RunOptions(end_of_speech_s=sil))
                assert r.intent == "HassShoppingListAddItem", (b, sil, r.to_json())
            processing[b].append(r.timings_ms["asr"] + r.timings_ms["intent"] + r.timings_ms["skill"])
    voices = {v.label for v in synth.VOICES["en"][::every]}
    data = [it for it in items(("en",)) if it.voice.label in voices]
    half = {v.label for v in synth.VOICES["en"][::every][::2]}  # the paused sets: every other of those voices
    sets = {"as_spoken": [(it, synth.wake_and_request(it.text, it.voice)) for it in data],
            **{f"pause_{p}s_inside": [(it, _paused(it.text, it.voice, p)) for it in data if it.voice.label in half]
               for p in (0.3, 0.45)}}
    accuracy: dict = {}
    for b in beams:
        for name, turns in sets.items():
            ok = dict.fromkeys(silences, 0)
            cut = dict.fromkeys(silences, 0)
            for it, a in track(turns, description=f"beam {b} {name}", console=console):
                wake_end = detector.detect(a).end_s
                ends = {sil: find_speech(a, cfgs[b], start_s=wake_end, silence_s=sil).end_s if wake_end else None
                        for sil in silences}
                outcome: dict = {}  # same endpoint → same ASR input → same turn: run each distinct one once
                for sil in sorted(silences, reverse=True):
                    if ends[sil] not in outcome:
                        r = run(a, cfgs[b], end=Stage.SKILL, options=RunOptions(end_of_speech_s=sil))
                        outcome[ends[sil]] = (r.wake and not r.false_activation
                                              and (r.intent, r.slots) == (it.intent, it.slots))
                    ok[sil] += outcome[ends[sil]]
                    longest = ends[max(silences)]
                    cut[sil] += ends[sil] is not None and longest is not None and ends[sil] < longest - 0.05
            accuracy.setdefault(f"beam_{b}", {})[name] = {
                "turns": len(turns),
                **{f"silence_{sil}s": {"accuracy": round(ok[sil] / len(turns), 3),
                                       "endpoint_earlier_than_longest_silence": cut[sil]} for sil in silences}}
            console.print(b, name, accuracy[f"beam_{b}"][name])
    result = {
        "load_average_1min_at_end": round(os.getloadavg()[0], 1),
        "request_seconds": round(request.duration, 2), "runs": runs,
        "latency_end_of_speech_to_answer_ms_median": {
            f"beam_{b}": {f"silence_{sil}s": round(sil * 1000 + statistics.median(processing[b]), 1)
                          for sil in silences} for b in beams},
        "processing_after_speech_ms_median": {f"beam_{b}": round(statistics.median(processing[b]), 1) for b in beams},
        f"processing_ratio_to_beam_{beams[0]}": {
            f"beam_{b}": round(statistics.median(processing[b]) / statistics.median(processing[beams[0]]), 3)
            for b in beams},
        "turn_accuracy_en": accuracy,
    }
    out = json.loads(OUT.read_text()) if OUT.exists() else {}
    out["sweep"] = result
    console.print(result)
    OUT.write_text(json.dumps(out, indent=2))
    console.print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

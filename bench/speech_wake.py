"""Wake-word detection: synthesised wake set, real recordings, false accepts per hour.

Run by hand: .venv/bin/python bench/speech_wake.py [--minutes 30] [--engines micro,open]
Writes bench/results/speech_wake.json. With ``--sweep`` it instead sweeps the micro model's
probability cutoff for several sliding windows (one pass over every clip and the negative
stream per window, the curve computed from the recorded probabilities) and writes the curve
under ``micro_cutoff_sweep`` (+ speech_wake_sweep.png when matplotlib is installed). The anchor for speed is the audio's own duration
(real-time factor), measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from pymicro_wakeword import MicroWakeWord, Model
from rich.console import Console
from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speech_testset import REQUESTS  # noqa: E402

from ecoute.audio import synth  # noqa: E402
from ecoute.audio.io import Audio, load_audio  # noqa: E402
from ecoute.audio.wake import MicroWakeDetector, get_wake_detector  # noqa: E402
from ecoute.config import Settings  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "wake-real"
OUT = Path(__file__).resolve().parent / "results" / "speech_wake.json"
console = Console()


#: Speed (words/min) and pitch variants applied to every espeak-ng voice.
VARIANTS = [(s, p) for s in (130, 160, 190) for p in (30, 50, 70)]


def wake_set() -> dict[str, list[Audio]]:
    """Every voice and speed/pitch variant says "alexa" then a request (requests rotate)."""
    out: dict[str, list[Audio]] = {}
    for lang, voices in synth.VOICES.items():
        variants = [synth.Voice(v.engine, v.name, s, p) for v in voices if v.engine == "espeak-ng"
                    for s, p in VARIANTS] + [v for v in voices if v.engine != "espeak-ng"]
        for i, voice in enumerate(variants):
            text = REQUESTS[lang][i % len(REQUESTS[lang])][0]
            out.setdefault(lang, []).append(synth.wake_and_request(text, voice, lang=lang))
    return out


def negative_stream(minutes: float, rng: np.random.Generator) -> Audio:
    """Non-wake speech (every voice, every language, plus the real other-keyword clips) mixed with noise."""
    clips: list[Audio] = []
    sentences = [t for reqs in REQUESTS.values() for t, _i, _s in reqs] + [
        "I was telling Alex about the election", "a lexicon of relaxing exercises", "the Alexandria library",
        "Alan, can you pass the salt", "let's talk about it later", "my sister Alicia is coming",
        "please close the window", "the exam was excellent", "electric cars are expensive",
    ]
    for lang, voices in synth.VOICES.items():
        texts = [t for t, _i, _s in REQUESTS[lang]] + (sentences if lang == "en" else [])
        for voice in voices:
            clips += [load_audio(synth.speak(t, voice, lang=lang)) for t in texts]
    if REAL.is_dir():
        clips += [load_audio(p) for p in sorted((REAL / "other").glob("*.flac"))]
    target = int(minutes * 60 * 16000)
    parts, total = [], 0
    while total < target:
        clip = clips[int(rng.integers(len(clips)))].samples
        gap = np.zeros(int(rng.uniform(0.2, 1.5) * 16000), dtype=np.float32)
        parts += [clip, gap]
        total += len(clip) + len(gap)
    speech = np.concatenate(parts)[:target]
    # Noise: white at -40 dBFS everywhere, plus louder pink-ish stretches (fan, traffic).
    noise = rng.standard_normal(target).astype(np.float32) * 0.01
    pink = np.cumsum(rng.standard_normal(target).astype(np.float32)) * 0.0005
    pink -= np.convolve(pink, np.ones(1600) / 1600, mode="same")
    return Audio(np.clip(speech + noise + pink, -1, 1).astype(np.float32))


def count_fires(settings: Settings, audio: Audio, refractory_s: float = 2.0) -> tuple[int, float]:
    """Stream the whole audio through one detector; count separate firings; return (fires, seconds)."""
    detector = get_wake_detector(settings)
    stream = detector.stream()
    pcm = audio.pcm16()
    fires, last = 0, -1e9
    start = time.perf_counter()
    step = 2560
    for i in range(0, len(pcm), step):
        for t, prob in stream.feed(pcm[i : i + step]):
            if prob > detector.threshold and t - last > refractory_s:
                fires, last = fires + 1, t
                stream = detector.stream()  # a device restarts listening after a turn
                break
    return fires, time.perf_counter() - start


#: Cutoffs swept (on the sliding-window mean of the micro model's probabilities).
CUTOFFS = [round(float(c), 2) for c in np.arange(0.1, 0.951, 0.05)] + [0.97, 0.99]
WINDOWS = (3, 5, 8)
TARGETS = {"synth_detection_en": 0.95, "real_alexa_detection": 0.98}


def trace(det: MicroWakeDetector, audio: Audio) -> tuple[np.ndarray, np.ndarray]:
    """(times, windowed probabilities) over the whole audio, no early stop, no reset."""
    stream = det.stream()
    pcm = audio.pcm16()
    out = [tp for i in range(0, len(pcm), 2560) for tp in stream.feed(pcm[i : i + 2560])]
    arr = np.array(out, dtype=np.float64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def count_events(times: np.ndarray, probs: np.ndarray, cutoff: float, refractory_s: float = 2.0) -> int:
    """Separate firings (as count_fires, but without restarting the model after each one)."""
    fires, last = 0, -1e9
    for t in times[probs > cutoff]:
        if t - last > refractory_s:
            fires, last = fires + 1, t
    return fires


def sweep(wakes: dict[str, list[Audio]], real_alexa: list[Audio], real_other: list[Audio],
          negative: Audio, minutes: float) -> dict:
    curves: dict = {}
    for window in WINDOWS:
        det = MicroWakeDetector("alexa", window=window)
        with console.status(f"micro window {window}: scoring clips and {minutes:.0f} min of negatives"):
            peaks = {f"synth_{lang}": np.array([trace(det, c)[1].max() for c in clips]) for lang, clips in wakes.items()}
            peaks["real_alexa"] = np.array([trace(det, c)[1].max() for c in real_alexa])
            peaks["real_other"] = np.array([trace(det, c)[1].max() for c in real_other])
            neg_t, neg_p = trace(det, negative)
        rows = []
        for cutoff in CUTOFFS:
            row = {"cutoff": cutoff}
            for lang in wakes:
                row[f"synth_detection_{lang}"] = round(float((peaks[f"synth_{lang}"] > cutoff).mean()), 3)
            row["real_alexa_detection"] = round(float((peaks["real_alexa"] > cutoff).mean()), 3)
            row["negative_false_fires"] = count_events(neg_t, neg_p, cutoff)
            row["real_other_false_fires"] = int((peaks["real_other"] > cutoff).sum())
            row["meets_all"] = bool(all(row[k] >= v for k, v in TARGETS.items())
                                    and row["negative_false_fires"] == 0 and row["real_other_false_fires"] == 0)
            rows.append(row)
        curves[str(window)] = {
            "rows": rows,
            "lowest_synth_en_peaks": [round(float(p), 3) for p in np.sort(peaks["synth_en"])[:6]],
            "lowest_real_alexa_peaks": [round(float(p), 3) for p in np.sort(peaks["real_alexa"])[:4]],
            "highest_negative_peak": round(float(neg_p.max()), 3),
            "highest_real_other_peak": round(float(peaks["real_other"].max()), 3),
        }
        ok = [float(r["cutoff"]) for r in rows if r["meets_all"]]
        console.print(f"window {window}: cutoffs meeting all four targets: {ok}", markup=False)
    return {"model": "alexa", "default_window": MicroWakeDetector("alexa").window,
            "default_cutoff": MicroWakeDetector("alexa").threshold,
            "model_own_cutoff": float(MicroWakeWord.from_builtin(Model.ALEXA).probability_cutoff),
            "negative_minutes": minutes,
            "targets": {**TARGETS, "negative_false_fires": 0, "real_other_false_fires": 0},
            "clips": {"synth_en": len(wakes["en"]), "real_alexa": len(real_alexa), "real_other": len(real_other)},
            "windows": curves}


def plot(curve: dict, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        console.print("matplotlib not installed: no plot")
        return
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    for window, c in curve["windows"].items():
        rows = c["rows"]
        x = [r["cutoff"] for r in rows]
        style = "-" if int(window) == curve["default_window"] else ("--" if int(window) < curve["default_window"] else ":")
        top.plot(x, [r["synth_detection_en"] for r in rows], "C0" + style, label=f"synth en, window {window}")
        top.plot(x, [r["real_alexa_detection"] for r in rows], "C1" + style, label=f"real alexa, window {window}")
        bottom.plot(x, [r["negative_false_fires"] for r in rows], "C2" + style,
                    label=f"{curve['negative_minutes']:.0f} min negatives, window {window}")
        bottom.plot(x, [r["real_other_false_fires"] for r in rows], "C3" + style, label=f"real other, window {window}")
    for ax in (top, bottom):
        ax.axvline(curve["default_cutoff"], color="grey", lw=0.8)
        ax.legend(fontsize=7)
    top.axhline(0.95, color="C0", lw=0.5)
    top.axhline(0.98, color="C1", lw=0.5)
    top.set_ylabel("detection rate")
    bottom.set_ylabel("false fires")
    bottom.set_xlabel("micro 'alexa' probability cutoff (on the sliding-window mean)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    console.print(f"wrote {path}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--engines", default="micro,open,either")
    ap.add_argument("--sweep", action="store_true", help="sweep the micro cutoff instead of measuring engines")
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    engines = args.engines.split(",")
    # Engines measured in earlier runs are kept (each entry records its own negative minutes).
    results: dict = json.loads(OUT.read_text()) if OUT.exists() else {"engines": {}}
    with console.status("synthesising the wake set"):
        wakes = wake_set()
    real_alexa = sorted((REAL / "alexa").glob("*.flac")) if REAL.is_dir() else []
    real_other = sorted((REAL / "other").glob("*.flac")) if REAL.is_dir() else []
    with console.status(f"building {args.minutes:.0f} min of non-wake speech and noise"):
        negative = negative_stream(args.minutes, rng)
    pad = lambda a: synth.concat([0.5, a, 0.5])  # noqa: E731
    real_alexa_audio = [pad(load_audio(p)) for p in real_alexa]
    real_other_audio = [pad(load_audio(p)) for p in real_other]
    if args.sweep:
        results["micro_cutoff_sweep"] = sweep(wakes, real_alexa_audio, real_other_audio, negative, args.minutes)
        OUT.write_text(json.dumps(results, indent=2))
        console.print(f"wrote {OUT}")
        plot(results["micro_cutoff_sweep"], OUT.with_name("speech_wake_sweep.png"))
        return
    for engine in engines:
        settings = Settings.load(wake_engine=engine)
        det = get_wake_detector(settings)
        res: dict = {}
        with Progress(console=console) as progress:
            total = sum(map(len, wakes.values())) + len(real_alexa_audio) + len(real_other_audio)
            task = progress.add_task(f"{engine}: clips", total=total)
            for lang, clips in wakes.items():
                hits = 0
                for clip in clips:
                    hits += det.detect(clip).fired
                    progress.advance(task)
                res[f"synth_detection_{lang}"] = round(hits / len(clips), 3)
                res[f"synth_clips_{lang}"] = len(clips)
            hits = 0
            for clip in real_alexa_audio:
                hits += det.detect(clip).fired
                progress.advance(task)
            res["real_alexa_detection"] = round(hits / max(1, len(real_alexa_audio)), 3)
            res["real_alexa_clips"] = len(real_alexa_audio)
            fires = 0
            for clip in real_other_audio:
                fires += det.detect(clip).fired
                progress.advance(task)
            res["real_other_false_fires"] = fires
            res["real_other_clips"] = len(real_other_audio)
        with console.status(f"{engine}: streaming {args.minutes:.0f} min of non-wake audio"):
            fires, seconds = count_fires(settings, negative)
        res["negative_false_fires"] = fires
        res["false_accepts_per_hour"] = round(fires / (negative.duration / 3600), 3)
        res["rtf"] = round(seconds / negative.duration, 5)
        res["negative_minutes"] = args.minutes
        results["engines"][engine] = res
        console.print(engine, res)
    OUT.write_text(json.dumps(results, indent=2))
    console.print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

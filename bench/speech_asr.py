"""ASR quality and our overhead: WER per language and engine, and transcribe vs faster-whisper direct.

Run by hand: .venv/bin/python bench/speech_asr.py
Writes bench/results/speech_asr.json. The overhead anchor is faster-whisper's own
WhisperModel.transcribe on the same files with the same options, interleaved in the
same run (so load from other processes hits both alike).
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from pathlib import Path

import jiwer
from rich.console import Console
from rich.progress import track

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speech_testset import items  # noqa: E402

from ecoute.audio import synth  # noqa: E402
from ecoute.audio.io import load_audio  # noqa: E402
from ecoute.config import Settings  # noqa: E402
from ecoute.speech import models  # noqa: E402
from ecoute.speech.asr import get_asr  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "speech_asr.json"
console = Console()
#: Whisper writes numbers and units the way people write them; the voices spoke words.
_NUM = {"en": {"12": "twelve", "7": "seven", "10": "ten", "30": "thirty", "7:30": "seven thirty", "km": "kilometers"},
        "fr": {"12": "douze", "7": "sept", "10": "dix", "30": "trente", "km": "kilomètres"},
        "de": {"12": "zwölf", "7": "sieben", "10": "zehn", "30": "dreißig", "km": "kilometer"}}


def norm(text: str, lang: str) -> str:
    """Lower case, digits back to the words the voices spoke, no punctuation."""
    text = text.lower()
    for digits, words in sorted(_NUM[lang].items(), key=lambda kv: -len(kv[0])):
        text = re.sub(rf"\b{re.escape(digits)}\b", words, text)
    text = re.sub(r"[^\w' -]", " ", text).replace("-", " ")
    return " ".join(text.split())


def wer(refs: list[str], hyps: list[str]) -> float:
    return round(jiwer.wer(refs, [h if h else "<empty>" for h in hyps]), 3)


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="", help="e.g. faster-whisper:tiny.en/en (WER runs to repeat)")
    ap.add_argument("--no-overhead", action="store_true")
    ap.add_argument("--files", type=int, default=40, help="files in the overhead comparison")
    ap.add_argument("--every", type=int, default=1, help="WER on every N-th voice only")
    ap.add_argument("--beams", default="", help="e.g. 1,5: tiny.en/en WER and decode time per beam size, "
                    "interleaved per utterance on the same audio (implies --only faster-whisper:tiny.en/en)")
    args = ap.parse_args()
    if args.beams:
        return compare_beams([int(b) for b in args.beams.split(",")], args.every)
    settings = Settings.load()
    if OUT.exists() and args.only:  # refresh some figures, keep the others
        previous = json.loads(OUT.read_text())
    else:
        previous = {}
    data = items()
    results: dict = {"utterances": len(data), "wer": dict(previous.get("wer", {}))}
    if "overhead" in previous:
        results["overhead"] = previous["overhead"]
    runs = [("faster-whisper:tiny.en", "en", settings), ("faster-whisper:base", "en", settings),
            ("faster-whisper:base", "fr", settings), ("faster-whisper:base", "de", settings),
            ("pocketsphinx", "en", settings.replace(asr_engine="pocketsphinx"))]
    if args.only:
        runs = [r for r in runs if f"{r[0]}/{r[1]}" in args.only.split(",")]
    for name, lang, cfg in runs:
        voices = {v.label for v in synth.VOICES[lang][:: args.every]}
        subset = [it for it in data if it.language == lang and it.voice.label in voices]
        engine = get_asr(cfg, lang) if name != "faster-whisper:base" or lang != "en" else get_asr(cfg, "fr")
        refs, hyps = [], []
        for it in track(subset, description=f"{name} {lang}", console=console):
            audio = load_audio(synth.speak(it.text, it.voice, lang=lang))
            refs.append(norm(it.text, lang))
            hyps.append(norm(engine.transcribe(audio, lang).text, lang))
        worst = sorted(zip(refs, hyps), key=lambda rh: -jiwer.wer(rh[0], rh[1] or "<empty>"))[:5]
        results["wer"][f"{name}/{lang}"] = {"wer": wer(refs, hyps), "utterances": len(subset),
                                            "worst": [f"{r} | {h}" for r, h in worst]}
        console.print(name, lang, results["wer"][f"{name}/{lang}"])

    if args.no_overhead:
        OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False))
        return
    # Overhead: our whole path (decode file, resample, transcribe) vs faster-whisper direct on the path.
    from faster_whisper import WhisperModel

    ours = get_asr(settings, "en")
    direct = WhisperModel(str(models.tiny_en_dir()), device="cpu", compute_type="int8")
    files = [synth.wake_and_request(it.text, it.voice) for it in data if it.language == "en"][: args.files]
    paths = []
    for i, audio in enumerate(files):
        p = Path("/tmp") / f"ecoute-bench-asr-{i}.wav"
        from ecoute.audio.io import write_wav

        write_wav(p, audio)
        paths.append(p)
    opts = dict(language="en", beam_size=settings.speech.asr_beam_size, temperature=0.0, word_timestamps=True,
                condition_on_previous_text=False, vad_filter=False)
    t_ours, t_direct, seconds = [], [], 0.0
    for p in paths[:2]:  # warm both
        ours.transcribe(load_audio(p)), list(direct.transcribe(str(p), **opts)[0])
    for rep in range(2):
        for p in track(paths, description=f"overhead pass {rep + 1}", console=console):
            a = time.perf_counter()
            list(direct.transcribe(str(p), **opts)[0])
            b = time.perf_counter()
            ours.transcribe(load_audio(p, max_seconds=settings.speech.max_audio_seconds))
            c = time.perf_counter()
            t_direct.append(b - a)
            t_ours.append(c - b)
            seconds += sf_duration(p)
    ratio = sum(t_ours) / sum(t_direct)
    results["overhead"] = {
        "load_average_1min_at_end": round(__import__("os").getloadavg()[0], 1),
        "files": len(paths), "passes": 2, "ratio_ours_over_direct": round(ratio, 3),
        "median_ratio_per_file": round(statistics.median(o / d for o, d in zip(t_ours, t_direct)), 3),
        "rtf_ours": round(sum(t_ours) / seconds, 4), "rtf_direct": round(sum(t_direct) / seconds, 4),
    }
    console.print(results["overhead"])
    OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    console.print(f"wrote {OUT}")


def compare_beams(beams: list[int], every: int) -> None:
    """WER and decode seconds of tiny.en at each beam size, same utterances, interleaved (load hits all alike)."""
    settings = Settings.load()
    voices = {v.label for v in synth.VOICES["en"][::every]}
    subset = [it for it in items(("en",)) if it.voice.label in voices]
    engines = {b: get_asr(settings.replace(asr_beam_size=b), "en") for b in beams}
    warm = load_audio(synth.speak(subset[0].text, subset[0].voice))
    for engine in engines.values():
        engine.transcribe(warm, "en")
    refs: list[str] = []
    hyps: dict[int, list[str]] = {b: [] for b in beams}
    secs: dict[int, float] = dict.fromkeys(beams, 0.0)
    for i, it in enumerate(track(subset, description=f"beams {beams}", console=console)):
        audio = load_audio(synth.speak(it.text, it.voice))
        refs.append(norm(it.text, "en"))
        order = beams if i % 2 == 0 else beams[::-1]  # alternate who goes first
        for b in order:
            t = time.perf_counter()
            hyps[b].append(norm(engines[b].transcribe(audio, "en").text, "en"))
            secs[b] += time.perf_counter() - t
    out = json.loads(OUT.read_text()) if OUT.exists() else {}
    base = beams[0]
    out["beam_comparison"] = {
        "model": "tiny.en", "language": "en", "utterances": len(subset),
        "load_average_1min_at_end": round(__import__("os").getloadavg()[0], 1),
        **{f"beam_{b}": {"wer": wer(refs, hyps[b]), "decode_s": round(secs[b], 2),
                         f"time_ratio_to_beam_{base}": round(secs[b] / secs[base], 3),
                         "worst": [f"{r} | {h}" for r, h in sorted(zip(refs, hyps[b]),
                                   key=lambda rh: -jiwer.wer(rh[0], rh[1] or "<empty>"))[:5]]}
           for b in beams},
    }
    console.print(out["beam_comparison"])
    OUT.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    console.print(f"wrote {OUT}")


def sf_duration(path: Path) -> float:
    import soundfile as sf

    return sf.info(str(path)).duration


if __name__ == "__main__":
    main()

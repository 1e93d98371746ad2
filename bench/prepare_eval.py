"""Audio side of review preparation, on spoken PII clips synthesised with known word timing.

Each clip is spoken in pieces by one voice: the words before the entity, then *each word
of the entity on its own*, then the rest, joined with short pauses. So we know exactly
where every entity word is in the audio, without trusting the ASR we are evaluating.
Then ``prepare_clip`` runs as in production (ASR → redact → bleep → disguise) and we measure:

- coverage: the fraction of entity words whose audio is entirely inside a bleep (target ≥ 0.95);
- leakage: ASR on the prepared clip recovers the entity (its digits, or any of its content
  words) — target 0 of N;
- cost to reviewers: the share of the audio masked, and the word error rate of the ASR on the
  prepared clip against the words said around the entity (``non_entity_wer_prepared``), next to
  the same with exactly the entity's audio silenced and nothing else (``non_entity_wer_exact_mask``);
  WER counts the ASR's hallucinated loops as insertions, so the share of those words it heard
  (``non_entity_words_heard_*``) is given too;
- throughput: prepared seconds of audio per CPU second, and the ASR's share of that CPU time
  (anchor: the ASR call alone, measured in the same run).

    .venv/bin/python bench/prepare_eval.py [--clips 36]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import track

from ecoute.audio.io import Audio, load_audio
from ecoute.audio.synth import VOICES, Voice, speak
from ecoute.config import Settings
from ecoute.privacy.bleep import entity_times, words_to_text
from ecoute.privacy.pii.numbers import normalise_numbers
from ecoute.privacy.prepare import prepare_clip
from ecoute.speech.asr import get_asr

DATA = Path(__file__).parent / "data" / "pii_sentences.jsonl"
OUT = Path(__file__).parent / "results" / "prepare_eval.json"
TYPES = ("CARD_NUMBER", "PHONE_NUMBER", "EMAIL_ADDRESS", "SECRET", "PERSON", "ADDRESS", "IBAN", "NATIONAL_ID",
         "DATE_OF_BIRTH")
GAP = 0.06
MARGINS = (0.0, 0.08, 0.15, 0.25, 0.35, 0.5)
#: Words that carry nothing about the entity (checked for leakage only if they are not these).
_CONNECTORS = {"dot", "at", "uh", "um", "er", "the", "of", "and", "double", "oh", "underscore", "street", "road",
               "avenue", "lane", "drive", "boulevard"}


def trim(samples: np.ndarray, floor: float = 0.01) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples) > floor)
    return samples[loud[0]:loud[-1] + 1] if loud.size else samples


def build_clip(text: str, ent: dict, voice: Voice) -> tuple[Audio, list[tuple[float, float]], str]:
    """The clip, each entity word's [start, end] in seconds, and the entity text."""
    rate = 16000
    before, value, after = text[:ent["start"]], text[ent["start"]:ent["end"]], text[ent["end"]:]
    chunks: list[np.ndarray] = [np.zeros(int(0.3 * rate), np.float32)]
    spans = []
    pos = len(chunks[0])
    for piece in filter(None, [before.strip()]):
        s = trim(load_audio(speak(piece, voice)).samples)
        chunks += [s, np.zeros(int(GAP * rate), np.float32)]
        pos += len(s) + int(GAP * rate)
    for word in re.findall(r"[\w'@.-]+", value):
        s = trim(load_audio(speak(word, voice)).samples)
        spans.append((pos / rate, (pos + len(s)) / rate))
        chunks += [s, np.zeros(int(GAP * rate), np.float32)]
        pos += len(s) + int(GAP * rate)
    if after.strip():
        chunks.append(trim(load_audio(speak(after.strip(), voice)).samples))
    chunks.append(np.zeros(int(0.3 * rate), np.float32))
    return Audio(np.concatenate(chunks).astype(np.float32), rate), spans, value


def leaked(value: str, etype: str, heard: str) -> bool:
    digits = re.sub(r"\D", "", normalise_numbers(value, "en").text)
    heard_digits = re.sub(r"\D", "", normalise_numbers(heard, "en").text)
    if len(digits) >= 4:
        # any run of 4 consecutive entity digits heard is a leak
        return any(digits[i:i + 4] in heard_digits for i in range(len(digits) - 3))
    words = {w.lower() for w in re.findall(r"[^\W\d_]{3,}", value)} - _CONNECTORS
    heard_words = {w.lower() for w in re.findall(r"[^\W\d_]+", heard)}
    return bool(words & heard_words)


def _wer_words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", normalise_numbers(text, "en").text.lower())


def _align(ref: list[str], hyp: list[str]) -> tuple[int, int]:
    """Word edit distance (substitutions, deletions, insertions) and the reference words matched."""
    row = [(j, 0) for j in range(len(hyp) + 1)]
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], (i, 0)
        for j, h in enumerate(hyp, 1):
            diag = (prev[0], prev[1] - 1) if r == h else (prev[0] + 1, prev[1])
            prev, row[j] = row[j], min((row[j][0] + 1, row[j][1]), (row[j - 1][0] + 1, row[j - 1][1]), diag)
    return row[-1][0], -row[-1][1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=36)
    ap.add_argument("--disguise", default="disguised")
    args = ap.parse_args()
    console = Console()
    settings = Settings.load(language="en")
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    per_type = max(1, args.clips // len(TYPES))
    picked = []
    for t in TYPES:
        picked += [r for r in rows if r["lang"] == "en" and len(r["entities"]) == 1
                   and r["entities"][0]["type"] == t][:per_type]
    voices = [v for v in VOICES["en"] if v.name != "kal16"]
    asr = get_asr(settings, "en")
    asr.transcribe(Audio(np.zeros(16000, np.float32)), "en")  # load the model outside the timing
    rng = np.random.default_rng(0)

    words_total = words_covered = words_covered_20ms = 0
    leaks, clips = [], []
    sweep = {m: 0 for m in MARGINS}
    sweep_detected = {m: 0 for m in MARGINS}
    words_detected = 0
    masked_s = {m: 0.0 for m in MARGINS}
    cpu_asr = cpu_rest = audio_s = 0.0
    wer_ref = wer_err_after = wer_err_oracle = wer_hit_after = wer_hit_oracle = 0
    masked_total = 0.0
    audio_only: dict[str, int] = {}
    for i, row in enumerate(track(picked, description="preparing clips", console=console)):
        ent = row["entities"][0]
        voice = voices[i % len(voices)]
        audio, spans, value = build_clip(row["text"], ent, voice)
        t0 = time.process_time()
        transcript = asr.transcribe(audio, "en")
        t1 = time.process_time()
        clip = prepare_clip(audio, settings, language="en", transcript=transcript,
                            disguise_method=args.disguise, rng=rng)
        t2 = time.process_time()
        cpu_asr += t1 - t0
        cpu_rest += t2 - t1
        audio_s += audio.duration
        covered = [any(bs <= s and e <= be for bs, be in clip.bleeped) for s, e in spans]
        covered20 = [any(bs - 0.02 <= s and e <= be + 0.02 for bs, be in clip.bleeped) for s, e in spans]
        wt = words_to_text(transcript.words)
        # "detected": the text step found something where the entity was said (the bleep's own job)
        detected = any(any(bs < e and s < be for s, e in spans) for bs, be in clip.bleeped)
        words_detected += len(spans) if detected else 0
        for m in MARGINS:
            alt = entity_times(transcript.words, wt.spans, [(e.start, e.end) for e in clip.entities], margin=m,
                               margin_after=settings.policy.bleep_margin_after_s, duration=audio.duration, to_edges=True)
            hit = sum(any(bs <= s and e <= be for bs, be in alt) for s, e in spans)
            sweep[m] += hit
            if detected:
                sweep_detected[m] += hit
            masked_s[m] += sum(be - bs for bs, be in alt)
        masked_total += sum(be - bs for bs, be in clip.bleeped)
        for e in clip.entities:
            if e.type in ("NUMBER", "UNCLEAR", "EMAIL_ADDRESS") and e.score == 0.5:
                audio_only[e.type] = audio_only.get(e.type, 0) + 1
        words_total += len(spans)
        words_covered += sum(covered)
        words_covered_20ms += sum(covered20)
        heard = asr.transcribe(clip.audio, "en").text
        # what the reviewer loses: WER of the words around the entity, on the prepared clip and
        # (for reference) on the original audio through the same ASR
        ref = _wer_words(row["text"][:ent["start"]] + " " + row["text"][ent["end"]:])
        wer_ref += len(ref)
        err, hit = _align(ref, _wer_words(heard))
        wer_err_after += err
        wer_hit_after += hit
        oracle = audio.samples.copy()  # the entity words, and only them, silenced exactly
        oracle[int(spans[0][0] * audio.rate):int(spans[-1][1] * audio.rate)] = 0.0
        err, hit = _align(ref, _wer_words(asr.transcribe(Audio(oracle, audio.rate), "en").text))
        wer_err_oracle += err
        wer_hit_oracle += hit
        leak = leaked(value, ent["type"], heard)
        if leak:
            leaks.append({"id": row["id"], "type": ent["type"], "voice": voice.label})
        clips.append({"id": row["id"], "type": ent["type"], "voice": voice.label, "words": len(spans),
                      "covered": int(sum(covered)), "found_types": [e.type for e in clip.entities],
                      "asr": transcript.text, "redacted": clip.transcript, "heard_after": heard,
                      "leaked": leak})

    by_type = {}
    for c in clips:
        st = by_type.setdefault(c["type"], {"clips": 0, "words": 0, "covered": 0, "leaked": 0})
        st["clips"] += 1
        st["words"] += c["words"]
        st["covered"] += c["covered"]
        st["leaked"] += int(c["leaked"])
    result = {
        "clips": len(clips), "disguise": args.disguise, "asr": asr.name,
        "entity_words": words_total,
        "coverage": round(words_covered / words_total, 3),
        "coverage_within_20ms": round(words_covered_20ms / words_total, 3),
        "bleep_margin_s": settings.policy.bleep_margin_s,
        "coverage_by_margin": {str(m): round(sweep[m] / words_total, 3) for m in MARGINS},
        "entity_words_in_detected_clips": words_detected,
        "coverage_given_detection_by_margin": {str(m): round(sweep_detected[m] / max(1, words_detected), 3)
                                               for m in MARGINS},
        "masked_share_of_audio_by_margin": {str(m): round(masked_s[m] / audio_s, 3) for m in MARGINS},
        "bleep_margin_after_s": settings.policy.bleep_margin_after_s,
        "masked_share_of_audio": round(masked_total / audio_s, 3),
        "non_entity_wer_prepared": round(wer_err_after / wer_ref, 3),
        "non_entity_wer_exact_mask": round(wer_err_oracle / wer_ref, 3),
        "non_entity_words_heard_prepared": round(wer_hit_after / wer_ref, 3),
        "non_entity_words_heard_exact_mask": round(wer_hit_oracle / wer_ref, 3),
        "non_entity_words": wer_ref,
        "audio_only_types": dict(sorted(audio_only.items())),
        "asr_recovers_entity": f"{len(leaks)} of {len(clips)}",
        "leaks": leaks,
        "by_type": by_type,
        "throughput_audio_s_per_cpu_s": round(audio_s / (cpu_asr + cpu_rest), 2),
        "asr_share_of_cpu": round(cpu_asr / (cpu_asr + cpu_rest), 3),
        "ratio_prepare_vs_asr_alone_cpu": round((cpu_asr + cpu_rest) / cpu_asr, 2),
        "audio_seconds": round(audio_s, 1),
        "clip_details": clips,
    }
    console.print({k: v for k, v in result.items() if k not in ("clip_details",)})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()

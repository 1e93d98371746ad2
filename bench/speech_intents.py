"""Intent accuracy per language: from the reference text, and from audio through a full turn.

Run by hand: .venv/bin/python bench/speech_intents.py [--languages en,fr,de]
Writes bench/results/speech_intents.json. From audio, a turn counts as correct only
when the wake word fired, the turn was not discarded, and intent and slots both match.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import track

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speech_testset import REQUESTS, items  # noqa: E402

from ecoute.assistant.intents import recognize  # noqa: E402
from ecoute.assistant.pipeline import Stage  # noqa: E402
from ecoute.assistant.pipeline.runner import RunOptions, run  # noqa: E402
from ecoute.audio import synth  # noqa: E402
from ecoute.config import Settings  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "speech_intents.json"
console = Console()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--languages", default="en,fr,de")
    ap.add_argument("--every", type=int, default=1, help="use every N-th voice per language (1: all)")
    args = ap.parse_args()
    langs = tuple(args.languages.split(","))
    settings = Settings.load()
    results: dict = {"from_text": {}, "from_audio": {}}
    for lang in langs:
        ok = sum(1 for text, intent, slots in REQUESTS[lang]
                 if (m := recognize(text, lang)) is not None and (m.intent, m.slots) == (intent, slots))
        results["from_text"][lang] = {"accuracy": round(ok / len(REQUESTS[lang]), 3), "sentences": len(REQUESTS[lang])}
    console.print("from text", results["from_text"])
    for lang in langs:
        subset = items((lang,))
        if args.every > 1:
            keep = {v.label for v in synth.VOICES[lang][:: args.every]}
            subset = [it for it in subset if it.voice.label in keep]
        outcome: Counter = Counter()
        for it in track(subset, description=f"turns {lang}", console=console):
            r = run(synth.wake_and_request(it.text, it.voice, lang=lang), settings, end=Stage.SKILL,
                    options=RunOptions(language=lang))
            if not r.wake:
                outcome["no_wake"] += 1
            elif r.false_activation:
                outcome["discarded"] += 1
            elif (r.intent, r.slots) == (it.intent, it.slots):
                outcome["correct"] += 1
            elif r.intent == it.intent:
                outcome["wrong_slots"] += 1
            else:
                outcome["wrong_intent"] += 1
        woken = len(subset) - outcome["no_wake"]
        results["from_audio"][lang] = {
            "utterances": len(subset), "accuracy": round(outcome["correct"] / len(subset), 3),
            "accuracy_given_wake": round(outcome["correct"] / woken, 3) if woken else None,
            **dict(outcome),
        }
        console.print(lang, results["from_audio"][lang])
    OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    console.print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

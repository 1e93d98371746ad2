"""ASR word error rate before/after domain vocabulary (faster-whisper tiny.en, English).

Requests to add unusual shopping items ("quinoa", "halloumi", "sriracha"...) are spoken by
synthetic voices. The *training* half (five espeak-ng voices) is transcribed without any
vocabulary and "reviewed" — the corrected transcript is what was said, the item is the
slot — and :func:`ecoute.improve.vocabulary.build_vocabulary` derives the vocabulary from it.
Each training voice is one owner (a store in a temporary directory holds their reviewed
tasks), so every item is said by five distinct owners: the k = 5 rule is met, as it must be.
The *held-out* half (other voices: flite and espeak-ng, other phrasings) is transcribed
without vocabulary (the anchor), with it as ``initial_prompt``, as ``hotwords``, and both.

Reports WER and the share of requests whose item came out right, with ratios to the anchor.
Writes bench/results/improve_vocabulary.json and .png.
Run: .venv/bin/python bench/improve_vocabulary.py
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from ecoute.audio.io import load_audio
from ecoute.audio.synth import VOICES, speak
from ecoute.config import Settings
from ecoute.improve.datasets import Example
from ecoute.improve.household import Request, gold_check, neighbours, reviewed_task, reviewer
from ecoute.improve.metrics import normalise_for_wer, wer
from ecoute.improve.vocabulary import Vocabulary, build_vocabulary
from ecoute.speech.asr import get_asr
from ecoute.store.store import Store

RESULTS = Path(__file__).parent / "results"
ITEMS = ["quinoa", "tahini", "kombucha", "sriracha", "edamame", "halloumi", "gnocchi", "chorizo",
         "kimchi", "prosciutto", "couscous", "hummus"]
TRAIN_PHRASES = ["add {} to my shopping list", "put {} on the shopping list"]
TEST_PHRASES = ["we are out of {}", "I need to buy {}"]


def main() -> None:
    console = Console()
    settings = Settings.load()
    asr = get_asr(settings, "en")
    voices = VOICES["en"]
    train_voices, test_voices = voices[:5], voices[5:] + [voices[0]]
    train = [(p.format(i), i, v) for v in train_voices for n, i in enumerate(ITEMS)
             for p in [TRAIN_PHRASES[n % 2]]]
    test = [(p.format(i), i, v) for v in test_voices for n, i in enumerate(ITEMS) for p in [TEST_PHRASES[n % 2]]]
    variants = {"none (anchor)": {}, "initial_prompt": None, "hotwords": None, "both": None}
    out: dict[str, dict] = {}
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("train half (no vocabulary)", total=len(train))
        heard_by_voice = []
        for text, item, voice in train:
            heard_by_voice.append((text, item, voice, asr.transcribe(load_audio(speak(text, voice)), language="en").text))
            progress.advance(task)
        examples, vocab = _reviewed_vocabulary(settings, heard_by_voice, train_voices)
        variants["initial_prompt"] = {"initial_prompt": vocab.initial_prompt}
        variants["hotwords"] = {"hotwords": vocab.hotwords}
        variants["both"] = {"initial_prompt": vocab.initial_prompt, "hotwords": vocab.hotwords}
        audio = [load_audio(speak(text, voice)) for text, _, voice in test]
        for name, options in variants.items():
            task = progress.add_task(f"held-out: {name}", total=len(test))
            hyps, start = [], time.perf_counter()
            for clip in audio:
                hyps.append(asr.transcribe(clip, language="en", **options).text)
                progress.advance(task)
            seconds = time.perf_counter() - start
            refs = [t for t, _, _ in test]
            items_ok = sum(1 for (_, item, _), h in zip(test, hyps) if item in normalise_for_wer(h).split())
            out[name] = {"wer": wer(refs, hyps), "items_right": items_ok / len(test), "seconds": seconds,
                         "examples": [{"said": r, "heard": h} for r, h in list(zip(refs, hyps))[:6]]}
    anchor = out["none (anchor)"]
    table = Table(title=f"tiny.en on {len(test)} held-out requests; vocabulary of {len(vocab.words)} words "
                        f"from {len(train)} reviewed ones")
    for col in ("vocabulary", "WER", "× anchor", "items right", "time × anchor"):
        table.add_column(col, justify="right")
    for name, r in out.items():
        r["ratio_wer"] = r["wer"] / anchor["wer"] if anchor["wer"] else None
        r["ratio_time"] = r["seconds"] / anchor["seconds"]
        table.add_row(name, f"{r['wer']:.3f}", "-" if r["ratio_wer"] is None else f"{r['ratio_wer']:.2f}",
                      f"{r['items_right']:.2f}", f"{r['ratio_time']:.2f}")
    console.print(table)
    console.print(f"vocabulary: {vocab.initial_prompt}")
    train_wer = wer([e.transcript for e in examples], [e.asr_transcript or "" for e in examples])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "improve_vocabulary.json").write_text(json.dumps(
        {"vocabulary": vocab.words, "train_wer_without_vocabulary": train_wer, "held_out": out,
         "model": settings.speech.asr_model_en, "n_train": len(train), "n_test": len(test)}, indent=1))
    _plot(out, RESULTS / "improve_vocabulary.png")


def _reviewed_vocabulary(settings: Settings, heard: list[tuple[str, str, object, str]],
                         voices: list) -> tuple[list[Example], Vocabulary]:
    """Reviewed tasks in a throwaway store, one owner per voice; the vocabulary at k = 5 owners."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(settings.replace(data_dir=Path(tmp), database_url=""))
        try:
            with store.vault_session() as (session, vault):
                owners = neighbours(session, vault, store.settings, len(voices))
                staff = reviewer(session, "bench@review.invalid")
                gold_check(session, staff)
                examples = []
                for text, item, voice, asr_text in heard:
                    slots = {"shopping_list_item": item}
                    task = reviewed_task(session, vault, owner_id=owners[voices.index(voice)], reviewers=[staff],
                                         request=Request("en", text, "HassShoppingListAddItem", slots),
                                         asr_text=asr_text)
                    examples.append(Example(task.id, "en", "HassShoppingListAddItem", text, asr_text, slots))
                return examples, build_vocabulary(session, examples, "en", min_owners=5)
        finally:
            store.close()


def _plot(out: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(out)
    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    axes[0].bar(names, [out[n]["wer"] for n in names], color="#48a")
    axes[0].set_title("WER (held out)")
    axes[1].bar(names, [out[n]["items_right"] for n in names], color="#4a8")
    axes[1].set_title("share of items heard right")
    axes[1].set_ylim(0, 1)
    for ax in axes:
        ax.tick_params(axis="x", labelrotation=20, labelsize="small")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    main()

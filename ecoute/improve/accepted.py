"""The accepted-templates sentence file: ``<sentences dir>/<lang>/improve_accepted.yaml``.

Regenerated from the database every time (never edited in place), so a lead's acceptance
and a withdrawal after an erasure produce it the same way. The assistant's intents module
loads it after its own files; the intent cache is cleared after each write so the next
request is recognised with exactly what it holds. Kept apart from the proposal logic so
that the deletion path (:mod:`ecoute.improve.withdrawal`) can rewrite it without importing
datasets or the recogniser checks.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import yaml
from hassil.util import merge_dict
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.assistant import intents as assistant_intents
from ecoute.config import Settings
from ecoute.store.schema.datasets import TemplateProposal

ACCEPTED_FILE = "improve_accepted.yaml"


def extra_dir(settings: Settings) -> Path:
    """Where accepted templates go: the assistant's extra sentence directory (created if unset)."""
    return settings.store.sentences_dir


def sentence_files(settings: Settings, language: str) -> list[Path]:
    return assistant_intents.sentence_files(language, extra_dir(settings))


def reload_assistant() -> None:
    """Forget compiled intents so the next request sees newly written sentence files."""
    assistant_intents.load_intents.cache_clear()


@lru_cache(maxsize=8)
def base_dict(files: tuple[str, ...]) -> dict:
    merged: dict = {}
    for path in files:
        merge_dict(merged, yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
    return merged


def _list_for(kind: str) -> dict:
    # A slot no loaded file defines (a new intent): numbers as a range, anything else free text.
    return {"range": {"from": 0, "to": 100000}} if kind == "number" else {"wildcard": True}


def missing_lists(defined: dict, types: dict[str, str]) -> dict:
    return {name: _list_for(kind) for name, kind in types.items() if name not in defined}


def write_accepted(session: Session, settings: Settings, language: str) -> Path:
    """Regenerate ``<extra>/<lang>/improve_accepted.yaml`` from every accepted proposal (idempotent)."""
    accepted = session.execute(select(TemplateProposal).where(
        TemplateProposal.language == language, TemplateProposal.status == "accepted"
    ).order_by(TemplateProposal.intent, TemplateProposal.template)).scalars().all()
    by_intent: dict[str, list[str]] = defaultdict(list)
    types: dict[str, str] = {}
    for p in accepted:
        by_intent[p.intent].append(p.template)
        types.update(p.slot_types or {})
    doc: dict = {"language": language,
                 "intents": {intent: {"data": [{"sentences": sentences}]} for intent, sentences in by_intent.items()}}
    others = [f for f in sentence_files(settings, language) if f.name != ACCEPTED_FILE]
    defined = base_dict(tuple(str(f) for f in others)).get("lists", {})
    used = {name: kind for name, kind in types.items()
            if any("{" + name + "}" in t for ts in by_intent.values() for t in ts)}
    if lists := missing_lists(defined, used):
        doc["lists"] = lists
    folder = extra_dir(settings) / language
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ACCEPTED_FILE
    tmp = path.with_suffix(".yaml.tmp")
    header = "# Written by the learning loop (ecoute improve): templates accepted by a review lead.\n"
    tmp.write_text(header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
    base_dict.cache_clear()
    reload_assistant()
    return path

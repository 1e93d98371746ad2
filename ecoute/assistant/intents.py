"""Intent recognition from text with hassil, over our own sentence files.

Sentences live in ``sentences/<lang>/*.yaml`` (home-assistant-intents style: intent
names like ``HassStartTimer``, slots like ``timer_minutes``). Extra files from
``settings.extra_sentences_dir/<lang>/`` are merged on top, so templates accepted by
the review loop extend the assistant without code changes. Intents are compiled once
per (language, extra dir).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from hassil import Intents, recognize_best
from hassil.intents import RangeSlotList, SlotList

from ecoute.errors import BadInput

SENTENCES_DIR = Path(__file__).parent / "sentences"
LANGUAGES = ("en", "fr", "de")


@dataclass
class IntentMatch:
    intent: str
    slots: dict = field(default_factory=dict)
    text: str = ""
    language: str = "en"
    #: 1.0 for a full template match; lower when wildcards carried part of the text.
    confidence: float = 1.0

    def to_json(self) -> dict:
        return {"intent": self.intent, "slots": self.slots, "confidence": self.confidence}


def sentence_files(language: str, extra_dir: str | Path | None = None) -> list[Path]:
    """Our files for ``language`` first (the one starting with _ holds shared lists), then extras."""
    if language not in LANGUAGES:
        raise BadInput(f"no sentences for language {language!r}; choose one of {', '.join(LANGUAGES)}")
    files = sorted((SENTENCES_DIR / language).glob("*.yaml"))
    if extra_dir:
        files += sorted((Path(extra_dir) / language).glob("*.yaml"))
    return files


@lru_cache(maxsize=16)
def load_intents(language: str, extra_dir: str = "") -> Intents:
    intents = Intents.from_files(sentence_files(language, extra_dir or None))
    _warm(intents, language)
    return intents


def _warm(intents: Intents, language: str) -> None:
    """Build the number-word tables of every range list now, not during someone's request.

    hassil builds them lazily (unicode-rbnf, ~0.5 s per language) the first time a range
    slot meets a word instead of digits; a one-template-per-list grammar forces that here.
    """
    ranges: dict[str, SlotList] = {name: lst for name, lst in intents.slot_lists.items()
                                   if isinstance(lst, RangeSlotList)}
    if not ranges:
        return
    probe = Intents.from_dict({
        "language": language,
        "intents": {"Warm": {"data": [{"sentences": [f"{{{name}}}" for name in ranges]}]}},
    })
    recognize_best("warm", probe, slot_lists=ranges, language=language)


_NORMALISE = [
    (re.compile(r"(\d),(\d{3})\b"), r"\1\2"),  # 1,000 -> 1000
    (re.compile(r"(\d{1,2})[:h](\d{2})\b"), r"\1 \2"),  # 7:30 / 7h30 -> 7 30
    (re.compile(r"\b([ap])\.\s?m\.?", re.IGNORECASE), r"\1m"),  # a.m. -> am
    (re.compile(r"[?!.,;«»\"]+(\s|$)"), r"\1"),  # trailing punctuation from ASR
    (re.compile(r"[’`]"), "'"),
]


def normalise(text: str) -> str:
    """Undo ASR formatting that templates do not spell out (digit groups, clock times, punctuation)."""
    out = text.strip()
    for pattern, repl in _NORMALISE:
        out = pattern.sub(repl, out)
    return " ".join(out.split()).lower()


def _slot_value(value: object) -> object:
    # hassil gives 5.0 for "5" and 5 for "five": one type for skills.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value.strip() if isinstance(value, str) else value


def recognize(text: str, language: str, *, extra_dir: str | Path | None = None) -> IntentMatch | None:
    """The best intent for ``text`` in ``language``, or None when no template matches."""
    clean = normalise(text)
    if not clean:
        return None
    intents = load_intents(language, str(extra_dir or ""))
    result = recognize_best(clean, intents, language=language)
    if result is None:
        return None
    slots = {name: _slot_value(ent.value) for name, ent in result.entities.items()}
    wild = sum(len(str(ent.text)) for ent in result.entities.values() if ent.is_wildcard)
    confidence = round(1.0 - 0.5 * wild / max(len(clean), 1), 3)
    return IntentMatch(result.intent.name, slots, text, language, confidence)

"""Find personal data in a transcript and replace it, keeping the type visible.

Pipeline: spoken numbers → digits (numbers.py, with an offset map) → our Presidio
analyzer on the normalised text → spans mapped back to the input → overlaps resolved
(the higher score, then the longer span wins) → Presidio's anonymizer replaces each
span in the *input* with ``<TYPE>``. Offsets in the result point into the input.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache

from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

from ecoute.errors import BadInput
from ecoute.privacy.pii.analyzer import LANGUAGES, analyzer
from ecoute.privacy.pii.numbers import normalise_numbers

#: Below this Presidio score a finding is dropped (our weakest evidence scores 0.55).
SCORE_THRESHOLD = 0.5
#: Words that look like names to NER but are the assistant itself.
ALLOW_LIST = ["Alexa", "alexa", "Jarvis", "Mycroft", "Nabu"]
#: Entities made of digits, which absorb neighbouring digit groups.
NUMERIC = frozenset({"CARD_NUMBER", "IBAN", "PHONE_NUMBER", "NATIONAL_ID", "SECRET", "ID_NUMBER"})
#: A piece of a number or code the ASR split off: digits ("6,000"), a letter code ("GB94", "NWBK",
#: "WbK"), possibly behind a short connector the ASR heard for a digit ("and", "for", "so").
_PIECE = r"(?:\d[\d,.]*\d|\d|(?!(?:IBAN|PIN|SSN|BIC|RIB|CVV|CVC|TAN|NIR|DOB)\b)[A-Z]{2,4}\d*|[A-Z][A-Za-z]?\d+|[A-Z][a-z][A-Z])"
_CONNECT = r"(?:and|for|so|to|oh|et|und)"
_LEFT_DIGITS = re.compile(rf"(?<![\w]){_PIECE}(?:[ \t]+{_CONNECT})?[ \t,.\-]*$")
_LEFT_HOMOPHONE = re.compile(r"(?<![\w])(?:for|four|too|oh|won|ate|double|triple)[ \t,]*$", re.IGNORECASE)
_RIGHT_DIGITS = re.compile(rf"[ \t,.\-]*(?:{_CONNECT}[ \t]+)?{_PIECE}(?![\w])")


@dataclass(frozen=True)
class Entity:
    type: str
    start: int
    end: int
    score: float

    def to_json(self) -> dict:
        d = asdict(self)
        d["score"] = round(self.score, 3)
        return d


@dataclass(frozen=True)
class RedactionResult:
    text: str
    entities: list[Entity]

    def to_json(self) -> dict:
        return {"text": self.text, "entities": [e.to_json() for e in self.entities]}


@lru_cache(maxsize=1)
def _anonymizer() -> AnonymizerEngine:
    return AnonymizerEngine()


def find_entities(text: str, language: str) -> list[Entity]:
    """Entities in ``text`` (offsets into ``text``), non-overlapping, sorted by start."""
    if language not in LANGUAGES:
        raise BadInput(f"language {language!r} is not supported (choose one of {', '.join(LANGUAGES)})")
    if not text.strip():
        return []
    norm = normalise_numbers(text, language)
    found = analyzer().analyze(norm.text, language=language, score_threshold=SCORE_THRESHOLD,
                               allow_list=ALLOW_LIST)
    mapped = []
    for r in found:
        if r.end <= r.start:
            continue
        start, end = _absorb_digits(norm.text, r.start, r.end) if r.entity_type in NUMERIC else (r.start, r.end)
        start, end = norm.to_original(start, end)
        mapped.append(Entity(r.entity_type, start, end, float(r.score)))
    return _resolve(mapped)


def _absorb_digits(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a numeric entity over number pieces next to it ("453 -<found>", "WbK 6,000 and <found>"):
    ASR splits and mishears long numbers, and a leftover piece of an IBAN is still part of it."""
    while (m := _LEFT_DIGITS.search(text, 0, start)) and m.end() == start:
        start = m.start()
    if (m := _LEFT_HOMOPHONE.search(text, 0, start)) and m.end() == start:
        start = m.start()  # "is for 1525…": the "for" was the first digit, "four"
    while m := _RIGHT_DIGITS.match(text, end):
        end = m.end()
    return start, end


def _resolve(entities: list[Entity]) -> list[Entity]:
    """Keep one of overlapping findings: the longer span first, then the higher score.

    The longer span wins because a name inside an address ("221 Baker Street") or a phone
    number inside a card number is part of the bigger entity, not a separate one.
    """
    kept: list[Entity] = []
    for e in sorted(entities, key=lambda e: (-(e.end - e.start), -e.score, e.start)):
        if all(e.end <= k.start or e.start >= k.end for k in kept):
            kept.append(e)
    return sorted(kept, key=lambda e: e.start)


def redact_text(text: str, language: str) -> RedactionResult:
    """Replace every entity in ``text`` with ``<TYPE>``; entities keep offsets into ``text``."""
    entities = find_entities(text, language)
    if not entities:
        return RedactionResult(text, [])
    results = [RecognizerResult(e.type, e.start, e.end, e.score) for e in entities]
    operators = {e.type: OperatorConfig("replace", {"new_value": f"<{e.type}>"}) for e in entities}
    out = _anonymizer().anonymize(text=text, analyzer_results=results, operators=operators)
    return RedactionResult(out.text, entities)

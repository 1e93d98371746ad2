"""Sensitive-content screen: which categories a transcript touches, why, and what policy does with it.

Reviewers in 2019 heard distress, health and banking details and could only tick a box.
Here every clip is screened *before* review with rules a person can read: lexicons per
language (ecoute/privacy/lexicons/<lang>.json), a few structural rules (an age under 18,
entities found by the PII step), and a policy from config per category. It errs on the
side of excluding: any hit counts, a category missing from the policy is excluded, and the
strictest decision among the categories found wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Protocol

from ecoute.errors import BadInput
from ecoute.privacy.pii.numbers import normalise_numbers

CATEGORIES = ("financial", "health", "sexual", "distress", "minors", "credentials")


class SensitiveDecision(StrEnum):
    """What the policy does with a clip touching a category; declared in order of strictness."""

    ALLOW = "allow"
    LEAD_ONLY = "lead_only"  # reviewed by leads only
    EXCLUDE = "exclude"  # never reviewed


DECISIONS = tuple(SensitiveDecision)  # in order of strictness
_LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
#: PII entity types that put a clip in a category on their own.
ENTITY_CATEGORIES = {"CARD_NUMBER": "financial", "IBAN": "financial", "SECRET": "credentials"}
#: "twelve years old", "j'ai 12 ans", "ist 12 Jahre alt" — an age under 18 means a minor.
_AGE = {
    "en": re.compile(r"(?<!\w)(\d{1,2})\s*(?:-|\s)?(?:years?|yrs?)(?:\s*-?\s*old)?(?!\w)|(?<!\w)aged\s+(\d{1,2})(?!\w)",
                     re.IGNORECASE),
    "fr": re.compile(r"(?<!\w)(\d{1,2})\s+ans(?!\w)", re.IGNORECASE),
    "de": re.compile(r"(?<!\w)(\d{1,2})\s+(?:jahre|jahren)(?:\s+alt)?(?!\w)", re.IGNORECASE),
}


@dataclass(frozen=True)
class Evidence:
    category: str
    match: str
    start: int
    end: int
    rule: str

    def to_json(self) -> dict:
        return {"category": self.category, "match": self.match, "start": self.start, "end": self.end,
                "rule": self.rule}


@dataclass
class ScreenResult:
    categories: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    decision: SensitiveDecision = SensitiveDecision.ALLOW

    def to_json(self) -> dict:
        return {"categories": self.categories, "decision": self.decision,
                "evidence": [e.to_json() for e in self.evidence]}


def parse_policy(spec: str) -> dict[str, SensitiveDecision]:
    """"financial=lead_only,sexual=exclude" → dict; unknown names or decisions are refused."""
    policy: dict[str, SensitiveDecision] = {}
    for item in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, decision = item.partition("=")
        name, decision = name.strip(), decision.strip()
        if not sep or name not in CATEGORIES or decision not in DECISIONS:
            raise BadInput(f"sensitive policy item {item!r}: expected <category>=<decision> with category in "
                           f"{', '.join(CATEGORIES)} and decision in {', '.join(DECISIONS)}")
        policy[name] = SensitiveDecision(decision)
    return policy


@cache
def _lexicon(lang: str) -> dict[str, re.Pattern[str]]:
    path = _LEXICON_DIR / f"{lang}.json"
    if not path.exists():
        raise BadInput(f"no sensitive-content lexicon for language {lang!r}")
    data = json.loads(path.read_text(encoding="utf-8"))
    compiled = {}
    for cat in CATEGORIES:
        alts = []
        for entry in sorted(data.get(cat, []), key=len, reverse=True):
            stem = entry.endswith("*")
            body = re.escape(entry.rstrip("*")).replace(r"\ ", r"\s+").replace("'", "['’]")
            alts.append(body + (r"[\w-]*" if stem else r"(?![\w])"))
        compiled[cat] = re.compile(r"(?<![\w])(?:" + "|".join(alts) + ")", re.IGNORECASE)
    return compiled


class EntityLike(Protocol):
    """What the screen reads of a PII finding (``privacy.pii.redact.Entity``)."""

    @property
    def type(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


def screen(text: str, language: str, entities: Sequence[EntityLike] = (), *, policy: str | dict[str, SensitiveDecision] = "") -> ScreenResult:
    """Screen ``text`` (the unredacted transcript, offsets into it) and decide by ``policy``."""
    rules = parse_policy(policy) if isinstance(policy, str) else dict(policy)
    evidence: list[Evidence] = []
    for cat, pattern in _lexicon(language).items():
        for m in pattern.finditer(text):
            evidence.append(Evidence(cat, m.group(), m.start(), m.end(), f"lexicon:{language}"))
    norm = normalise_numbers(text, language)
    for m in _AGE[language].finditer(norm.text):
        age = int(next(g for g in m.groups() if g))
        if age < 18:
            s, e = norm.to_original(m.start(), m.end())
            evidence.append(Evidence("minors", text[s:e], s, e, "age under 18"))
    for ent in entities:
        entity_category = ENTITY_CATEGORIES.get(ent.type)
        if entity_category:
            evidence.append(Evidence(entity_category, f"<{ent.type}>", ent.start, ent.end, "pii entity"))
    categories = [c for c in CATEGORIES if any(ev.category == c for ev in evidence)]
    decision = SensitiveDecision.ALLOW
    for cat in categories:
        d = rules.get(cat, SensitiveDecision.EXCLUDE)
        if DECISIONS.index(d) > DECISIONS.index(decision):
            decision = d
    evidence.sort(key=lambda ev: (ev.start, ev.category))
    return ScreenResult(categories, evidence, decision)

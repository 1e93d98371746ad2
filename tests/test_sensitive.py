"""The sensitive-content screen: categories with evidence per language, and policy decisions."""

from __future__ import annotations

import pytest

from ecoute.config import Settings
from ecoute.errors import BadInput
from ecoute.privacy.pii import redact_text
from ecoute.privacy.sensitive import parse_policy, screen

POLICY = Settings().policy.sensitive_policy

CASES = [
    ("en", "I just want to kill myself", "distress", "exclude"),
    ("en", "my daughter is nine years old", "minors", "exclude"),
    ("en", "play some porn videos", "sexual", "exclude"),
    ("en", "remind me to take my antidepressants", "health", "lead_only"),
    ("en", "what's the balance on my bank account", "financial", "lead_only"),
    ("en", "my password is sunshine", "credentials", "lead_only"),
    ("fr", "il me frappe tous les soirs", "distress", "exclude"),
    ("fr", "mon fils a douze ans", "minors", "exclude"),
    ("fr", "j'ai rendez-vous chez le médecin pour ma chimio", "health", "lead_only"),
    ("fr", "fais un virement de cent euros", "financial", "lead_only"),
    ("de", "ich will nicht mehr leben", "distress", "exclude"),
    ("de", "meine Tochter ist zehn Jahre alt", "minors", "exclude"),
    ("de", "erinnere mich an meine Tabletten", "health", "lead_only"),
    ("de", "wie ist mein Kontostand", "financial", "lead_only"),
]


@pytest.mark.parametrize(("lang", "text", "category", "decision"), CASES)
def test_screen_finds_category_with_evidence(lang: str, text: str, category: str, decision: str) -> None:
    result = screen(text, lang, policy=POLICY)
    assert category in result.categories
    assert result.decision == decision
    ev = [e for e in result.evidence if e.category == category]
    assert ev and all(text[e.start:e.end] == e.match for e in ev)


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "turn on the kitchen lights"),
    ("en", "what's the weather like tomorrow"),
    ("fr", "mets de la musique dans le salon"),
    ("de", "wie wird das Wetter morgen"),
    ("en", "I am 35 years old"),
])
def test_ordinary_requests_are_allowed(lang: str, text: str) -> None:
    result = screen(text, lang, policy=POLICY)
    assert result.categories == [] and result.decision == "allow"


def test_entities_count_as_evidence_without_leaking_values() -> None:
    text = "charge it to 4539 1488 0343 6467"
    red = redact_text(text, "en")
    result = screen(text, "en", red.entities, policy=POLICY)
    assert "financial" in result.categories
    assert all("4539" not in e.match for e in result.evidence)


def test_strictest_decision_wins_and_unlisted_category_is_excluded() -> None:
    text = "my son needs his insulin"
    assert screen(text, "en", policy="health=allow,minors=lead_only").decision == "lead_only"
    assert screen(text, "en", policy="health=allow").decision == "exclude"
    assert screen("my pills", "en", policy="health=allow").decision == "allow"


def test_bad_policy_is_refused() -> None:
    with pytest.raises(BadInput):
        parse_policy("health=maybe")
    with pytest.raises(BadInput):
        parse_policy("weather=exclude")

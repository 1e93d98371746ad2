"""What our recognizers share: a regex-driven Presidio recognizer with context look-behind."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

DIGIT_RUN = re.compile(r"(?<![\w])\d{3,}(?![\w])")
#: Hesitations between a trigger and what it introduces ("my pin is, uh, 1234").
FILLER = r"(?:(?:uh|um|er|erm|euh|heu|hum|äh|ähm|öh),?\s+)*"


def has_context(text: str, start: int, pattern: re.Pattern[str] | None, window: int = 60,
                after: int = 0) -> bool:
    """True when ``pattern`` occurs in the ``window`` characters before ``start`` (or ``after`` past it)."""
    if pattern is None:
        return False
    before = text[max(0, start - window):start]
    if pattern.search(before):
        return True
    return bool(after) and bool(pattern.search(text[start:start + after]))


def words(options: Iterable[str]) -> re.Pattern[str]:
    """A case-insensitive alternation of whole words/phrases (longest first)."""
    alts = sorted(options, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(a) for a in alts) + r")(?!\w)", re.IGNORECASE)


def stems(options: Iterable[str]) -> re.Pattern[str]:
    """Like :func:`words` but matches inside compounds ("Kreditkartennummer" for "karte")."""
    alts = sorted(options, key=len, reverse=True)
    return re.compile("|".join(re.escape(a) for a in alts), re.IGNORECASE)


class SpanRecognizer(EntityRecognizer):
    """A recognizer whose subclasses only yield ``(start, end, score, reason)`` tuples.

    Class names must not repeat Presidio's (EmailRecognizer, PhoneRecognizer, …): its
    registry finds predefined recognizers by class name among all subclasses.
    """

    ENTITY = ""
    #: Set by Presidio's constructor (untyped there); declared so its type is known here.
    name: str

    def __init__(self, lang: str, **kwargs: Any) -> None:
        self.lang = lang
        super().__init__(
            supported_entities=[self.ENTITY],
            supported_language=lang,
            name=f"{type(self).__name__}_{lang}",
            **kwargs,
        )

    def load(self) -> None:  # nothing to load: patterns are compiled at import
        pass

    def spans(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        raise NotImplementedError

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
                ) -> list[RecognizerResult]:
        if entities and self.ENTITY not in entities:
            return []
        results = []
        for start, end, score, reason in self.spans(text):
            expl = AnalysisExplanation(recognizer=self.name, original_score=score, textual_explanation=reason)
            results.append(RecognizerResult(self.ENTITY, start, end, score, analysis_explanation=expl))
        return results

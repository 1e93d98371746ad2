"""Phone numbers: ``phonenumbers`` for the country of the language, plus context fallback.

Spoken numbers become a single digit run after normalisation ("0612345678"), which
``phonenumbers`` parses for FR/DE/US. Runs of 7–15 digits after a phone word are
redacted even when they are not a valid number (an ASR slip, a foreign number).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers

from ecoute.privacy.pii.recognizers.base import SpanRecognizer, has_context, stems

REGION = {"en": "US", "fr": "FR", "de": "DE"}
_TRIGGERS = {
    "en": stems(["phone", "number", "call", "mobile", "cell", "reach me", "text me", "dial", "ring", "contact"]),
    "fr": stems(["téléphone", "numéro", "portable", "appelle", "joindre", "tel", "fixe", "compose", "contact"]),
    "de": stems(["telefon", "nummer", "handy", "ruf", "anrufen", "erreichbar", "mobil", "festnetz", "wähl", "kontakt"]),
}
_RUN = re.compile(r"(?<![\w])\+?\d(?:[ ./-]?\d){6,14}(?![\w])")


class SpokenPhoneRecognizer(SpanRecognizer):
    ENTITY = "PHONE_NUMBER"

    def spans(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        region = REGION[self.lang]
        found: list[tuple[int, int]] = []
        text_pn = re.sub(r"(?i)\b(?:plus)\s+(?=\d)", lambda m: "+" + " " * (len(m.group()) - 1), text)
        for match in phonenumbers.PhoneNumberMatcher(text_pn, region, leniency=phonenumbers.Leniency.POSSIBLE):
            valid = phonenumbers.is_valid_number(match.number)
            near = has_context(text, match.start, _TRIGGERS[self.lang])
            score = 0.9 if valid and near else 0.75 if valid else 0.6 if near else 0.4
            found.append((match.start, match.end))
            yield match.start, match.end, score, f"phonenumbers ({region}), valid={valid}"
        for m in _RUN.finditer(text_pn):
            if any(s <= m.start() < e or s < m.end() <= e for s, e in found):
                continue
            digits = re.sub(r"\D", "", m.group())
            if 7 <= len(digits) <= 15 and has_context(text, m.start(), _TRIGGERS[self.lang]):
                yield m.start(), m.end(), 0.6, "digit run after a phone word"


def build(lang: str) -> SpokenPhoneRecognizer:
    return SpokenPhoneRecognizer(lang)

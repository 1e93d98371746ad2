"""Payment card numbers: 13–19 digits passing Luhn, or a long digit run said near "card".

ASR drops or mishears a digit often enough that Luhn alone would let real card numbers
through, so a 12–19 digit run with a card word nearby is redacted even when it fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import luhn

from ecoute.privacy.pii.recognizers.base import SpanRecognizer, has_context, stems

_TRIGGERS = {
    "en": stems(["card", "visa", "mastercard", "amex", "debit", "credit"]),
    "fr": stems(["carte", "cb", "visa", "mastercard", "bancaire"]),
    "de": stems(["karte", "visa", "mastercard", "kreditkarte", "ec-"]),
}
# digits, possibly in groups of 4 separated by spaces or dashes (as written transcripts have them)
_RUN = re.compile(r"(?<![\w])\d(?:[ -]?\d){11,18}(?![\w])")


class SpokenCardRecognizer(SpanRecognizer):
    ENTITY = "CARD_NUMBER"

    def spans(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        for m in _RUN.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            near = has_context(text, m.start(), _TRIGGERS[self.lang], window=60)
            if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
                yield m.start(), m.end(), 0.95 if near else 0.85, "Luhn checksum valid"
            elif near:
                yield m.start(), m.end(), 0.7, "long digit run near a card word (checksum failed)"


def build(lang: str) -> SpokenCardRecognizer:
    return SpokenCardRecognizer(lang)

"""Any run of 7 or more digits: an account, card, phone or id number the other recognizers missed.

ASR mishears the words around a number ("my current number is" for "my card number is")
and drops or changes digits, which breaks both context and checksums. Requests to an
assistant almost never contain a 7-digit number that is not about a person, so the run
is redacted on its own, with a low score so that any typed finding wins over it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ecoute.privacy.pii.recognizers.base import SpanRecognizer

_RUN = re.compile(r"(?<![\w])\d(?:[ -]?\d){6,}(?![\w])")


class LongNumberRecognizer(SpanRecognizer):
    ENTITY = "ID_NUMBER"

    def spans(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        for m in _RUN.finditer(text):
            yield m.start(), m.end(), 0.55, "run of 7+ digits"


def build(lang: str) -> LongNumberRecognizer:
    return LongNumberRecognizer(lang)

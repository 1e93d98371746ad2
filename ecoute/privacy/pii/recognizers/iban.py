"""IBANs, written or spelled out ("F R 76 3000 …"), validated with schwifty.

After number normalisation an IBAN is two letters followed by digits (and sometimes
letters), often with spaces. A checksum failure near the word "IBAN" is still redacted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from ecoute.privacy.pii.recognizers.base import SpanRecognizer, has_context, stems

_TRIGGER = stems(["iban", "rib", "bank account", "compte", "konto", "bankverbindung", "account number"])
#: Country code (any case: ASR may lower it), check digits, then 10–30 digits or capital letters.
_CANDIDATE = re.compile(r"(?<![\w])[A-Za-z]\s?[A-Za-z]\s?\d\s?\d(?:\s?[A-Z0-9]){10,30}(?![\w])")


def _valid(compact: str) -> bool:
    try:
        IBAN(compact)
    except (SchwiftyException, ValueError):
        return False
    return True


def _longest_valid(candidate: str) -> int | None:
    """Length of the longest prefix of ``candidate`` (ending on a character) that is a valid IBAN:
    the run may have swallowed a following word or number."""
    for end in range(len(candidate), 14, -1):
        if candidate[end - 1].isspace():
            continue
        if _valid(re.sub(r"\s", "", candidate[:end]).upper()):
            return end
    return None


class SpokenIbanRecognizer(SpanRecognizer):
    ENTITY = "IBAN"

    def spans(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        for m in _CANDIDATE.finditer(text):
            compact = re.sub(r"\s", "", m.group()).upper()
            end = _longest_valid(m.group())
            if end is not None:
                yield m.start(), m.start() + end, 0.95, "IBAN checksum valid"
            elif len(compact) >= 15 and has_context(text, m.start(), _TRIGGER, window=60):
                yield m.start(), m.end(), 0.7, "IBAN-shaped run near an account word (checksum failed)"


def build(lang: str) -> SpokenIbanRecognizer:
    return SpokenIbanRecognizer(lang)

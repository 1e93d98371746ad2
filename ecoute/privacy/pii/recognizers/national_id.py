"""National identifiers with check digits: French NIR, German tax id, US SSN (python-stdnum).

Each is tried in every language (people move), validated by stdnum; a digit run of the
right length after an id word is redacted even if the check fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum.de import idnr
from stdnum.fr import nir
from stdnum.us import ssn

from ecoute.privacy.pii.recognizers.base import SpanRecognizer, has_context, stems

_TRIGGERS = {
    "en": stems(["social security", "ssn", "social", "tax id", "national id", "id number", "insurance number"]),
    "fr": stems(["sécurité sociale", "sécu", "nir", "carte vitale", "numéro fiscal", "insee", "identifiant"]),
    "de": stems(["steuer", "identifikationsnummer", "sozialversicherung", "ausweis", "personalausweis", "id"]),
}
#: (validator, lengths) per id; the NIR may carry its 2-digit key or a Corsican 2A/2B.
_VALIDATORS = ((nir.is_valid, (15,)), (idnr.is_valid, (11,)), (ssn.is_valid, (9,)))
_RUN = re.compile(r"(?<![\w])\d(?:[ -]?[\dAB]){6,16}(?![\w])", re.IGNORECASE)


class NationalIdCheckRecognizer(SpanRecognizer):
    ENTITY = "NATIONAL_ID"

    def spans(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        for m in _RUN.finditer(text):
            compact = re.sub(r"[\s-]", "", m.group())
            near = has_context(text, m.start(), _TRIGGERS[self.lang], window=70)
            valid = any(len(compact) in lens and check(compact) for check, lens in _VALIDATORS)
            if valid and near:
                yield m.start(), m.end(), 0.95, "national id, check digits valid, id word nearby"
            elif valid and len(compact) != 9:  # a bare 9-digit SSN is too common a shape
                yield m.start(), m.end(), 0.6, "national id, check digits valid"
            elif near and 7 <= len(compact) <= 15:  # ASR drops digits: 7 is enough near "SSN"
                yield m.start(), m.end(), 0.7, "digit run after an id word (check failed)"


def build(lang: str) -> NationalIdCheckRecognizer:
    return NationalIdCheckRecognizer(lang)

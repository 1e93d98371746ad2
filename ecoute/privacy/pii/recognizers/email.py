"""Email addresses, written ("jean.dupont@gmail.com") or spoken ("jean dot dupont at gmail dot com").

Presidio's email recognizer only knows the written form and consults tldextract (which
may reach for the network); ours accepts the spoken connectives of each language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ecoute.privacy.pii.recognizers.base import SpanRecognizer

_AT = {"en": r"at|@", "fr": r"arobase|arobas|at|@", "de": r"at|ät|@"}
_DOT = {"en": r"dot|point", "fr": r"point|dot", "de": r"punkt|dot"}
_SEP = {
    "en": r"dot|underscore|dash|hyphen",
    "fr": r"point|tiret bas|tiret du bas|underscore|tiret",
    "de": r"punkt|unterstrich|bindestrich|minus",
}
_WRITTEN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_TLDS = r"com|net|org|fr|de|eu|io|info|be|ch|at|co|uk|us|ca|biz"


def _spoken(lang: str) -> re.Pattern[str]:
    word = r"[^\W_]+"
    local = rf"{word}(?:\s+(?:{_SEP[lang]})\s+{word}|\s*[._-]\s*{word})*"
    domain = rf"{word}(?:\s+(?:{_SEP[lang]})\s+{word})*(?:\s*(?:\s(?:{_DOT[lang]})\s|\.)\s*{word})*" \
             rf"(?:\s*(?:\s(?:{_DOT[lang]})\s|\.)\s*(?:{_TLDS}))"
    return re.compile(rf"(?<!\w)({local})\s*(?:\s(?:{_AT[lang]})\s|@)\s*{domain}(?!\w)", re.IGNORECASE)


class SpokenEmailRecognizer(SpanRecognizer):
    ENTITY = "EMAIL_ADDRESS"

    def __init__(self, lang: str) -> None:
        super().__init__(lang)
        self._spoken = _spoken(lang)

    def spans(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        for m in _WRITTEN.finditer(text):
            yield m.start(), m.end(), 0.95, "written email address"
        for m in self._spoken.finditer(text):
            yield m.start(), m.end(), 0.9, "spoken email address"


def build(lang: str) -> SpokenEmailRecognizer:
    return SpokenEmailRecognizer(lang)

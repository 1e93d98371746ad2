"""Dates of birth: a date said after "born", "né le", "geboren", "birthday", "date de naissance".

A date alone is rarely personal ("remind me on March 3rd"), a date of birth always is, so
only dates with a birth word shortly before them count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from ecoute.privacy.pii.recognizers.base import SpanRecognizer, has_context, stems

_MONTHS = {
    "en": "january|february|march|april|may|june|july|august|september|october|november|december"
          "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec",
    "fr": "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre",
    "de": "januar|jänner|februar|märz|maerz|april|mai|juni|juli|august|september|oktober|november|dezember",
}
_TRIGGERS = {
    "en": stems(["born", "birth", "dob", "d o b"]),
    "fr": stems(["né le", "née le", "né en", "née en", "naissance", "anniversaire", "suis né", "suis née"]),
    "de": stems(["geboren", "geburt", "geb."]),
}
_NUMERIC = r"\d{1,2}\s?[/.-]\s?\d{1,2}\s?[/.-]\s?\d{2,4}"


def _pattern(lang: str) -> re.Pattern[str]:
    months = _MONTHS[lang]
    year = r"(?:,?\s+(?:in\s+|en\s+)?\d{4})?"
    if lang == "en":
        day = r"\d{1,2}(?:st|nd|rd|th)?"
        body = rf"(?:(?:the\s+)?{day}\s+(?:of\s+)?(?:{months})|(?:{months})\s+(?:the\s+)?{day}){year}"
    elif lang == "fr":
        body = rf"(?:le\s+)?(?:\d{{1,2}}|1er|premier)\s+(?:{months}){year}"
    else:
        body = rf"(?:am\s+|dem\s+)?\d{{1,2}}\.?\s+(?:{months}){year}"
    return re.compile(rf"(?<!\w)(?:{body}|{_NUMERIC})(?!\w)", re.IGNORECASE)


_YEAR = re.compile(r"(19\d\d|20\d\d)\W*$")
#: A full date whose year lies this many years or more in the past is most likely a birth date.
PAST_YEARS = 10


class BirthDateRecognizer(SpanRecognizer):
    ENTITY = "DATE_OF_BIRTH"

    def __init__(self, lang: str) -> None:
        super().__init__(lang)
        self._date = _pattern(lang)

    def spans(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        for m in self._date.finditer(text):
            # "ich bin am 3. Mai 1980 geboren": the birth word may follow the date
            # the window ends at the date's end: "née le 3 juillet" has "le" inside the match
            if has_context(text, m.end(), _TRIGGERS[self.lang], window=50 + m.end() - m.start()) or \
                    _TRIGGERS[self.lang].search(text, m.end(), m.end() + 25):
                yield m.start(), m.end(), 0.85, "date after a birth word"
            elif (y := _YEAR.search(m.group())) and int(y.group(1)) <= date.today().year - PAST_YEARS:
                # the birth word is often what the ASR mishears ("the worst is May 18, 2004")
                yield m.start(), m.end(), 0.6, "full date at least ten years back"


def build(lang: str) -> BirthDateRecognizer:
    return BirthDateRecognizer(lang)

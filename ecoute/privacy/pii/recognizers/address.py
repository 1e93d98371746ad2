"""Street addresses: a house number with a street word ("12 rue des Lilas", "Hauptstraße 5",
"221 Baker Street"), optionally followed by a postcode and town.

Street words differ per language and German glues them to the name, so each language has
its own shape; the postcode/town tail is included when it directly follows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ecoute.privacy.pii.recognizers.base import SpanRecognizer

_NAME = r"[A-Za-zÀ-ÿ'’-]+"
_EN_STREET = (r"street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl"
              r"|terrace|close|crescent|square|parkway|highway|hwy")
_FR_STREET = r"rue|avenue|av|boulevard|bd|place|chemin|allée|allee|impasse|quai|cours|route|square|passage|voie"
_FR_LINK = r"(?:de\s+la\s+|de\s+l['’]\s*|du\s+|des\s+|de\s+|d['’]\s*|la\s+|le\s+|l['’]\s*)?"
_FR_STOP = r"(?!(?:et|à|a|mais|puis|pour|avec|demain|ce|cette|ici|s'il|merci)\b)"
_DE_SUFFIX = r"straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|ufer|chaussee|steig|pfad|markt"

_PATTERNS = {
    "en": re.compile(
        rf"(?<!\w)\d{{1,5}}[a-z]?\s+(?:{_NAME}\s+){{0,3}}(?:{_EN_STREET})\b\.?"
        rf"(?:,?\s+(?:apartment|apt|flat|unit|suite)\s+\w+)?"
        rf"(?:,?\s+[A-Z]{_NAME}(?:\s+[A-Z]{_NAME})?(?:,?\s+[A-Z]{{2}})?(?:\s+\d{{5}})?)?",
        re.IGNORECASE),
    "fr": re.compile(
        rf"(?<!\w)\d{{1,4}}(?:\s*(?:bis|ter))?,?\s+(?:{_FR_STREET})\s+{_FR_LINK}{_FR_STOP}{_NAME}"
        rf"(?:\s+{_FR_STOP}[A-ZÀ-Ý]{_NAME}){{0,3}}"
        rf"(?:,?\s+(?:à\s+)?\d{{5}}(?:\s+[A-ZÀ-Ý]{_NAME})?)?",
        re.IGNORECASE),
    "de": re.compile(
        rf"(?<!\w)(?:(?:Am|An\s+der|Im|Auf\s+dem|Zum|Zur)\s+)?(?:[A-ZÄÖÜ]{_NAME}(?:{_DE_SUFFIX})|(?:[A-ZÄÖÜ]{_NAME}(?:er|e)?\s+)?"
        rf"(?:Straße|Strasse|Weg|Platz|Allee|Gasse|Ring|Damm|Ufer|Chaussee))\s+\d{{1,4}}\s?[a-z]?\b"
        rf"(?:,?\s+(?:in\s+)?\d{{5}}(?:\s+[A-ZÄÖÜ]{_NAME})?)?"),
}


class StreetAddressRecognizer(SpanRecognizer):
    ENTITY = "ADDRESS"

    def spans(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        for m in _PATTERNS[self.lang].finditer(text):
            yield m.start(), m.end(), 0.8, "house number with a street word"


def build(lang: str) -> StreetAddressRecognizer:
    return StreetAddressRecognizer(lang)

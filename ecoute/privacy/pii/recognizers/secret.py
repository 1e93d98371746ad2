"""PINs, security codes and passwords said aloud ("my pin is 1 2 3 4", "le mot de passe c'est soleil").

What follows the trigger is the secret: a digit run for codes, up to four words for
passwords. Nothing validates a secret, so the trigger is the whole evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ecoute.privacy.pii.recognizers.base import FILLER, SpanRecognizer

_CODE = {
    "en": r"pin(?:\s+code|\s+number)?|security\s+code|passcode|cvv|cvc|verification\s+code|access\s+code"
          r"|door\s+code|alarm\s+code|one[- ]time\s+code|code",
    "fr": r"code\s+pin|code\s+secret|code\s+de\s+sécurité|code\s+confidentiel|cryptogramme|pin"
          r"|code\s+d['’]accès|digicode|code",
    "de": r"[\wäöüß-]*(?:pin|code)(?:-?nummer)?|geheimzahl|prüfnummer|tan",
}
_PASSWORD = {
    "en": r"password|passphrase|pass\s+word",
    "fr": r"mot\s+de\s+passe|mdp",
    "de": r"passwort|kennwort",
}
_NOT_SECRET = r"(?:zip|postal|post|area|country|dress|source|code\s+postal|postleitzahl)\s+$"
_VERBS = {
    "en": r"is|was|will\s+be|are|it's|it\s+is|should\s+be",
    "fr": r"c['’ ]est|est|sera|était",
    "de": r"ist|lautet|war|wäre",
}
_SEP = r"\s*[:,]?\s*" + FILLER
#: Between the trigger and the secret: hesitations, then optionally a verb ("code, um, it's 2580").
_LINK = {lang: rf"{_SEP}(?:(?:{verbs})(?!\w){_SEP})?" for lang, verbs in _VERBS.items()}
#: The same, but the verb is required: only then may a code be words ("the door code is tiger 42").
_VERB_LINK = {lang: rf"{_SEP}(?:{verbs})(?!\w){_SEP}" for lang, verbs in _VERBS.items()}
_STOP_WORDS = {"and", "but", "so", "please", "et", "mais", "merci", "und", "aber", "bitte", "then", "puis", "dann"}


class SpokenSecretRecognizer(SpanRecognizer):
    ENTITY = "SECRET"

    def __init__(self, lang: str) -> None:
        super().__init__(lang)
        link = _LINK[lang]
        self._code = re.compile(rf"(?<!\w)(?:{_CODE[lang]}){link}(\d[\d ]{{2,15}}\d|\d{{3,}})(?!\w)", re.IGNORECASE)
        words = r"([^\s.,;!?]+(?:[ ][^\s.,;!?]+){0,3})"
        self._password = re.compile(rf"(?<!\w)(?:{_PASSWORD[lang]}){link}{words}", re.IGNORECASE)
        self._code_words = re.compile(rf"(?<!\w)(?:{_CODE[lang]}){_VERB_LINK[lang]}{words}", re.IGNORECASE)
        self._not_secret = re.compile(_NOT_SECRET, re.IGNORECASE)

    def spans(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        for m in self._code.finditer(text):
            if self._not_secret.search(text[max(0, m.start() - 20):m.start()]):
                continue
            yield m.start(1), m.end(1), 0.85, "digits after a pin/code word"
        seen = {m.start(1) for m in self._code.finditer(text)}
        found = [(m, "words after a password word") for m in self._password.finditer(text)]
        found += [(m, "words after 'the code is'") for m in self._code_words.finditer(text)
                  if m.start(1) not in seen and not self._not_secret.search(text[max(0, m.start() - 20):m.start()])]
        for m, reason in found:
            words = m.group(1).split(" ")
            keep = []
            for w in words:
                if w.lower() in _STOP_WORDS:
                    break
                keep.append(w)
            if keep:
                end = m.start(1) + len(" ".join(keep))
                yield m.start(1), end, 0.8, reason


def build(lang: str) -> SpokenSecretRecognizer:
    return SpokenSecretRecognizer(lang)

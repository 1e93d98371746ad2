"""Person names without a big NER model: context rules plus a list of common names.

spaCy's small English and French models (added in analyzer.py) miss many names in
short, lower-context requests, and no German model installs from PyPI. So this recognizer
adds what people actually say to an assistant: "call X", "tell X", "my name is X",
"ruf X an", "Madame X", and any capitalised word that is a common first name or surname.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from ecoute.privacy.pii.recognizers.base import FILLER, SpanRecognizer

_NAMES_DIR = Path(__file__).resolve().parent.parent / "names"
#: A word; an apostrophe ends it, so "Olivia's" is "Olivia".
_WORD = re.compile(r"[^\W\d_][\w-]*")

#: Triggers after which the next one or two words are a name; "strong" ones accept lower case.
_TRIGGERS = {
    "en": (r"call|phone|ring|text|message|tell|ask|remind|email|invite|meet|visit|pay|send money to"
           r"|it's|this is|i'm|i am", r"my name is|my name's|name is|i am called|i'm called|speaking to"),
    "fr": (r"appelle|appeler|appelez|rappelle|rappeler|téléphone à|dis à|dire à|demande à|écris à|écrire à"
           r"|message à|envoie à|préviens|invite|c['’]est|ici|de la part de",
           r"je m['’]appelle|mon nom est|mon nom c['’]est|moi c['’]est"),
    "de": (r"nachricht an|hier ist|ich bin|von", r"ich heiße|ich heisse|mein name ist|hier spricht"),
}
#: German capitalises every noun, so a capitalised word is a name only after these verbs.
_DE_VERBS = r"ruf|rufe|schreib|schreibe|sag|sage|frag|frage|erinnere|grüß|grüße|besuch|besuche"
_TITLES = (r"mr|mrs|ms|miss|dr|doctor|professor|monsieur|madame|mademoiselle|mme|mlle|docteur|maître"
           r"|herr|herrn|frau|doktor")
_STOP = frozenset(
    """me my mine you your him her his them they us we it i the a an this that mom mum mommy dad daddy
    mother father grandma grandpa granny sister brother wife husband son daughter baby everyone someone
    alexa jarvis mycroft nabu home work back later now today tomorrow tonight please again maybe
    monday tuesday wednesday thursday friday saturday sunday
    moi toi lui elle eux nous vous le la les un une mon ma mes ton ta son sa maman papa mamie papi
    tonton tata frère sœur soeur femme mari fils fille bébé tout tous demain aujourd'hui ce cette ça ici
    lundi mardi mercredi jeudi vendredi samedi dimanche
    mich dich ihn sie uns euch ihm ihr der die das den dem ein eine einen mein meine dein deine sein seine
    mama papa oma opa bruder schwester frau mann sohn tochter alle morgen heute jetzt bitte noch mal
    montag dienstag mittwoch donnerstag freitag samstag sonntag an am zu im in bei bescheid hallo
    uh um er erm euh heu hum äh ähm öh à au aux de du des
    mr mrs ms miss dr doctor professor monsieur madame mademoiselle mme mlle docteur herr herrn doktor""".split()
)


@cache
def name_list(kind: str) -> frozenset[str]:
    """Lower-cased names from ``names/<kind>.txt`` (first_names or surnames)."""
    lines = (_NAMES_DIR / f"{kind}.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(ln.strip().lower() for ln in lines if ln.strip() and not ln.startswith("#"))


def _is_name_like(word: str, lang: str, *, strong: bool) -> bool:
    low = word.lower()
    if low in _STOP:
        return False
    if low in name_list("first_names") or low in name_list("surnames"):
        return True
    if strong:
        return True
    return word[0].isupper() and lang != "de"  # German capitalises every noun


class PersonContextRecognizer(SpanRecognizer):
    ENTITY = "PERSON"

    def __init__(self, lang: str) -> None:
        super().__init__(lang)
        weak, strong = _TRIGGERS[lang]
        self._weak = re.compile(rf"(?<!\w)(?:{weak}),?\s+{FILLER}", re.IGNORECASE)
        self._strong = re.compile(rf"(?<!\w)(?:{strong}),?\s+{FILLER}", re.IGNORECASE)
        self._de_verb = re.compile(rf"(?<!\w)(?:{_DE_VERBS})\s+(?:bitte\s+|mal\s+)?{FILLER}", re.IGNORECASE)
        self._title = re.compile(rf"(?<!\w)(?:{_TITLES})\.?\s+", re.IGNORECASE)
        self._de_call = re.compile(r"(?<!\w)ruf(?:e)?\s+((?:[^\W\d_][\w-]*\s+){1,2}?)an\b", re.IGNORECASE)

    def spans(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        for trigger, strong, reason in ((self._strong, True, "after 'my name is'-style words"),
                                        (self._weak, False, "after a call/tell-style word"),
                                        (self._title, True, "after a title")):
            for m in trigger.finditer(text):
                span = self._name_at(text, m.end(), strong=strong)
                if span:
                    yield span[0], span[1], 0.85 if strong else 0.7, reason
        if self.lang == "de":
            for m in self._de_call.finditer(text):
                name = m.group(1).strip()
                if name.lower().split()[0] not in _STOP:
                    yield m.start(1), m.start(1) + len(name), 0.85, "'ruf X an'"
            for m in self._de_verb.finditer(text):
                after = _WORD.match(text, m.end())
                if after and after.group()[0].isupper() and after.group().lower() not in _STOP:
                    yield (after.start(), self._extend(text, after.end(), any_capital=True), 0.7,
                           "capitalised word after 'sag/schreib'")
        for m in _WORD.finditer(text):
            w = m.group()
            low = w.lower()
            if not w[0].isupper() or low in _STOP:
                continue
            if low in name_list("first_names"):
                yield m.start(), self._extend(text, m.end()), 0.65, "capitalised common first name"
            elif low in name_list("surnames"):
                before = re.compile(r"([^\W\d_][\w-]*)[ \t]+$").search(text, 0, m.start())
                start = m.start()
                if before and before.group(1)[0].isupper() and before.group(1).lower() not in _STOP:
                    start = before.start(1)  # "Wiebke Schneider": a first name we do not know
                yield start, m.end(), 0.6, "capitalised common surname"

    def _name_at(self, text: str, pos: int, *, strong: bool) -> tuple[int, int] | None:
        m = _WORD.match(text, pos)
        if not m or not _is_name_like(m.group(), self.lang, strong=strong):
            return None
        if not strong and not (m.group()[0].isupper() or m.group().lower() in name_list("first_names")):
            return None
        return m.start(), self._extend(text, m.end())

    def _extend(self, text: str, end: int, *, any_capital: bool = False) -> int:
        """Take one following capitalised word as a surname ("Marie Dupont")."""
        m = re.compile(r"[ \t]+([^\W\d_][\w'’-]*)").match(text, end)
        if not m:
            return end
        nxt = m.group(1)
        if nxt.lower() in _STOP or not nxt[0].isupper():
            return end
        if self.lang == "de" and not any_capital and nxt.lower() not in name_list("surnames"):
            return end
        return m.end()


def build(lang: str) -> PersonContextRecognizer:
    return PersonContextRecognizer(lang)

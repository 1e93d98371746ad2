"""Build the labelled PII sentences (bench/data/pii_sentences.jsonl), reproducibly.

Sentences are written the way people speak to an assistant: numbers in words, digits
read one by one or in pairs (French phone numbers), "double five", hesitations ("uh",
"euh", "äh"), and sometimes the written digits an ASR prints. Each entity's span is
recorded while the sentence is assembled, so labels are exact. Names are drawn half from
outside the name list the recognizer uses, so the benchmark does not only test that list.
A fixed seed makes the file identical on every run:

    .venv/bin/python bench/pii_make_sentences.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from num2words import num2words
from schwifty import IBAN
from stdnum import luhn
from stdnum.de import idnr
from stdnum.fr import nir

OUT = Path(__file__).parent / "data" / "pii_sentences.jsonl"
SEED = 20261128
Part = str | tuple[str, str]

DIGIT = {
    "en": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
    "fr": ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"],
    "de": ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun"],
}
FILLER = {"en": ["uh", "um", "er"], "fr": ["euh", "heu"], "de": ["äh", "ähm"]}
DOUBLE = {"en": "double", "fr": "double", "de": "doppel"}
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"],
}
#: Names: half appear in ecoute/privacy/pii/names, half do not (the "unseen" ones).
FIRST = {
    "en": ["Sarah", "Michael", "Emily", "James", "Olivia", "Priya", "Declan", "Imogen", "Tariq", "Maeve", "Rohan"],
    "fr": ["Camille", "Julien", "Sophie", "Antoine", "Léa", "Gaëlle", "Yannick", "Solène", "Bastien", "Maëlys"],
    "de": ["Jonas", "Anna", "Lukas", "Sabine", "Matthias", "Wiebke", "Jannik", "Henrike", "Fynn", "Theresa"],
}
LAST = {
    "en": ["Johnson", "Carter", "Walker", "Okafor", "Lindqvist", "Pemberton", "Achebe", "Kowalski"],
    "fr": ["Dupont", "Moreau", "Girard", "Le Goff", "Kerbrat", "Tessier", "Ollivier", "Vasseur"],
    "de": ["Becker", "Schneider", "Wagner", "Brinkmann", "Ostermann", "Kühn", "Petersen", "Vogler"],
}
STREETS = {
    "en": [("Maple", "Avenue"), ("Baker", "Street"), ("Oak", "Road"), ("Willow", "Lane"), ("Sunset", "Boulevard"),
           ("Highland", "Drive"), ("Church", "Street"), ("Mill", "Road")],
    "fr": ["rue des Lilas", "avenue Victor Hugo", "boulevard Voltaire", "rue de la Paix", "place Bellecour",
           "chemin des Vignes", "allée des Tilleuls", "rue du Faubourg Saint-Antoine"],
    "de": ["Goethestraße", "Hauptstraße", "Lindenweg", "Bahnhofstraße", "Am Marktplatz", "Schillerstraße",
           "Birkenallee", "Rosengasse"],
}
TOWNS = {"en": ["Springfield", "Boston", "Leeds"], "fr": ["Lyon", "Nantes", "Rennes"],
         "de": ["Berlin", "Hamburg", "Köln"]}
PROVIDERS = ["gmail", "yahoo", "orange", "web", "outlook", "free", "gmx", "proton"]
PASSWORDS = {"en": ["sunshine", "blue elephant", "tiger 42", "correct horse"],
             "fr": ["soleil", "chat noir", "tournesol", "petit prince"],
             "de": ["Sonnenblume", "blauer Hund", "Schmetterling", "Fußball"]}


class Gen:
    def __init__(self, lang: str, rng: random.Random) -> None:
        self.lang, self.rng = lang, rng

    def w(self, n: int) -> str:
        return num2words(n, lang=self.lang)

    def filler(self) -> str:
        return self.rng.choice(FILLER[self.lang])

    def digits(self, ds: str, group: int = 4, *, written: float = 0.2) -> str:
        """Digits read one by one, grouped, with the odd "uh" and "double"."""
        if self.rng.random() < written:
            return " ".join(ds[i:i + group] for i in range(0, len(ds), group))
        groups = [ds[i:i + group] for i in range(0, len(ds), group)]
        out = []
        for g in groups:
            words, i = [], 0
            while i < len(g):
                d = int(g[i])
                if self.lang == "en" and i + 1 < len(g) and g[i + 1] == g[i] and self.rng.random() < 0.4:
                    words.append(f"double {self._digit(d)}")
                    i += 2
                    continue
                words.append(self._digit(d))
                i += 1
            out.append(" ".join(words))
        sep = self.rng.choice([", ", " ", f", {self.filler()}, "])
        return sep.join(out)

    def _digit(self, d: int) -> str:
        if self.lang == "en" and d == 0 and self.rng.random() < 0.5:
            return "oh"
        return DIGIT[self.lang][d]

    def pairs(self, ds: str) -> str:
        """French style: 06 12 34 56 78 → "zéro six, douze, trente-quatre, …"."""
        words = []
        for i in range(0, len(ds), 2):
            p = ds[i:i + 2]
            words.append(f"{DIGIT[self.lang][0]} {DIGIT[self.lang][int(p[1])]}" if p[0] == "0" else self.w(int(p)))
        return self.rng.choice([", ", " "]).join(words)

    def card(self) -> str:
        while True:
            body = self.rng.choice(["4", "5"]) + "".join(self.rng.choice("0123456789") for _ in range(14))
            num = body + luhn.calc_check_digit(body)
            if luhn.is_valid(num):
                return num

    def phone(self) -> tuple[str, str]:
        """A number ``phonenumbers`` accepts as valid for the country, and how it is said."""
        import phonenumbers

        region = {"en": "US", "fr": "FR", "de": "DE"}[self.lang]
        while True:
            ds, spoken = self._phone()
            if phonenumbers.is_valid_number(phonenumbers.parse(ds, region)):
                return ds, spoken

    def _phone(self) -> tuple[str, str]:
        r = self.rng
        if self.lang == "en":
            ds = r.choice(["415", "212", "617", "303", "206"]) + str(r.randint(200, 999)) + f"{r.randint(0, 9999):04d}"
            spoken = self.digits(ds[:3], 3, written=0) + r.choice([", ", f", {self.filler()}, "]) \
                + self.digits(ds[3:6], 3, written=0) + ", " + self.digits(ds[6:], 4, written=0)
            return ds, spoken if r.random() > 0.2 else f"{ds[:3]} {ds[3:6]} {ds[6:]}"
        if self.lang == "fr":
            ds = r.choice(["06", "07", "01", "04"]) + "".join(r.choice("0123456789") for _ in range(8))
            return ds, self.pairs(ds) if r.random() > 0.2 else " ".join(ds[i:i + 2] for i in range(0, 10, 2))
        ds = r.choice(["0151", "0171", "0160", "030", "089"]) + "".join(r.choice("0123456789") for _ in range(7))
        return ds, self.digits(ds, 4, written=0.2)

    def iban(self) -> tuple[str, str]:
        r = self.rng
        if self.lang == "de":
            iban = IBAN.generate("DE", bank_code=r.choice(["37040044", "10020030", "50010517"]),
                                 account_code=str(r.randint(10**8, 10**10 - 1)))
        elif self.lang == "fr":
            iban = IBAN.generate("FR", bank_code="30006", branch_code="00001",
                                 account_code=f"{r.randint(0, 10**11 - 1):011d}")
        else:
            iban = IBAN.generate("GB", bank_code="NWBK", branch_code="601613",
                                 account_code=f"{r.randint(0, 10**8 - 1):08d}")
        compact = str(iban.compact)
        cc, rest = compact[:2], compact[2:]
        if r.random() < 0.4:
            return compact, iban.formatted
        spoken_cc = " ".join(cc)
        if any(c.isalpha() for c in rest[2:]):  # GB: the bank code is letters, spell them
            head, letters, tail = rest[:2], rest[2:6], rest[6:]
            return compact, f"{spoken_cc} {self.digits(head, 2, written=0)} {' '.join(letters)} " \
                            f"{self.digits(tail, 4, written=0.5)}"
        return compact, f"{spoken_cc} {self.digits(rest, 4, written=0.3)}"

    def email(self, first: str, last: str) -> str:
        r = self.rng
        dot = {"en": "dot", "fr": "point", "de": "punkt"}[self.lang]
        at = {"en": "at", "fr": r.choice(["arobase", "at"]), "de": "at"}[self.lang]
        tld = {"en": r.choice(["com", "net", "org"]), "fr": r.choice(["fr", "com"]), "de": r.choice(["de", "com"])}
        local = f"{_ascii(first).lower()} {dot} {_ascii(last).lower().replace(' ', '')}"
        if r.random() < 0.3:
            local = _ascii(first).lower() + str(r.randint(1, 99))
        if r.random() < 0.15:
            return f"{local.replace(f' {dot} ', '.')}@{r.choice(PROVIDERS)}.{tld[self.lang]}"
        return f"{local} {at} {r.choice(PROVIDERS)} {dot} {tld[self.lang]}"

    def year(self, y: int) -> str:
        if self.lang == "en":
            return num2words(y, lang="en", to="year").replace("-", " ") if self.rng.random() < 0.5 \
                else num2words(y, lang="en", to="year")
        if self.lang == "de":
            return f"{self.w(y // 100)}hundert{self.w(y % 100)}"
        return self.w(y)

    def dob(self) -> str:
        r = self.rng
        d, m, y = r.randint(1, 28), r.randint(0, 11), r.randint(1950, 2004)
        if self.lang == "en":
            return r.choice([f"the {num2words(d, lang='en', to='ordinal')} of {MONTHS['en'][m]} {self.year(y)}",
                             f"{MONTHS['en'][m]} {num2words(d, lang='en', to='ordinal')}, {self.year(y)}",
                             f"{d}/{m + 1}/{y}"])
        if self.lang == "fr":
            day = "premier" if d == 1 else self.w(d)
            return r.choice([f"le {day} {MONTHS['fr'][m]} {self.year(y)}", f"{d} {MONTHS['fr'][m]} {y}"])
        return r.choice([f"{num2words(d, lang='de', to='ordinal')}n {MONTHS['de'][m]} {self.year(y)}",
                         f"{d}. {MONTHS['de'][m]} {y}", f"{d}.{m + 1}.{y}"])

    def address(self) -> str:
        r = self.rng
        n = r.randint(1, 240)
        num = self.w(n) if r.random() < 0.3 and self.lang != "de" else str(n)
        if self.lang == "en":
            name, kind = r.choice(STREETS["en"])
            tail = f", {r.choice(TOWNS['en'])}" if r.random() < 0.4 else ""
            return f"{num} {name} {kind}{tail}"
        if self.lang == "fr":
            tail = f", {r.randint(10, 95)}000 {r.choice(TOWNS['fr'])}" if r.random() < 0.3 else ""
            return f"{n!s}{r.choice(['', ' bis'])} {r.choice(STREETS['fr'])}{tail}"
        tail = f", {r.randint(10000, 99999)} {r.choice(TOWNS['de'])}" if r.random() < 0.4 else ""
        return f"{r.choice(STREETS['de'])} {n}{tail}"

    def national_id(self) -> str:
        r = self.rng
        if self.lang == "fr":
            body = f"{r.choice('12')}{r.randint(50, 99):02d}{r.randint(1, 12):02d}{r.randint(1, 95):02d}" \
                   f"{r.randint(1, 999):03d}{r.randint(1, 999):03d}"
            num = body + nir.calc_check_digits(body)
            return f"{num[0]} {num[1:3]} {num[3:5]} {num[5:7]} {num[7:10]} {num[10:13]} {num[13:]}"
        if self.lang == "de":
            while True:  # stdnum has no check-digit helper for the Steuer-ID: try the ten candidates
                body = str(r.randint(1, 9)) + "".join(r.choice("0123456789") for _ in range(9))
                valid = [body + c for c in "0123456789" if idnr.is_valid(body + c)]
                if valid:
                    num = valid[0]
                    return num if r.random() < 0.5 else self.digits(num, 3, written=0)
        a, b, c = r.randint(100, 665), r.randint(10, 99), r.randint(1000, 9999)
        return f"{a}-{b}-{c}" if r.random() < 0.4 else self.digits(f"{a}{b}{c}", 3, written=0)


def _ascii(s: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def sentences(lang: str, rng: random.Random) -> list[list[Part]]:
    g = Gen(lang, rng)
    f = g.filler
    out: list[list[Part]] = []

    def name() -> str:
        return f"{rng.choice(FIRST[lang])} {rng.choice(LAST[lang])}" if rng.random() < 0.7 else rng.choice(FIRST[lang])

    T = {  # templates: each returns the parts of one sentence
        "en": {
            "CARD_NUMBER": [lambda v: ["my card number is ", ("CARD_NUMBER", v)],
                            lambda v: [f"yeah so the card is {f()}, ", ("CARD_NUMBER", v)],
                            lambda v: ["pay with the visa ", ("CARD_NUMBER", v), " please"],
                            lambda v: ["it's ", ("CARD_NUMBER", v), ", that's my debit card"]],
            "PHONE_NUMBER": [lambda v: ["call me back on ", ("PHONE_NUMBER", v)],
                             lambda v: [f"my number is {f()} ", ("PHONE_NUMBER", v)],
                             lambda v: ["text ", ("PHONE_NUMBER", v), " and say I'm late"],
                             lambda v: ["add ", ("PHONE_NUMBER", v), " to my contacts"]],
            "IBAN": [lambda v: ["my IBAN is ", ("IBAN", v)],
                     lambda v: ["send the money to ", ("IBAN", v)],
                     lambda v: [f"the account, {f()}, ", ("IBAN", v), " for the rent"]],
            "EMAIL_ADDRESS": [lambda v: ["my email is ", ("EMAIL_ADDRESS", v)],
                              lambda v: ["send the photos to ", ("EMAIL_ADDRESS", v)],
                              lambda v: [f"it's {f()} ", ("EMAIL_ADDRESS", v)]],
            "NATIONAL_ID": [lambda v: ["my social security number is ", ("NATIONAL_ID", v)],
                            lambda v: [f"the SSN is {f()} ", ("NATIONAL_ID", v)]],
            "DATE_OF_BIRTH": [lambda v: ["I was born on ", ("DATE_OF_BIRTH", v)],
                              lambda v: ["my date of birth is ", ("DATE_OF_BIRTH", v)],
                              lambda v: ["her birthday is ", ("DATE_OF_BIRTH", v)]],
            "ADDRESS": [lambda v: ["I live at ", ("ADDRESS", v)],
                        lambda v: ["get me a taxi to ", ("ADDRESS", v)],
                        lambda v: [f"deliver it to {f()} ", ("ADDRESS", v)],
                        lambda v: ["how long to drive to ", ("ADDRESS", v)]],
            "PERSON": [lambda v: ["call ", ("PERSON", v)],
                       lambda v: ["text ", ("PERSON", v), " that I'm running late"],
                       lambda v: ["my name is ", ("PERSON", v)],
                       lambda v: ["remind me to ring ", ("PERSON", v), " tomorrow"],
                       lambda v: [("PERSON", v), " is coming over for dinner"],
                       lambda v: [f"tell {f()} ", ("PERSON", v), " I said hi"]],
            "SECRET": [lambda v: ["my pin is ", ("SECRET", v)],
                       lambda v: [f"the door code is {f()} ", ("SECRET", v)],
                       lambda v: ["the password is ", ("SECRET", v)]],
        },
        "fr": {
            "CARD_NUMBER": [lambda v: ["mon numéro de carte c'est ", ("CARD_NUMBER", v)],
                            lambda v: [f"alors la carte bleue {f()} ", ("CARD_NUMBER", v)],
                            lambda v: ["paie avec la carte ", ("CARD_NUMBER", v), " s'il te plaît"]],
            "PHONE_NUMBER": [lambda v: ["mon numéro c'est le ", ("PHONE_NUMBER", v)],
                             lambda v: ["rappelle-moi au ", ("PHONE_NUMBER", v)],
                             lambda v: [f"ajoute le {f()} ", ("PHONE_NUMBER", v), " dans mes contacts"]],
            "IBAN": [lambda v: ["mon IBAN c'est ", ("IBAN", v)],
                     lambda v: ["fais un virement sur ", ("IBAN", v)],
                     lambda v: [f"le RIB {f()} ", ("IBAN", v)]],
            "EMAIL_ADDRESS": [lambda v: ["mon adresse mail c'est ", ("EMAIL_ADDRESS", v)],
                              lambda v: ["envoie les photos à ", ("EMAIL_ADDRESS", v)]],
            "NATIONAL_ID": [lambda v: ["mon numéro de sécurité sociale c'est ", ("NATIONAL_ID", v)],
                            lambda v: [f"le numéro de sécu {f()} ", ("NATIONAL_ID", v)]],
            "DATE_OF_BIRTH": [lambda v: ["je suis né le ", ("DATE_OF_BIRTH", v)],
                              lambda v: ["ma date de naissance c'est ", ("DATE_OF_BIRTH", v)]],
            "ADDRESS": [lambda v: ["j'habite au ", ("ADDRESS", v)],
                        lambda v: ["appelle un taxi pour aller au ", ("ADDRESS", v)],
                        lambda v: [f"livre le colis au {f()} ", ("ADDRESS", v)]],
            "PERSON": [lambda v: ["appelle ", ("PERSON", v)],
                       lambda v: ["je m'appelle ", ("PERSON", v)],
                       lambda v: ["envoie un message à ", ("PERSON", v), " pour dire que j'arrive"],
                       lambda v: [("PERSON", v), " vient dîner ce soir"],
                       lambda v: [f"dis à {f()} ", ("PERSON", v), " que je suis en retard"]],
            "SECRET": [lambda v: ["mon code pin c'est ", ("SECRET", v)],
                       lambda v: [f"le digicode c'est {f()} ", ("SECRET", v)],
                       lambda v: ["le mot de passe c'est ", ("SECRET", v)]],
        },
        "de": {
            "CARD_NUMBER": [lambda v: ["meine Kartennummer ist ", ("CARD_NUMBER", v)],
                            lambda v: [f"also die Kreditkarte {f()} ", ("CARD_NUMBER", v)],
                            lambda v: ["zahl mit der Karte ", ("CARD_NUMBER", v)]],
            "PHONE_NUMBER": [lambda v: ["meine Nummer ist ", ("PHONE_NUMBER", v)],
                             lambda v: ["ruf mich zurück unter ", ("PHONE_NUMBER", v)],
                             lambda v: [f"speicher die {f()} ", ("PHONE_NUMBER", v), " in meinen Kontakten"]],
            "IBAN": [lambda v: ["meine IBAN ist ", ("IBAN", v)],
                     lambda v: ["überweis das Geld auf ", ("IBAN", v)],
                     lambda v: [f"das Konto {f()} ", ("IBAN", v)]],
            "EMAIL_ADDRESS": [lambda v: ["meine E-Mail ist ", ("EMAIL_ADDRESS", v)],
                              lambda v: ["schick die Fotos an ", ("EMAIL_ADDRESS", v)]],
            "NATIONAL_ID": [lambda v: ["meine Steuer-ID ist ", ("NATIONAL_ID", v)],
                            lambda v: [f"die Steueridentifikationsnummer {f()} ", ("NATIONAL_ID", v)]],
            "DATE_OF_BIRTH": [lambda v: ["ich bin am ", ("DATE_OF_BIRTH", v), " geboren"],
                              lambda v: ["mein Geburtsdatum ist der ", ("DATE_OF_BIRTH", v)]],
            "ADDRESS": [lambda v: ["ich wohne in der ", ("ADDRESS", v)],
                        lambda v: ["bestell ein Taxi zur ", ("ADDRESS", v)],
                        lambda v: [f"liefer das Paket an {f()} ", ("ADDRESS", v)]],
            "PERSON": [lambda v: ["ruf ", ("PERSON", v), " an"],
                       lambda v: ["ich heiße ", ("PERSON", v)],
                       lambda v: ["schreib ", ("PERSON", v), " dass ich später komme"],
                       lambda v: [("PERSON", v), " kommt heute zum Essen"],
                       lambda v: [f"sag {f()} ", ("PERSON", v), " dass ich mich verspäte"]],
            "SECRET": [lambda v: ["meine PIN ist ", ("SECRET", v)],
                       lambda v: [f"der Türcode ist {f()} ", ("SECRET", v)],
                       lambda v: ["das Passwort ist ", ("SECRET", v)]],
        },
    }[lang]
    counts = {"CARD_NUMBER": 14, "PHONE_NUMBER": 14, "IBAN": 10, "EMAIL_ADDRESS": 10, "NATIONAL_ID": 8,
              "DATE_OF_BIRTH": 8, "ADDRESS": 12, "PERSON": 18, "SECRET": 9}
    for etype, n in counts.items():
        for _ in range(n):
            if etype == "CARD_NUMBER":
                v = g.digits(g.card(), 4)
            elif etype == "PHONE_NUMBER":
                v = g.phone()[1]
            elif etype == "IBAN":
                v = g.iban()[1]
            elif etype == "EMAIL_ADDRESS":
                v = g.email(rng.choice(FIRST[lang]), rng.choice(LAST[lang]))
            elif etype == "NATIONAL_ID":
                v = g.national_id()
            elif etype == "DATE_OF_BIRTH":
                v = g.dob()
            elif etype == "ADDRESS":
                v = g.address()
            elif etype == "PERSON":
                v = name()
            else:
                v = rng.choice(PASSWORDS[lang]) if rng.random() < 0.3 else g.digits(
                    "".join(rng.choice("0123456789") for _ in range(rng.choice([4, 4, 6]))), 6, written=0.2)
            out.append(rng.choice(T[etype])(v))
    # two entities in one sentence, the way requests combine them
    for _ in range(8):
        p = name()
        ph = g.phone()[1]
        out.append({"en": [("PERSON", p), "'s new number is ", ("PHONE_NUMBER", ph)],
                    "fr": ["le nouveau numéro de ", ("PERSON", p), " c'est le ", ("PHONE_NUMBER", ph)],
                    "de": ["die neue Nummer von ", ("PERSON", p), " ist ", ("PHONE_NUMBER", ph)]}[lang])
    out.extend([[s] for s in NEGATIVES[lang]])
    return out


#: Requests with numbers, dates and capitalised words but no personal data (precision).
NEGATIVES = {
    "en": ["set a timer for twenty five minutes", "what's fifteen times twenty three",
           "turn the thermostat up to twenty one degrees", "add a dozen eggs and two litres of milk",
           "wake me up at six thirty tomorrow", "remind me about the dentist on March third",
           "play the top forty from nineteen ninety nine", "what's the weather in Paris this weekend",
           "how many calories in one hundred grams of rice", "turn off the lights in the living room",
           "the score was three two to Arsenal", "set the volume to seven", "order four pizzas for Friday",
           "how far is it to London", "convert five hundred dollars to euros",
           "what time does the game start on Sunday", "call me a taxi", "tell me a joke",
           "my flight is at eleven forty five", "the code for the wifi isn't working"],
    "fr": ["mets un minuteur de vingt-cinq minutes", "combien font quinze fois vingt-trois",
           "monte le chauffage à vingt et un degrés", "ajoute une douzaine d'œufs et deux litres de lait",
           "réveille-moi à six heures et demie demain", "rappelle-moi le dentiste le trois mars",
           "quel temps fait-il à Paris ce week-end", "éteins la lumière du salon",
           "mets le volume à sept", "commande quatre pizzas pour vendredi", "c'est à combien de kilomètres Lyon",
           "convertis cinq cents dollars en euros", "à quelle heure commence le match dimanche",
           "raconte-moi une blague", "mon vol est à onze heures quarante-cinq",
           "le score était trois à deux", "joue la playlist des années quatre-vingt",
           "combien de calories dans cent grammes de riz", "appelle un taxi", "quelle heure est-il"],
    "de": ["stell einen Timer auf fünfundzwanzig Minuten", "was ist fünfzehn mal dreiundzwanzig",
           "stell die Heizung auf einundzwanzig Grad", "setz ein Dutzend Eier und zwei Liter Milch auf die Liste",
           "weck mich morgen um halb sieben", "erinnere mich am dritten März an den Zahnarzt",
           "wie wird das Wetter in Paris am Wochenende", "mach das Licht im Wohnzimmer aus",
           "stell die Lautstärke auf sieben", "bestell vier Pizzen für Freitag", "wie weit ist es bis Hamburg",
           "rechne fünfhundert Dollar in Euro um", "wann beginnt das Spiel am Sonntag",
           "erzähl mir einen Witz", "mein Flug geht um elf Uhr fünfundvierzig",
           "das Spiel endete drei zu zwei", "spiel die Hits der Achtziger",
           "wie viele Kalorien haben hundert Gramm Reis", "ruf mir ein Taxi", "wie spät ist es"],
}


def render(parts: list[Part]) -> tuple[str, list[dict]]:
    text, ents = "", []
    for p in parts:
        if isinstance(p, tuple):
            etype, value = p
            ents.append({"type": etype, "start": len(text), "end": len(text) + len(value)})
            text += value
        else:
            text += p
    return text, ents


def main() -> None:
    rng = random.Random(SEED)
    rows = []
    for lang in ("en", "fr", "de"):
        for i, parts in enumerate(sentences(lang, rng)):
            text, ents = render(parts)
            rows.append({"id": f"{lang}-{i:03d}", "lang": lang, "text": text, "entities": ents})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(OUT)
    print(f"wrote {len(rows)} sentences to {OUT}")


if __name__ == "__main__":
    main()

"""A small held-out set, written by hand *after* the recognizers were tuned on the generated
sentences and never used to tune them: other phrasings, other names, other number styles.
bench/pii_eval.py reports it separately, because the generated set and the rules share an
author and the held-out figures are the more honest ones.
"""

from __future__ import annotations

Part = str | tuple[str, str]

HELDOUT: dict[str, list[list[Part]]] = {
    "en": [
        ["could you read back the card ending, no wait, the whole thing is ",
         ("CARD_NUMBER", "five one oh five, one oh five one, oh five one oh, five one oh oh")],
        ["hey so I need to update my number, it's now ", ("PHONE_NUMBER", "seven one eight, five five five, oh one nine two")],
        ["please wire two hundred pounds to ", ("IBAN", "GB33BUKB20201555555555")],
        ["shoot an email over to ", ("EMAIL_ADDRESS", "mark underscore hill at hotmail dot co dot uk")],
        ["my social is ", ("NATIONAL_ID", "078-05-1120")],
        ["I'm a Leo, born ", ("DATE_OF_BIRTH", "August the ninth nineteen ninety")],
        ["we moved to ", ("ADDRESS", "1600 Pennsylvania Avenue")],
        ["can you ask ", ("PERSON", "Grandpa Joe"), " if he wants tea"],
        ["set up a meeting with ", ("PERSON", "Wojciech Zielinski"), " at noon"],
        [("PERSON", "Hannah"), " said the wifi password is ", ("SECRET", "purple monkey dishwasher")],
        ["the alarm code, um, it's ", ("SECRET", "two five eight zero")],
        ["turn the oven to two hundred and twenty degrees"],
        ["book a table for six at eight thirty"],
        ["how tall is Mount Everest in feet"],
        ["play track number fourteen from the album"],
    ],
    "fr": [
        ["alors ma carte c'est le ", ("CARD_NUMBER", "quarante-neuf soixante-dix-huit, douze trente-quatre, "
                                                      "cinquante-six soixante-dix-huit, quatre-vingt-dix-neuf zéro deux")],
        ["note mon portable ", ("PHONE_NUMBER", "zéro sept, quatre-vingt-un, vingt-deux, trente-trois, quarante-quatre")],
        ["pour le loyer c'est sur ", ("IBAN", "FR14 2004 1010 0505 0001 3M02 606")],
        ["écris à ", ("EMAIL_ADDRESS", "anne tiret marie arobase laposte point net")],
        ["mon numéro de sécu ", ("NATIONAL_ID", "1 84 12 76 451 089 46")],
        ["ma fille est née le ", ("DATE_OF_BIRTH", "trois juillet deux mille douze")],
        ["on habite ", ("ADDRESS", "8 impasse du Moulin")],
        ["demande à ", ("PERSON", "Tatie Brigitte"), " si elle vient"],
        ["rappelle-moi d'appeler ", ("PERSON", "Monsieur Ravelomanana")],
        ["le code de la porte c'est ", ("SECRET", "B douze quarante")],
        ["mon mot de passe wifi c'est ", ("SECRET", "chaussette rouge")],
        ["mets la radio sur quatre-vingt-dix-neuf point neuf"],
        ["il fait combien dehors, vingt-deux degrés"],
        ["programme le lave-linge à quarante degrés"],
        ["ajoute trois kilos de pommes"],
    ],
    "de": [
        ["die Karte, äh, ", ("CARD_NUMBER", "vier neun sieben acht eins zwei drei vier fünf sechs sieben acht neun neun null zwei")],
        ["meine Festnetznummer lautet ", ("PHONE_NUMBER", "null drei null, zwölf vierunddreißig sechsundfünfzig")],
        ["überweis die Miete an ", ("IBAN", "DE75 5121 0800 1245 1261 99")],
        ["meine Adresse ist ", ("EMAIL_ADDRESS", "k punkt wagner at posteo punkt de")],
        ["die Steuer-Identifikationsnummer lautet ", ("NATIONAL_ID", "65929970489")],
        ["mein Geburtstag ist der ", ("DATE_OF_BIRTH", "siebte Juni neunzehnhundertachtundsiebzig")],
        ["wir wohnen jetzt in der ", ("ADDRESS", "Kastanienallee 31")],
        ["frag ", ("PERSON", "Onkel Heinz"), " ob er kommt"],
        ["erinnere mich, ", ("PERSON", "Frau Demirci"), " anzurufen"],
        ["das WLAN-Passwort ist ", ("SECRET", "Zitronenkuchen")],
        ["die Geheimzahl ist ", ("SECRET", "neun eins eins zwei")],
        ["stell den Wecker auf sechs Uhr dreißig"],
        ["wie hoch ist die Zugspitze"],
        ["spiel Nummer fünf von der Playlist"],
        ["kauf zwei Packungen Milch"],
    ],
}


def rows() -> list[dict]:
    out = []
    for lang, items in HELDOUT.items():
        for i, parts in enumerate(items):
            text, ents = "", []
            for p in parts:
                if isinstance(p, tuple):
                    ents.append({"type": p[0], "start": len(text), "end": len(text) + len(p[1])})
                    text += p[1]
                else:
                    text += p
            out.append({"id": f"heldout-{lang}-{i:02d}", "lang": lang, "text": text, "entities": ents})
    return out

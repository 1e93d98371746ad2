"""Each recognizer, in each language: valid checksums, invalid ones, spoken forms, offsets into the input."""

from __future__ import annotations

import pytest

from ecoute.errors import BadInput
from ecoute.privacy.pii import redact_text


def found(text: str, lang: str) -> list[tuple[str, str]]:
    return [(e.type, text[e.start:e.end]) for e in redact_text(text, lang).entities]


CASES = [
    # cards: Luhn-valid written, spoken, and a failing checksum near "card" still redacted
    ("en", "my card is 4539 1488 0343 6467", "CARD_NUMBER", "4539 1488 0343 6467"),
    ("en", "card number four five three nine one four eight eight oh three four three six four six seven",
     "CARD_NUMBER", "four five three nine one four eight eight oh three four three six four six seven"),
    ("en", "the card is four five three nine one four eight eight oh three four three six four six eight",
     "CARD_NUMBER", "four five three nine one four eight eight oh three four three six four six eight"),
    ("fr", "ma carte c'est quatre cinq trois neuf, quatorze quatre-vingt-huit, zéro trois quarante-trois, "
           "soixante-quatre soixante-sept", "CARD_NUMBER",
     "quatre cinq trois neuf, quatorze quatre-vingt-huit, zéro trois quarante-trois, soixante-quatre soixante-sept"),
    ("de", "meine Kartennummer ist 5555 5555 5555 4444", "CARD_NUMBER", "5555 5555 5555 4444"),
    # IBANs
    ("fr", "mon IBAN c'est FR76 3000 6000 0112 3456 7890 189", "IBAN", "FR76 3000 6000 0112 3456 7890 189"),
    ("de", "IBAN D E acht neun drei sieben null vier null null vier vier null fünf drei zwei null eins "
           "drei null null null", "IBAN",
     "D E acht neun drei sieben null vier null null vier vier null fünf drei zwei null eins drei null null null"),
    ("en", "my IBAN is GB82 WEST 1234 5698 7654 32", "IBAN", "GB82 WEST 1234 5698 7654 32"),
    # phones, per country of the language
    ("en", "call me at six five oh, two five three, oh oh oh oh", "PHONE_NUMBER",
     "six five oh, two five three, oh oh oh oh"),
    ("fr", "mon numéro c'est le zéro six douze trente-quatre cinquante-six soixante-dix-huit", "PHONE_NUMBER",
     "zéro six douze trente-quatre cinquante-six soixante-dix-huit"),
    ("de", "meine Handynummer ist null eins fünf eins eins zwei drei vier fünf sechs sieben acht",
     "PHONE_NUMBER", "null eins fünf eins eins zwei drei vier fünf sechs sieben acht"),
    # emails, written and spoken
    ("en", "email me at jean dot dupont at gmail dot com", "EMAIL_ADDRESS", "jean dot dupont at gmail dot com"),
    ("fr", "mon mail c'est marie point curie arobase orange point fr", "EMAIL_ADDRESS",
     "marie point curie arobase orange point fr"),
    ("de", "schreib an max punkt mustermann at web punkt de", "EMAIL_ADDRESS", "max punkt mustermann at web punkt de"),
    ("en", "it's sam.lee@example.org", "EMAIL_ADDRESS", "sam.lee@example.org"),
    # national ids: NIR, Steuer-ID, SSN
    ("fr", "mon numéro de sécurité sociale est 2 85 05 78 006 084 41", "NATIONAL_ID", "2 85 05 78 006 084 41"),
    ("de", "meine Steuer-ID ist 86095742719", "NATIONAL_ID", "86095742719"),
    ("en", "my social security number is five three six, two two, one two three four", "NATIONAL_ID",
     "five three six, two two, one two three four"),
    ("en", "the SSN is not 4-978-8-4-8-9", "NATIONAL_ID", "4-978-8-4-8-9"),  # ASR dropped a digit
    ("en", "The worst is May 18, 2004", "DATE_OF_BIRTH", "May 18, 2004"),  # "her birthday" misheard
    # dates of birth, addresses, names, secrets
    ("en", "I was born on the third of March nineteen eighty five", "DATE_OF_BIRTH",
     "the third of March nineteen eighty five"),
    ("fr", "je suis née le douze avril mille neuf cent quatre-vingt-dix", "DATE_OF_BIRTH",
     "le douze avril mille neuf cent quatre-vingt-dix"),
    ("de", "ich bin am dritten Mai neunzehnhundertachtzig geboren, Geburtsdatum 3.5.1980", "DATE_OF_BIRTH",
     "3.5.1980"),
    ("en", "send it to 42 Maple Avenue", "ADDRESS", "42 Maple Avenue"),
    ("fr", "j'habite au 12 bis rue des Lilas", "ADDRESS", "12 bis rue des Lilas"),
    ("de", "ich wohne in der Goethestraße 12, 10115 Berlin", "ADDRESS", "Goethestraße 12, 10115 Berlin"),
    ("en", "call Sarah Connor", "PERSON", "Sarah Connor"),
    ("fr", "je m'appelle Juliette Garnier", "PERSON", "Juliette Garnier"),
    ("de", "ruf bitte Jonas Becker an", "PERSON", "Jonas Becker"),
    ("de", "mein Name ist Ölmez", "PERSON", "Ölmez"),
    ("en", "my pin is one two three four", "SECRET", "one two three four"),
    ("fr", "le code secret c'est quatre deux un neuf", "SECRET", "quatre deux un neuf"),
    ("de", "mein Passwort ist Sonnenblume", "SECRET", "Sonnenblume"),
]


@pytest.mark.parametrize(("lang", "text", "etype", "span"), CASES, ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_recognizer_finds_entity_with_offsets_into_input(lang: str, text: str, etype: str, span: str) -> None:
    assert (etype, span) in found(text, lang)


NEGATIVES = [
    ("en", "turn on the kitchen lights and set a timer for five minutes"),
    ("en", "what's the weather in Paris tomorrow"),
    ("en", "add two pounds of apples and a dozen eggs to the shopping list"),
    ("fr", "mets un minuteur de dix minutes et allume la lumière du salon"),
    ("de", "stell einen Timer auf zwanzig Minuten und mach das Licht an"),
    # a 16-digit run that fails Luhn with no card word is not a card
    ("en", "the order reference is 4539148803436468"),
    # a wrong IBAN checksum with no account word is not an IBAN
    ("fr", "la référence FR77 3000 6000 0112 3456 7890 189 est fausse"),
]


@pytest.mark.parametrize(("lang", "text"), NEGATIVES)
def test_ordinary_requests_have_no_card_iban_or_name(lang: str, text: str) -> None:
    types = {t for t, _ in found(text, lang)}
    assert not types & {"CARD_NUMBER", "IBAN", "PERSON", "EMAIL_ADDRESS", "NATIONAL_ID"}


def test_invalid_steuer_id_without_context_is_only_a_long_number() -> None:
    assert found("die Zahl 86095742718 ist falsch", "de") == [("ID_NUMBER", "86095742718")]


def test_long_digit_run_misheard_context_is_still_redacted() -> None:
    # "card" heard as "current" and a digit dropped: no context, no checksum, still masked
    text = "My current number is 4, 1, 1, 1, 9, 5, 1, 4, 6, 0, 4, 9, 6, 9, 8, 3"
    assert redact_text(text, "en").text == "My current number is <ID_NUMBER>"


def test_replacement_keeps_type_visible() -> None:
    out = redact_text("my card is 4539 1488 0343 6467 and my name is Bob Smith", "en")
    assert out.text == "my card is <CARD_NUMBER> and my name is <PERSON>"


def test_unsupported_language_is_bad_input() -> None:
    with pytest.raises(BadInput):
        redact_text("hello", "it")

"""Our Presidio recognizers, one module per kind of personal data, built per language.

Presidio's predefined pattern recognizers are mostly English-only and expect written text;
ours work on normalised *spoken* text in en/fr/de, validate with the field's libraries
(stdnum, schwifty, phonenumbers) and fall back on context ("card", "carte", "Karte") when
an ASR slip breaks a checksum, because redacting too much is cheap and too little is not.
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer

from ecoute.privacy.pii.recognizers import (
    address,
    birth_date,
    card,
    email,
    iban,
    long_number,
    national_id,
    person,
    phone,
    secret,
)

#: Every module exposes ``build(lang) -> EntityRecognizer``.
MODULES = (card, iban, phone, email, national_id, birth_date, address, person, secret, long_number)


def build_all(lang: str) -> list[EntityRecognizer]:
    return [m.build(lang) for m in MODULES]

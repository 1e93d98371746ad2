"""Spoken numbers become digits, and every output character maps back to the words it came from."""

from __future__ import annotations

import pytest

from ecoute.privacy.pii.numbers import normalise_numbers


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("four five three nine", "en", "4539"),
        ("five five five, uh, one two", "en", "55512"),
        ("double five oh", "en", "550"),
        ("nineteen eighty five", "en", "1985"),
        ("quatre cinq trois neuf", "fr", "4539"),
        ("zéro six, euh, douze trente-quatre", "fr", "061234"),
        ("null eins fünf eins", "de", "0151"),
        ("dreiundvierzig", "de", "43"),
        ("555-123 for 567", "en", "5551234567"),
    ],
)
def test_spoken_runs_become_joined_digits(text: str, lang: str, expected: str) -> None:
    assert normalise_numbers(text, lang).text == expected


def test_articles_and_words_around_numbers_are_left_alone() -> None:
    assert normalise_numbers("un ami", "fr").text == "un ami"
    assert normalise_numbers("oh well, a dog", "en").text == "oh well, a dog"
    assert normalise_numbers("set a timer for 5 minutes", "en").text == "set a timer for 5 minutes"
    # a house number and a postcode separated by a comma stay two numbers
    assert normalise_numbers("Hauptstraße 5, 10115 Berlin", "de").text == "Hauptstraße 5, 10115 Berlin"


def test_offsets_map_back_to_the_spoken_words() -> None:
    text = "my card is four five three nine, then more"
    norm = normalise_numbers(text, "en")
    start = norm.text.index("4539")
    s, e = norm.to_original(start, start + 4)
    assert text[s:e] == "four five three nine"
    # text outside the run maps character for character
    i = norm.text.index("then")
    assert norm.to_original(i, i + 4) == (text.index("then"), text.index("then") + 4)


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError):
        normalise_numbers("one two", "it")

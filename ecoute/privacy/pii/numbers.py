"""Spoken numbers → digits, with a map back to the original characters.

People say "four five three nine, uh, double five"; pattern recognizers and checksums need
"453955". ``text2num`` converts number words, but it leaves digits space-separated and does
not say where its output came from, so we find the runs of number words ourselves, convert
each run on its own, join the digits, and remember which input span every output character
came from. Entities found in the normalised text are mapped back through that map, so
offsets always point into what the user actually said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from text_to_num import alpha2digit

_TOKEN = re.compile(r"\d+|[^\W\d_]+(?:[-'’][^\W\d_]+)*|[^\w\s]")

#: Words that sit between digits without ending the number ("five five, uh, one two").
_FILLERS: dict[str, frozenset[str]] = {
    "en": frozenset({"uh", "um", "er", "erm", "hmm", ",", "-", "…", "and"}),
    "fr": frozenset({"euh", "heu", "hum", "bah", ",", "-", "…", "et"}),
    "de": frozenset({"äh", "ähm", "öh", "hm", ",", "-", "…", "und"}),
}
#: Words that are numbers only inside a run (alone they are articles or interjections).
_RUN_ONLY: dict[str, frozenset[str]] = {
    "en": frozenset({"oh", "o"}),
    "fr": frozenset({"un", "une"}),
    "de": frozenset({"ein", "eine"}),
}
#: "double five" → "five five"; the words per language.
_REPEAT: dict[str, dict[str, int]] = {
    "en": {"double": 2, "triple": 3},
    "fr": {"double": 2, "triple": 3},
    "de": {"doppel": 2, "doppelte": 2, "dreifach": 3},
}
_ZERO_ALIAS: dict[str, dict[str, str]] = {"en": {"oh": "zero", "o": "zero"}, "fr": {}, "de": {}}
#: ASR homophones of digits ("4 to 1" for "four two one"); read as digits only *between* digits.
_HOMOPHONES: dict[str, dict[str, str]] = {
    "en": {"to": "two", "too": "two", "for": "four", "won": "one", "ate": "eight"},
    "fr": {"sis": "six", "cette": "sept"},
    "de": {},
}


@dataclass(frozen=True)
class Normalised:
    """Normalised text plus, per output character, the input span it stands for."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalised text to a span of the input."""
        if end <= start:
            raise ValueError("empty span")
        return self.starts[start], self.ends[end - 1]


@lru_cache(maxsize=8192)
def _is_number_word(word: str, lang: str) -> bool:
    low = word.lower()
    if low.isdigit():
        return True
    converted = alpha2digit(low, lang, threshold=0)
    return converted != low and any(c.isdigit() for c in converted)


def _classify(tok: str, lang: str) -> str:
    """'dig' (written digits), 'num' (a number word), 'weak' (number only inside a run), 'homo'
    (a digit homophone, a number only between two numbers), 'rep', 'fill' or 'other'."""
    low = tok.lower()
    if low.isdigit():
        return "dig"
    if low in _REPEAT[lang]:
        return "rep"
    if low in _HOMOPHONES[lang]:
        return "homo"
    if low in _RUN_ONLY[lang]:
        return "weak"
    if low in _FILLERS[lang]:
        return "fill"
    if _is_number_word(tok, lang):
        return "num"
    return "other"


def _convert_run(words: list[str], lang: str) -> str:
    """Turn one run of number words into digits; a run of plain digits is joined."""
    expanded: list[str] = []
    repeat = 1
    for w in words:
        low = w.lower()
        if low in _REPEAT[lang]:
            repeat = _REPEAT[lang][low]
            continue
        if low in _FILLERS[lang]:
            if low in {"and", "et", "und"}:
                expanded.append(low)  # "vingt et un", "two hundred and fifty"
            continue
        low = _ZERO_ALIAS[lang].get(low, _HOMOPHONES[lang].get(low, low))
        expanded.extend([low] * repeat)
        repeat = 1
    while expanded and expanded[-1] in {"and", "et", "und"}:
        expanded.pop()
    out = alpha2digit(" ".join(expanded), lang, threshold=0)
    parts = out.split()
    if parts and all(p.isdigit() for p in parts):
        return "".join(parts)
    return out


def normalise_numbers(text: str, lang: str) -> Normalised:
    """Return ``text`` with spoken numbers as digits and an offset map back to ``text``."""
    if lang not in _FILLERS:
        raise ValueError(f"unsupported language {lang!r}")
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    kinds = [_classify(t, lang) for t, _, _ in tokens]
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0  # next input character not yet copied

    def copy_until(limit: int) -> None:
        nonlocal pos
        for i in range(pos, limit):
            out.append(text[i])
            starts.append(i)
            ends.append(i + 1)
        pos = max(pos, limit)

    i = 0
    while i < len(tokens):
        run_end = _run_from(kinds, tokens, i)
        if run_end is None:
            i += 1
            continue
        first, last = i, run_end
        s, e = tokens[first][1], tokens[last][2]
        converted = _convert_run([t for t, _, _ in tokens[first:last + 1]], lang)
        copy_until(s)
        for ch in converted:
            out.append(ch)
            starts.append(s)
            ends.append(e)
        pos = e
        i = last + 1
    copy_until(len(text))
    return Normalised("".join(out), tuple(starts), tuple(ends))


def _digits_may_join(tokens: list[tuple[str, int, int]], kinds: list[str], j: int) -> bool:
    """May the filler at ``j`` sit inside a number? Always between spoken numbers; next to
    written digits only when it is a hyphen ("453-9148"), a thousands comma ("6,061") or a
    comma between digits or 3–4 digit groups as Whisper prints dictated numbers ("4, 1, 1, 1").
    Other commas end the number: "Hauptstraße 5, 10115 Berlin" is a house number and a
    postcode, "August 26, 1985" a day and a year."""
    before = kinds[j - 1] == "dig" if j > 0 else False
    after = kinds[j + 1] == "dig" if j + 1 < len(kinds) else False
    if not (before or after):
        return True
    tok, start, end = tokens[j]
    if tok == "-":
        return True
    if tok != "," or not (j > 0 and j + 1 < len(tokens)):
        return False
    tight = tokens[j - 1][2] == start and tokens[j + 1][1] == end
    a, b = len(tokens[j - 1][0]), len(tokens[j + 1][0])
    # single digits ("4, 1, 1") or groups of 3–4 ("555, 1234"); not "26, 1985" (a day, a year)
    dictated = (a == 1 and b == 1) or (3 <= a <= 4 and 3 <= b <= 4)
    return before and after and (tight or dictated)


def _run_from(kinds: list[str], tokens: list[tuple[str, int, int]], i: int) -> int | None:
    """Index of the last token of the number run starting at ``i``, or None if none starts there.

    A run is a stretch of numbers, weak numbers ("oh", "un"), "double" and fillers that holds at
    least one real number; it ends on a number, or on a weak one right after a number or "double"
    ("six five oh", "double oh"). A lone weak word ("un ami") is never a number.
    """
    if kinds[i] not in ("num", "dig", "rep", "weak"):
        return None
    j = i
    while j < len(kinds) and kinds[j] in ("num", "dig", "weak", "rep", "fill", "homo"):
        if kinds[j] == "homo" and not (j > i and kinds[j - 1] in ("num", "dig")
                                       and j + 1 < len(kinds) and kinds[j + 1] in ("num", "dig")):
            break
        if kinds[j] == "fill" and not _digits_may_join(tokens, kinds, j):
            break
        j += 1
    span = kinds[i:j]
    if "num" not in span and "dig" not in span:
        return None
    last = j - 1
    while last >= i:
        k = kinds[last]
        if k in ("num", "dig"):
            break
        if k == "weak" and last > i:
            prev = last - 1
            while prev > i and kinds[prev] == "fill":
                prev -= 1
            if kinds[prev] in ("rep", "num", "dig", "weak"):
                break
        last -= 1
    return last

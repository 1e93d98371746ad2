"""Mask the audio of words that carry personal data, by a tone or by silence.

The redaction is decided on the transcript; the audio follows through the ASR's word
timestamps. Word boundaries from Whisper are approximate, so every masked span gets a
margin on both sides, and neighbouring spans are merged. Edges are faded over a few
milliseconds so the mask does not click (a click would not leak anything, it is just
unpleasant for reviewers who hear hundreds of clips).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ecoute.audio.io import Audio
from ecoute.errors import BadInput
from ecoute.privacy.pii.numbers import normalise_numbers

MODES = ("tone", "silence")
TONE_HZ = 1000.0
TONE_LEVEL = 0.2
FADE_S = 0.005
_GLUE = {",", ".", "-", "'", "’", "%"}


class TimedWord(Protocol):
    word: str
    start: float
    end: float


@dataclass(frozen=True)
class WordText:
    """The words joined by single spaces, and each word's [start, end) in that text."""

    text: str
    spans: list[tuple[int, int]]


def words_to_text(words: Sequence[TimedWord]) -> WordText:
    """Build the transcript from the timed words, so character offsets map to words exactly.

    A word that starts with punctuation (",061" in Whisper's "6,061,386") is glued to the
    one before, as in the ASR's own text; otherwise words are joined by one space.
    """
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for w in words:
        token = w.word.strip()
        if parts and not (token[:1] in _GLUE and token[1:2].isalnum()):
            parts.append(" ")
            pos += 1
        spans.append((pos, pos + len(token)))
        parts.append(token)
        pos += len(token)
    return WordText("".join(parts), spans)


def entity_times(words: Sequence[TimedWord], word_spans: Sequence[tuple[int, int]],
                 char_spans: Sequence[tuple[int, int]], *, margin: float, duration: float,
                 margin_after: float | None = None, to_edges: bool = False) -> list[list[float]]:
    """Time spans [start, end] (s) covering every word that overlaps an entity, with margin, merged.

    ``margin`` is added before the words and ``margin_after`` (default: ``margin``) after them.
    With ``to_edges``, a span whose words include the transcript's first (last) word reaches
    back to the start (on to the end) of the clip: Whisper drops or truncates words at the
    edges of what it heard, so speech there has no timestamp to follow.
    """
    after = margin if margin_after is None else margin_after
    raw: list[tuple[float, float]] = []
    for cs, ce in char_spans:
        idx = [i for i, (ws, we) in enumerate(word_spans) if ws < ce and we > cs]
        if idx:
            hit = [words[i] for i in idx]
            start = max(0.0, min(w.start for w in hit) - margin)
            end = min(duration, max(w.end for w in hit) + after)
            if to_edges and idx[0] == 0:
                start = 0.0
            if to_edges and idx[-1] == len(word_spans) - 1:
                end = duration
            raw.append((start, end))
    merged: list[list[float]] = []
    for s, e in sorted(raw):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [[round(s, 3), round(e, 3)] for s, e in merged]


#: Words after which what follows is likely personal: a low-confidence word next to one is masked.
TRIGGERS = {
    "en": {"name", "named", "called", "code", "pin", "password", "passcode", "number", "card", "email", "e-mail",
           "address", "born", "birth", "birthday", "iban", "account", "phone", "at", "dot"},
    "fr": {"nom", "appelle", "code", "pin", "passe", "numéro", "carte", "mail", "courriel", "adresse", "née", "né",
           "naissance", "iban", "compte", "téléphone", "arobase", "point"},
    "de": {"name", "heiße", "code", "pin", "passwort", "kennwort", "nummer", "karte", "mail", "adresse",
           "geboren", "geburtstag", "iban", "konto", "telefon", "punkt"},
}
_NUMBER_RUN = re.compile(r"\d(?:[\d]|[ ,.\-/:]+(?=\d))*")
_TLD = re.compile(r"\.(?:com|org|net|edu|gov|io|co|uk|fr|de|eu|info|me)\W*$", re.IGNORECASE)


def timing_unreliable(words: Sequence[TimedWord], *, min_words: int = 4, share: float = 0.25) -> bool:
    """True when many words have no duration: Whisper looping on audio it cannot read ("The North
    of the North of …", ".0 .0 .0"), whose timestamps then say nothing about where speech is."""
    flat = sum(1 for w in words if w.end - w.start < 0.02)
    return flat >= min_words and flat >= share * len(words)


def suspect_spans(words: Sequence[TimedWord], wt: WordText, found: Sequence[tuple[int, int]], language: str, *,
                  min_digits: int = 3, low_probability: float = 0.5, reach: int = 2,
                  everything: bool = False) -> list[tuple[int, int, str]]:
    """Character spans (into ``wt.text``) of words the audio must not let through though the text
    redaction found no entity there, each with the type that replaces it in the text.

    - ``NUMBER``: a run of digits (written or spoken, separators allowed) of ``min_digits`` or more;
      an ASR that garbles the words around a code still writes its digits.
    - ``EMAIL_ADDRESS``: a dotted word ending in a domain suffix ("Imajun.jonsonatproton.com").
    - ``UNCLEAR``: a word the ASR is unsure of (probability < ``low_probability``) next to a trigger
      word ("code", "name", "at"), to a masked word or to a digit — up to ``reach`` words away,
      through other unsure words. Words without a probability count as sure.

    With ``everything`` (timings not to be trusted, see :func:`timing_unreliable`) every word
    the text step left is ``UNCLEAR``.
    """
    n = len(words)
    masked = [any(ws < ce and we > cs for cs, ce in found) for ws, we in wt.spans]
    kind: list[str | None] = [None] * n
    norm = normalise_numbers(wt.text, language)
    for m in _NUMBER_RUN.finditer(norm.text):
        if sum(c.isdigit() for c in m.group()) < min_digits:
            continue
        cs, ce = norm.to_original(m.start(), m.end())
        for i, (ws, we) in enumerate(wt.spans):
            if ws < ce and we > cs and not masked[i]:
                kind[i] = "NUMBER"
    # a dotted word (glued pieces) ending in a domain suffix
    i = 0
    while i < n:
        j = i
        while j + 1 < n and wt.spans[j + 1][0] == wt.spans[j][1]:
            j += 1
        if j > i and _TLD.search(wt.text[wt.spans[j][0]:wt.spans[j][1]]):
            for k in range(i, j + 1):
                if not masked[k] and kind[k] is None:
                    kind[k] = "EMAIL_ADDRESS"
        i = j + 1
    triggers = TRIGGERS.get(language, set())

    def anchor(i: int) -> bool:
        token = wt.text[wt.spans[i][0]:wt.spans[i][1]]
        return masked[i] or kind[i] is not None or any(c.isdigit() for c in token) \
            or token.strip(".,;:!?'\"").lower() in triggers

    def unsure(i: int) -> bool:
        return getattr(words[i], "probability", 1.0) < low_probability and not masked[i] and kind[i] is None

    if everything:
        kind = [k or (None if masked[i] else "UNCLEAR") for i, k in enumerate(kind)]
    anchors = [anchor(i) for i in range(n)]
    for i in range(n):
        if not anchors[i]:
            continue
        for step in (-1, 1):
            k = i + step
            for _ in range(reach):
                if not (0 <= k < n) or not unsure(k):
                    break
                kind[k] = "UNCLEAR"
                k += step
    out: list[tuple[int, int, str]] = []
    for i, t in enumerate(kind):
        if t is None:
            continue
        ws, we = wt.spans[i]
        if out and out[-1][2] == t and wt.text[out[-1][1]:ws].strip() == "":
            out[-1] = (out[-1][0], we, t)
        else:
            out.append((ws, we, t))
    return out


def bleep(audio: Audio, spans: Sequence[Sequence[float]], mode: str = "tone") -> Audio:
    """Return a copy of ``audio`` with every [start, end] span replaced by a tone or silence."""
    if mode not in MODES:
        raise BadInput(f"bleep mode {mode!r} is not one of {', '.join(MODES)}")
    out = audio.samples.astype(np.float32, copy=True)
    rate = audio.rate
    fade = max(1, int(FADE_S * rate))
    for start, end in spans:
        a, b = max(0, int(np.floor(start * rate))), min(len(out), int(np.ceil(end * rate)))
        if b <= a:
            continue
        n = b - a
        if mode == "tone":
            t = np.arange(n, dtype=np.float32) / rate
            fill = (TONE_LEVEL * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
            ramp = np.ones(n, dtype=np.float32)
            k = min(fade, n // 2)
            if k:
                ramp[:k] = np.linspace(0, 1, k, dtype=np.float32)
                ramp[n - k:] = np.linspace(1, 0, k, dtype=np.float32)
            fill *= ramp
        else:
            fill = np.zeros(n, dtype=np.float32)
        out[a:b] = fill
    return Audio(out, rate)

"""Mask the audio of words that carry personal data, by a tone or by silence.

The redaction is decided on the transcript; the audio follows through the ASR's word
timestamps. Word boundaries from Whisper are approximate, so every masked span gets a
margin on both sides, and neighbouring spans are merged. Edges are faded over a few
milliseconds so the mask does not click (a click would not leak anything, it is just
unpleasant for reviewers who hear hundreds of clips).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ecoute.audio.io import Audio
from ecoute.errors import BadInput

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
                 char_spans: Sequence[tuple[int, int]], *, margin: float, duration: float) -> list[list[float]]:
    """Time spans [start, end] (s) covering every word that overlaps an entity, with margin, merged."""
    raw: list[tuple[float, float]] = []
    for cs, ce in char_spans:
        hit = [w for w, (ws, we) in zip(words, word_spans) if ws < ce and we > cs]
        if hit:
            raw.append((max(0.0, min(w.start for w in hit) - margin),
                        min(duration, max(w.end for w in hit) + margin)))
    merged: list[list[float]] = []
    for s, e in sorted(raw):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [[round(s, 3), round(e, 3)] for s, e in merged]


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

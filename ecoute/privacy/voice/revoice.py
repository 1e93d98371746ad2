"""Re-voicing: the redacted transcript spoken by our TTS, each word at its original time.

Nothing of the input's samples is used, only the word timings, so no trace of the
speaker's voice (timbre, pitch, accent of delivery) can remain; the reviewer still
hears words where and for as long as they were said, which is what intent and content
review needs. Words that the redaction replaced by a placeholder (``<CARD_NUMBER>``)
become a tone for their slot, like the bleep on disguised clips.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from ecoute.audio.io import Audio, resample
from ecoute.config import Settings
from ecoute.privacy.voice.pitch import time_stretch
from ecoute.speech.tts import get_tts

#: A placeholder left by text redaction, e.g. ``<CARD_NUMBER>`` or ``[PERSON]``.
PLACEHOLDER = re.compile(r"^[<\[][A-Z_]+[>\]][.,!?;:]*$")
#: Level of every re-voiced word (RMS); fixed so loudness tells nothing about the speaker.
WORD_RMS = 0.08
#: A word is squeezed or stretched at most this much to fit its slot; beyond, it is cut or padded.
MAX_STRETCH = 2.0
TONE_HZ = 1000.0

class WordLike(Protocol):
    """Read-only members, so any word type with these fields fits (a list of them too)."""

    @property
    def word(self) -> str: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...


class TranscriptLike(Protocol):
    """What re-voicing needs of a transcript: its text and timed words (already redacted)."""

    @property
    def text(self) -> str: ...
    @property
    def words(self) -> Sequence[WordLike]: ...


Synthesize = Callable[[str, str], Audio]


def tts_synthesizer(settings: Settings | None) -> tuple[Synthesize, str]:
    """The assistant's configured TTS (one voice for everybody), and its name."""
    engine = get_tts(settings if settings is not None else Settings.load())
    return engine.synthesize, str(getattr(engine, "name", type(engine).__name__))


def _trim_silence(samples: np.ndarray, floor: float = 0.01) -> np.ndarray:
    """TTS pads words with silence; cut it so the word fills its slot."""
    loud = np.flatnonzero(np.abs(samples) > floor * max(np.abs(samples).max(), 1e-9))
    return samples[loud[0] : loud[-1] + 1] if loud.size else samples[:0]


def _fit(samples: np.ndarray, n: int, rate: int) -> np.ndarray:
    """Stretch ``samples`` towards ``n`` samples (bounded), then pad or cut with short fades."""
    if n <= 0 or samples.size == 0:
        return np.zeros(max(n, 0))
    factor = float(np.clip(n / samples.size, 1.0 / MAX_STRETCH, MAX_STRETCH))
    if abs(factor - 1.0) > 0.02 and samples.size > 512:
        samples = time_stretch(samples, factor, frame_len=512)
    out = np.zeros(n)
    m = min(n, samples.size)
    out[:m] = samples[:m]
    fade = min(m // 2, int(0.005 * rate))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        out[:fade] *= ramp
        out[m - fade : m] *= ramp[::-1]
    return out


def _tone(n: int, rate: int) -> np.ndarray:
    t = np.arange(n) / rate
    return np.sin(2.0 * np.pi * TONE_HZ * t) * WORD_RMS * np.sqrt(2.0)


def revoice(
    audio: Audio,
    transcript: TranscriptLike,
    language: str,
    synthesize: Synthesize,
) -> tuple[Audio, dict]:
    """Speak ``transcript`` word by word into a silent clip as long as ``audio``."""
    rate = audio.rate
    out = np.zeros(len(audio.samples))
    cache: dict[str, np.ndarray] = {}
    spoken = toned = 0
    for w in transcript.words:
        start = max(0, round(w.start * rate))
        end = min(len(out), round(w.end * rate))
        # ASR words can start with a dash ("-ish"); a TTS command line would read it as an option.
        token = w.word.strip().lstrip("-–—").strip()
        if end <= start or not token:
            continue
        if PLACEHOLDER.match(token):
            out[start:end] = _tone(end - start, rate)
            toned += 1
            continue
        if token not in cache:
            speech = synthesize(token, language)
            samples = speech.samples.astype(np.float64)
            if speech.rate != rate:
                samples = resample(samples.astype(np.float32), speech.rate, rate).astype(np.float64)
            samples = _trim_silence(samples)
            rms = np.sqrt(np.mean(samples**2)) if samples.size else 0.0
            cache[token] = samples * (WORD_RMS / rms) if rms > 0 else samples
        out[start:end] = _fit(cache[token], end - start, rate)
        spoken += 1
    return Audio(out.astype(np.float32), rate), {"words": spoken, "tones": toned}

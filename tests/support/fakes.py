"""Fake engines for tests about our logic rather than a model (like Home Assistant's mock providers).

Each fake satisfies its family's protocol and is registered through :mod:`ecoute.plugins`
under the name ``"fake"``, exactly as a third-party engine would be, by the ``fake_engines``
fixture (a test module imports ``fake_engines_fixture`` to make it available). A test tunes the instances the fixture returns (``fakes.asr.text = …``) and uses
``fakes.settings`` (the given settings choosing every fake engine).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

import numpy as np
import pytest

from ecoute import plugins
from ecoute.audio.io import Audio
from ecoute.audio.vad import VadStream
from ecoute.audio.wake import BYTES_PER_S, WakeStream
from ecoute.audio.wake import _Base as _DetectorBase  # the real detect(): tests exercise its peak logic
from ecoute.config import Settings
from ecoute.errors import BadInput
from ecoute.plugins import Family
from ecoute.speech.asr import Transcript, Word

FAKE = "fake"
RATE = 16000


class FakeAsr:
    """Returns ``text`` with the given word timings (or evenly spaced ones), and records each call."""

    name = "fake-asr"

    def __init__(self, text: str = "alexa what time is it", words: list[Word] | None = None,
                 language: str = "en") -> None:
        self.text, self.words, self.language = text, words, language
        self.calls: list[dict] = []

    def transcribe(self, audio: Audio, language: str | None = None, *, hotwords: str | None = None,
                   initial_prompt: str | None = None) -> Transcript:
        self.calls.append({"language": language, "hotwords": hotwords, "initial_prompt": initial_prompt})
        words = self.words if self.words is not None else spaced_words(self.text, audio.duration)
        return Transcript(self.text, language or self.language, list(words), audio.duration, self.name)


def spaced_words(text: str, duration: float) -> list[Word]:
    """One word per equal slice of ``duration`` (a plausible timing for a scripted transcript)."""
    tokens = text.split()
    step = duration / max(1, len(tokens))
    return [Word(w, round(i * step, 3), round((i + 0.8) * step, 3)) for i, w in enumerate(tokens)]


class FakeTts:
    """A tone whose length grows with the text (0.05 s a character), and the real engines' empty-text error."""

    name = "fake-tts"

    def __init__(self, frequency: float = 440.0) -> None:
        self.frequency = frequency
        self.spoken: list[tuple[str, str]] = []

    def synthesize(self, text: str, language: str) -> Audio:
        if not text.strip():
            raise BadInput("nothing to say: empty text")
        self.spoken.append((text, language))
        return tone(0.05 * len(text), self.frequency)


def tone(seconds: float, frequency: float = 440.0, amplitude: float = 0.3) -> Audio:
    t = np.arange(int(seconds * RATE)) / RATE
    return Audio((amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32), RATE)


class _ScriptedWakeStream:
    def __init__(self, scores: list[float], hop_s: float) -> None:
        self._scores, self._hop_bytes = list(scores), int(hop_s * BYTES_PER_S)
        self._bytes = self._emitted = 0

    def feed(self, pcm: bytes) -> Iterator[tuple[float, float]]:
        self._bytes += len(pcm)
        while (self._emitted + 1) * self._hop_bytes <= self._bytes:
            score = self._scores[self._emitted] if self._emitted < len(self._scores) else 0.0
            self._emitted += 1
            yield self._emitted * self._hop_bytes / BYTES_PER_S, score


class FakeWakeDetector(_DetectorBase):
    """Scores from a script, one per ``hop_s`` of audio fed (0.0 once the script runs out)."""

    name = "fake-wake"

    def __init__(self, scores: list[float] | None = None, *, threshold: float = 0.5, hop_s: float = 0.08,
                 model: str = "alexa") -> None:
        self.scores = list(scores or [])
        self.threshold, self.hop_s, self.model = threshold, hop_s, model
        self.chunk_bytes = int(hop_s * BYTES_PER_S)

    def stream(self) -> WakeStream:
        return _ScriptedWakeStream(self.scores, self.hop_s)


class _EnergyStream:
    def __init__(self, level: float) -> None:
        self._level = level

    def prob(self, frame: np.ndarray) -> float:
        return 1.0 if float(np.sqrt(np.mean(np.square(frame)))) > self._level else 0.0


class FakeVad:
    """Speech wherever a 10 ms frame's RMS exceeds ``level``: tones are speech, silence is not."""

    name = "fake-vad"
    frame_samples = 160
    threshold = 0.5

    def __init__(self, level: float = 0.01) -> None:
        self.level = level

    def stream(self) -> VadStream:
        return _EnergyStream(self.level)


class MemoryBlobStore:
    """Blobs in a dict: for tests of what is stored, without a data dir."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> None:
        self.blobs[key] = data

    def get(self, key: str) -> bytes:
        try:
            return self.blobs[key]
        except KeyError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        self.blobs.pop(key, None)

    def exists(self, key: str) -> bool:
        return key in self.blobs

    def keys(self, prefix: str = "") -> Iterator[str]:
        yield from sorted(k for k in self.blobs if k.startswith(prefix))


@dataclass
class Fakes:
    """The fake engines a test talks to, and settings that choose them."""

    settings: Settings
    asr: FakeAsr = field(default_factory=FakeAsr)
    tts: FakeTts = field(default_factory=FakeTts)
    wake: FakeWakeDetector = field(default_factory=FakeWakeDetector)
    vad: FakeVad = field(default_factory=FakeVad)
    blobs: MemoryBlobStore = field(default_factory=MemoryBlobStore)


def register_fakes(stack: ExitStack, fakes: Fakes) -> None:
    """Register every fake under ``"fake"`` until ``stack`` closes."""
    for family, engine, languages in ((Family.ASR, fakes.asr, ["en", "fr", "de"]),
                                      (Family.TTS, fakes.tts, ["en", "fr", "de"]),
                                      (Family.WAKE, fakes.wake, plugins.ANY_LANGUAGE),
                                      (Family.VAD, fakes.vad, plugins.ANY_LANGUAGE),
                                      (Family.BLOBS, fakes.blobs, plugins.ANY_LANGUAGE)):
        factory = plugins.declare(languages)(_returning(engine))
        stack.enter_context(plugins.registered(family, FAKE, factory))


def _returning(engine: object) -> plugins.Factory:
    def factory(settings: Settings) -> object:
        return engine

    return factory


@pytest.fixture(name="fake_engines")
def fake_engines_fixture(settings: Settings) -> Iterator[Fakes]:
    """Every fake registered as ``"fake"``; ``fakes.settings`` picks them all."""
    chosen = settings.replace(asr_engine=FAKE, tts_engine=FAKE, wake_engine=FAKE, vad_engine=FAKE, blob_store=FAKE)
    fakes = Fakes(chosen)
    with ExitStack() as stack:
        register_fakes(stack, fakes)
        yield fakes

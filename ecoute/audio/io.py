"""Read any audio a user may hand us into 16 kHz mono float32, or refuse it clearly.

Everything downstream (wake word, VAD, ASR, redaction) works on one format, so the
conversion happens once, here. soundfile (libsndfile) reads WAV/FLAC/OGG/MP3 without
spawning processes; PyAV (already pulled in by faster-whisper) is the fallback for
containers libsndfile does not know. Inputs are probed before they are decoded
(:mod:`ecoute.audio.probe`) and decoded in bounded blocks (:mod:`ecoute.audio.decode`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from ecoute.audio.decode import decode
from ecoute.audio.probe import AudioLimits, probe
from ecoute.errors import AudioError

TARGET_RATE = 16000


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] at ``rate`` Hz."""

    samples: np.ndarray
    rate: int = TARGET_RATE

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.rate)

    def pcm16(self) -> bytes:
        """16-bit little-endian PCM bytes, the format wake-word and VAD engines take."""
        return to_pcm16(self.samples)


def to_pcm16(samples: np.ndarray) -> bytes:
    clipped = np.clip(samples, -1.0, 1.0)
    return (clipped * 32767.0).astype("<i2").tobytes()


def from_pcm16(data: bytes, rate: int = TARGET_RATE) -> Audio:
    if len(data) % 2:
        raise AudioError("raw PCM must be 16-bit: odd number of bytes")
    samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    return Audio(samples, rate)


def resample(samples: np.ndarray, src_rate: int, dst_rate: int = TARGET_RATE) -> np.ndarray:
    if src_rate == dst_rate:
        return samples.astype(np.float32, copy=False)
    # Common rates reduce to small factors (44.1 kHz → 160/441); an odd rate such as 191999 Hz
    # would need a filter of millions of taps, so its ratio is approximated (error < 0.1 %).
    ratio = Fraction(dst_rate, src_rate).limit_denominator(1000)
    return resample_poly(samples, ratio.numerator, ratio.denominator).astype(np.float32)


def load_audio(
    source: str | Path | bytes,
    *,
    max_seconds: float | None = None,
    rate: int = TARGET_RATE,
    limits: AudioLimits | None = None,
) -> Audio:
    """Decode ``source`` (a path or the file's bytes) to mono float32 at ``rate``.

    Raises :class:`AudioError` with a reason a person can act on when the input is
    missing, unreadable, empty/silent-length zero, truncated, or over the limits
    (``max_seconds``, or the channel/rate/duration ``limits``). The headers are probed
    first and decoding streams in blocks, so an input over the limits is refused
    without being decoded whole (see :mod:`ecoute.audio.probe`).
    """
    if isinstance(source, bytes):
        if not source:
            raise AudioError("audio is empty (0 bytes)")
        return _load(source, max_seconds, rate, limits)
    path, name = Path(source), str(source)
    if not path.exists():
        raise AudioError(f"{name}: no such file")
    if path.is_dir():
        raise AudioError(f"{name}: is a directory, expected an audio file")
    if path.stat().st_size == 0:
        raise AudioError(f"{name}: file is empty")
    try:
        return _load(path.read_bytes(), max_seconds, rate, limits)
    except AudioError as err:  # the CLI names the file it was given
        raise AudioError(f"{name}: {err}") from None


def _load(data: bytes, max_seconds: float | None, rate: int, limits: AudioLimits | None) -> Audio:
    limits = limits or AudioLimits()
    if max_seconds is not None:
        limits = replace(limits, max_seconds=max_seconds)
    info = probe(data, limits)
    samples, src_rate = decode(data, info, limits, av_rate=rate)
    if samples.size == 0:
        raise AudioError("contains no audio samples")
    return Audio(resample(samples, src_rate, rate), rate)


def write_wav(path: str | Path, audio: Audio) -> None:
    """Write 16-bit PCM WAV with no metadata chunks (soundfile writes none unless asked)."""
    sf.write(str(path), np.clip(audio.samples, -1.0, 1.0), audio.rate, subtype="PCM_16", format="WAV")


def wav_bytes(audio: Audio) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, np.clip(audio.samples, -1.0, 1.0), audio.rate, subtype="PCM_16", format="WAV")
    return buf.getvalue()

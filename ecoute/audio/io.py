"""Read any audio a user may hand us into 16 kHz mono float32, or refuse it clearly.

Everything downstream (wake word, VAD, ASR, redaction) works on one format, so the
conversion happens once, here. soundfile (libsndfile) reads WAV/FLAC/OGG/MP3 without
spawning processes; PyAV (already pulled in by faster-whisper) is the fallback for
containers libsndfile does not know.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

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
    g = gcd(src_rate, dst_rate)
    return resample_poly(samples, dst_rate // g, src_rate // g).astype(np.float32)


def load_audio(
    source: str | Path | bytes,
    *,
    max_seconds: float | None = None,
    rate: int = TARGET_RATE,
) -> Audio:
    """Decode ``source`` (a path or the file's bytes) to mono float32 at ``rate``.

    Raises :class:`AudioError` with a reason a person can act on when the input is
    missing, unreadable, empty/silent-length zero, or longer than ``max_seconds``.
    """
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    if not isinstance(source, bytes):
        path = Path(source)
        if not path.exists():
            raise AudioError(f"{name}: no such file")
        if path.is_dir():
            raise AudioError(f"{name}: is a directory, expected an audio file")
        if path.stat().st_size == 0:
            raise AudioError(f"{name}: file is empty")
    elif not source:
        raise AudioError("audio is empty (0 bytes)")

    data, src_rate = _decode(source, name)
    if data.size == 0:
        raise AudioError(f"{name}: contains no audio samples")
    if data.ndim == 2:
        data = data.mean(axis=1)
    duration = len(data) / float(src_rate)
    if max_seconds is not None and duration > max_seconds:
        raise AudioError(
            f"{name}: {duration:.1f} s is longer than the limit of {max_seconds:.0f} s "
            "(set ECOUTE_MAX_AUDIO_SECONDS to change it)"
        )
    return Audio(resample(data.astype(np.float32), src_rate, rate), rate)


def _decode(source: str | Path | bytes, name: str) -> tuple[np.ndarray, int]:
    try:
        handle = io.BytesIO(source) if isinstance(source, bytes) else str(source)
        data, src_rate = sf.read(handle, dtype="float32", always_2d=False)
        return data, int(src_rate)
    except Exception as sf_error:  # libsndfile does not know the format: try PyAV
        try:
            return _decode_with_av(source)
        except Exception:
            raise AudioError(f"{name}: not a readable audio file ({sf_error})") from None


def _decode_with_av(source: str | Path | bytes) -> tuple[np.ndarray, int]:
    import av  # imported lazily: only needed for formats libsndfile lacks

    handle = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    with av.open(handle, mode="r") as container:
        stream = next(iter(container.streams.audio))
        resampler = av.AudioResampler(format="flt", layout="mono", rate=TARGET_RATE)
        chunks = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
    if not chunks:
        return np.zeros(0, dtype=np.float32), TARGET_RATE
    return np.concatenate(chunks).astype(np.float32), TARGET_RATE


def write_wav(path: str | Path, audio: Audio) -> None:
    """Write 16-bit PCM WAV with no metadata chunks (soundfile writes none unless asked)."""
    sf.write(str(path), np.clip(audio.samples, -1.0, 1.0), audio.rate, subtype="PCM_16", format="WAV")


def wav_bytes(audio: Audio) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, np.clip(audio.samples, -1.0, 1.0), audio.rate, subtype="PCM_16", format="WAV")
    return buf.getvalue()

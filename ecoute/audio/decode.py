"""Decode audio bytes to mono float32 in blocks, stopping at the duration limit.

The headers were checked by :func:`ecoute.audio.probe.probe`, but a header can lie (a FLAC
whose STREAMINFO says 1 s and whose frames go on for an hour). So decoding streams in
blocks, mixes each block down to mono at once, and stops as soon as the running length
passes the limit: memory never grows past ``limit × rate`` mono samples plus one block,
whatever the container claims.
"""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

from ecoute.audio.probe import AudioInfo, AudioLimits, unreadable
from ecoute.errors import AudioError

#: Frames per block: 64 Ki frames × ≤ 8 channels × 4 bytes = at most 2 MiB in flight.
BLOCK_FRAMES = 65536
#: Lossless containers state their length exactly; decoding less than this share of it means truncation.
_LOSSLESS = ("wav", "flac")
_TRUNCATION_TOLERANCE = 0.99


def decode(data: bytes, info: AudioInfo, limits: AudioLimits, *, av_rate: int) -> tuple[np.ndarray, int]:
    """Mono float32 samples and their rate; PyAV output is resampled to ``av_rate`` while decoding."""
    try:
        if info.decoder == "soundfile":
            samples, rate = _decode_soundfile(data, limits)
        else:
            samples, rate = _decode_av(data, limits, av_rate)
    except AudioError:
        raise
    except Exception:  # a decoder error deep inside a damaged stream: say so, not its internals
        raise unreadable(f"the {info.container.upper()} audio is damaged") from None
    if (info.container in _LOSSLESS and info.decoder == "soundfile" and info.frames
            and len(samples) < info.frames * _TRUNCATION_TOLERANCE):
        raise unreadable(f"the {info.container.upper()} file is truncated: its header promises "
                         f"{info.frames / info.rate:.2f} s, {len(samples) / rate:.2f} s could be decoded")
    # Non-finite samples (a float WAV of NaNs) would poison every later stage.
    return np.nan_to_num(samples, copy=False, nan=0.0, posinf=1.0, neginf=-1.0), rate


def _decode_soundfile(data: bytes, limits: AudioLimits) -> tuple[np.ndarray, int]:
    with sf.SoundFile(io.BytesIO(data)) as handle:
        rate, channels = int(handle.samplerate), int(handle.channels)
        limits.check(channels, rate, None)
        max_frames = limits.max_frames(rate)
        parts: list[np.ndarray] = []
        total = 0
        while True:
            block = handle.read(BLOCK_FRAMES, dtype="float32", always_2d=True)
            if not len(block):
                break
            total += len(block)
            if max_frames is not None and total > max_frames:
                raise limits.too_long(total / rate)
            with np.errstate(invalid="ignore", over="ignore"):  # NaN/inf in float files: cleaned below
                parts.append(block[:, 0].copy() if channels == 1 else block.mean(axis=1, dtype=np.float32))
    return (np.concatenate(parts) if parts else np.zeros(0, np.float32)), rate


def _decode_av(data: bytes, limits: AudioLimits, rate: int) -> tuple[np.ndarray, int]:
    import av  # only for containers libsndfile lacks

    max_frames = limits.max_frames(rate)
    parts: list[np.ndarray] = []
    total = 0
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = next(iter(container.streams.audio), None)
        if stream is None:
            raise unreadable("the file has no audio stream")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(stream):
            if not isinstance(frame, av.AudioFrame):
                continue
            limits.check(len(frame.layout.channels), int(frame.sample_rate), None)
            for out in resampler.resample(frame):
                chunk = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                total += len(chunk)
                if max_frames is not None and total > max_frames:
                    raise limits.too_long(total / rate)
                parts.append(chunk)
    return (np.concatenate(parts) if parts else np.zeros(0, np.float32)), rate

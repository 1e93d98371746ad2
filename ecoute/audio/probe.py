"""Look at audio bytes before decoding them: what container, how long, how many channels, at what rate.

An upload is refused from its headers when they already say it is over the limits, so a
small file that expands to an hour of 48 kHz stereo (an "audio bomb") costs a header read,
not gigabytes of float32. Headers can lie, so the decoder (:mod:`ecoute.audio.decode`)
enforces the same limits again while it streams; this module only makes the honest cases
cheap and catches a WAV whose data chunk is shorter than its header promises.

Messages say what is wrong in words a device maker can act on: no reprs, no paths, no
exception class names (they reach HTTP clients).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import soundfile as sf

from ecoute.errors import AudioError

#: Containers we decode, by their first bytes; anything else is refused before a decoder sees it
#: (so FFmpeg's demuxers for playlists, images or text never run on client bytes).
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"RIFF", "wav"),
    (0, b"RF64", "wav"),
    (0, b"fLaC", "flac"),
    (0, b"OggS", "ogg"),
    (0, b"ID3", "mp3"),
    (4, b"ftyp", "mp4"),
    (0, b"\x1aE\xdf\xa3", "webm"),
    (0, b"FORM", "aiff"),
    (0, b".snd", "au"),
    (0, b"caff", "caf"),
)
SUPPORTED = "WAV, FLAC, OGG, MP3, M4A, WebM or AIFF"
#: WAV data chunk sizes that mean "unknown length": streaming writers that cannot seek back
#: put these (0 or 0xFFFFFFFF commonly; 0x7FFFF000 is what ``espeak-ng --stdout`` writes).
_UNKNOWN_SIZES = (0, 0x7FFFF000, 0xFFFFFFFF)
#: WAV format tags with one fixed-size sample per channel per frame: PCM, IEEE float, extensible.
_LINEAR_TAGS = (0x0001, 0x0003, 0xFFFE)


@dataclass(frozen=True)
class AudioLimits:
    """What an input may be; ``None`` means no limit on that axis."""

    max_seconds: float | None = None
    max_channels: int = 8
    min_rate: int = 4000
    max_rate: int = 192000

    def max_frames(self, rate: int) -> int | None:
        """Frames at ``rate`` beyond which the input is over ``max_seconds``."""
        return None if self.max_seconds is None else int(self.max_seconds * rate) + 1

    def too_long(self, seconds: float) -> AudioError:
        assert self.max_seconds is not None
        return AudioError(f"the audio is longer than the limit of {self.max_seconds:.0f} s "
                          f"({seconds:.1f} s or more; set ECOUTE_MAX_AUDIO_SECONDS to change it)")

    def check(self, channels: int, rate: int, frames: int | None) -> None:
        if channels < 1:
            raise AudioError("the audio header declares no channels")
        if channels > self.max_channels:
            raise AudioError(f"the audio has {channels} channels; at most {self.max_channels} are accepted")
        if not self.min_rate <= rate <= self.max_rate:
            raise AudioError(f"the audio sample rate {rate} Hz is outside {self.min_rate}–{self.max_rate} Hz")
        if frames and self.max_seconds is not None and frames / rate > self.max_seconds:
            raise self.too_long(frames / rate)


@dataclass(frozen=True)
class AudioInfo:
    container: str  # by magic bytes: wav, flac, ogg, mp3, mp4, webm
    codec: str  # libsndfile subtype or FFmpeg codec name
    channels: int
    rate: int
    frames: int | None  # None when the container does not say
    decoder: str  # "soundfile" or "av"


def unreadable(reason: str) -> AudioError:
    """The one wording for input no decoder should be trusted with (kept stable: clients match it)."""
    return AudioError(f"not a readable audio file: {reason}")


def sniff(data: bytes) -> str:
    """The container named by ``data``'s first bytes, or an :class:`AudioError`."""
    for offset, magic, name in _MAGIC:
        if data[offset:offset + len(magic)] == magic:
            return name
    if len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:  # MPEG audio frame sync
        return "mp3"
    raise unreadable(f"not a supported format (send {SUPPORTED})")


def check_wav_chunks(data: bytes) -> None:
    """Refuse a RIFF/WAVE file whose chunks are inconsistent or whose data chunk is cut short.

    libsndfile quietly reads what is there, so a header promising 10 s followed by 0.5 s of
    samples would otherwise be stored as a 0.5 s turn.
    """
    if data[:4] != b"RIFF":
        return  # RF64 keeps its sizes elsewhere; libsndfile checks it
    if len(data) < 12 or data[8:12] != b"WAVE":
        raise unreadable("no WAVE header")
    pos, block_align, linear = 12, 0, False
    while pos + 8 <= len(data):
        chunk_id, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        if chunk_id == b"fmt ":
            if size < 16 or body + 16 > len(data):
                raise unreadable("the WAV file is truncated (its format chunk is incomplete)")
            tag, channels, rate, _, block_align, bits = struct.unpack_from("<HHIIHH", data, body)
            if channels == 0 or rate == 0 or block_align == 0:
                raise unreadable("the WAV format chunk is inconsistent (zero channels, rate or block size)")
            linear = tag in _LINEAR_TAGS
            if linear and (bits == 0 or block_align != channels * ((bits + 7) // 8)):
                raise unreadable("the WAV format chunk is inconsistent (block size does not match "
                                 "channels × sample size)")
        elif chunk_id == b"data":
            if not block_align:
                raise unreadable("the WAV file has sample data before its format chunk")
            if size in _UNKNOWN_SIZES:
                return
            if body + size > len(data):
                raise unreadable(f"the WAV file is truncated: its header promises {size} bytes of samples, "
                                 f"{len(data) - body} follow")
            if linear and size % block_align:
                raise unreadable("the WAV data chunk is inconsistent (not a whole number of frames)")
            return
        pos = body + size + (size & 1)  # chunks are word aligned
    raise unreadable("the WAV file is truncated (no sample data)")


def probe(data: bytes, limits: AudioLimits) -> AudioInfo:
    """Identify ``data`` from its headers and refuse it when they are over ``limits``."""
    container = sniff(data)
    if container == "wav":
        check_wav_chunks(data)
    try:
        info = sf.info(io.BytesIO(data))
    except Exception:  # libsndfile does not know it (or it is damaged): ask FFmpeg
        if container in ("wav", "flac"):
            raise unreadable(f"the {container.upper()} file is damaged") from None
        found = _probe_av(data, container)
    else:
        frames = int(info.frames) if 0 < info.frames < 2**62 else None
        found = AudioInfo(container, str(info.subtype), int(info.channels), int(info.samplerate), frames,
                          "soundfile")
    limits.check(found.channels, found.rate, found.frames)
    return found


def _probe_av(data: bytes, container: str) -> AudioInfo:
    import av  # only for containers libsndfile lacks (M4A, WebM, Opus in some builds)

    try:
        with av.open(io.BytesIO(data), mode="r") as handle:
            stream = next(iter(handle.streams.audio), None)
            if stream is None:
                raise unreadable("the file has no audio stream")
            ctx = stream.codec_context
            channels = int(getattr(ctx, "channels", 0) or len(getattr(ctx.layout, "channels", ())) or 0)
            rate = int(ctx.sample_rate or 0)
            frames = None
            if handle.duration and rate:
                frames = int(handle.duration / 1_000_000 * rate)
            return AudioInfo(container, str(ctx.name), channels, rate, frames, "av")
    except AudioError:
        raise
    except Exception:
        raise unreadable(f"send {SUPPORTED}") from None

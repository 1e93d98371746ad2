"""Where a satellite's audio comes from: a file, raw PCM on stdin, or a microphone.

Every source yields 16 kHz 16-bit mono PCM chunks, so the listening loop does not care
which one it reads. A muted device never calls these at all: nothing is captured.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from ecoute.audio.io import load_audio
from ecoute.errors import BadInput

RATE = 16000
CHUNK_BYTES = 2560  # 80 ms


def file_source(path: str | Path, *, max_seconds: float | None = None, realtime: bool = False) -> Iterator[bytes]:
    """A recording, decoded once; ``realtime`` paces it like a live microphone."""
    pcm = load_audio(path, max_seconds=max_seconds).pcm16()
    for i in range(0, len(pcm), CHUNK_BYTES):
        if realtime:
            time.sleep(CHUNK_BYTES / 2 / RATE)
        yield pcm[i : i + CHUNK_BYTES]


def stdin_source(stream: BinaryIO | None = None) -> Iterator[bytes]:
    """Raw 16 kHz 16-bit little-endian mono PCM, e.g. ``arecord -r 16000 -f S16_LE -c 1 | ecoute device --stdin``."""
    stream = stream or sys.stdin.buffer
    carry = b""
    while True:
        data = stream.read(CHUNK_BYTES)
        if not data:
            break
        data = carry + data
        cut = len(data) - len(data) % 2
        carry = data[cut:]
        if cut:
            yield data[:cut]


def mic_source(device: str | int | None = None) -> Iterator[bytes]:
    """The default (or named) microphone through sounddevice (PortAudio)."""
    try:
        import sounddevice as sd
    except OSError as err:  # PortAudio missing
        raise BadInput(f"no microphone support on this machine ({err})") from None
    try:
        sd.check_input_settings(device=device, channels=1, samplerate=RATE, dtype="int16")
    except Exception as err:
        raise BadInput(f"no usable microphone: {err}") from None
    with sd.RawInputStream(samplerate=RATE, channels=1, dtype="int16", blocksize=CHUNK_BYTES // 2,
                           device=device) as stream:
        while True:
            data, _overflowed = stream.read(CHUNK_BYTES // 2)
            yield bytes(data)


SOURCES: dict[str, Callable[..., Iterator[bytes]]] = {
    "file": file_source,
    "stdin": stdin_source,
    "mic": mic_source,
}

"""Synthesised speech for tests, benchmarks and the demo (espeak-ng and flite from Debian).

Real recordings of owners cannot ship with the project, so every test set is spoken by
our TTS voices with speed and pitch variants, and cached on disk by content hash so a
second run costs nothing. This is not the assistant's answer voice (see speech/tts.py).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecoute.audio.io import Audio, load_audio, write_wav
from ecoute.config import Settings


@dataclass(frozen=True)
class Voice:
    """One synthetic speaker: ``engine`` is espeak-ng or flite; ``name`` its voice id."""

    engine: str
    name: str
    speed: int = 160  # words per minute (espeak-ng only)
    pitch: int = 50  # 0..99 (espeak-ng only)

    @property
    def label(self) -> str:
        return f"{self.engine}:{self.name}:{self.speed}:{self.pitch}"


#: Several speakers per language; flite speaks English only.
VOICES: dict[str, list[Voice]] = {
    "en": [
        Voice("espeak-ng", "en-us"),
        Voice("espeak-ng", "en+m3", 150, 40),
        Voice("espeak-ng", "en-us+f2", 170, 60),
        Voice("espeak-ng", "en-gb+m1", 140, 45),
        Voice("espeak-ng", "en-us+f4", 155, 70),
        Voice("flite", "slt"),
        Voice("flite", "awb"),
        Voice("flite", "rms"),
        Voice("flite", "kal16"),
    ],
    "fr": [
        Voice("espeak-ng", "fr"),
        Voice("espeak-ng", "fr+f2", 150, 60),
        Voice("espeak-ng", "fr+m3", 140, 40),
        Voice("espeak-ng", "fr-be+f4", 160, 55),
    ],
    "de": [
        Voice("espeak-ng", "de"),
        Voice("espeak-ng", "de+f2", 150, 60),
        Voice("espeak-ng", "de+m3", 140, 40),
        Voice("espeak-ng", "de+f4", 160, 55),
    ],
}


def cache_dir() -> Path:
    """The synthesis cache (ECOUTE_SYNTH_CACHE, default ~/.cache/ecoute/synth)."""
    path = Settings.load().store.synth_cache
    path.mkdir(parents=True, exist_ok=True)
    return path


def speak(text: str, voice: Voice | None = None, *, lang: str = "en") -> Path:
    """Return the path of a cached 16 kHz mono WAV of ``voice`` saying ``text``."""
    voice = voice or VOICES[lang][0]
    key = hashlib.sha256(f"{voice.label}|{text}".encode()).hexdigest()[:24]
    out = cache_dir() / f"{key}.wav"
    if out.exists():
        return out
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        if voice.engine == "espeak-ng":
            cmd = ["espeak-ng", "-v", voice.name, "-s", str(voice.speed), "-p", str(voice.pitch), "-w", str(raw), text]
        elif voice.engine == "flite":
            cmd = ["flite", "-voice", voice.name, "-t", text, "-o", str(raw)]
        else:
            raise ValueError(f"unknown synthesis engine {voice.engine!r}")
        if shutil.which(cmd[0]) is None:
            raise RuntimeError(f"{cmd[0]} is not installed (apt-get install espeak-ng flite)")
        subprocess.run(cmd, check=True, capture_output=True)
        audio = load_audio(raw)
        tmp_out = Path(tmp) / "out.wav"
        write_wav(tmp_out, audio)
        shutil.move(str(tmp_out), out)  # atomic within one filesystem in the common case
    return out


def concat(parts: list[Audio | float], rate: int = 16000) -> Audio:
    """Join clips and pauses (a float is seconds of silence) into one clip."""
    chunks = [
        np.zeros(int(p * rate), dtype=np.float32) if isinstance(p, (int, float)) else p.samples
        for p in parts
    ]
    return Audio(np.concatenate(chunks).astype(np.float32), rate)


def wake_and_request(request: str, voice: Voice | None = None, *, lang: str = "en",
                     wake_word: str = "alexa", lead_in: float = 0.5, gap: float = 0.25,
                     tail: float = 0.8) -> Audio:
    """A turn as a speaker hears it: silence, the wake word, a short gap, the request, silence."""
    wake = load_audio(speak(wake_word, voice, lang=lang))
    req = load_audio(speak(request, voice, lang=lang))
    return concat([lead_in, wake, gap, req, tail])

"""Text to speech for the assistant's answers.

espeak-ng (Debian) is the default because it speaks en/fr/de, is tiny and needs no
model file. Piper sounds better but ships no voice: it is used only when an operator
configures a voice file, and asking for it without one is a clear error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from ecoute import plugins
from ecoute.audio.io import Audio, load_audio, resample
from ecoute.config import Settings
from ecoute.errors import BadInput, EcouteError
from ecoute.plugins import Family

#: espeak-ng voice per answer language.
ESPEAK_VOICES = {"en": "en-us", "fr": "fr", "de": "de"}


@runtime_checkable
class TtsEngine(Protocol):
    name: str

    def synthesize(self, text: str, language: str) -> Audio: ...


class EspeakTts:
    name = "espeak-ng"

    def __init__(self, speed: int = 165) -> None:
        if shutil.which("espeak-ng") is None:
            raise EcouteError("espeak-ng is not installed (apt-get install espeak-ng)")
        self.speed = speed

    def synthesize(self, text: str, language: str) -> Audio:
        voice = ESPEAK_VOICES.get(language)
        if voice is None:
            raise BadInput(f"no espeak-ng voice for language {language!r}")
        if not text.strip():
            raise BadInput("nothing to say: empty text")
        # --stdout gives a WAV on stdout: no temporary file to clean up. The text goes on
        # stdin so a word starting with "-" (ASR output can) is never read as an option.
        proc = subprocess.run(["espeak-ng", "-v", voice, "-s", str(self.speed), "--stdout", "--stdin"],
                              input=text.encode(), capture_output=True, check=False, timeout=30)
        if proc.returncode != 0 or not proc.stdout:
            raise EcouteError(f"espeak-ng failed: {proc.stderr.decode(errors='replace').strip()}")
        return load_audio(proc.stdout)


class PiperTts:
    """An operator-provided Piper voice (.onnx + .onnx.json next to it)."""

    name = "piper"

    def __init__(self, voice_path: str) -> None:
        if not voice_path:
            raise BadInput("the piper TTS engine needs a voice: set ECOUTE_PIPER_VOICE to an .onnx file")
        path = Path(voice_path).expanduser()
        if not path.is_file():
            raise BadInput(f"{path}: Piper voice file not found")
        try:
            from piper import PiperVoice
        except ImportError:
            raise EcouteError("the piper engine needs the piper-tts package (pip install piper-tts)") from None
        self.voice = PiperVoice.load(str(path))

    def synthesize(self, text: str, language: str) -> Audio:
        chunks = list(self.voice.synthesize(text))
        if not chunks:
            raise EcouteError("piper produced no audio")
        pcm = np.concatenate([np.frombuffer(c.audio_int16_bytes, dtype="<i2") for c in chunks])
        samples = pcm.astype(np.float32) / 32768.0
        return Audio(resample(samples, chunks[0].sample_rate), 16000)


@lru_cache(maxsize=4)
def _piper(voice_path: str) -> PiperTts:
    return PiperTts(voice_path)


@plugins.declare(tuple(ESPEAK_VOICES))
def espeak_ng(settings: Settings) -> TtsEngine:
    return EspeakTts()


def _piper_languages(settings: Settings) -> list[str]:
    """The language of the configured voice, from the .onnx.json Piper ships beside every voice."""
    config = Path(settings.speech.piper_voice + ".json").expanduser()
    if not settings.speech.piper_voice or not config.is_file():
        return []
    language = json.loads(config.read_text()).get("language", {})
    return [language["family"]] if language.get("family") else []


@plugins.declare(_piper_languages)
def piper(settings: Settings) -> TtsEngine:
    return _piper(settings.speech.piper_voice)


def get_tts(settings: Settings) -> TtsEngine:
    """The configured engine; piper is also picked when a voice file is configured."""
    engine = plugins.create(Family.TTS, settings)
    if not isinstance(engine, TtsEngine):
        raise plugins.wrong_engine(Family.TTS, engine, TtsEngine)
    return engine

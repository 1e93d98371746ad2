"""Speech to text: one small protocol, engines from the registry (:mod:`ecoute.plugins`).

faster-whisper is the default (tiny.en for English, the joined multilingual base for
French, German and language detection); pocketsphinx is the light English fallback.
Models load once per (engine, model, options) and stay in memory, because loading costs
more than transcribing a short request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from ecoute import plugins
from ecoute.audio.io import Audio
from ecoute.config import Settings
from ecoute.errors import BadInput
from ecoute.plugins import Family
from ecoute.speech import models

#: Languages the assistant understands end to end; "auto" means "detect".
LANGUAGES = ("en", "fr", "de")


@dataclass
class Word:
    word: str
    start: float
    end: float
    probability: float = 1.0  # the ASR's confidence in the word; 1.0 where the engine gives none


@dataclass
class Transcript:
    text: str
    language: str
    words: list[Word] = field(default_factory=list)
    duration: float = 0.0
    engine: str = ""

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "language": self.language,
            # the CLI contract: word, start, end (the probability stays internal)
            "words": [{"word": w.word, "start": w.start, "end": w.end} for w in self.words],
            "duration": round(self.duration, 3),
            "engine": self.engine,
        }


@runtime_checkable
class AsrEngine(Protocol):
    """What the pipeline calls; ``name`` is what transcripts record as their engine."""

    name: str

    def transcribe(
        self,
        audio: Audio,
        language: str | None = None,
        *,
        hotwords: str | None = None,
        initial_prompt: str | None = None,
    ) -> Transcript: ...


class FasterWhisperEngine:
    """CTranslate2 Whisper, int8 on CPU, greedy or beam, temperature 0, word timestamps on."""

    def __init__(self, model_dir: Path, *, beam_size: int = 1, cpu_threads: int = 0, label: str = "") -> None:
        from faster_whisper import WhisperModel

        self.model_dir = model_dir
        self.model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=cpu_threads)
        self.multilingual = bool(self.model.model.is_multilingual)
        self.beam_size = beam_size
        self.name = f"faster-whisper:{label or model_dir.name}"
        self._lock = threading.Lock()  # one CTranslate2 model object, one decode at a time

    def transcribe(self, audio: Audio, language: str | None = None, *, hotwords: str | None = None,
                   initial_prompt: str | None = None) -> Transcript:
        lang = None if language in (None, "auto") else language
        if not self.multilingual:
            if lang not in (None, "en"):
                raise BadInput(f"the English-only model cannot transcribe {lang!r}; use the multilingual model")
            lang = "en"
        with self._lock:
            segments, info = self.model.transcribe(
                np.ascontiguousarray(audio.samples, dtype=np.float32),
                language=lang,
                beam_size=self.beam_size,
                temperature=0.0,  # no fallback loops on garbled input
                word_timestamps=True,
                condition_on_previous_text=False,
                vad_filter=False,
                hotwords=hotwords,
                initial_prompt=initial_prompt,
            )
            segments = list(segments)
        words = [Word(w.word.strip(), round(float(w.start), 3), round(float(w.end), 3),
                      round(float(getattr(w, "probability", 1.0)), 3))
                 for s in segments for w in (s.words or []) if w.word.strip()]
        text = " ".join(s.text.strip() for s in segments).strip()
        return Transcript(text, info.language, words, audio.duration, self.name)


class PocketsphinxEngine:
    """CMU pocketsphinx with its shipped en-us model: tiny and fast, poor on synthetic speech."""

    name = "pocketsphinx"
    _FRAME_S = 0.01

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        self._decoder = Decoder(samprate=16000, logfn="/dev/null")
        self._lock = threading.Lock()

    def transcribe(self, audio: Audio, language: str | None = None, *, hotwords: str | None = None,
                   initial_prompt: str | None = None) -> Transcript:
        if language not in (None, "auto", "en"):
            raise BadInput(f"pocketsphinx ships English only, not {language!r}")
        with self._lock:
            d = self._decoder
            d.start_utt()
            d.process_raw(audio.pcm16(), full_utt=True)
            d.end_utt()
            hyp = d.hyp()
            segs = list(d.seg()) if hyp is not None else []
        words = [Word(s.word.split("(")[0], round(s.start_frame * self._FRAME_S, 3),
                      round((s.end_frame + 1) * self._FRAME_S, 3))
                 for s in segs if not (s.word.startswith("<") or s.word.startswith("["))]
        return Transcript(" ".join(w.word for w in words), "en", words, audio.duration, self.name)


@lru_cache(maxsize=8)
def _whisper(model_dir: Path, beam_size: int, label: str) -> FasterWhisperEngine:
    return FasterWhisperEngine(model_dir, beam_size=beam_size, label=label)


@lru_cache(maxsize=1)
def _pocketsphinx() -> PocketsphinxEngine:
    return PocketsphinxEngine()


def _whisper_languages(settings: Settings) -> Iterable[str]:
    """Whisper's own language list: the multilingual model serves all of them (tiny.en only English)."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES  # the list WhisperModel.supported_languages returns

    return _LANGUAGE_CODES


@plugins.declare(_whisper_languages)
def faster_whisper(settings: Settings) -> AsrEngine:
    """tiny.en when ``settings.language`` is English, the multilingual model otherwise (and for "auto")."""
    name = settings.speech.asr_model_en if settings.speech.language == "en" else settings.speech.asr_model_multilingual
    label = name if name in models.BUILTIN else Path(name).name
    return _whisper(models.resolve(name, settings.store.cache_dir), settings.speech.asr_beam_size, label)


@plugins.declare(["en"])
def pocketsphinx(settings: Settings) -> AsrEngine:
    return _pocketsphinx()


def get_asr(settings: Settings, language: str | None = None) -> AsrEngine:
    """The configured engine for ``language`` (default: settings.language), loaded once and cached."""
    language = language or settings.speech.language
    if language not in (*LANGUAGES, "auto"):
        raise BadInput(f"unsupported language {language!r}; choose one of {', '.join(LANGUAGES)} or auto")
    if language != settings.speech.language:
        settings = settings.replace(language=language)
    engine = plugins.create(Family.ASR, settings)
    if not isinstance(engine, AsrEngine):
        raise plugins.wrong_engine(Family.ASR, engine, AsrEngine)
    return engine

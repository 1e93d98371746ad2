"""One voice turn, as a speaker runs it: wake word → end of request → ASR → intent → answer.

The order is also the privacy order: without a wake word nothing else runs and
nothing is kept; after the wake word, the second-stage check (stricter score,
transcript starts with the wake word, speech after it) can still discard the turn as
a false activation before any answer is produced. Every stage is timed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ecoute.assistant import intents as intent_mod
from ecoute.assistant.context import TurnContext
from ecoute.assistant.skills import answer as run_skill
from ecoute.audio.io import Audio
from ecoute.audio.vad import find_speech
from ecoute.audio.verify import DiscardReason, verify
from ecoute.audio.wake import get_wake_detector, wake_phrase
from ecoute.config import Settings
from ecoute.speech.asr import Transcript, Word, get_asr
from ecoute.speech.tts import get_tts

#: Audio kept before the detector's firing point for ASR, so the transcript contains the
#: wake word (the second check needs it); longer than any wake word.
WAKE_LOOKBACK_S = 1.2
#: Silence after speech that ends the request (the endpointer's patience).
END_SILENCE_S = 0.5
#: Audio after the VAD's last speech frame handed to ASR (word endings are quiet).
TAIL_S = 0.3


@dataclass
class TurnResult:
    wake: bool
    wake_score: float
    false_activation: bool = False
    false_activation_reason: DiscardReason | None = None
    transcript: Transcript | None = None
    language: str = "en"
    intent: str | None = None
    slots: dict = field(default_factory=dict)
    answer: str | None = None
    handled: bool = False
    confidence: float = 0.0
    answer_audio: Audio | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    device_wake_score: float | None = None
    #: Seconds into the audio where the request's speech ended (end of speech).
    speech_end_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "wake": self.wake,
            "wake_score": self.wake_score,
            "false_activation": self.false_activation,
            "false_activation_reason": self.false_activation_reason,
            "transcript": self.transcript.text if self.transcript else None,
            "words": [w.__dict__ for w in self.transcript.words] if self.transcript else [],
            "language": self.language,
            "intent": self.intent,
            "slots": self.slots,
            "answer": self.answer,
            "handled": self.handled,
            "confidence": self.confidence,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t0 = self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = (now - self._last) * 1000.0
        self._last = now

    def total(self) -> dict[str, float]:
        self.timings["total"] = (time.perf_counter() - self._t0) * 1000.0
        return self.timings


def _clip(audio: Audio, start_s: float, end_s: float) -> Audio:
    a, b = int(max(0.0, start_s) * audio.rate), int(min(audio.duration, end_s) * audio.rate)
    return Audio(np.ascontiguousarray(audio.samples[a:b]), audio.rate)


def _request_transcript(full: Transcript, skip_words: int, text: str, offset_s: float) -> Transcript:
    words = [Word(w.word, round(w.start + offset_s, 3), round(w.end + offset_s, 3)) for w in full.words[skip_words:]]
    return Transcript(text, full.language, words, full.duration, full.engine)


def run_turn(audio: Audio, settings: Settings, *, context: TurnContext | None = None,
             check_wake: bool = True, device_wake_score: float | None = None, speak: bool = False,
             language: str | None = None, min_wake_score: float | None = None,
             hotwords: str | None = None, end_silence_s: float | None = None) -> TurnResult:
    """Run one turn on ``audio`` (wake word + request, 16 kHz mono).

    ``check_wake=False`` is the server side: the device already fired (with
    ``device_wake_score``); the server still re-scores the wake word itself, because
    the second-stage check needs its own, stricter score and the wake word's end.
    ``min_wake_score`` is a per-device threshold tuned by the learning loop; ``hotwords``
    the domain vocabulary it learnt from reviews (passed to the ASR engine).
    ``end_silence_s`` overrides :data:`END_SILENCE_S` (benchmarks compare endpointer settings).
    """
    context = context or TurnContext()
    clock = _Clock()
    lang = language or settings.language
    detector = get_wake_detector(settings)
    wake = detector.detect(audio)
    clock.lap("wake")
    result = TurnResult(wake=True, wake_score=wake.score, language=lang if lang != "auto" else "en",
                        device_wake_score=device_wake_score)
    if check_wake and not wake.fired:
        result.wake = False
        result.timings_ms = clock.total()
        return result

    def discard(reason: DiscardReason) -> TurnResult:
        result.false_activation, result.false_activation_reason = True, reason
        result.timings_ms = clock.total()
        return result

    min_score = max(settings.wake_verify_score, detector.threshold, min_wake_score or 0.0)
    if not wake.fired or wake.end_s is None:
        return discard(DiscardReason.WAKE_SCORE_BELOW_VERIFY_THRESHOLD)

    endpoint = find_speech(audio, settings, start_s=wake.end_s, silence_s=END_SILENCE_S if end_silence_s is None else end_silence_s)
    clock.lap("vad")
    if not endpoint.speech or endpoint.end_s is None:
        return discard(DiscardReason.NO_SPEECH_AFTER_WAKE_WORD)
    result.speech_end_s = endpoint.end_s

    start = max(0.0, wake.end_s - WAKE_LOOKBACK_S)
    asr = get_asr(settings, lang)
    # The prompt tells Whisper a wake word opens the request (tiny.en hears "Hello, sir"
    # for some voices' "Alexa" without it). Only the wake word: a sample request in the
    # prompt gets copied into transcripts of unclear audio. The check below still needs
    # the wake word in the audio.
    prompt = f"{wake_phrase(settings).title()}."
    full = asr.transcribe(_clip(audio, start, endpoint.end_s + TAIL_S), None if lang == "auto" else lang,
                          initial_prompt=prompt, hotwords=hotwords)
    clock.lap("asr")
    result.language = full.language if full.language in intent_mod.LANGUAGES else result.language

    verdict = verify(full, wake_phrase(settings), wake_score=wake.score, min_score=min_score, speech_after=True)
    if not verdict.ok:
        return discard(verdict.reason or DiscardReason.UNVERIFIED)
    result.transcript = _request_transcript(full, verdict.wake_words, verdict.request_text, start)

    match = intent_mod.recognize(verdict.request_text, result.language,
                                 extra_dir=settings.sentences_dir)
    clock.lap("intent")
    reply = run_skill(match, context, result.language)
    clock.lap("skill")
    if match:
        result.intent, result.slots, result.confidence = match.intent, match.slots, match.confidence
    result.answer, result.handled = reply.text, reply.handled
    if speak:
        result.answer_audio = get_tts(settings).synthesize(reply.text, result.language)
        clock.lap("tts")
    result.timings_ms = clock.total()
    return result

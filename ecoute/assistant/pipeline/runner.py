"""One voice turn as stages: wake word → end of request → ASR → second check → intent → skill → TTS.

The order is also the privacy order: without a wake word nothing else runs and
nothing is kept; after the wake word, the second-stage check (stricter score,
transcript starts with the wake word, speech after it) can still discard the turn as
a false activation before any answer is produced.

``run()`` takes a start and an end stage, as Home Assistant's pipeline does: the
server starts at WAKE (it re-scores the wake word the device heard, because the second
check needs its own score and the wake word's end), a caller whose audio holds only
the request starts at VAD or ASR, a text request starts at INTENT, and ``end=SKILL``
answers without speaking. Each stage is one small function of the turn's working state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from ecoute.assistant import intents as intent_mod
from ecoute.assistant.context import TurnContext
from ecoute.assistant.intents import IntentMatch
from ecoute.assistant.pipeline.events import (
    Error,
    Event,
    EventCallback,
    RunEnd,
    RunStart,
    Stage,
    StageEnd,
    StageStart,
    now_ns,
    stage_range,
    timings_ms,
)
from ecoute.assistant.pipeline.result import TurnResult
from ecoute.assistant.skills import Answer
from ecoute.assistant.skills import answer as run_skill
from ecoute.assistant.verify import verify
from ecoute.audio.io import Audio
from ecoute.audio.vad import Endpoint, find_speech
from ecoute.audio.wake import WakeResult, get_wake_detector, wake_phrase
from ecoute.config import Settings
from ecoute.speech.asr import Transcript, Word, get_asr
from ecoute.speech.tts import get_tts

#: Audio kept before the detector's firing point for ASR, so the transcript contains the
#: wake word (the second check needs it); longer than any wake word.
WAKE_LOOKBACK_S = 1.2
#: Audio after the VAD's last speech frame handed to ASR (word endings are quiet).
TAIL_S = 0.3

#: Where a run may start, and what it then takes: audio up to ASR, text from INTENT on
#: (VERIFY and SKILL need what the stage before them found, so no run starts there).
AUDIO_STARTS = frozenset({Stage.WAKE, Stage.VAD, Stage.ASR})
TEXT_STARTS = frozenset({Stage.INTENT, Stage.TTS})


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run a turn, beyond the settings; the defaults are ``ecoute ask``'s."""

    #: en, fr, de or auto; None: ``settings.language``.
    language: str | None = None
    #: The device's own detector already fired: a wake word the server does not find is a
    #: false activation (counted), not "no wake word" (nothing processed).
    device_fired: bool = False
    #: The score the device reported, passed through to the result.
    device_wake_score: float | None = None
    #: A per-device threshold tuned by the learning loop (raises the second check's bar).
    min_wake_score: float | None = None
    #: Domain vocabulary learnt from reviews, passed to the ASR engine.
    hotwords: str | None = None
    #: Silence that ends the request; None: ``settings.end_of_speech_s`` (benchmarks sweep it).
    end_of_speech_s: float | None = None


class _Turn:
    """The working state the stages fill in, turned into a :class:`TurnResult` at the end."""

    def __init__(self, source: Audio | str, settings: Settings, options: RunOptions,
                 context: TurnContext) -> None:
        self.audio = source if isinstance(source, Audio) else None
        self.text = source if isinstance(source, str) else None
        self.settings, self.options, self.context = settings, options, context
        lang = options.language or settings.speech.language
        self.asr_language = lang
        self.language = lang if lang != "auto" else "en"
        self.woken = True
        self.discarded: str | None = None
        self.wake: WakeResult | None = None
        self.min_score = 0.0
        self.endpoint: Endpoint | None = None
        self.clip_start_s = 0.0
        self.heard: Transcript | None = None
        self.transcript: Transcript | None = None
        self.match: IntentMatch | None = None
        self.reply: Answer | None = None
        self.answer_audio: Audio | None = None

    @property
    def stopped(self) -> bool:
        return not self.woken or self.discarded is not None

    def discard(self, reason: str) -> None:
        self.discarded = reason

    def need_audio(self) -> Audio:
        assert self.audio is not None, "checked by run()"
        return self.audio

    def result(self, timings: Mapping[str, float]) -> TurnResult:
        if not self.woken or self.discarded is not None:
            return TurnResult(wake=self.woken, wake_score=self.wake.score if self.wake else None,
                              false_activation=self.discarded is not None,
                              false_activation_reason=self.discarded, language=self.language,
                              timings_ms=MappingProxyType(dict(timings)),
                              device_wake_score=self.options.device_wake_score,
                              speech_end_s=self.endpoint.end_s if self.endpoint else None)
        match, reply = self.match, self.reply
        answer = reply.text if reply is not None else None
        if answer is None and self.answer_audio is not None:
            answer = self.text  # a run that started at TTS speaks the text it was given
        return TurnResult(
            wake=True, wake_score=self.wake.score if self.wake else None, transcript=self.transcript,
            language=self.language, intent=match.intent if match else None,
            slots=MappingProxyType(dict(match.slots)) if match else MappingProxyType({}),
            answer=answer, handled=reply.handled if reply else False,
            confidence=match.confidence if match else 0.0,
            answer_audio=self.answer_audio, timings_ms=MappingProxyType(dict(timings)),
            device_wake_score=self.options.device_wake_score,
            speech_end_s=self.endpoint.end_s if self.endpoint else None)


def _clip(audio: Audio, start_s: float, end_s: float) -> Audio:
    a, b = int(max(0.0, start_s) * audio.rate), int(min(audio.duration, end_s) * audio.rate)
    return Audio(np.ascontiguousarray(audio.samples[a:b]), audio.rate)


def _shifted(full: Transcript, skip_words: int, text: str, offset_s: float) -> Transcript:
    """The request's part of ``full``, its words timed against the whole input audio."""
    words = [Word(w.word, round(w.start + offset_s, 3), round(w.end + offset_s, 3)) for w in full.words[skip_words:]]
    return Transcript(text, full.language, words, full.duration, full.engine)


# -- the stages: each reads and fills the turn, and returns what its StageEnd reports -------

def _wake(turn: _Turn) -> dict[str, Any]:
    detector = get_wake_detector(turn.settings)
    wake = turn.wake = detector.detect(turn.need_audio())
    turn.min_score = max(turn.settings.speech.wake_verify_score, detector.threshold, turn.options.min_wake_score or 0.0)
    if not wake.fired and not turn.options.device_fired:
        turn.woken = False  # nothing else runs, nothing is kept
    elif not wake.fired or wake.end_s is None:
        turn.discard("wake_score_below_verify_threshold")
    return {"fired": wake.fired, "score": wake.score, "end_s": wake.end_s}


def _vad(turn: _Turn) -> dict[str, Any]:
    begin = turn.wake.end_s if turn.wake is not None and turn.wake.end_s is not None else 0.0
    silence = turn.options.end_of_speech_s
    endpoint = turn.endpoint = find_speech(turn.need_audio(), turn.settings, start_s=begin, silence_s=silence)
    if not endpoint.speech or endpoint.end_s is None:
        turn.discard("no_speech_after_wake_word")
    return {"speech": endpoint.speech, "start_s": endpoint.start_s, "end_s": endpoint.end_s,
            "closed": endpoint.closed}


def _asr(turn: _Turn) -> dict[str, Any]:
    audio = turn.need_audio()
    end_s = turn.endpoint.end_s + TAIL_S if turn.endpoint and turn.endpoint.end_s is not None else audio.duration
    prompt = None
    if turn.wake is not None and turn.wake.end_s is not None:
        turn.clip_start_s = max(0.0, turn.wake.end_s - WAKE_LOOKBACK_S)
        # The prompt tells Whisper a wake word opens the request (tiny.en hears "Hello, sir"
        # for some voices' "Alexa" without it). Only the wake word: a sample request in the
        # prompt gets copied into transcripts of unclear audio. The check still needs the
        # wake word in the audio.
        prompt = f"{wake_phrase(turn.settings).title()}."
    lang = turn.asr_language
    heard = turn.heard = get_asr(turn.settings, lang).transcribe(
        _clip(audio, turn.clip_start_s, end_s), None if lang == "auto" else lang,
        initial_prompt=prompt, hotwords=turn.options.hotwords)
    turn.language = heard.language if heard.language in intent_mod.LANGUAGES else turn.language
    if turn.wake is None:  # no wake word in this audio: all of it is the request
        turn.transcript = _shifted(heard, 0, heard.text.strip(), turn.clip_start_s)
    return {"text": heard.text, "language": heard.language}


def _verify(turn: _Turn) -> dict[str, Any]:
    assert turn.heard is not None and turn.wake is not None, "VERIFY runs after WAKE and ASR"
    verdict = verify(turn.heard, wake_phrase(turn.settings), wake_score=turn.wake.score,
                     min_score=turn.min_score, speech_after=True)
    if not verdict.ok:
        turn.discard(verdict.reason or "unverified")
    else:
        turn.transcript = _shifted(turn.heard, verdict.wake_words, verdict.request_text, turn.clip_start_s)
    return {"ok": verdict.ok, "reason": verdict.reason, "min_score": turn.min_score}


def _intent(turn: _Turn) -> dict[str, Any]:
    text = turn.transcript.text if turn.transcript is not None else turn.text or ""
    match = turn.match = intent_mod.recognize(text, turn.language, extra_dir=turn.settings.store.sentences_dir)
    return {"intent": match.intent if match else None, "slots": dict(match.slots) if match else {},
            "confidence": match.confidence if match else 0.0}


def _skill(turn: _Turn) -> dict[str, Any]:
    reply = turn.reply = run_skill(turn.match, turn.context, turn.language)
    return {"answer": reply.text, "handled": reply.handled}


def _tts(turn: _Turn) -> dict[str, Any]:
    text = turn.reply.text if turn.reply is not None else turn.text or ""
    speech = turn.answer_audio = get_tts(turn.settings).synthesize(text, turn.language)
    return {"seconds": speech.duration}


STAGES: Mapping[Stage, Callable[[_Turn], dict[str, Any]]] = MappingProxyType({
    Stage.WAKE: _wake, Stage.VAD: _vad, Stage.ASR: _asr, Stage.VERIFY: _verify,
    Stage.INTENT: _intent, Stage.SKILL: _skill, Stage.TTS: _tts,
})


def planned_stages(start: Stage, end: Stage) -> tuple[Stage, ...]:
    """The stages a run from ``start`` to ``end`` goes through (if nothing stops it early).

    VERIFY checks the wake word WAKE found; a run that starts after WAKE has none to check
    (the caller vouched for it by starting later), so it skips VERIFY.
    """
    stages = stage_range(start, end)
    if Stage.WAKE not in stages:
        stages = tuple(s for s in stages if s is not Stage.VERIFY)
    return stages


def _check(source: Audio | str, start: Stage, end: Stage) -> None:
    if start not in AUDIO_STARTS | TEXT_STARTS:
        raise ValueError(f"a run cannot start at {start}: start at one of "
                         f"{', '.join(s for s in Stage if s in AUDIO_STARTS | TEXT_STARTS)}")
    if not stage_range(start, end):
        raise ValueError(f"the end stage {end} comes before the start stage {start}")
    if start in AUDIO_STARTS and not isinstance(source, Audio):
        raise ValueError(f"a run starting at {start} takes audio, got {type(source).__name__}")
    if start in TEXT_STARTS and not isinstance(source, str):
        raise ValueError(f"a run starting at {start} takes text, got {type(source).__name__}")


def run(source: Audio | str, settings: Settings, *, start: Stage = Stage.WAKE, end: Stage = Stage.TTS,
        options: RunOptions | None = None, context: TurnContext | None = None,
        on_event: EventCallback | None = None) -> TurnResult:
    """Run the stages ``start``..``end`` on ``source`` and return the turn's result.

    ``source`` is 16 kHz mono audio (the wake word and the request when starting at
    WAKE) or, from INTENT on, the request's text. The run stops early, with a result that
    says why, when no wake word fires or the second check discards the turn. Each event
    goes to ``on_event`` as it happens, the last one a :class:`RunEnd` holding the result.
    A stage that raises emits an :class:`Error` and the exception propagates unchanged
    (with a note naming the stage), so callers keep their own error handling.
    """
    _check(source, start, end)
    events: list[Event] = []

    def emit(event: Event) -> None:
        events.append(event)
        if on_event is not None:
            on_event(event)

    emit(RunStart(start, end, now_ns()))
    turn = _Turn(source, settings, options or RunOptions(), context or TurnContext())
    for stage in planned_stages(start, end):
        emit(StageStart(stage, now_ns()))
        try:
            data = STAGES[stage](turn)
        except Exception as err:
            emit(Error(stage, f"{stage}-failed", str(err) or type(err).__name__, now_ns()))
            err.add_note(f"in the voice pipeline's {stage} stage")
            raise
        emit(StageEnd(stage, now_ns(), MappingProxyType(data)))
        if turn.stopped:
            break
    end_ns = now_ns()
    result = turn.result(timings_ms(events, end_ns))
    emit(RunEnd(result, end_ns))
    return result

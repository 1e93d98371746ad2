"""The voice pipeline: stage order, start/end ranges, errors, and timings taken from the events.

Real engines throughout (wake word, VAD, faster-whisper, hassil, espeak-ng) on synthesised
speech: what is tested is how the stages are run and reported, on the real stages.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from ecoute.assistant.context import TurnContext
from ecoute.assistant.pipeline import (
    ORDER,
    Error,
    Event,
    RunEnd,
    RunStart,
    Stage,
    StageEnd,
    StageStart,
)
from ecoute.assistant.pipeline.runner import RunOptions, planned_stages, run
from ecoute.audio import synth
from ecoute.audio.io import Audio, load_audio
from ecoute.config import Settings
from ecoute.device.client import capture_turns
from ecoute.errors import BadInput

SLT = synth.VOICES["en"][5]
#: The keys of ``ecoute ask --json`` and of its ``timings_ms``, in order, as before the pipeline.
ASK_KEYS = ["wake", "wake_score", "false_activation", "false_activation_reason", "transcript", "words",
            "language", "intent", "slots", "answer", "handled", "confidence", "timings_ms"]


@pytest.fixture(scope="module")
def cfg(tmp_path_factory) -> Settings:
    return Settings.load(data_dir=tmp_path_factory.mktemp("pipeline"))


@pytest.fixture(scope="module")
def timer_turn() -> Audio:
    return synth.wake_and_request("set a timer for five minutes", SLT)


def _recorded(audio: Audio | str, settings: Settings, **kwargs) -> tuple[list[Event], object]:
    events: list[Event] = []
    result = run(audio, settings, on_event=events.append, **kwargs)
    return events, result


def _stage_events(events: list[Event]) -> list[tuple[str, Stage]]:
    return [("start" if isinstance(e, StageStart) else "end", e.stage)
            for e in events if isinstance(e, StageStart | StageEnd)]


def _pairs(stages) -> list[tuple[str, Stage]]:
    return [(kind, s) for s in stages for kind in ("start", "end")]


def test_a_full_run_emits_each_stage_in_order_with_rising_timestamps(cfg: Settings, timer_turn: Audio) -> None:
    events, result = _recorded(timer_turn, cfg, context=TurnContext())
    assert isinstance(events[0], RunStart) and (events[0].start, events[0].end) == (Stage.WAKE, Stage.TTS)
    assert isinstance(events[-1], RunEnd) and events[-1].result is result
    assert _stage_events(events) == _pairs(ORDER)  # all seven, each a start/end pair, in stage order
    stamps = [e.t_ns for e in events]
    assert stamps == sorted(stamps)
    assert not any(isinstance(e, Error) for e in events)
    ends = {e.stage: e.data for e in events if isinstance(e, StageEnd)}
    assert ends[Stage.WAKE]["fired"] and ends[Stage.VERIFY]["ok"]
    assert ends[Stage.INTENT]["intent"] == "HassStartTimer" and ends[Stage.SKILL]["handled"]
    assert ends[Stage.TTS]["seconds"] > 0.5
    assert result.intent == "HassStartTimer" and result.answer == "Timer set for 5 minutes."
    assert result.answer_audio is not None


def test_timings_are_what_the_events_measured(cfg: Settings, timer_turn: Audio) -> None:
    events, result = _recorded(timer_turn, cfg, end=Stage.SKILL)
    begun = {e.stage: e.t_ns for e in events if isinstance(e, StageStart)}
    measured = {e.stage: (e.t_ns - begun[e.stage]) / 1e6 for e in events if isinstance(e, StageEnd)}
    assert isinstance(events[0], RunStart) and isinstance(events[-1], RunEnd)
    expected = {"wake": measured[Stage.WAKE], "vad": measured[Stage.VAD], "asr": measured[Stage.ASR],
                # the second check has always been timed with intent recognition, under "intent"
                "intent": measured[Stage.VERIFY] + measured[Stage.INTENT], "skill": measured[Stage.SKILL],
                "total": (events[-1].t_ns - events[0].t_ns) / 1e6}
    assert dict(result.timings_ms) == pytest.approx(expected)
    assert list(result.timings_ms) == ["wake", "vad", "asr", "intent", "skill", "total"]  # the old keys
    assert sum(measured.values()) <= result.timings_ms["total"]
    body = result.to_json()
    assert list(body) == ASK_KEYS
    assert body["timings_ms"] == {k: round(v, 1) for k, v in result.timings_ms.items()}
    json.dumps(body)  # serialisable as `ecoute ask --json` prints it


def test_the_result_is_immutable(cfg: Settings, timer_turn: Audio) -> None:
    result = run(timer_turn, cfg, end=Stage.SKILL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.answer = "something else"  # type: ignore[misc]  # the point: assignment must fail
    with pytest.raises(TypeError):
        result.slots["timer_minutes"] = 9  # type: ignore[index]  # read-only mapping
    assert result.slots == {"timer_minutes": 5}


def test_end_at_intent_recognises_but_does_not_answer(cfg: Settings, timer_turn: Audio) -> None:
    context = TurnContext()
    events, result = _recorded(timer_turn, cfg, end=Stage.INTENT, context=context)
    assert _stage_events(events) == _pairs([Stage.WAKE, Stage.VAD, Stage.ASR, Stage.VERIFY, Stage.INTENT])
    assert result.intent == "HassStartTimer" and result.slots == {"timer_minutes": 5}
    assert result.answer is None and result.answer_audio is None and not result.handled
    assert context.state.get("timers").get("items", []) == []  # the skill did not run: no timer was set
    assert set(result.timings_ms) == {"wake", "vad", "asr", "intent", "total"}


def test_start_at_asr_skips_wake_vad_and_the_wake_word_check(cfg: Settings) -> None:
    # The audio holds only the request: a device that found the wake word and the end of
    # speech itself. Nothing here is a wake word, so nothing may check for one.
    request = synth.concat([0.2, load_audio(synth.speak("what is twelve times seven", SLT)), 0.3])
    events, result = _recorded(request, cfg, start=Stage.ASR, end=Stage.SKILL)
    assert _stage_events(events) == _pairs([Stage.ASR, Stage.INTENT, Stage.SKILL])
    assert result.wake and result.wake_score is None and not result.false_activation
    assert result.intent == "EcouteArithmetic" and "84" in (result.answer or "")
    heard = result.transcript.text.lower() if result.transcript is not None else ""
    assert "twelve" in heard or "12" in heard
    assert set(result.timings_ms) == {"asr", "intent", "skill", "total"}


def test_start_at_vad_finds_the_end_of_the_request(cfg: Settings) -> None:
    request = synth.concat([0.3, load_audio(synth.speak("what time is it", SLT)), 1.5])
    events, result = _recorded(request, cfg, start=Stage.VAD, end=Stage.INTENT)
    assert _stage_events(events) == _pairs([Stage.VAD, Stage.ASR, Stage.INTENT])
    assert result.speech_end_s is not None and result.speech_end_s < request.duration - 1.0
    assert result.intent == "HassGetCurrentTime"


def test_a_text_run_starts_at_intent(cfg: Settings) -> None:
    events, result = _recorded("what is twelve times seven", cfg, start=Stage.INTENT)
    assert _stage_events(events) == _pairs([Stage.INTENT, Stage.SKILL, Stage.TTS])
    assert result.intent == "EcouteArithmetic" and "84" in (result.answer or "")
    assert result.answer_audio is not None and result.answer_audio.duration > 0.5
    spoken = run("Timer set.", cfg, start=Stage.TTS)
    assert spoken.answer == "Timer set." and spoken.answer_audio is not None and spoken.intent is None


def test_no_wake_word_ends_the_run_after_the_wake_stage(cfg: Settings) -> None:
    audio = synth.concat([0.5, load_audio(synth.speak("set a timer for five minutes", SLT)), 0.5])
    events, result = _recorded(audio, cfg)
    assert _stage_events(events) == _pairs([Stage.WAKE])
    assert events[-1] == RunEnd(result, events[-1].t_ns)
    assert result.wake is False and result.transcript is None and result.answer_audio is None


def test_a_discard_at_the_second_check_stops_before_intent(cfg: Settings) -> None:
    strict = cfg.replace(wake_verify_score=0.9999)
    events, result = _recorded(synth.wake_and_request("what time is it", SLT), strict,
                               options=RunOptions(device_fired=True, device_wake_score=0.95))
    assert _stage_events(events) == _pairs([Stage.WAKE, Stage.VAD, Stage.ASR, Stage.VERIFY])
    verdict = [e for e in events if isinstance(e, StageEnd)][-1].data
    assert verdict["ok"] is False and verdict["reason"] == "wake_score_below_verify_threshold"
    assert result.false_activation and result.false_activation_reason == "wake_score_below_verify_threshold"
    assert result.device_wake_score == 0.95 and result.answer is None
    assert set(result.timings_ms) == {"wake", "vad", "asr", "total"}  # as before: no "intent" key


def test_a_failing_stage_emits_an_error_and_raises(cfg: Settings, tmp_path) -> None:
    # A Piper voice file that is not there: the TTS stage fails after intent and skill ran.
    broken = cfg.replace(piper_voice=str(tmp_path / "missing-voice.onnx"))
    events: list[Event] = []
    with pytest.raises(BadInput, match="missing-voice.onnx") as failure:
        run("what time is it", broken, start=Stage.INTENT, on_event=events.append)
    assert _stage_events(events) == [*_pairs([Stage.INTENT, Stage.SKILL]), ("start", Stage.TTS)]
    error = events[-1]
    assert isinstance(error, Error) and error.stage is Stage.TTS and error.code == "tts-failed"
    assert "missing-voice.onnx" in error.message and error.t_ns >= events[-2].t_ns
    assert not any(isinstance(e, RunEnd) for e in events)  # no result: the caller gets the exception
    assert "tts stage" in " ".join(getattr(failure.value, "__notes__", []))


@pytest.mark.parametrize(("source", "start", "end"), [
    ("text", Stage.WAKE, Stage.TTS),     # audio stages need audio
    (None, Stage.INTENT, Stage.TTS),     # text stages need text (None: pass audio)
    (None, Stage.VERIFY, Stage.TTS),     # the check needs what WAKE and ASR found
    (None, Stage.ASR, Stage.VAD),        # end before start
])
def test_impossible_ranges_are_refused_before_anything_runs(cfg: Settings, timer_turn: Audio,
                                                            source, start: Stage, end: Stage) -> None:
    events: list[Event] = []
    with pytest.raises(ValueError):
        run(timer_turn if source is None else source, cfg, start=start, end=end, on_event=events.append)
    assert events == []


def test_planned_stages() -> None:
    assert planned_stages(Stage.WAKE, Stage.TTS) == ORDER
    assert planned_stages(Stage.ASR, Stage.TTS) == (Stage.ASR, Stage.INTENT, Stage.SKILL, Stage.TTS)
    assert planned_stages(Stage.WAKE, Stage.VAD) == (Stage.WAKE, Stage.VAD)


def test_one_end_of_speech_setting_drives_the_run_and_the_device(cfg: Settings, monkeypatch) -> None:
    # "set a timer" <~0.4 s pause> "for five minutes": a 0.2-s end of speech cuts the pause.
    audio = synth.concat([0.5, load_audio(synth.speak("alexa", SLT)), 0.25,
                          load_audio(synth.speak("set a timer", SLT)),
                          load_audio(synth.speak("for five minutes", SLT)), 0.8])
    monkeypatch.setenv("ECOUTE_END_OF_SPEECH_S", "0.2")
    hasty_cfg = Settings.load(data_dir=cfg.store.data_dir)
    assert hasty_cfg.speech.end_of_speech_s == 0.2 and cfg.speech.end_of_speech_s == 0.5
    patient = run(audio, cfg, end=Stage.VAD)
    hasty = run(audio, hasty_cfg, end=Stage.VAD)
    overridden = run(audio, cfg, end=Stage.VAD, options=RunOptions(end_of_speech_s=0.2))
    assert hasty.speech_end_s is not None and patient.speech_end_s is not None
    assert hasty.speech_end_s < patient.speech_end_s and overridden.speech_end_s == hasty.speech_end_s
    # The device ends its capture with the same setting.
    pcm = synth.concat([audio, 1.0]).pcm16()
    chunks = [pcm[i : i + 2560] for i in range(0, len(pcm), 2560)]
    long_turn, = capture_turns(iter(chunks), cfg)
    short_turn, = capture_turns(iter(chunks), hasty_cfg)
    assert short_turn.audio.duration < long_turn.audio.duration


def test_the_device_reports_its_local_stages_as_pipeline_events(cfg: Settings) -> None:
    stream = synth.concat([synth.wake_and_request("what time is it", SLT), 1.0,
                           synth.wake_and_request("what is twelve times seven", SLT), 1.0])
    pcm = stream.pcm16()
    events: list[Event] = []
    turns = list(capture_turns((pcm[i : i + 2560] for i in range(0, len(pcm), 2560)), cfg, on_event=events.append))
    assert len(turns) == 2
    assert _stage_events(events) == _pairs([Stage.WAKE, Stage.VAD, Stage.WAKE, Stage.VAD, Stage.WAKE])
    ends = [e for e in events if isinstance(e, StageEnd)]
    assert [e.data["fired"] for e in ends if e.stage is Stage.WAKE] == [True, True, False]
    assert all(e.data["closed"] and e.data["speech"] for e in ends if e.stage is Stage.VAD)
    assert [e.t_ns for e in events] == sorted(e.t_ns for e in events)

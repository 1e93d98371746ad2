"""One full voice turn: wake word, request, intent, answer; and what is not processed."""

from __future__ import annotations

import pytest

from ecoute.assistant.context import TurnContext
from ecoute.assistant.pipeline import Stage
from ecoute.assistant.pipeline.runner import RunOptions, run
from ecoute.audio import synth
from ecoute.audio.io import load_audio
from ecoute.config import Settings

SLT, RMS = synth.VOICES["en"][5], synth.VOICES["en"][7]


@pytest.fixture(scope="module")
def cfg(tmp_path_factory) -> Settings:
    return Settings.load(data_dir=tmp_path_factory.mktemp("turn"))


def test_full_turn_answers(cfg: Settings) -> None:
    ctx = TurnContext()
    result = run(synth.wake_and_request("set a timer for five minutes", SLT), cfg, context=ctx)
    assert result.wake and not result.false_activation
    assert result.intent == "HassStartTimer" and result.slots == {"timer_minutes": 5}
    assert result.answer == "Timer set for 5 minutes." and result.handled
    assert result.transcript is not None and "alexa" not in result.transcript.text.lower()
    assert result.transcript.words[0].start > 0.5  # request words come after the wake word
    assert result.answer_audio is not None and result.answer_audio.duration > 0.5
    assert {"wake", "vad", "asr", "intent", "skill", "tts", "total"} <= set(result.timings_ms)
    assert len(ctx.state.get("timers")["items"]) == 1
    body = result.to_json()
    assert {"wake", "wake_score", "transcript", "language", "intent", "slots", "answer", "timings_ms"} <= set(body)


def test_unknown_request_is_answered_honestly(cfg: Settings) -> None:
    result = run(synth.wake_and_request("play some jazz", RMS), cfg, end=Stage.SKILL)
    assert result.wake and not result.false_activation
    assert result.intent is None and not result.handled and result.answer == "Sorry, I can't do that yet."


def test_no_wake_word_processes_nothing(cfg: Settings) -> None:
    audio = synth.concat([0.5, load_audio(synth.speak("set a timer for five minutes", SLT)), 0.5])
    result = run(audio, cfg)
    assert result.wake is False
    assert result.transcript is None and result.answer is None and result.answer_audio is None
    assert set(result.timings_ms) == {"wake", "total"}  # neither VAD nor ASR ran


def test_server_side_check_discards_speech_without_wake_word(cfg: Settings) -> None:
    # The device claims it fired, but the audio holds no wake word: a false activation.
    audio = synth.concat([0.5, load_audio(synth.speak("I told her the alarm was wrong", SLT)), 0.5])
    result = run(audio, cfg, end=Stage.SKILL, options=RunOptions(device_fired=True, device_wake_score=0.95))
    assert result.false_activation and result.false_activation_reason == "wake_score_below_verify_threshold"
    assert result.answer is None and result.transcript is None and result.intent is None


def test_wake_word_alone_is_a_false_activation(cfg: Settings) -> None:
    audio = synth.concat([0.5, load_audio(synth.speak("alexa", SLT)), 1.5])
    result = run(audio, cfg, end=Stage.SKILL, options=RunOptions(device_fired=True, device_wake_score=0.97))
    assert result.false_activation and result.false_activation_reason == "no_speech_after_wake_word"
    assert result.answer is None


def test_stricter_server_score_discards(cfg: Settings) -> None:
    strict = cfg.replace(wake_verify_score=0.9999)
    result = run(synth.wake_and_request("what time is it", SLT), strict, end=Stage.SKILL,
                 options=RunOptions(device_fired=True, device_wake_score=0.95))
    assert result.false_activation and result.false_activation_reason == "wake_score_below_verify_threshold"


def test_transcript_must_start_with_the_wake_word(cfg: Settings) -> None:
    # A detector for another wake word fires on its own word, but the transcript says "alexa".
    jarvis = cfg.replace(wake_model="hey_jarvis")
    audio = synth.concat([0.5, load_audio(synth.speak("hey jarvis", SLT)), 0.25,
                          load_audio(synth.speak("what time is it", SLT)), 0.8])
    good = run(audio, jarvis, end=Stage.SKILL)
    assert good.wake and not good.false_activation and good.intent == "HassGetCurrentTime"
    mislabelled = run(audio, jarvis.replace(wake_model=str(_copy_model("hey_jarvis", "alexa_custom"))), end=Stage.SKILL)
    assert mislabelled.false_activation
    assert mislabelled.false_activation_reason == "transcript_does_not_start_with_wake_word"


def _copy_model(name: str, new_name: str):
    """A custom micro model file whose *name* says another wake phrase (a deployment mistake)."""
    import json
    import shutil
    import tempfile
    from pathlib import Path

    import pymicro_wakeword

    src = Path(pymicro_wakeword.__file__).parent / "models"
    out = Path(tempfile.mkdtemp()) / f"{new_name}.json"
    shutil.copy(src / f"{name}.tflite", out.parent / f"{name}.tflite")
    out.write_text(json.dumps(json.loads((src / f"{name}.json").read_text())))
    return out


def test_end_of_speech_silence_decides_where_a_paused_request_ends(cfg: Settings) -> None:
    # "set a timer" <pause> "for five minutes": the two clips' own lead and tail silences make
    # a ~0.4-s pause. The default endpointer keeps the whole request; one shorter than the
    # pause cuts it there (and the turn loses its slot).
    first = load_audio(synth.speak("set a timer", SLT))
    rest = load_audio(synth.speak("for five minutes", SLT))
    audio = synth.concat([0.5, load_audio(synth.speak("alexa", SLT)), 0.25, first, rest, 0.8])
    patient = run(audio, cfg, end=Stage.SKILL)
    assert patient.intent == "HassStartTimer" and patient.slots == {"timer_minutes": 5}
    hasty = run(audio, cfg, end=Stage.SKILL, options=RunOptions(end_of_speech_s=0.2))
    assert hasty.speech_end_s is not None and patient.speech_end_s is not None
    assert hasty.speech_end_s < patient.speech_end_s
    assert hasty.slots != {"timer_minutes": 5}

"""ASR engines on synthesised speech: the transcribe contract, model joining, and bad input."""

from __future__ import annotations

import hashlib
import re

import jiwer
import numpy as np
import pytest
import soundfile as sf

from ecoute.audio import synth
from ecoute.audio.io import Audio, load_audio
from ecoute.config import Settings
from ecoute.errors import BadInput
from ecoute.speech import models
from ecoute.speech.asr import Transcript, get_asr

SENTENCE = "set a timer for five minutes"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower().replace("5", "five")).strip()


@pytest.fixture(scope="module")
def cfg(tmp_path_factory) -> Settings:
    return Settings.load(data_dir=tmp_path_factory.mktemp("asr"))


@pytest.fixture(scope="module")
def english() -> Audio:
    return load_audio(synth.speak(SENTENCE, synth.VOICES["en"][5]))  # flite slt


def test_tiny_en_transcribes_with_word_timestamps(cfg: Settings, english: Audio) -> None:
    result = get_asr(cfg, "en").transcribe(english)
    assert isinstance(result, Transcript)
    assert result.engine == "faster-whisper:tiny.en" and result.language == "en"
    assert jiwer.wer(SENTENCE, _norm(result.text)) <= 0.2
    starts = [w.start for w in result.words]
    assert starts == sorted(starts) and all(w.end >= w.start for w in result.words)
    assert result.words[-1].end <= english.duration + 0.05
    assert result.to_json()["duration"] == pytest.approx(english.duration, abs=0.01)


def test_same_speech_at_44k_stereo_gives_same_words(cfg: Settings, english: Audio, tmp_path) -> None:
    from scipy.signal import resample_poly

    stereo = np.stack([resample_poly(english.samples, 441, 160)] * 2, axis=1)
    path = tmp_path / "stereo.flac"
    sf.write(path, stereo, 44100)
    again = get_asr(cfg, "en").transcribe(load_audio(path))
    assert _norm(again.text) == _norm(get_asr(cfg, "en").transcribe(english).text)


def test_engine_is_loaded_once(cfg: Settings) -> None:
    assert get_asr(cfg, "en") is get_asr(cfg.replace(data_dir=cfg.store.data_dir / "other"), "en")


def test_multilingual_base_forced_french(cfg: Settings) -> None:
    audio = load_audio(synth.speak("quelle heure est-il", lang="fr"))
    result = get_asr(cfg, "fr").transcribe(audio, "fr")
    assert result.language == "fr" and result.engine == "faster-whisper:base"
    assert result.text  # synthetic French is hard for base: the words are measured in bench/, not here


def test_multilingual_base_detects_german(cfg: Settings) -> None:
    audio = load_audio(synth.speak("Wie spät ist es? Stelle einen Timer auf fünf Minuten.", lang="de"))
    assert get_asr(cfg, "auto").transcribe(audio).language == "de"


def test_english_only_model_refuses_other_languages(cfg: Settings, english: Audio) -> None:
    engine = get_asr(cfg, "en")
    with pytest.raises(BadInput, match="English-only"):
        engine.transcribe(english, "fr")


def test_pocketsphinx_fallback(cfg: Settings, english: Audio) -> None:
    engine = get_asr(cfg.replace(asr_engine="pocketsphinx"))
    result = engine.transcribe(english)
    assert result.engine == "pocketsphinx" and result.language == "en"
    assert result.words and all(w.end > w.start for w in result.words)
    with pytest.raises(BadInput):
        engine.transcribe(english, "de")


@pytest.mark.parametrize("change, message", [
    ({"asr_engine": "nope"}, "unknown ASR engine"),
    ({"asr_model_en": "/no/such/dir"}, "not a CTranslate2"),
])
def test_bad_engine_settings(cfg: Settings, change: dict, message: str) -> None:
    from ecoute.errors import EcouteError

    with pytest.raises(EcouteError, match=message):
        get_asr(cfg.replace(**change), "en")


def test_unsupported_language(cfg: Settings) -> None:
    with pytest.raises(BadInput, match="unsupported language"):
        get_asr(cfg, "xx")


def test_base_model_join_is_verified_and_atomic(tmp_path, monkeypatch) -> None:
    target = models.base_dir(tmp_path)
    assert (target / ".verified").read_text() == models.BASE_MODEL_SHA256
    assert (target / "model.bin").stat().st_size == models.BASE_MODEL_SIZE
    assert {p.name for p in target.iterdir()} >= {"model.bin", "config.json", "tokenizer.json", "vocabulary.json"}

    # A mismatching hash leaves no model and no staging directory behind.
    other = tmp_path / "second"
    monkeypatch.setattr(models, "BASE_MODEL_SHA256", hashlib.sha256(b"not it").hexdigest())
    with pytest.raises(models.ModelError, match="sha256"):
        models.base_dir(other)
    assert not (other / "models" / "whisper-base").exists()
    assert list((other / "models").iterdir()) == []

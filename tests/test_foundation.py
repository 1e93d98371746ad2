"""The foundation every area stands on: settings and audio decoding."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from ecoute.audio.io import load_audio
from ecoute.config import Settings
from ecoute.errors import AudioError


def test_settings_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("ECOUTE_REVIEW_SAMPLE_RATE", "0.25")
    monkeypatch.setenv("ECOUTE_DATA_DIR", str(tmp_path))
    s = Settings.load()
    assert s.policy.review_sample_rate == 0.25 and s.store.data_dir == tmp_path
    assert s.store.db_url == f"sqlite:///{tmp_path / 'ecoute.db'}"
    with pytest.raises(ValueError, match="unknown setting"):
        Settings.load(not_a_setting=1)


def test_load_audio_resamples_stereo_44k_to_16k_mono(tmp_path):
    t = np.arange(44100) / 44100
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.zeros_like(t)], axis=1) * 0.5
    path = tmp_path / "tone.wav"
    sf.write(path, stereo, 44100)
    audio = load_audio(path)
    assert audio.rate == 16000 and audio.samples.ndim == 1
    assert abs(audio.duration - 1.0) < 1e-3
    assert 0.2 < np.abs(audio.samples).max() < 0.3  # mean of the channels


@pytest.mark.parametrize("content", [b"", b"RIFF\x00\x00", b"not audio at all" * 10])
def test_bad_audio_is_refused(tmp_path, content):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError):
        load_audio(path)


def test_too_long_audio_is_refused(tmp_path):
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros(16000 * 11, dtype=np.float32), 16000)
    with pytest.raises(AudioError, match="longer than the limit"):
        load_audio(path, max_seconds=10)

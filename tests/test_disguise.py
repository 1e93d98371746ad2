"""Voice disguise: what policy relies on (length, rate, no clipping, per-clip draws) and
that the signal processing does what it claims (exact LPC reconstruction, pitch moves)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest

from ecoute.audio.io import Audio, load_audio
from ecoute.audio.synth import VOICES, speak
from ecoute.privacy.disguise import DISGUISE_METHODS, disguise_voice
from ecoute.privacy.voice.frames import frame, periodic_hann
from ecoute.privacy.voice.lpc import PoleWarp, lpc, poles, poly_from_roots, warp_envelope
from ecoute.privacy.voice.pitch import pitch_shift, time_stretch

SENTENCE = "turn off the lights in the kitchen"


@pytest.fixture(scope="module")
def clip() -> Audio:
    return load_audio(speak(SENTENCE, VOICES["en"][0]))


@pytest.fixture(scope="module")
def flite_clip() -> Audio:
    """flite's slt has a steady, clearly periodic voice: the simple pitch estimate below is exact on it."""
    return load_audio(speak(SENTENCE, next(v for v in VOICES["en"] if v.name == "slt")))


@dataclass
class W:
    word: str
    start: float
    end: float


@dataclass
class T:
    text: str
    words: list[W]


def _f0(samples: np.ndarray, rate: int) -> float:
    """Median autocorrelation pitch of the loudest frames (enough to see a shift)."""
    n = 1024
    frames = frame(samples, n, n // 2) * periodic_hann(n)
    energy = (frames**2).sum(axis=1)
    loud = frames[energy > np.quantile(energy, 0.7)]
    ac = np.fft.irfft(np.abs(np.fft.rfft(loud, 2 * n, axis=1)) ** 2, axis=1)[:, :n]
    lo, hi = rate // 400, rate // 60
    lags = lo + np.argmax(ac[:, lo:hi], axis=1)
    return float(np.median(rate / lags))


def test_disguised_differs_keeps_length_rate_and_level(clip):
    out, info = disguise_voice(clip, "disguised", np.random.default_rng(1))
    assert out.rate == clip.rate and out.samples.shape == clip.samples.shape
    assert out.samples.dtype == np.float32
    assert np.abs(out.samples).max() <= 0.99
    assert np.isfinite(out.samples).all()
    corr = np.corrcoef(out.samples, clip.samples)[0, 1]
    assert abs(corr) < 0.5, corr
    rms_in, rms_out = np.sqrt(np.mean(clip.samples**2)), np.sqrt(np.mean(out.samples**2))
    assert 0.5 < rms_out / rms_in <= 1.01
    assert info["method"] == "disguised" and set(info["params"]) == {"alpha", "pitch_semitones", "formant_ratio"}
    json.dumps(info)


def test_two_clips_never_share_a_transformation(clip):
    rng = np.random.default_rng()
    drawn = [disguise_voice(clip, "disguised", rng)[1]["params"] for _ in range(6)]
    assert len({tuple(sorted(p.items())) for p in drawn}) == 6
    for p in drawn:  # every draw moves every parameter away from identity
        assert abs(p["alpha"] - 1) >= 0.07 and abs(p["pitch_semitones"]) >= 1.9
        assert abs(np.log(p["formant_ratio"])) >= 0.04


def test_disguised_pitch_moves_in_the_drawn_direction(flite_clip):
    clip = flite_clip
    for semitones in (-4.0, 4.0):
        shifted = pitch_shift(clip.samples, semitones)
        ratio = _f0(shifted, clip.rate) / _f0(clip.samples, clip.rate)
        assert ratio == pytest.approx(2 ** (semitones / 12), rel=0.08)
        assert len(shifted) == len(clip.samples)


def test_time_stretch_changes_length_not_pitch(flite_clip):
    clip = flite_clip
    longer = time_stretch(clip.samples, 1.25)
    assert len(longer) == round(len(clip.samples) * 1.25)
    assert _f0(longer, clip.rate) == pytest.approx(_f0(clip.samples, clip.rate), rel=0.05)


def test_none_is_identity(clip):
    out, info = disguise_voice(clip, "none", np.random.default_rng(0))
    assert np.array_equal(out.samples, clip.samples) and out.rate == clip.rate
    assert info == {"method": "none", "params": {}}


def test_mcadams_identity_warp_reconstructs(clip):
    """α = 1, no shifts: LPC → poles → polynomial → refilter → overlap-add gives the input back."""
    x = clip.samples.astype(np.float64)
    y = warp_envelope(x, clip.rate, PoleWarp(alpha=1.0))
    assert len(y) == len(x)
    assert np.sqrt(np.mean((y - x) ** 2)) / np.sqrt(np.mean(x**2)) < 1e-4
    z = warp_envelope(x, clip.rate, PoleWarp(alpha=0.8))  # and a real warp does change it
    assert np.sqrt(np.mean((z / np.std(z) - x / np.std(x)) ** 2)) > 0.3


def test_pole_roundtrip_and_mcadams_moves_formants(clip):
    frames = frame(clip.samples, 320, 80)[200:260] * periodic_hann(320)
    a = lpc(frames, 20)
    roots = poles(a)
    assert np.abs(roots).max() < 1.0  # autocorrelation LPC is stable
    assert np.allclose(poly_from_roots(roots), a, atol=1e-6)
    low = np.abs(np.angle(roots)) < 0.8  # below ~2 kHz: α < 1 raises these formants
    warped = PoleWarp(alpha=0.8).apply(np.angle(roots))
    moved = np.abs(warped[low & (np.angle(roots) > 0.05)])
    assert (moved > np.abs(np.angle(roots)[low & (np.angle(roots) > 0.05)])).all()


def test_revoiced_keeps_no_sample_of_the_original(clip):
    words = SENTENCE.split()
    step = clip.duration / len(words)
    transcript = T(SENTENCE, [W(w, i * step, (i + 0.9) * step) for i, w in enumerate(words)])
    out, info = disguise_voice(clip, "revoiced", np.random.default_rng(0), transcript=transcript)
    assert out.samples.shape == clip.samples.shape and out.rate == clip.rate
    assert np.abs(out.samples).max() <= 0.99
    assert info["params"]["words"] == len(words)
    # Not the input, nor a shifted copy of it: the cross-correlation peak stays small.
    a, b = clip.samples / np.linalg.norm(clip.samples), out.samples / np.linalg.norm(out.samples)
    xcorr = np.fft.irfft(np.fft.rfft(a, 2 * len(a)) * np.conj(np.fft.rfft(b, 2 * len(b))))
    assert np.abs(xcorr).max() < 0.3
    # Speech sits where the words were: energy inside the word slots, silence in the gaps.
    rate = clip.rate
    inside = np.concatenate([out.samples[int(w.start * rate) : int(w.end * rate)] for w in transcript.words])
    gaps = np.concatenate([out.samples[int(w.end * rate) + 1 : int((w.end + 0.1 * step) * rate)]
                           for w in transcript.words[:-1]])
    assert np.sqrt(np.mean(inside**2)) > 0.02 and np.abs(gaps).max() == 0.0


def test_revoiced_placeholder_becomes_a_tone(clip):
    transcript = T("call <PERSON>", [W("call", 0.1, 0.5), W("<PERSON>", 0.6, 1.0)])
    out, info = disguise_voice(clip, "revoiced", np.random.default_rng(0), transcript=transcript)
    seg = out.samples[int(0.6 * clip.rate) : int(1.0 * clip.rate)]
    spectrum = np.abs(np.fft.rfft(seg))
    assert abs(np.argmax(spectrum) * clip.rate / len(seg) - 1000) < 10
    assert info["params"]["tones"] == 1 and info["params"]["words"] == 1


def test_revoiced_needs_a_transcript(clip):
    with pytest.raises(ValueError, match="transcript"):
        disguise_voice(clip, "revoiced", np.random.default_rng(0))


def test_unknown_method_is_a_clear_error(clip):
    with pytest.raises(ValueError, match="unknown disguise method 'whisper'.*disguised.*none.*revoiced"):
        disguise_voice(clip, "whisper", np.random.default_rng(0))
    assert set(DISGUISE_METHODS) == {"disguised", "revoiced", "none"}


def test_loud_input_is_never_clipped():
    rng = np.random.default_rng(3)
    t = np.arange(16000) / 16000
    loud = Audio((0.98 * np.sign(np.sin(2 * np.pi * 150 * t))).astype(np.float32))
    out, _ = disguise_voice(loud, "disguised", rng)
    assert np.abs(out.samples).max() <= 0.99 and np.isfinite(out.samples).all()


def test_pitch_shift_keeps_any_length():
    """Float steps in the vocoder once overshot the last frame pair for some lengths/factors."""
    rng = np.random.default_rng(7)
    for _ in range(25):
        x = rng.standard_normal(int(rng.integers(600, 40000)))
        semitones = float(rng.uniform(-8, 8))
        out = pitch_shift(x, semitones)
        assert out.shape == x.shape and np.isfinite(out).all()


def test_revoiced_word_with_a_leading_dash_is_spoken(clip):
    """ASR emits words like "-ish": they must reach the TTS as text, not as a command-line option."""
    transcript = T("fine -ish", [W("fine", 0.1, 0.5), W("-ish", 0.6, 1.0)])
    out, info = disguise_voice(clip, "revoiced", np.random.default_rng(0), transcript=transcript)
    assert info["params"]["words"] == 2
    assert np.sqrt(np.mean(out.samples[int(0.6 * clip.rate) : clip.rate] ** 2)) > 0.01

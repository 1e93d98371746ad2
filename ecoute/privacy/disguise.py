"""Voice disguise before a human reviewer hears a clip, in strengths that policy picks by name.

* ``"disguised"`` — for transcript review, where the reviewer needs the real acoustics.
  McAdams pole-angle warp (the VoicePrivacy Challenge's signal-processing baseline)
  combined with a pitch shift and a formant shift. All three are drawn per clip, each
  with a random direction and a magnitude kept away from zero, so two clips of one
  speaker never carry the same transformation. McAdams alone is known to be weak
  against an attacker who enrols on disguised speech: the per-clip spread is what
  makes the disguised clips of one speaker stop resembling each other.
* ``"revoiced"`` — for intent and content review: the redacted transcript spoken by our
  TTS at the original word timing; none of the input's samples are used.
* ``"none"`` — unchanged (for tasks that never leave the owner zone, and for anchors).

Every method returns audio of the same length and rate as its input, never clipped,
and ``{"method": name, "params": {...}}`` with what was drawn (JSON-serialisable), so
``prepare-review`` can record what was done without recording who spoke.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ecoute.audio.io import Audio
from ecoute.errors import AudioError
from ecoute.privacy.voice.lpc import PoleWarp, warp_envelope
from ecoute.privacy.voice.pitch import pitch_factor, pitch_shift
from ecoute.privacy.voice.revoice import TranscriptLike, revoice, tts_synthesizer

#: Transcript type accepted by ``disguise_voice`` (anything with ``.text`` and timed ``.words``).
Transcript = TranscriptLike

#: Highest output peak; louder results are scaled down as a whole (never clipped).
PEAK = 0.99


@dataclass(frozen=True)
class Strength:
    """Ranges the per-clip draws come from; each parameter moves by [0.5, 1] × its maximum.

    The magnitude floor of half the maximum means no clip is left nearly untouched; the
    random sign means a speaker's clips land on both sides of their own voice.
    """

    alpha_max_dev: float = 0.15  # McAdams α = 1 ± dev
    pitch_max_semitones: float = 4.0
    formant_max_dev: float = 0.10  # formant ratio = (1 + dev) ** ±1

    @classmethod
    def scaled(cls, level: float) -> Strength:
        """The reference ranges times ``level`` (0 = identity); the benchmark sweeps this."""
        ref = REFERENCE
        return cls(ref.alpha_max_dev * level, ref.pitch_max_semitones * level, ref.formant_max_dev * level)


#: Unit of the strength scale that bench/disguise_eer.py sweeps.
REFERENCE = Strength()
#: Level used when ``settings.disguise_strength`` is 1; picked from the sweep in
#: bench/disguise_eer.py: 1.5 is the weakest level that met both privacy targets (EER ≥ 30%
#: against an attacker enrolled on original speech, ≥ 15% against one enrolled on disguised
#: speech). It costs tiny.en ASR far more than the 5-point target (see the README).
DEFAULT_LEVEL = 1.5
DEFAULT_STRENGTH = Strength.scaled(DEFAULT_LEVEL)


def _signed(rng: np.random.Generator, max_dev: float) -> float:
    return float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.0) * max_dev)


def draw_disguise_params(rng: np.random.Generator, strength: Strength = DEFAULT_STRENGTH) -> dict[str, float]:
    """One clip's transformation: McAdams α, pitch shift (semitones), formant ratio."""
    alpha = 1.0 + _signed(rng, strength.alpha_max_dev)
    semitones = _signed(rng, strength.pitch_max_semitones)
    formant = (1.0 + strength.formant_max_dev) ** (_signed(rng, 1.0) if strength.formant_max_dev else 0.0)
    return {"alpha": round(alpha, 4), "pitch_semitones": round(semitones, 3), "formant_ratio": round(formant, 4)}


def apply_disguise(samples: np.ndarray, rate: int, params: dict[str, float]) -> np.ndarray:
    """Pitch shift, then one LPC pass that warps the poles (McAdams + formant shift) and
    undoes the formant scaling the pitch shift brought along."""
    shifted = pitch_shift(samples, params["pitch_semitones"])
    warp = PoleWarp(
        alpha=params["alpha"],
        formant_ratio=params["formant_ratio"],
        pre_scale=pitch_factor(params["pitch_semitones"]),
    )
    return warp_envelope(shifted, rate, warp)


def match_level(out: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Same RMS as the input (the warp changes the filter gain), then peak-limit by scaling."""
    ref = float(np.sqrt(np.mean(reference.astype(np.float64) ** 2)))
    cur = float(np.sqrt(np.mean(out**2)))
    if cur > 0 and ref > 0:
        out = out * (ref / cur)
    peak = float(np.abs(out).max()) if out.size else 0.0
    if peak > PEAK:
        out = out * (PEAK / peak)
    return out


def _disguised(audio: Audio, rng: np.random.Generator, *, settings: Any = None, **_: Any) -> tuple[np.ndarray, dict]:
    scale = float(getattr(settings.policy, "disguise_strength", 1.0)) if settings is not None else 1.0
    strength = Strength.scaled(DEFAULT_LEVEL * scale)
    params = draw_disguise_params(rng, strength)
    out = apply_disguise(audio.samples.astype(np.float64), audio.rate, params)
    return match_level(out, audio.samples), params


def _revoiced(
    audio: Audio,
    rng: np.random.Generator,
    *,
    transcript: Transcript | None = None,
    language: str = "en",
    settings: Any = None,
    **_: Any,
) -> tuple[np.ndarray, dict]:
    if transcript is None:
        raise ValueError("re-voicing needs the (redacted) transcript with word timings")
    synthesize, engine = tts_synthesizer(settings)
    out, info = revoice(audio, transcript, language, synthesize)
    samples = out.samples.astype(np.float64)
    peak = float(np.abs(samples).max()) if samples.size else 0.0
    if peak > PEAK:
        samples = samples * (PEAK / peak)
    return samples, {"tts": engine, "language": language, **info}


def _none(audio: Audio, rng: np.random.Generator, **_: Any) -> tuple[np.ndarray, dict]:
    return audio.samples, {}


DisguiseMethod = Callable[..., tuple[np.ndarray, dict]]

#: Methods by name, so review policy can pick one per task type from configuration.
DISGUISE_METHODS: dict[str, DisguiseMethod] = {
    "disguised": _disguised,
    "revoiced": _revoiced,
    "none": _none,
}


def disguise_voice(
    audio: Audio,
    method: str,
    rng: np.random.Generator,
    *,
    transcript: Transcript | None = None,
    language: str = "en",
    settings: Any = None,
) -> tuple[Audio, dict]:
    """Disguise ``audio`` with the named method; returns the new clip and what was done.

    ``rng`` supplies the per-clip draws: pass a fresh, unseeded generator in production
    (a seed would let anyone who learns it undo the draws). ``settings.disguise_strength``
    scales the default ranges of the "disguised" draws (the benchmark sweeps it).
    """
    try:
        fn = DISGUISE_METHODS[method]
    except KeyError:
        raise ValueError(
            f"unknown disguise method {method!r}; known: {', '.join(sorted(DISGUISE_METHODS))}"
        ) from None
    if audio.samples.size == 0:
        raise AudioError("cannot disguise an empty clip")
    samples, params = fn(
        audio, rng, transcript=transcript, language=language, settings=settings
    )
    out = np.asarray(samples, dtype=np.float32)
    assert out.shape == audio.samples.shape, "disguise must keep the clip length"
    return Audio(out, audio.rate), {"method": method, "params": params}


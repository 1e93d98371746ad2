"""Time stretch (phase vocoder) and pitch shift (stretch, then resample back to length).

A pitch shift by resampling alone would change the duration and so break the word
timing reviewers correct against; stretching first by the same factor keeps the
length. Resampling also scales the formants by the pitch factor: the LPC stage that
follows undoes that (see :class:`ecoute.privacy.voice.lpc.PoleWarp`), so pitch and
formants are drawn independently.

The phase vocoder uses identity phase locking (Laroche & Dolson): each bin takes its
phase advance from the spectral peak it belongs to, which keeps the harmonics of one
voice coherent and avoids the "phasey" sound that hurts ASR on shifted speech.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.fft import irfft, rfft
from scipy.signal import resample_poly

from ecoute.privacy.voice.frames import frame, overlap_add, periodic_hann


def _peak_owner(mag: np.ndarray) -> np.ndarray:
    """For every bin of every frame, the index of the spectral peak whose region it lies in.

    Peaks are local maxima; region boundaries are halfway between neighbouring peaks.
    Vectorised with running maxima over bin indices instead of a loop over peaks.
    """
    _n_frames, n_bins = mag.shape
    is_peak = np.zeros_like(mag, dtype=bool)
    is_peak[:, 1:-1] = (mag[:, 1:-1] > mag[:, :-2]) & (mag[:, 1:-1] >= mag[:, 2:])
    is_peak[:, 0] = True  # every bin has a peak to its left
    idx = np.broadcast_to(np.arange(n_bins), mag.shape)
    left = np.maximum.accumulate(np.where(is_peak, idx, 0), axis=1)
    right_rev = np.where(is_peak[:, ::-1], n_bins - 1 - idx[:, ::-1], -1)
    right_rev = np.where(right_rev < 0, np.iinfo(np.int64).max, right_rev)
    right = np.minimum.accumulate(right_rev, axis=1)[:, ::-1]
    right = np.where(right > n_bins, left, right)
    return np.where(idx - left <= right - idx, left, right)


def time_stretch(x: np.ndarray, factor: float, *, frame_len: int = 512) -> np.ndarray:
    """Return ``x`` lasting ``factor`` times as long, pitch unchanged (about len·factor samples)."""
    x = np.asarray(x, dtype=np.float64)
    if abs(factor - 1.0) < 1e-9:
        return x.copy()
    hop = frame_len // 4
    window = periodic_hann(frame_len)
    spec = rfft(frame(x, frame_len, hop) * window, axis=1)  # (frames, bins)
    n_frames, n_bins = spec.shape
    omega = 2.0 * np.pi * np.arange(n_bins) * hop / frame_len  # expected advance per hop

    steps = np.arange(0.0, n_frames - 1, 1.0 / factor)
    steps = steps[steps < n_frames - 1]  # a float step may overshoot the last pair
    i0 = np.minimum(np.floor(steps).astype(int), n_frames - 2)
    frac = (steps - i0)[:, None]
    mag = np.abs(spec)
    out_mag = (1.0 - frac) * mag[i0] + frac * mag[i0 + 1]

    phase = np.angle(spec)
    dev = phase[1:] - phase[:-1] - omega
    dev = dev - 2.0 * np.pi * np.round(dev / (2.0 * np.pi))
    advance = (omega + dev)[i0]  # true phase advance per hop at each output step
    owner = _peak_owner(out_mag)
    rows = np.arange(len(steps))[:, None]
    locked = advance[rows, owner]  # each bin follows its peak ...
    # ... keeping its offset from the peak as in the analysis frame (identity locking).
    offset = phase[i0] - phase[i0][rows, owner]
    peak_phase = phase[0][None, :] + np.concatenate([np.zeros((1, n_bins)), np.cumsum(locked[:-1], axis=0)])
    out_phase = peak_phase[rows, owner] + offset
    out = irfft(out_mag * np.exp(1j * out_phase), frame_len, axis=1) * window
    # Hann² at hop n/4 sums to 1.5. The front padding of the analysis lasts
    # frame_len·factor once stretched, so that is what is cut off.
    n_out = round(len(x) * factor)
    start = round(frame_len * factor)
    full = overlap_add(out, hop, start + n_out, 0) / 1.5
    return np.pad(full[start:], (0, max(0, n_out - len(full[start:]))))[:n_out]


def pitch_shift(x: np.ndarray, semitones: float, *, frame_len: int = 512) -> np.ndarray:
    """Shift pitch (and, as a side effect, formants) by ``semitones``; same length as ``x``."""
    x = np.asarray(x, dtype=np.float64)
    if abs(semitones) < 1e-6:
        return x.copy()
    ratio = Fraction(2.0 ** (semitones / 12.0)).limit_denominator(64)
    stretched = time_stretch(x, float(ratio), frame_len=frame_len)
    shifted = resample_poly(stretched, ratio.denominator, ratio.numerator)
    out = np.zeros(len(x))
    m = min(len(x), len(shifted))
    out[:m] = shifted[:m]
    return out


def pitch_factor(semitones: float) -> float:
    """The exact frequency factor :func:`pitch_shift` applies (after its rational approximation)."""
    return float(Fraction(2.0 ** (semitones / 12.0)).limit_denominator(64))

"""LPC analysis and the McAdams pole-angle warp, on all frames at once.

The McAdams method (the VoicePrivacy Challenge's signal-processing baseline) models
each short frame as an excitation through an all-pole filter 1/A(z). The filter's
complex poles sit at the formants; raising each pole angle φ to a power α moves the
formants (φ → φ^α) while the excitation, and so the words, stay put. We also let a
caller scale the angles (a formant shift) and undo the formant scaling that a pitch
shift by resampling brings, all in the same pole map, so the voice is re-synthesised
once.

Filtering is done in the frequency domain: the windowed frame's spectrum is
multiplied by A(ω)/A'(ω) on a grid twice the frame length, which equals filtering
the frame with A(z) then 1/A'(z) (as the baseline does with lfilter), up to the
filter tail beyond one frame length. Frames then overlap-add. With A' = A this is
exact reconstruction, which the tests check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft

from ecoute.privacy.voice.frames import frame, overlap_add, periodic_hann


@dataclass(frozen=True)
class PoleWarp:
    """How pole angles move: φ' = formant_ratio · (φ / pre_scale) ** alpha, kept below π.

    A warp that pushes poles past π (α > 1, a formant shift up, a pitch shift down) would
    pile them up at the band edge into one huge resonance: such poles are parked just
    below π and damped (those formants moved out of the band; they must not ring at
    its edge). An identity warp leaves every pole exactly where it was.
    ``pre_scale`` undoes a formant scaling already present in the signal (a pitch shift
    by resampling scales formants by the pitch factor); ``alpha`` is the McAdams
    coefficient; ``formant_ratio`` moves every formant by the same factor.
    """

    alpha: float = 1.0
    formant_ratio: float = 1.0
    pre_scale: float = 1.0

    def raw(self, angles: np.ndarray) -> np.ndarray:
        return self.formant_ratio * (np.abs(angles) / self.pre_scale) ** self.alpha

    def apply(self, angles: np.ndarray) -> np.ndarray:
        return np.sign(angles) * np.clip(self.raw(angles), 1e-3, TOP)

    def leaves_band(self, angles: np.ndarray) -> np.ndarray:
        return self.raw(angles) > TOP


#: Highest angle a warped pole may take (rad): just below the Nyquist frequency.
TOP = np.pi - 0.02
#: Radius given to poles warped out of the band: a broad bump, not a formant.
OUT_OF_BAND_RADIUS = 0.5


def levinson(r: np.ndarray, order: int) -> np.ndarray:
    """LPC coefficients [1, a1..ap] per row of autocorrelations ``r`` (Levinson–Durbin).

    The recursion runs over the order (20 steps) with every frame updated at once.
    """
    n = r.shape[0]
    a = np.zeros((n, order + 1))
    a[:, 0] = 1.0
    err = r[:, 0].copy()
    for i in range(1, order + 1):
        acc = r[:, i] + np.einsum("fj,fj->f", a[:, 1:i], r[:, i - 1 : 0 : -1])
        k = -acc / err
        prev = a[:, 1:i].copy()
        a[:, 1:i] = prev + k[:, None] * prev[:, ::-1]
        a[:, i] = k
        err = err * (1.0 - k**2)
    return a


def lpc(frames: np.ndarray, order: int) -> np.ndarray:
    """LPC of windowed frames via the autocorrelation method (always a stable 1/A)."""
    nfft = next_fast_len(2 * frames.shape[1])
    spec = rfft(frames, nfft, axis=1)
    r = irfft(np.abs(spec) ** 2, nfft, axis=1)[:, : order + 1]
    # White-noise correction: keeps silent or pure-tone frames well conditioned.
    r[:, 0] = r[:, 0] * (1.0 + 1e-6) + 1e-12
    return levinson(r, order)


def poles(a: np.ndarray) -> np.ndarray:
    """Roots of every row's A(z), as eigenvalues of stacked companion matrices."""
    n, p1 = a.shape
    p = p1 - 1
    comp = np.zeros((n, p, p))
    comp[:, 0, :] = -a[:, 1:]
    comp[:, np.arange(1, p), np.arange(p - 1)] = 1.0
    return np.linalg.eigvals(comp)


def poly_from_roots(roots: np.ndarray) -> np.ndarray:
    """Monic polynomial coefficients per row from its roots (real part: roots come in pairs)."""
    n, p = roots.shape
    c = np.zeros((n, p + 1), dtype=complex)
    c[:, 0] = 1.0
    for j in range(p):
        c[:, 1 : j + 2] = c[:, 1 : j + 2] - roots[:, j : j + 1] * c[:, 0 : j + 1]
    return c.real


def warp_poles(roots: np.ndarray, warp: PoleWarp) -> np.ndarray:
    """Move complex poles' angles by ``warp``; real poles (no formant) stay where they are."""
    angles = np.angle(roots)
    radius = np.abs(roots)
    moved = (np.abs(roots.imag) > 1e-9) & (np.abs(warp.raw(angles) - np.abs(angles)) > 1e-12)
    new_angles = np.where(moved, warp.apply(angles), angles)
    left_band = moved & warp.leaves_band(angles)
    radius = np.where(left_band, np.minimum(radius, OUT_OF_BAND_RADIUS), radius)
    return radius * np.exp(1j * new_angles)


def warp_envelope(
    x: np.ndarray,
    rate: int,
    warp: PoleWarp,
    *,
    order: int | None = None,
    frame_seconds: float = 0.02,
) -> np.ndarray:
    """Re-synthesise ``x`` with its LPC envelope's poles moved by ``warp``; same length.

    20 ms Hann frames at a quarter-frame hop and order 20 at 16 kHz follow the
    challenge baseline's analysis settings.
    """
    x = np.asarray(x, dtype=np.float64)
    order = order or round(rate / 1000) + 4
    n = round(frame_seconds * rate)
    n += (-n) % 4
    hop = n // 4
    window = periodic_hann(n)
    frames = frame(x, n, hop) * window
    a = lpc(frames, order)
    a_new = poly_from_roots(warp_poles(poles(a), warp))

    nfft = 2 * n  # a multiple of hop, so overlap-add can take whole rows
    spec = rfft(frames, nfft, axis=1)
    denom = rfft(a_new, nfft, axis=1)
    # Poles stay inside the unit circle, so |A'| > 0; the floor only guards rounding.
    denom = np.where(np.abs(denom) < 1e-6, 1e-6, denom)
    ratio = rfft(a, nfft, axis=1) / denom
    out_frames = irfft(spec * ratio, nfft, axis=1)
    # Hann at hop n/4 sums to 2: divide it out so an identity warp gives back x.
    return overlap_add(out_frames, hop, len(x), n) / 2.0

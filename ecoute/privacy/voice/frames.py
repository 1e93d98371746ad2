"""Framing and overlap-add shared by the LPC and phase-vocoder stages.

Both stages work frame by frame, but every frame is processed at once as rows of one
array, so there is no Python loop over samples or frames: only over the few blocks of
one frame length that overlap (``frame_len / hop`` of them).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def periodic_hann(n: int) -> np.ndarray:
    """Periodic Hann window: at hop n/4 its shifted copies sum to exactly 2 (clean OLA)."""
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float64)


def frame(x: np.ndarray, frame_len: int, hop: int) -> np.ndarray:
    """Rows of ``frame_len`` samples every ``hop``; ``frame_len`` zeros padded at both ends.

    The padding means every input sample is covered by the same number of frames, so
    overlap-add of unmodified frames rebuilds the input exactly, edges included.
    """
    padded = np.concatenate([np.zeros(frame_len), np.asarray(x, dtype=np.float64), np.zeros(frame_len)])
    n_frames = (len(padded) - frame_len) // hop + 1
    return sliding_window_view(padded, frame_len)[: n_frames * hop : hop]


def overlap_add(frames: np.ndarray, hop: int, out_len: int, frame_len: int) -> np.ndarray:
    """Inverse of :func:`frame`: sum rows (any length, multiple of ``hop``) and undo the padding.

    Rows may be longer than the analysis frame (the tail of a filtered frame), which is
    why their length is taken from ``frames`` and not from ``frame_len``.
    """
    n_frames, row_len = frames.shape
    if row_len % hop:
        raise ValueError("row length must be a multiple of the hop")
    blocks = row_len // hop
    total = (n_frames + blocks) * hop
    out = np.zeros(total)
    for b in range(blocks):  # a handful of blocks, each added for all frames at once
        chunk = frames[:, b * hop : (b + 1) * hop].reshape(-1)
        out[b * hop : b * hop + len(chunk)] += chunk
    return out[frame_len : frame_len + out_len]

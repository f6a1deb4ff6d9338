"""Isolated outliers and change points in a series, on the scale the models work on.

Shared CI runners produce the odd commit measured three times slower; a level shift from a
merged change is real. A Hampel filter (distance from the local median, in units of the series'
robust noise) takes out the first without touching the second, and the change points (PELT with
a linear kernel from ``ruptures``, a BIC-like penalty) say where the current level began.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

HAMPEL_HALF_WINDOW = 3
HAMPEL_LIMIT = 5.0  # robust standard deviations from the local median
MIN_SEGMENT = 3
PENALTY = 3.0  # times log(n), in units of the noise variance


def robust_noise(y: NDArray[np.float64]) -> float:
    """Noise level from first differences (MAD), insensitive to level shifts and outliers."""
    if len(y) < 3:
        return 0.0
    diffs = np.diff(y)
    return float(1.4826 * np.median(np.abs(diffs - np.median(diffs))) / np.sqrt(2.0))


def outliers(y: NDArray[np.float64], floor: float) -> list[int]:
    """Indices of isolated outliers (Hampel filter); ``floor`` is the smallest noise assumed."""
    n = len(y)
    if n < 5:
        return []
    h = HAMPEL_HALF_WINDOW
    if n > 2 * h + 1:  # interior points at once, the few edge points one by one
        local = np.empty(n)
        local[h : n - h] = np.median(np.lib.stride_tricks.sliding_window_view(y, 2 * h + 1), axis=1)
        for i in [*range(h), *range(n - h, n)]:
            local[i] = np.median(y[max(0, i - h) : i + h + 1])
    else:
        local = np.array([np.median(y[max(0, i - h) : i + h + 1]) for i in range(n)])
    residuals = y - local
    scale = max(1.4826 * float(np.median(np.abs(residuals))), floor)
    return [i for i in range(n) if abs(residuals[i]) > HAMPEL_LIMIT * scale]


def change_points(y: NDArray[np.float64], floor: float) -> list[int]:
    """Indices where a new segment starts (empty when the series has one level)."""
    n = len(y)
    if n < 2 * MIN_SEGMENT:
        return []
    sigma = max(robust_noise(y), floor)
    import ruptures

    detector = ruptures.KernelCPD(kernel="linear", min_size=MIN_SEGMENT, jump=1)
    ends = detector.fit((y / sigma).reshape(-1, 1)).predict(pen=PENALTY * np.log(n))
    return [int(end) for end in ends[:-1]]

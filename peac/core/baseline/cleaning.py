"""Isolated outliers in a series, on the scale the forecast works on.

Shared CI runners produce the odd commit measured three times slower; a level shift from a
merged change is real. A Hampel filter (distance from the local median, in units of the series'
robust noise) takes out the first without touching the second (``changes.py`` finds those).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

HAMPEL_HALF_WINDOW = 3
HAMPEL_LIMIT = 5.0  # robust standard deviations from the local median


def outliers(y: NDArray[np.float64], floor: float) -> dict[int, float]:
    """Isolated outliers (Hampel filter): index -> distance from the local median (positive
    above it). ``floor`` is the smallest noise assumed. The distances say how far this series
    has been seen to jump for one commit (``forecast.p_value`` counts them)."""
    n = len(y)
    if n < 5:
        return {}
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
    return {i: float(residuals[i]) for i in range(n) if abs(residuals[i]) > HAMPEL_LIMIT * scale}

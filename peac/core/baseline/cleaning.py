"""Isolated outliers in a series, on the scale the forecast works on.

Shared CI runners produce the odd commit measured three times slower; a level shift from a
merged change is real. A Hampel filter (distance from the local median, in units of the series'
robust noise) takes out the first without touching the second (``changes.py`` finds those).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from peac.core.baseline.changes import SHORT_WINDOW

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
    limit = HAMPEL_LIMIT * scale
    level = _edge_levels(y, limit)
    return {
        i: float(residuals[i]) for i in range(n) if abs(residuals[i]) > limit and i not in level
    }


def _edge_levels(y: NDArray[np.float64], limit: float) -> set[int]:
    """The first or last 2-3 values when they sit at one level of their own: the window of
    a point near an end is lopsided (three values on one side, one or two on the other), so
    a level shift three commits from the end would look like a blip at its first commit.
    Whether such a run is a new level or a longer blip is for the change-point and
    moved-level rules to say, not the outlier filter. At the end only in windows short
    enough for ``changes.short_step`` to cut such a level off: in a longer one a change point
    needs five commits a side, and a run kept in the window would widen its backtest and
    blind the moved-level rule (a 3x step two commits back let a 2x head pass)."""
    n = len(y)
    found: set[int] = set()
    if n < 5:
        return found
    runs = [(range(3), y[3:6]), (range(2), y[2:5])]
    if n < SHORT_WINDOW:  # where short_step can cut such a level off
        runs += [
            (range(n - 3, n), y[max(n - 6, 0) : n - 3]),
            (range(n - 2, n), y[max(n - 5, 0) : n - 2]),
        ]
    for run, rest in runs:
        if found & set(run):
            continue
        values = y[list(run)]
        center = float(np.median(values))
        # One level: its values within the filter's limit of each other, or within a
        # quarter of its distance from the values beside it (the filter's own scale is
        # too small to trust on a few commits).
        tolerance = max(limit, abs(center - float(np.median(rest))) / 4.0)
        if float(np.max(np.abs(values - center))) <= tolerance:
            found |= set(run)
    return found

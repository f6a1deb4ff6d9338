"""Level shifts in a series, found without mistaking noise for them.

CI benchmark noise is autocorrelated (one runner is slow for a while) and heavy-tailed (the odd
commit measured on a noisy neighbour). A change-point test scaled by the plain standard
deviation cuts such noise into segments; so the test here is scaled by the *long-run* standard
deviation (the one that governs the mean of a stretch of autocorrelated values), estimated
robustly from first differences, on values winsorized at four robust deviations.

Binary segmentation: the split with the largest standardized difference of means is a change
point when that difference exceeds ``THRESHOLD`` and the shift is at least ``floor`` (a
change too small to matter never cuts the window); each side is then searched the same way.
``THRESHOLD`` was calibrated by simulation (``benchmarks/judgement.py`` prints the rate): on
windows of 12 to 100 values of AR(1) noise (phi 0.3) with Student-t(4) innovations, the largest
statistic exceeds 4.2 in about 2 % of windows; on independent Gaussian noise in far fewer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

THRESHOLD = 4.2
MIN_SEGMENT = 5
MAX_RHO = 0.8
ABRUPT_SPAN = 5  # values either side of a jump in a wandering series
ABRUPT_LIMIT = 5.0  # robust deviations a jump must stand out by among all places


def long_run_sigma(y: NDArray[np.float64]) -> float:
    """The long-run standard deviation of ``y``: robust to level shifts and outliers (it is
    read from first differences) and to autocorrelation (lag-one, estimated from the
    differences' own correlation and capped at ``MAX_RHO``)."""
    d = np.diff(y)
    if len(d) < 2:
        return 0.0
    mad = robust_sd(d)
    rho = 0.0
    if len(d) >= 6:
        r = _rank_correlation(d[1:], d[:-1])
        # For AR(1) with coefficient rho the differences correlate at -(1 - rho) / 2.
        rho = min(max(1.0 + 2.0 * r, 0.0), MAX_RHO)
    sigma = mad / math.sqrt(2.0 * (1.0 - rho))
    return sigma * math.sqrt((1.0 + rho) / (1.0 - rho))


def robust_sd(x: NDArray[np.float64]) -> float:
    """The standard deviation read from the median absolute deviation, or, when more than
    half the values are equal (a quantised series), from the mean absolute deviation."""
    spread = np.abs(x - np.median(x))
    scale = 1.4826 * float(np.median(spread))
    return scale if scale > 0.0 else 1.2533 * float(np.mean(spread))


def _rank_correlation(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """Spearman's correlation, robust to the outliers and shifts among differences; -0.5 (no
    autocorrelation) when either side is constant."""
    ra = np.argsort(np.argsort(a)).astype(float)
    rb = np.argsort(np.argsort(b)).astype(float)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return -0.5
    return float(np.corrcoef(ra, rb)[0, 1])


def _line_explains(y: NDArray[np.float64], at: int) -> bool:
    """Whether a step at ``at`` adds nothing (BIC, with the step's place counted) to one
    straight line through the stretch: a steady drift is no level shift, however large the
    means' difference grows; a step on a drift, or a staircase, still is."""
    n = len(y)
    x = np.arange(n, dtype=float)
    line = np.c_[np.ones(n), x]
    stepped = np.c_[line, (x >= at).astype(float)]
    sse_line = _sse(line, y)
    sse_step = _sse(stepped, y)
    return n * math.log(sse_line / sse_step) <= 2.0 * math.log(n)


def _sse(design: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return max(float(np.sum((y - design @ coef) ** 2)), 1e-300)


def _persistent(y: NDArray[np.float64], at: int) -> bool:
    """Whether the series, less a step at ``at``, wanders like a random walk (its differences
    show no sign of the mean reversion a level has): the long-run scale is unbounded then,
    and only an abrupt jump is a change point."""
    z = y.copy()
    z[at:] -= float(np.median(y[at:]) - np.median(y[:at]))
    d = np.diff(z)
    return len(d) >= 12 and 1.0 + 2.0 * _rank_correlation(d[1:], d[:-1]) >= MAX_RHO


def _abrupt(y: NDArray[np.float64], at: int) -> bool:
    """Whether the move across ``at`` is abrupt: the difference of the means of the
    ``ABRUPT_SPAN`` values either side stands out among the same difference at every other
    place, by ``ABRUPT_LIMIT`` robust deviations."""
    n, m = len(y), ABRUPT_SPAN
    if n < 2 * m + 2:
        return False
    total = np.r_[0.0, np.cumsum(y)]
    k = np.arange(m, n - m + 1)
    moves = (total[k + m] - total[k]) / m - (total[k] - total[k - m]) / m
    scale = robust_sd(moves)
    here = float(np.mean(y[at : at + m]) - np.mean(y[max(at - m, 0) : at]))
    return abs(here - float(np.median(moves))) > ABRUPT_LIMIT * scale


def change_points(
    y: NDArray[np.float64], floor: float = 0.0, threshold: float = THRESHOLD
) -> list[int]:
    """Indices where a new level starts (sorted; empty when the series has one level).
    ``floor`` is the smallest shift, in the series' unit, worth a change point."""
    found: list[int] = []
    # Values near the float range's end (1e300) overflow squares: the test then says no
    # change there rather than raising.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        _split(np.asarray(y, dtype=float), 0, found, floor, threshold)
    return sorted(found)


def _split(
    y: NDArray[np.float64], offset: int, found: list[int], floor: float, threshold: float
) -> None:
    n = len(y)
    if n < 2 * MIN_SEGMENT:
        return
    sigma = long_run_sigma(y)
    if sigma <= 0.0:
        return
    median = float(np.median(y))
    clipped = np.clip(y, median - 4 * sigma, median + 4 * sigma)
    total = np.cumsum(clipped)
    k = np.arange(MIN_SEGMENT, n - MIN_SEGMENT + 1)
    left = total[k - 1] / k
    right = (total[-1] - total[k - 1]) / (n - k)
    stat = np.abs(left - right) / (sigma * np.sqrt(1.0 / k + 1.0 / (n - k)))
    best = int(np.argmax(stat))
    at = int(k[best])
    shift = abs(float(np.median(y[at:]) - np.median(y[:at])))
    if stat[best] <= threshold or shift < floor:
        return
    if _line_explains(y, at) or (_persistent(y, at) and not _abrupt(y, at)):
        return
    found.append(offset + at)
    _split(y[:at], offset, found, floor, threshold)
    _split(y[at:], offset + at, found, floor, threshold)


# Windows too short for ``change_points`` (two segments of MIN_SEGMENT): a step is still a
# step. The largest two-sample t statistic over the splits (two values a side at least) of
# AR(1) noise (phi 0.3) with Student-t(4) innovations exceeds SHORT_LIMIT + SHORT_SLOPE / (n - 3)
# in fewer than 1 % of windows of 4 to 12 values (simulated, 4,000 windows per length: the
# 99 % quantiles run from 10.3 at 4 values to 5.9 at 12); a step a few commits back is cut
# there, so the noise is read within the levels and the forecast follows the new one.
SHORT_LIMIT = 5.8
SHORT_SLOPE = 9.0
SHORT_WINDOW = 12  # below this many values, short_step looks for the step change_points cannot


def short_step(y: NDArray[np.float64], floor: float = 0.0) -> int | None:
    """The index where a clear new level starts in a window of fewer than ``SHORT_WINDOW``
    values, or None. ``floor`` is the smallest shift worth it, in the series' unit."""
    n = len(y)
    if n < 4 or n >= SHORT_WINDOW:
        return None
    size = float(np.max(np.abs(y)))
    if not size > 0.0 or not math.isfinite(size):
        return None
    x = np.asarray(y, dtype=float) / size  # means of values near 1e308 would overflow
    best, at = 0.0, None
    for k in range(2, n - 1):
        shift = abs(float(np.mean(x[k:]) - np.mean(x[:k])))
        if shift * size < floor or shift == 0.0:
            continue
        spread = pooled_sd(x, [k])[0] * math.sqrt(1.0 / k + 1.0 / (n - k))
        stat = shift / spread if spread > 0.0 else math.inf
        if stat > best:
            best, at = stat, k
    return at if best > SHORT_LIMIT + SHORT_SLOPE / (n - 3) else None


def pooled_sd(y: NDArray[np.float64], starts: Sequence[int]) -> tuple[float, float]:
    """The standard deviation within the levels that ``starts`` cut ``y`` into, and its
    degrees of freedom (at least 2, so a t quantile stays finite)."""
    edges = [0, *starts, len(y)]
    df = len(y) - (len(edges) - 1)
    size = float(np.max(np.abs(y))) if len(y) else 0.0
    if df < 1 or not size > 0.0:
        return 0.0, 2.0
    squares = 0.0
    for a, b in pairwise(edges):
        part = y[a:b] / size  # scaled: squares of values near 1e300 would overflow
        squares += float(np.sum((part - np.mean(part)) ** 2)) if len(part) else 0.0
    return size * math.sqrt(squares / df), float(max(df, 2))

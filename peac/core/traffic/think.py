"""Think time: which of the Scenario's distributions (constant, uniform, exponential) fits the
gaps between a client's requests within a session, and how well.

The fit is the one with the smallest Kolmogorov-Smirnov distance to the gaps seen (the largest
difference between the two cumulative distributions): a number a reader can check, and the
comment in the scenario names it with the runners-up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ThinkFit:
    kind: str  # "constant", "uniform", "exponential" or "none" (no gaps seen)
    values: tuple[float, ...]  # seconds: (value,), (low, high) or (mean,)
    distance: float  # KS distance of the chosen fit
    others: tuple[tuple[str, float], ...]  # the other candidates and their KS distance
    samples: int
    p50: float
    p90: float


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """The q-quantile (linear interpolation) of already sorted values; NaN when empty."""
    if not sorted_values:
        return math.nan
    position = q * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def _ks(sorted_values: Sequence[float], cdf: Callable[[float], float]) -> float:
    n = len(sorted_values)
    worst = 0.0
    for i, x in enumerate(sorted_values):
        f = cdf(x)
        worst = max(worst, abs(f - i / n), abs((i + 1) / n - f))
    return worst


def fit_think(gaps: Sequence[float]) -> ThinkFit:
    """The best of constant (at the median), uniform (between the 5th and 95th percentiles) and
    exponential (at the mean) for ``gaps`` in seconds."""
    values = sorted(g for g in gaps if g >= 0 and math.isfinite(g))
    if not values:
        return ThinkFit("none", (), 0.0, (), 0, math.nan, math.nan)
    median = quantile(values, 0.5)
    low, high = quantile(values, 0.05), quantile(values, 0.95)
    mean = sum(values) / len(values)

    def constant(x: float) -> float:
        return 1.0 if x >= median else 0.0

    def uniform(x: float) -> float:
        if high <= low:
            return constant(x)
        return min(1.0, max(0.0, (x - low) / (high - low)))

    def exponential(x: float) -> float:
        return 1.0 - math.exp(-x / mean) if mean > 0 else 1.0

    fits = {
        "constant": ((median,), _ks(values, constant)),
        "uniform": ((low, high), _ks(values, uniform)),
        "exponential": ((mean,), _ks(values, exponential)),
    }
    if mean <= 0:
        fits.pop("exponential")
    kind = min(fits, key=lambda k: fits[k][1])
    chosen, distance = fits[kind]
    others = tuple((k, d) for k, (_, d) in fits.items() if k != kind)
    return ThinkFit(kind, chosen, distance, others, len(values), median, quantile(values, 0.9))

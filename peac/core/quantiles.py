"""Quantile and mean arithmetic over HdrHistograms, vectorised with numpy.

hdrh walks its buckets in Python (a mean takes ~0.3 s); the same arithmetic over numpy arrays
takes microseconds, which matters when every recorded run is summarised. One definition of
"the p95 of a histogram" for the recorder, the gate, the diff's bootstrap and abort_on_fail.
"""

from __future__ import annotations

import numpy as np
from hdrh.histogram import HdrHistogram
from numpy.typing import NDArray

Floats = NDArray[np.float64]


def percentile_of(stat: str) -> float:
    """``p95`` -> 95.0, ``max`` -> 100, ``min`` -> 0 (``mean`` has no percentile)."""
    if stat == "max":
        return 100.0
    if stat == "min":
        return 0.0
    if stat.startswith("p"):
        return min(float(stat[1:]), 100.0)
    raise ValueError(f"unknown statistic {stat!r}")


def rank(percentile: float, total: int | float) -> int:
    """The 1-based rank of the value at ``percentile`` among ``total`` (hdrh's rounding)."""
    return max(int(percentile * total / 100 + 0.5), 1)


def buckets(histogram: HdrHistogram) -> tuple[Floats, Floats, Floats]:
    """(counts, lowest value, width) of every non-empty bucket, in index order."""
    counts = np.ctypeslib.as_array(histogram.counts)[: histogram.counts_len]
    index = np.flatnonzero(counts)
    half_magnitude = histogram.sub_bucket_half_count_magnitude
    half = histogram.sub_bucket_half_count
    bucket = (index >> half_magnitude) - 1
    sub = (index & (half - 1)) + half
    low_bucket = bucket < 0
    sub = np.where(low_bucket, sub - half, sub)
    bucket = np.where(low_bucket, 0, bucket)
    shift = bucket + histogram.unit_magnitude
    return (
        counts[index].astype(np.float64),
        (sub << shift).astype(np.float64),
        (1 << shift).astype(np.float64),
    )


def stat_seconds(histogram: HdrHistogram, stat: str) -> float | None:
    """``p95``, ``p99.9``, ``max``, ``min``, ``mean`` of a histogram, in seconds (None if empty).

    Same values as hdrh's own methods (highest equivalent value for quantiles, median
    equivalent values for the mean).
    """
    total = histogram.get_total_count()
    if total == 0:
        return None
    if stat == "max":
        value = histogram.get_max_value()
    elif stat == "min":
        value = histogram.get_min_value()
    elif stat == "mean":
        counts, low, width = buckets(histogram)
        value = float(np.sum(counts * (low + np.floor(width / 2))) / total)
    else:
        percentile = percentile_of(stat)
        wanted = rank(percentile, total)
        counts, low, width = buckets(histogram)
        at = int(np.searchsorted(np.cumsum(counts), wanted))
        at = min(at, len(counts) - 1)
        value = low[at] + (width[at] - 1 if percentile else 0)
    return float(value) / 1e6

"""Latency histograms: HdrHistogram in microseconds, mergeable exactly, in the standard encoding.

The HdrHistogram compressed encoding (``HISTF...`` base64) is what other HDR tools read, so
result files can be inspected outside peac.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour
DIGITS = 3


def new() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


def record_seconds(histogram: HdrHistogram, seconds: float) -> None:
    """Record a duration; values beyond the range are clamped, never dropped."""
    histogram.record_value(min(max(int(seconds * 1e6), LOWEST_US), HIGHEST_US))


def encode(histogram: HdrHistogram) -> str:
    return str(histogram.encode().decode("ascii"))


def decode(text: str) -> HdrHistogram:
    decoded = HdrHistogram.decode(text.encode("ascii"))
    merged = new()
    merged.add(decoded)
    return merged


def merged(histograms: Iterable[HdrHistogram]) -> HdrHistogram:
    total = new()
    for histogram in histograms:
        total.add(histogram)
    return total


def buckets(histogram: HdrHistogram) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(counts, lowest value, width) of every non-empty bucket, in index order.

    hdrh walks its buckets in Python (a mean takes ~0.3 s); the same arithmetic over numpy
    arrays takes microseconds, which matters when every recorded run is summarised.
    """
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
    elif stat.startswith("p"):
        percentile = min(float(stat[1:]), 100.0)
        wanted = max(int(percentile * total / 100 + 0.5), 1)
        counts, low, width = buckets(histogram)
        at = int(np.searchsorted(np.cumsum(counts), wanted))
        at = min(at, len(counts) - 1)
        value = low[at] + (width[at] - 1 if percentile else 0)
    else:
        raise ValueError(f"unknown statistic {stat!r}")
    return float(value) / 1e6

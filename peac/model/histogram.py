"""Latency histograms: HdrHistogram in microseconds, mergeable exactly, in the standard encoding.

The HdrHistogram compressed encoding (``HISTF...`` base64) is what other HDR tools read, so
result files can be inspected outside peac.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour
DIGITS = 3


def new() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


def record_seconds(histogram: HdrHistogram, seconds: float) -> None:
    """Record a duration; values beyond the range are clamped, never dropped."""
    histogram.record_value(min(max(int(seconds * 1e6), LOWEST_US), HIGHEST_US))


def add_seconds(histogram: HdrHistogram, seconds: Iterable[float]) -> None:
    """Record many durations at once, bit for bit as ``record_seconds`` one by one would (the
    same clamping; equal values go in with one ``record_value(value, count)``): the runner
    batches its latencies, since hdrh's record_value is pure Python at ~2 us a call."""
    counted = Counter([min(max(int(s * 1e6), LOWEST_US), HIGHEST_US) for s in seconds])
    record = histogram.record_value
    for value, count in counted.items():
        record(value, count)


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

"""Latency histograms: HdrHistogram in microseconds, mergeable exactly, in the standard encoding.

The HdrHistogram compressed encoding (``HISTF...`` base64) is what other HDR tools read, so
result files can be inspected outside peac.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour
DIGITS = 3


def new() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


def record_seconds(histogram: HdrHistogram, seconds: float) -> None:
    """Record a duration; values beyond the range are clamped, never dropped."""
    histogram.record_value(min(max(int(seconds * 1e6), LOWEST_US), HIGHEST_US))


def add_seconds(histogram: HdrHistogram, seconds: Sequence[float]) -> None:
    """Record many durations at once, bit for bit as ``record_seconds`` one by one would.

    The runner batches its latencies: hdrh's ``record_value`` is pure Python at ~2 us a call.
    Here the same arithmetic runs over the whole batch in numpy: ``int(s * 1e6)`` (an IEEE
    multiply, then truncation toward zero), the same clamping, hdrh's own bucket index
    (``bit_length`` from ``frexp``, exact below 2**53), then the counts, total, min and max.
    """
    if not len(seconds):
        return
    import numpy as np  # here: the light core (peac validate) does not install numpy

    h = histogram
    # Clipped as floats first only so the cast stays in range; the result is the same.
    micros = np.clip(np.asarray(seconds, dtype=np.float64) * 1e6, -1.0, HIGHEST_US + 1.0)
    values = np.clip(micros.astype(np.int64), LOWEST_US, HIGHEST_US)
    _, bits = np.frexp((values | h.sub_bucket_mask).astype(np.float64))
    bucket = bits.astype(np.int64) - h.unit_magnitude - (h.sub_bucket_half_count_magnitude + 1)
    sub_bucket = values >> (bucket + h.unit_magnitude)
    index = (
        ((bucket + 1) << h.sub_bucket_half_count_magnitude) + sub_bucket - h.sub_bucket_half_count
    )
    counts = np.ctypeslib.as_array(h.counts)
    counts += np.bincount(index, minlength=h.counts_len).astype(counts.dtype)
    h.total_count += len(values)
    h.min_value = min(h.min_value, int(values.min()))
    h.max_value = max(h.max_value, int(values.max()))


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

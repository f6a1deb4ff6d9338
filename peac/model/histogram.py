"""Latency histograms: HdrHistogram in microseconds, mergeable exactly, in the standard encoding.

The HdrHistogram compressed encoding (``HISTF...`` base64) is what other HDR tools read, so
result files can be inspected outside peac.
"""

from __future__ import annotations

import base64
import zlib
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


# The largest payload a histogram of this range can decode to: every count of its ~31,000
# buckets as a 9-byte LEB128, with room to spare. A result file's few kilobytes can hold zlib of
# a gigabyte; hdrh would inflate it all before looking.
MAX_DECODED = 4 * 1024 * 1024


class TooLarge(ValueError):
    """An encoding that would inflate beyond ``MAX_DECODED``."""


def _bounded(text: str) -> None:
    """Refuse an encoding whose zlib payload inflates beyond ``MAX_DECODED``, reading no more."""
    raw = base64.b64decode(text.encode("ascii"), validate=False)
    inflater = zlib.decompressobj()
    inflater.decompress(raw[8:], MAX_DECODED)  # after the cookie and the length words
    if inflater.unconsumed_tail:
        raise TooLarge(f"decodes to more than {MAX_DECODED // 1024 // 1024} MiB")


def decode(text: str) -> HdrHistogram:
    _bounded(text)
    decoded = HdrHistogram.decode(text.encode("ascii"))
    merged = new()
    merged.add(decoded)
    return merged


def merged(histograms: Iterable[HdrHistogram]) -> HdrHistogram:
    total = new()
    for histogram in histograms:
        total.add(histogram)
    return total

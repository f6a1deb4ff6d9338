"""peac's vectorised histogram statistics give exactly hdrh's own values."""

from __future__ import annotations

import random

import pytest
from hdrh.histogram import HdrHistogram
from hypothesis import given, settings
from hypothesis import strategies as st

from peac.core import quantiles
from peac.model import histogram as hist

STATS = ["p0", "p50", "p90", "p95", "p99", "p99.9", "p100", "max", "min", "mean"]


@pytest.mark.parametrize("stat", STATS)
@settings(max_examples=12, deadline=None)
@given(st.lists(st.floats(min_value=1e-6, max_value=100.0), min_size=1, max_size=300))
def test_statistics_match_hdrh(stat: str, latencies: list[float]) -> None:
    h = hist.new()
    for seconds in latencies:
        hist.record_seconds(h, seconds)
    mine = quantiles.stat_seconds(h, stat)
    if stat == "mean":
        theirs = h.get_mean_value()
    elif stat in ("max", "min"):
        theirs = h.get_max_value() if stat == "max" else h.get_min_value()
    else:
        theirs = h.get_value_at_percentile(float(stat[1:]))
    assert mine is not None
    assert abs(mine - theirs / 1e6) <= 1e-9 * max(1.0, theirs / 1e6), stat


def test_empty_histogram_has_no_statistics() -> None:
    assert quantiles.stat_seconds(hist.new(), "p95") is None


def test_batched_recording_is_bit_identical_to_one_by_one() -> None:
    """The runner batches latencies (``add_seconds``): the histogram must be exactly the one
    ``record_seconds`` value by value gives, clamping at both ends included."""
    rng = random.Random(7)
    values = [rng.lognormvariate(-6, 1.5) for _ in range(20_000)]
    values += [0.0, -1.0, 1e-9, 0.5e-6, 3_600.0, 1e9, 0.001, 0.001, 0.0012345]
    for digits in (hist.DIGITS, 2):  # the series' histograms, the per-second timeline's
        one_by_one = HdrHistogram(hist.LOWEST_US, hist.HIGHEST_US, digits)
        batched = HdrHistogram(hist.LOWEST_US, hist.HIGHEST_US, digits)
        for value in values:
            hist.record_seconds(one_by_one, value)
        hist.add_seconds(batched, values[:7_000])
        hist.add_seconds(batched, [])
        hist.add_seconds(batched, values[7_000:])
        assert_identical(batched, one_by_one)


def assert_identical(batched: HdrHistogram, one_by_one: HdrHistogram) -> None:
    assert hist.encode(batched) == hist.encode(one_by_one)
    assert (batched.get_total_count(), batched.get_min_value(), batched.get_max_value()) == (
        one_by_one.get_total_count(),
        one_by_one.get_min_value(),
        one_by_one.get_max_value(),
    )
    assert list(batched.counts) == list(one_by_one.counts)

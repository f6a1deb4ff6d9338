"""peac's vectorised histogram statistics give exactly hdrh's own values."""

from __future__ import annotations

import pytest
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

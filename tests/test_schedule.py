"""Schedules are exact: arrival counts, spacing, and shards that partition the load."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from peac.errors import InputError
from peac.load.executors import Overrides, rate_segments
from peac.load.overrides import override_load
from peac.load.schedule import (
    Segment,
    Shard,
    arrival_times,
    total_arrivals,
    vus_at,
)
from peac.spec.scenario import ConstantArrivalRate, Load, Spike, Stress

# The presets are built from the text a scenario file holds ("40/s", "30s"), through the same
# validation that turns it into numbers.


def test_constant_rate_is_evenly_spaced() -> None:
    segments = rate_segments(
        ConstantArrivalRate.model_validate(
            {"executor": "constant-arrival-rate", "rate": "40/s", "duration": "30s"}
        )
    )
    times = list(arrival_times(segments))
    assert len(times) == total_arrivals(segments) == 1200
    assert times[:3] == pytest.approx([0.0, 0.025, 0.05])
    assert times[-1] == pytest.approx(29.975)


def test_ramp_from_zero_follows_the_integral() -> None:
    segments = [Segment(10.0, 0.0, 100.0)]  # 500 arrivals, N(t) = 5 t^2
    times = list(arrival_times(segments))
    assert len(times) == 500
    assert times[20] == pytest.approx((20 / 5) ** 0.5)
    assert all(a < b for a, b in itertools.pairwise(times))


def test_spike_preset() -> None:
    spike = rate_segments(
        Spike.model_validate(
            {
                "executor": "spike",
                "base_rate": "10/s",
                "peak_rate": "100/s",
                "before": "10s",
                "ramp": "2s",
                "hold": "5s",
                "after": "10s",
            }
        )
    )
    assert [s.start for s in spike] == [10, 10, 100, 100, 10]
    assert total_arrivals(spike) == 100 + 110 + 500 + 110 + 100


def test_stress_preset() -> None:
    stress = rate_segments(
        Stress.model_validate(
            {
                "executor": "stress",
                "start_rate": "10/s",
                "step_rate": "10/s",
                "step_duration": "5s",
                "max_rate": "35/s",
            }
        )
    )
    assert [s.start for s in stress] == [10, 20, 30]


@given(
    rates=st.lists(st.floats(0, 500), min_size=2, max_size=5),
    durations=st.lists(st.floats(0.1, 20), min_size=1, max_size=4),
    count=st.integers(1, 7),
)
def test_shards_partition_the_arrivals_exactly(
    rates: list[float], durations: list[float], count: int
) -> None:
    segments = [
        Segment(d, rates[i % len(rates)], rates[(i + 1) % len(rates)])
        for i, d in enumerate(durations)
    ]
    whole = list(arrival_times(segments))
    parts = [list(arrival_times(segments, Shard(k, count))) for k in range(count)]
    assert sum(len(p) for p in parts) == len(whole) == total_arrivals(segments)
    assert sorted(t for p in parts for t in p) == pytest.approx(whole)


def test_shard_split_counts() -> None:
    assert [Shard(k, 3).split(10) for k in range(3)] == [4, 3, 3]
    assert str(Shard(1, 4)) == "2/4"


def test_vu_profile() -> None:
    segments = [Segment(10, 0, 10), Segment(10, 10, 10)]
    assert vus_at(segments, 5) == pytest.approx(5)
    assert vus_at(segments, 15) == pytest.approx(10)
    assert vus_at(segments, 25) == 0


@pytest.mark.parametrize(
    ("load", "changes", "expected"),
    [
        (
            {"executor": "constant-arrival-rate", "rate": "10/s", "duration": "10s"},
            Overrides(duration=5.0, rate=20.0),
            {"duration": 5.0, "rate": 20.0},
        ),
        (
            {"executor": "constant-vus", "vus": 2, "duration": "10s"},
            Overrides(duration=3.0, vus=7),
            {"duration": 3.0, "vus": 7},
        ),
        (
            {"executor": "shared-iterations", "vus": 2, "iterations": 10},
            Overrides(duration=4.0, vus=3),
            {"max_duration": 4.0, "vus": 3},
        ),
        (
            {
                "executor": "ramping-vus",
                "stages": [{"duration": "10s", "target": 5}, {"duration": "30s", "target": 0}],
            },
            Overrides(duration=20.0),
            {"stages": [(5.0, 5), (15.0, 0)]},
        ),
    ],
)
def test_overrides_apply_to_their_fields(
    load: dict[str, object], changes: Overrides, expected: dict[str, object]
) -> None:
    changed = override_load(TypeAdapter(Load).validate_python(load), changes)
    for field, value in expected.items():
        found = getattr(changed, field)
        if field == "stages":
            found = [(s.duration, s.target) for s in found]
        assert found == value


@pytest.mark.parametrize(
    ("load", "changes", "message"),
    [
        ({"executor": "constant-vus", "vus": 2, "duration": "10s"}, Overrides(rate=5.0),
         "--rate applies to constant-arrival-rate, not to constant-vus"),
        ({"executor": "constant-arrival-rate", "rate": "1/s", "duration": "1s"}, Overrides(vus=5),
         "--vus applies to constant-vus"),
        ({"executor": "spike", "base_rate": "1/s", "peak_rate": "9/s", "before": "1s",
          "ramp": "1s", "hold": "1s", "after": "1s"}, Overrides(duration=5.0),
         "--duration does not apply to the spike executor"),
    ],
)  # fmt: skip
def test_overrides_that_do_not_apply_are_refused(
    load: dict[str, object], changes: Overrides, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        override_load(TypeAdapter(Load).validate_python(load), changes)

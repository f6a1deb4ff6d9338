"""Change points (``peac.baseline.change_points``) on noise that has none and on shifts that
are there. Each rate is the rate the detector is built for, with the bound from the binomial
distribution at a 0.1 % tail (fixed seeds make the tests deterministic; a method that drifts
from its stated rate fails them)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from scipy.stats import binom

from peac.baseline import change_points

Noise = Callable[[np.random.Generator, int], np.ndarray]


def at_most(n: int, rate: float) -> int:
    """The largest count of ``n`` trials that a true ``rate`` exceeds only 0.1 % of the time."""
    return int(binom.ppf(0.999, n, rate))


def at_least(n: int, rate: float) -> int:
    """The smallest count of ``n`` trials a true ``rate`` falls below only 0.1 % of the time."""
    return int(binom.ppf(0.001, n, rate))


def ar1(rng: np.random.Generator, n: int, phi: float, heavy: bool) -> np.ndarray:
    e = rng.standard_t(4, n + 50) / math.sqrt(2.0) if heavy else rng.normal(0.0, 1.0, n + 50)
    y = np.zeros(n + 50)
    for i in range(1, n + 50):
        y[i] = phi * y[i - 1] + e[i] * math.sqrt(1.0 - phi * phi)
    return y[50:]


STATIONARY: dict[str, Noise] = {
    "iid Gaussian": lambda rng, n: ar1(rng, n, 0.0, False),
    "AR(1) 0.3": lambda rng, n: ar1(rng, n, 0.3, False),
    "iid t(4)": lambda rng, n: ar1(rng, n, 0.0, True),
    "AR(1) 0.3, t(4)": lambda rng, n: ar1(rng, n, 0.3, True),
}


@pytest.mark.parametrize("name", list(STATIONARY))
def test_thirty_points_of_noise_rarely_get_a_change_point(name: str) -> None:
    # The threshold is calibrated for at most 5 % of 30-commit windows of such noise (the
    # gate's window) to be cut; 400 windows keep the count within binom.ppf(0.999, 400, 5 %).
    rng = np.random.default_rng(8)
    cut = sum(bool(change_points(list(STATIONARY[name](rng, 30)))) for _ in range(400))
    assert cut <= at_most(400, 0.05)


WANDERING: dict[str, Noise] = {
    "random walk": lambda rng, n: np.cumsum(rng.normal(0.0, 1.0, n)),
    "AR(1) 0.9": lambda rng, n: ar1(rng, n, 0.9, False),
    "trend": lambda rng, n: np.arange(n) * rng.uniform(0.005, 0.05) + rng.normal(0.0, 1.0, n),
}


@pytest.mark.parametrize("name", list(WANDERING))
def test_smooth_wandering_is_not_cut_into_levels(name: str) -> None:
    # A random walk or a trend has no level to shift: a change point needs an abrupt jump
    # there. Stated rate: at most 15 % of 100-300 value series get any change point.
    rng = np.random.default_rng(9)
    cut = sum(
        bool(change_points(list(WANDERING[name](rng, int(rng.integers(100, 301))))))
        for _ in range(200)
    )
    assert cut <= at_most(200, 0.15)


@pytest.mark.parametrize("name", list(STATIONARY))
def test_a_shift_of_four_deviations_is_found_where_it_is(name: str) -> None:
    # A 4-sigma shift in the middle of 200 values: found within 5 of its place nine times in
    # ten at least, and nothing else found.
    rng = np.random.default_rng(10)
    hits = 0
    for _ in range(200):
        at = int(rng.integers(40, 161))
        y = STATIONARY[name](rng, 200) + 4.0 * (np.arange(200) >= at)
        found = change_points(list(y))
        hits += len(found) == 1 and abs(found[0] - at) <= 5
    assert hits >= at_least(200, 0.9)


def test_an_abrupt_jump_in_a_random_walk_is_found() -> None:
    # Wandering does not hide a jump of 20 steps' deviation: found within 5 of its place
    # nine times in ten at least.
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(200):
        at = int(rng.integers(40, 161))
        y = np.cumsum(rng.normal(0.0, 1.0, 200)) + 20.0 * (np.arange(200) >= at)
        hits += any(abs(f - at) <= 5 for f in change_points(list(y)))
    assert hits >= at_least(200, 0.9)


def test_a_step_on_a_trend_is_found_and_the_trend_is_not_cut() -> None:
    y = 0.03 * np.arange(200) + 5.0 * (np.arange(200) >= 120)
    y += np.random.default_rng(12).normal(0.0, 1.0, 200)
    assert [abs(f - 120) <= 5 for f in change_points(list(y))] == [True]


def test_indices_count_every_value_given_and_bad_values_are_skipped() -> None:
    values = [1.0] * 10 + [float("nan"), float("inf")] + [2.0] * 10
    assert change_points(values) == [12]
    assert change_points([1.0] * 10 + [0.0, -1.0] + [2.0] * 10, log_scale=True) == [12]
    assert change_points([]) == [] and change_points([float("nan")] * 5) == []

"""Properties of the public check (``peac.baseline.assess`` / ``change_points``) on any
numbers at all: no exception, p-values in [0, 1], a regression only beyond the bound and beyond
min_effect, the bound on the worse side of the forecast, change points inside the series.
Derandomized so that main stays green; 25 random seeds were run by hand when written."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peac.baseline import assess, change_points

special = st.sampled_from([0.0, -0.0, -1.0, 1e-300, 1e300, math.nan, math.inf, -math.inf])
plain = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
positive = st.floats(min_value=1e-3, max_value=1e4)
value = st.one_of(positive, positive, plain, special)
runs = st.one_of(value, st.lists(value, min_size=1, max_size=4))


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    history=st.lists(runs, max_size=40),
    head=runs,
    higher_is_worse=st.booleans(),
    log_scale=st.booleans(),
)
def test_assess_never_raises_and_never_contradicts_itself(
    history: list[float | list[float]],
    head: float | list[float],
    higher_is_worse: bool,
    log_scale: bool,
) -> None:
    check = assess(history, head, higher_is_worse=higher_is_worse, log_scale=log_scale)
    if check.p_value is not None:
        assert 0.0 <= check.p_value <= 1.0
        assert check.model_p_value is not None and check.p_value >= check.model_p_value
    if check.regression:
        assert check.head is not None and check.bound is not None and check.expected is not None
        assert check.effect is not None and check.effect > 0.05
        assert check.head >= check.bound if higher_is_worse else check.head <= check.bound
    if check.bound is not None and check.expected is not None:
        worse = check.bound - check.expected
        assert (worse >= 0 if higher_is_worse else worse <= 0) or math.isclose(
            check.bound, check.expected, rel_tol=1e-9
        )


@settings(max_examples=300, deadline=None, derandomize=True)
@given(values=st.lists(value, max_size=200), log_scale=st.booleans())
def test_change_points_are_inside_the_series_and_sorted(
    values: list[float], log_scale: bool
) -> None:
    found = change_points(values, log_scale=log_scale)
    assert found == sorted(set(found))
    assert all(0 < i < len(values) for i in found)
    assert all(math.isfinite(values[i]) for i in found)

"""Budget limits recommended from history, as a library: the function ``peac recommend``
applies to every objective, over plain numbers.

    from peac.recommend import recommend

    r = recommend([0.20, 0.21, 0.19, ...])          # one value per commit, oldest first
    r.warn, r.fail, r.reason                          # 0.24, 0.26, '' (or None, None, why)
    recommend(throughputs, higher_is_worse=False)     # a min limit for a rate
    recommend(history, current_fail=0.25).backtest    # how often 0.25 and the proposal fired
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from peac.core.recommend import BACKTEST, WARN_FACTOR, recommend_points, round_outward
from peac.model.recommendation import Backtest, Change, Rates, Recommendation
from peac.model.series import Point

__all__ = ["Backtest", "Change", "Rates", "Recommendation", "recommend", "round_outward"]

History = Sequence[float] | Sequence[Sequence[float]]


def _runs(value: float | Sequence[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in value) if isinstance(value, Sequence) else (float(value),)


def recommend(
    history: History,
    *,
    higher_is_worse: bool = True,
    log_scale: bool = True,
    false_alarm_rate: float = 0.01,
    warn_factor: float = WARN_FACTOR,
    window: int = BACKTEST,
    current_warn: float | None = None,
    current_fail: float | None = None,
    integer: bool = False,
) -> Recommendation:
    """Warn and fail limits for ``history`` (one value, or one sequence of run values, per
    commit, oldest first): fail is crossed by about ``false_alarm_rate`` of the commits of the
    current level, warn by ``warn_factor`` times that, both rounded outward to two significant
    digits. None with a reason when the history is too short or shows no noise. The backtest
    compares them with ``current_warn``/``current_fail`` over the last ``window`` commits.
    Values that are not numbers are left out."""
    points = [
        Point(f"{i:040x}", i, "", runs)
        for i, runs in enumerate(_runs(h) for h in history)
        if runs and all(math.isfinite(v) for v in runs)
    ]
    return recommend_points(
        points,
        higher_is_worse=higher_is_worse,
        log_scale=log_scale,
        false_alarm_rate=false_alarm_rate,
        warn_factor=warn_factor,
        window=window,
        current=Rates(current_warn, current_fail),
        integer=integer,
    )

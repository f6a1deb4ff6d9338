"""The baseline and the default regression check as a library: the same functions the gate
uses, over plain numbers.

    from peac.baseline import assess, change_points

    assess([0.20, 0.21, 0.19, ...], 0.26).regression       # one value per commit, oldest first
    assess([[0.20, 0.21], [0.19, 0.2], ...], [0.26, 0.25])  # several runs per commit
    change_points([1.0] * 10 + [2.0] * 10)                  # [10]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from peac.core.baseline.assess import Assessment, assess_points
from peac.core.baseline.changes import change_points as _change_points
from peac.model.series import Point

__all__ = ["Assessment", "assess", "change_points"]

History = Sequence[float | Sequence[float]]  # one value, or the runs, per commit


def _runs(value: float | Sequence[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in value) if isinstance(value, Sequence) else (float(value),)


def assess(
    history: History,
    head: float | Sequence[float],
    *,
    higher_is_worse: bool = True,
    log_scale: bool = True,
    confidence: float = 0.95,
    min_effect: float = 0.05,
) -> Assessment:
    """Whether ``head`` is a regression against ``history`` (one value, or one sequence of run
    values, per commit, oldest first), with the p-value, the expected value, the one-sided
    bound on the worse side and the effect. Values that are not numbers are left out of the
    history; a head that is not a number is no regression (and says so)."""
    # Commits whose values are not numbers go in too: the baseline leaves them out and says
    # which (by position: "#3" is the fourth commit given).
    points = [Point(f"#{i}", i, "", runs) for i, runs in enumerate(_runs(h) for h in history)]
    return assess_points(
        points,
        _runs(head),
        higher_is_worse=higher_is_worse,
        log_scale=log_scale,
        confidence=confidence,
        min_effect=min_effect,
    )


def change_points(values: Sequence[float], *, log_scale: bool = False) -> list[int]:
    """Indices into ``values`` where a new level starts, with the defaults the gate uses (a
    shift must pass the calibrated test and be at least 2.5 % of the level; in a series that
    wanders like a random walk or a trend, only an abrupt jump counts). Values that are not
    numbers (and, on the log scale, values <= 0) are skipped, not counted as levels."""
    usable = [
        (i, float(v))
        for i, v in enumerate(values)
        if math.isfinite(v) and (float(v) > 0 or not log_scale)
    ]
    if not usable:
        return []
    index = [i for i, _ in usable]
    y = np.asarray([v for _, v in usable], dtype=float)
    if log_scale:
        y = np.log(y)
        floor = math.log1p(0.025)
    else:
        floor = 0.025 * abs(float(np.median(y)))
    return [index[k] for k in _change_points(y, floor)]

"""One head against one series' history: the default regression check, as the gate applies it
to every objective (and ``peac.baseline.assess`` offers it to library users)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from peac.core.baseline.forecast import baseline, model_p_value, p_value
from peac.model.baseline import Baseline, Missing
from peac.model.series import Point


@dataclass(frozen=True)
class Assessment:
    """What history says of one head value."""

    regression: bool  # significant, beyond min_effect, and beyond one step of the values' grid
    p_value: float | None  # one-sided, worse direction (None without a baseline)
    expected: float | None  # forecast of the head, original unit
    bound: float | None  # one-sided prediction bound on the worse side, original unit
    effect: float | None  # relative change from expected, positive when worse
    baseline: Baseline | Missing
    head: float | None  # the head value judged (the median of its runs)
    reason: str = ""  # why no regression can be told, '' when it can
    measurable: bool = False  # the change exceeds one step of the values' own grid
    model_p_value: float | None = None  # the forecast's p-value alone, before the blip rank
    blips: int = 0  # one-commit jumps in the window that went at least as far as the head


def assess_points(
    points: Sequence[Point],
    head: Sequence[float],
    *,
    higher_is_worse: bool,
    log_scale: bool,
    confidence: float,
    min_effect: float,
) -> Assessment:
    """The check on a head of one or more runs (their median is what a commit measures)."""
    base = baseline(
        points,
        higher_is_worse=higher_is_worse,
        log_scale=log_scale,
        confidence=confidence,
        floor=min_effect / 2,
    )
    values = [v for v in head if math.isfinite(v)]
    if not values or len(values) < len(head):
        return Assessment(False, None, None, None, None, base, None, "the head is not a number")
    value = float(statistics.median(values))
    if not isinstance(base, Baseline):
        return Assessment(False, None, None, None, None, base, value, base.reason)
    p = p_value(base, value)
    effect = base.effect(value)
    measurable = abs(value - base.expected) > base.resolution * (1 + 1e-6)
    regression = p < 1 - confidence and effect > min_effect and measurable
    return Assessment(
        regression,
        p,
        base.expected,
        base.bound,
        effect,
        base,
        value,
        measurable=measurable,
        model_p_value=model_p_value(base, value),
        blips=base.jumps_as_far(value),
    )

"""The absolute limits of an objective (``max``/``min`` per tier), checked in one place for the
gate at the end of a run and for ``abort_on_fail`` during it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from peac.model.objectives import Objective, Rules, Tier, worst
from peac.model.verdict import Fired, Limit


def breaches(objective: Objective, value: float, only: Tier | None = None) -> list[Fired]:
    """Every absolute limit ``value`` crosses, most severe tier first; a value equal to its
    limit is within it. ``only`` restricts the check to one tier."""
    fired = []
    for tier, limits in objective.tiers():
        if only is not None and tier is not only:
            continue
        if limits.max is not None and value > limits.max:
            fired.append(Fired(tier, Limit.MAX, limits.max, "above its maximum"))
        if limits.min is not None and value < limits.min:
            fired.append(Fired(tier, Limit.MIN, limits.min, "below its minimum"))
    return fired


@dataclass(frozen=True)
class LimitCheck:
    """One objective against its absolute limits only: what ``peac run --budget`` prints at
    the end of a run, before any history is consulted (that is ``peac gate``'s job)."""

    objective: Objective
    value: float | None  # None when the run has nothing to measure the objective on
    fired: tuple[Fired, ...]
    outcome: Tier


def check_limits(rules: Rules, values: Mapping[str, float]) -> list[LimitCheck]:
    """Every objective of ``rules`` against its ``max``/``min`` limits, with ``values`` keyed
    by ``Objective.series_key``; a missing or non-numeric value counts as ``invalid_run``
    says, never as a pass."""
    checks = []
    for objective in rules.objectives:
        value = values.get(objective.series_key)
        if value is None or not math.isfinite(value):
            checks.append(LimitCheck(objective, None, (), rules.invalid_run))
            continue
        fired = tuple(breaches(objective, value))
        checks.append(LimitCheck(objective, value, fired, worst([f.tier for f in fired])))
    return checks

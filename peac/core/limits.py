"""The absolute limits of an objective (``max``/``min`` per tier), checked in one place for the
gate at the end of a run and for ``abort_on_fail`` during it."""

from __future__ import annotations

from peac.model.objectives import Objective, Tier
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

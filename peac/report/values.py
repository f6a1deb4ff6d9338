"""Relative changes and sparklines of recent history (values: ``peac.model.units.show``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from peac.model.units import show

__all__ = ["percent", "show", "spark"]

BLOCKS = "▁▂▃▄▅▆▇█"


def percent(change: float | None) -> str:
    if change is None:
        return "-"
    if math.isinf(change):
        return "+∞%" if change > 0 else "-∞%"
    return f"{change * 100:+.1f}%"


def spark(history: Sequence[float], head: float | None = None) -> str:
    """History as block characters, then the head on the same scale after an arrow."""
    values = [*history, *([head] if head is not None else [])]
    if not values:
        return ""
    low, high = min(values), max(values)
    span = high - low

    def block(v: float) -> str:
        if span <= 0:
            return BLOCKS[3]
        return BLOCKS[min(int((v - low) / span * len(BLOCKS)), len(BLOCKS) - 1)]

    line = "".join(block(v) for v in history)
    if head is not None:
        line += ("→" if history else "") + block(head)
    return line

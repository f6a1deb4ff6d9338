"""Numbers in the unit a budget writes them in, and sparklines of recent history."""

from __future__ import annotations

import math
from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"


def show(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "duration":
        if value < 1e-3:
            return f"{value * 1e3:.2f} ms"
        if value < 1.0:
            return f"{value * 1e3:.1f} ms"
        return f"{value:.2f} s"
    if unit == "percent":
        return f"{value * 100:.2f}%"
    if unit == "rate":
        return f"{value:.1f}/s"
    return f"{value:g}"


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
